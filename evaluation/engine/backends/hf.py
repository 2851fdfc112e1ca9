"""Local Hugging Face `transformers` models as a scoring backend.

How a file is scored (see prefix_tree.py): the (context, continuation) pairs are tokenised
boundary-exactly, identical pairs merged, and all fed sequences put into one radix tree. The tree
is walked depth first; the children of the nodes computed in one batch are themselves batched
(sorted by length, split by a token budget and a KV-memory budget) on top of the cached key/value
state of their parents (rows of that state are selected per child, the padding inside it masked,
position ids given explicitly). A state is dropped as soon as its subtree is done, so memory is
bounded by depth x kv_budget. The output layer is applied only to the hidden states at scored
positions; log-softmax in fp32.

Models with sliding-window attention layers (Gemma 2/3, Mistral...) are scored without prefix
sharing (one padded pass per pair, still batched and deduplicated): their caches drop old
positions and their masks count cache slots, which padding inside a shared state would distort.

On a GPU, out of memory halves the batch and retries before it fails: `score` catches
`torch.OutOfMemoryError`, frees the cache, halves `token_budget` and `kv_budget` (they stay halved
for the backend's later calls) and scores again, down to `MIN_TOKEN_BUDGET`, then re-raises.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ..collator import Collator, sorted_batches
from ..prefix_tree import build_tree, naive_tokens, tree_minimum
from ..tokenization import PairEncoder
from ..types import Score, ScoreRequest

MIN_TOKEN_BUDGET = 64  # out of memory at this token budget is final


@dataclass
class _State:
    kv: list[tuple[torch.Tensor, torch.Tensor]]  # per layer (rows, heads, T, head_dim)
    mask: torch.Tensor  # (rows, T) long: 1 where a real token sits
    next_pos: torch.Tensor  # (rows,) position id of the next token
    has_pad: bool


def _uses_sliding_window(config) -> bool:
    cfg = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
    layer_types = getattr(cfg, "layer_types", None)
    if layer_types:
        return any(t != "full_attention" for t in layer_types)
    return getattr(cfg, "sliding_window", None) is not None and getattr(cfg, "use_sliding_window", True)


def _context_window(model, tokenizer) -> int:
    cfg = model.config.get_text_config(decoder=True)
    for name in ("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"):
        v = getattr(cfg, name, None)
        if isinstance(v, int) and v > 0:
            return v
    v = getattr(tokenizer, "model_max_length", None)
    if isinstance(v, int) and 0 < v < 10**7:
        return v
    return 2048


class HFBackend:
    """Scores continuations with a local `transformers` causal LM (see module docstring)."""

    def __init__(self, model, tokenizer, *, identity: str, params: int | None = None,
                 max_length: int | None = None, token_budget: int = 2048, kv_budget: int = 16384,
                 share_prefixes: bool | None = None):
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.identity = identity
        self.params = params if params is not None else sum(p.numel() for p in model.parameters())
        self.max_length = int(max_length or _context_window(model, tokenizer))
        self.encoder = PairEncoder(tokenizer, self.max_length)
        self.token_budget = int(token_budget)
        self.kv_budget = int(kv_budget)
        self.max_padding = 0.1  # a batch is split rather than padded by more than this fraction
        if share_prefixes is None:
            share_prefixes = not _uses_sliding_window(model.config)
        self.share_prefixes = share_prefixes
        self.base = getattr(model, model.base_model_prefix)
        self.head = model.get_output_embeddings()
        cfg = model.config.get_text_config(decoder=True)
        self.softcap = getattr(cfg, "final_logit_softcapping", None)
        self.device = model.get_input_embeddings().weight.device
        self.stats: dict = {}
        self.oom_retries = 0  # passes retried with halved budgets after running out of memory
        # set by the loader (loading.py)
        self.loaded_from = None  # the folder the weights were read from, when local
        self.converted_now: bool = False

    def close(self) -> None:
        self.model = self.base = self.head = None

    # --- public ----------------------------------------------------------------------------

    def score(self, requests: Sequence[ScoreRequest], progress=None) -> list[Score]:
        collated = Collator(requests, key=lambda r: (r.context, r.continuation))
        encoded = [self.encoder.encode(r.context, r.continuation) for r in collated.unique]
        pairs = [(e.context, e.continuation) for e in encoded]
        sums = self._score_retrying(pairs, progress, collated.weights)
        return collated.scatter([Score(logprob=float(s), n_tokens=len(e.continuation),
                                       boundary_fallback=e.boundary_fallback, truncated=e.truncated)
                                 for s, e in zip(sums, encoded)])

    # --- out of memory -------------------------------------------------------------------------

    def _score_retrying(self, pairs, progress, multiplicity) -> list[float]:
        counted = _CountOnce(progress) if progress else None
        while True:
            try:
                return self._score_pairs(pairs, counted, multiplicity)
            except torch.OutOfMemoryError:
                if self.token_budget <= MIN_TOKEN_BUDGET:
                    raise
            # outside the except block, so the failed pass's tensors are no longer referenced
            self._halve_budgets()
            if counted:
                counted.restart()

    def _halve_budgets(self) -> None:
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        self.token_budget = max(MIN_TOKEN_BUDGET, self.token_budget // 2)
        self.kv_budget = max(MIN_TOKEN_BUDGET, self.kv_budget // 2)
        self.oom_retries += 1

    # --- the walk ----------------------------------------------------------------------------

    def _score_pairs(self, pairs, progress, multiplicity) -> list[float]:
        n = len(pairs)
        sums = [0.0] * n
        remaining = [len(k) for _, k in pairs]
        done_now = sum(multiplicity[i] for i in range(n) if remaining[i] == 0)
        if progress and done_now:
            progress(done_now)
        tree = build_tree(pairs, share=self.share_prefixes)
        self.stats = {"pairs": n, "tree_minimum": tree.subtree_tokens() if self.share_prefixes
                      else tree_minimum(pairs),
                      "naive_tokens": naive_tokens(pairs), "fed_tokens": 0, "fed_with_padding": 0,
                      "forward_calls": 0}
        ctx = {"sums": sums, "remaining": remaining, "progress": progress, "mult": multiplicity}
        items = [(0, c) for c in tree.children]
        with torch.inference_mode():
            if items:
                self._run(None, items, ctx)
        return sums

    def _batches(self, items, T):
        """Children sorted by length and cut by the token budget, the KV budget and the padding
        allowed; longest first keeps peak memory predictable early."""
        def fits(count: int, longest: int, total: int) -> bool:
            padding = count * longest - total
            return (count * longest <= self.token_budget and count * (T + longest) <= self.kv_budget
                    and padding <= max(self.max_padding * count * longest, 8))

        return sorted_batches(items, length=lambda it: len(it[1].edge), fits=fits, longest_first=True)

    def _run(self, state: _State | None, items, ctx) -> None:
        T = 0 if state is None else state.mask.shape[1]
        dev = self.device
        for batch in self._batches(items, T):
            G = len(batch)
            lengths = [len(node.edge) for _, node in batch]
            Lmax = max(lengths)
            ids = torch.zeros((G, Lmax), dtype=torch.long)
            valid = torch.zeros((G, Lmax), dtype=torch.long)
            for g, (_, node) in enumerate(batch):
                ids[g, :lengths[g]] = torch.tensor(node.edge, dtype=torch.long)
                valid[g, :lengths[g]] = 1
            ids, valid = ids.to(dev), valid.to(dev)
            if state is None:
                past, past_mask = None, torch.zeros((G, 0), dtype=torch.long, device=dev)
                pos0 = torch.zeros(G, dtype=torch.long, device=dev)
                has_pad = False
            else:
                rows = torch.tensor([r for r, _ in batch], dtype=torch.long, device=dev)
                past = [(k.index_select(0, rows), v.index_select(0, rows)) for k, v in state.kv]
                past_mask = state.mask.index_select(0, rows)
                pos0 = state.next_pos.index_select(0, rows)
                has_pad = state.has_pad
            position_ids = pos0[:, None] + torch.arange(Lmax, device=dev)[None, :]
            # padding slots are never read; give them position 0 so that a row cut to the full
            # window does not push its padding past the model's last position embedding
            position_ids = position_ids * valid
            attn = None
            if has_pad:  # holes inside the cached state must be masked
                attn = torch.cat([past_mask, torch.ones_like(valid)], dim=1)
            has_children = any(node.children for _, node in batch)
            kwargs = {}
            if past is not None:
                from transformers import DynamicCache
                kwargs["past_key_values"] = DynamicCache(ddp_cache_data=past)
            out = self.base(input_ids=ids, attention_mask=attn, position_ids=position_ids,
                            use_cache=has_children, **kwargs)
            self.stats["forward_calls"] += 1
            self.stats["fed_tokens"] += sum(lengths)
            self.stats["fed_with_padding"] += G * Lmax
            hidden = out.last_hidden_state
            self._read(batch, hidden, ctx)
            del hidden
            if has_children:
                cache = out.past_key_values
                kv = [(layer.keys, layer.values) for layer in cache.layers]
                del out, past, kwargs
                child_items = [(g, c) for g, (_, node) in enumerate(batch) for c in node.children]
                new_state = _State(kv, torch.cat([past_mask, valid], dim=1),
                                   pos0 + torch.tensor(lengths, device=dev),
                                   has_pad or min(lengths) < Lmax)
                self._run(new_state, child_items, ctx)
                del new_state, kv, cache
            else:
                del out

    def _read(self, batch, hidden, ctx) -> None:
        gi, oi, which, targets, reqs = [], [], [], [], []
        for g, (_, node) in enumerate(batch):
            for off, rl in enumerate(node.reads):
                if rl:
                    gi.append(g)
                    oi.append(off)
                    for r, t in rl:
                        which.append(len(gi) - 1)
                        targets.append(t)
                        reqs.append(r)
        if not gi:
            return
        dev = hidden.device
        h = hidden[torch.tensor(gi, device=dev), torch.tensor(oi, device=dev)]
        h = h.to(self.head.weight.device)
        logits = self.head(h).float()
        if self.softcap:
            logits = torch.tanh(logits / self.softcap) * self.softcap
        lsm = torch.log_softmax(logits, dim=-1)
        vals = lsm[torch.tensor(which, device=lsm.device), torch.tensor(targets, device=lsm.device)]
        sums, remaining, mult = ctx["sums"], ctx["remaining"], ctx["mult"]
        finished = 0
        for r, v in zip(reqs, vals.tolist()):
            sums[r] += v
            remaining[r] -= 1
            if remaining[r] == 0:
                finished += mult[r]
        if finished and ctx["progress"]:
            ctx["progress"](finished)


class _CountOnce:
    """Passes on "n more continuations done" so that a pass retried after running out of memory
    does not count again what the failed pass already reported."""

    def __init__(self, progress: Callable[[int], None]):
        self.progress, self.passed_on, self.seen = progress, 0, 0

    def restart(self) -> None:
        self.seen = 0

    def __call__(self, n: int) -> None:
        self.seen += n
        if self.seen > self.passed_on:
            self.progress(self.seen - self.passed_on)
            self.passed_on = self.seen
