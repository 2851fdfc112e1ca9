"""An independent, deliberately naive scorer: the organizers' method.

Batch size 1, one full forward pass per (prompt + continuation), fp32, full-vocabulary
log-softmax, no cache, no sharing. Written separately from the engine (it does not import
evaluation.engine): the boundary comes from character offsets of the plain tokenizer, BOS and
truncation semantics follow the engine's documented rules:

* joint encoding of prompt + continuation without special tokens; if no token starts exactly at
  len(prompt), the two are encoded separately;
* the tokenizer's own leading special tokens (BOS) go in front; empty context -> BOS, else EOS;
* the model sees at most `window` tokens (context + continuation minus the last token): extra
  context tokens are dropped from the left, after the BOS.
"""

from __future__ import annotations

import math

import torch
from tokenizers import Tokenizer


class NaiveReference:
    def __init__(self, model, tokenizer, window: int):
        self.model = model.float().eval()
        self.tokenizer = tokenizer
        self.window = window
        self.plain = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
        self.plain.post_processor = None
        with_special = tokenizer("x", add_special_tokens=True)["input_ids"]
        bare = self.plain.encode("x", add_special_tokens=False).ids
        self.lead = list(with_special[: len(with_special) - len(bare)]) if with_special[-len(bare):] == bare else []
        if with_special[-len(bare):] != bare:  # some tokenizers also append; find the start
            for i in range(len(with_special)):
                if with_special[i:i + len(bare)] == bare:
                    self.lead = list(with_special[:i])
                    break

    def tokens(self, prompt: str, continuation: str):
        enc = self.plain.encode(prompt + continuation, add_special_tokens=False)
        cut = None
        for i, (s, _e) in enumerate(enc.offsets):
            if s >= len(prompt):
                cut = i
                break
        clean = cut is not None and all(e <= len(prompt) for s, e in enc.offsets[:cut])
        if clean:
            ctx, cont = enc.ids[:cut], enc.ids[cut:]
        else:
            ctx = self.plain.encode(prompt, add_special_tokens=False).ids if prompt else []
            cont = self.plain.encode(continuation, add_special_tokens=False).ids
        ctx = self.lead + ctx
        if not ctx:
            tid = self.tokenizer.bos_token_id
            ctx = [tid if tid is not None else self.tokenizer.eos_token_id]
        truncated = False
        while len(ctx) + len(cont) - 1 > self.window:
            del ctx[len(self.lead)]
            truncated = True
        return ctx, cont, (not clean), truncated

    @torch.inference_mode()
    def logprob(self, prompt: str, continuation: str) -> tuple[float, int]:
        ctx, cont, _, _ = self.tokens(prompt, continuation)
        seq = torch.tensor([ctx + cont])
        logits = self.model(input_ids=seq[:, :-1]).logits[0].float()
        logp = torch.log_softmax(logits, dim=-1)
        total = torch.zeros((), dtype=torch.float32)
        for j, t in enumerate(cont):
            total = total + logp[len(ctx) - 1 + j, t]
        return float(total), len(cont)

    # the four metrics, straight from their definitions
    def classification(self, ex):
        s = [self.logprob(ex.prompt, c)[0] for c in ex.classes]
        m = max(s)
        lse = m + math.log(sum(math.exp(x - m) for x in s))
        best = max(range(len(s)), key=lambda k: (s[k], -k))
        return {"value": lse - s[ex.answer_index], "correct": best == ex.answer_index,
                "total_logprob": lse}

    def sequence_prob(self, ex):
        return {"value": -self.logprob(ex.prompt, ex.completion)[0]}

    def logodds(self, ex):
        a, b = ex.classes[ex.answer_index], ex.classes[1 - ex.answer_index]
        pa, pb = self.logprob(ex.prompt, a)[0], self.logprob(ex.prompt, b)[0]
        oa, ob = self.logprob(ex.other_prompt, a)[0], self.logprob(ex.other_prompt, b)[0]
        o = [self.logprob(ex.other_prompt, c)[0] for c in ex.classes]
        return {"value": (pa - pb) - (oa - ob), "correct": (0 if o[0] >= o[1] else 1) == ex.answer_index}
