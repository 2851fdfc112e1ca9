"""Boundary-exact encoding of (context, continuation) pairs for a Hugging Face fast tokenizer.

The scored tokens must be exactly the continuation's tokens:

* context + continuation are encoded jointly and the boundary is found from character offsets
  (computed on a copy of the tokenizer without its post-processor, because GPT-2's ByteLevel
  post-processor "trims" whitespace off offsets, which would hide a token that straddles the
  boundary);
* if no token boundary falls exactly at the end of the context (say the prompt ends with a space
  and the class has none: "Answer: " + "yes" becomes "Answer", ":", " yes"), context and
  continuation are encoded separately, as lm-evaluation-harness did, and the pair is flagged;
* the special tokens the tokenizer puts in front of a text (Llama's and Gemma's BOS; nothing for
  GPT-2) are put in front of the context; an empty context becomes BOS, or EOS without a BOS;
* the context is cut from the left (after its BOS) so that context + continuation fit the window:
  the model is fed context + continuation[:-1], at most `max_length` tokens; the pair is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenizers import Tokenizer

from .types import ModelError


@dataclass(frozen=True)
class EncodedPair:
    context: tuple[int, ...]  # what the continuation is conditioned on (BOS included), never empty
    continuation: tuple[int, ...]  # exactly the scored tokens
    boundary_fallback: bool = False
    truncated: bool = False


class PairEncoder:
    def __init__(self, tokenizer, max_length: int):
        if not getattr(tokenizer, "is_fast", False):
            raise ModelError("the engine needs a fast (Rust) tokenizer for character offsets")
        self.tokenizer = tokenizer
        self.max_length = int(max_length)
        raw = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
        raw.post_processor = None  # raw offsets; special tokens are added by hand below
        raw.no_truncation()
        raw.no_padding()
        self.raw = raw
        self.prefix = self._special_prefix()
        bos = tokenizer.bos_token_id
        eos = tokenizer.eos_token_id
        if self.prefix:
            self.empty_context = tuple(self.prefix)
        elif bos is not None:
            self.empty_context = (bos,)
        elif eos is not None:
            self.empty_context = (eos,)
        else:
            self.empty_context = None

    def _special_prefix(self) -> tuple[int, ...]:
        """The special tokens the tokenizer itself puts in front of a text (BOS), if any."""
        probe = "a b"
        plain = self.raw.encode(probe, add_special_tokens=False).ids
        full = list(self.tokenizer(probe, add_special_tokens=True)["input_ids"])
        for start in range(len(full) - len(plain) + 1):
            if full[start:start + len(plain)] == plain:
                return tuple(full[:start])
        return ()

    def _ids(self, text: str) -> list[int]:
        return self.raw.encode(text, add_special_tokens=False).ids if text else []

    def encode(self, context: str, continuation: str) -> EncodedPair:
        fallback = False
        if not continuation:
            ctx_ids, cont_ids = self._ids(context), []
        else:
            enc = self.raw.encode(context + continuation, add_special_tokens=False)
            ids, offsets = enc.ids, enc.offsets
            b = len(context)
            split = sum(1 for start, _ in offsets if start < b)
            ok = (
                split < len(ids)
                and all(end <= b for _, end in offsets[:split])
                and all(start >= b for start, _ in offsets[split:])
            )
            if ok:
                ctx_ids, cont_ids = ids[:split], ids[split:]
            else:
                fallback = True
                ctx_ids, cont_ids = self._ids(context), self._ids(continuation)
        ctx = list(self.prefix) + list(ctx_ids)
        if not ctx:
            if self.empty_context is None:
                raise ModelError("empty prompt and the tokenizer has neither a BOS nor an EOS token")
            ctx = list(self.empty_context)
        # fed = context + continuation[:-1] must fit in max_length tokens
        truncated = False
        room = self.max_length + 1 - len(cont_ids)
        if len(ctx) > room:
            keep_prefix = list(self.prefix) if self.prefix else []
            keep = room - len(keep_prefix)
            if keep < (0 if keep_prefix else 1):
                raise ModelError(
                    f"a continuation of {len(cont_ids)} tokens does not fit the model's window "
                    f"of {self.max_length} tokens")
            body = ctx[len(keep_prefix):]
            ctx = keep_prefix + body[len(body) - keep:]
            truncated = True
        return EncodedPair(tuple(ctx), tuple(cont_ids), fallback, truncated)
