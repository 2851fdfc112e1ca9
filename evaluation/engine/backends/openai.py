"""A backend that scores through an OpenAI-compatible completions endpoint (vLLM, a model service).

Protocol (the legacy ``/v1/completions`` API, which vLLM and most model services speak)::

    POST {base_url}/v1/completions
    {"model": M, "prompt": [p1, p2, ...], "echo": true, "logprobs": 1, "max_tokens": 1,
     "temperature": 0}

Each choice echoes its prompt's tokens with ``token_logprobs`` and ``text_offset``. One token is
generated (vLLM refuses ``max_tokens=0``); that last position is dropped. The prompt's first token
has a null log-probability (nothing precedes it).

Two ways of sending prompts:

* **token ids** (when a ``tokenizer`` is given and the server accepts ``prompt`` as lists of ints):
  context and continuation are tokenised here exactly as the Hugging Face engine does
  (:class:`evaluation.engine.tokenization.PairEncoder`: boundary from character offsets, the
  tokenizer's BOS in front, separate encoding when the continuation is not on a token boundary,
  the context cut from the left so that context + continuation[:-1] fit ``max_length`` tokens),
  so the continuation's tokens are known by index and the numbers equal the local engine's. This
  is the exact mode; use it whenever the tokenizer is at hand. ``max_length`` counts what a local
  model is fed, as the local engine's window does; a server also needs room for the last
  continuation token and the generated one, so for a vLLM ``max_model_len`` of W pass W - 2.
  If the server refuses token-id prompts (a 4xx on the first batch) the backend falls back to
  text prompts for the rest of its life (``self.token_ids`` becomes False).
* **text**: the prompt is ``context + continuation``; the continuation's tokens are those whose
  ``text_offset >= len(context)`` (offsets in characters). If no token starts exactly at
  ``len(context)`` (the continuation does not start on a token boundary, say a class without a
  leading space after a prompt without a trailing space), the backend also sends ``context`` alone
  and reports ``logP(context + continuation) - logP(context)`` with ``boundary_fallback=True``.
  That is the probability of the text under the server's own tokenisation; it need not equal the
  local engine's fallback, which tokenises the two pieces separately.

Empty context: the first token of a prompt has no log-probability, so a continuation with nothing
before it needs a start token. In token-id mode the tokenizer's BOS (or EOS when there is no BOS)
is put in front, as the local engine does. In text mode pass ``bos_text`` (say
``"<|endoftext|>"``, which servers parse as the special token); a server that adds a BOS itself
(Llama tokenizers do) needs nothing. Otherwise a :class:`ModelError` says what to pass.

Requests are deduplicated (identical prompts are sent once), batched ``batch_size`` prompts per HTTP
request, sent over ``max_concurrency`` threads, and retried with exponential backoff (honouring
``Retry-After``) on 429, 408, 5xx and connection errors. Other 4xx answers raise
:class:`ModelError` with the server's message. The API key comes from ``api_key`` or the
``OPENAI_API_KEY`` environment variable and is sent as ``Authorization: Bearer``.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from ..collator import Collator, sorted_batches
from ..tokenization import PairEncoder
from ..types import ModelError, Score, ScoreRequest
from .identity import openai_identity, server_root

__all__ = ["OpenAIBackend"]

RETRY_STATUSES = frozenset({408, 409, 425, 429}) | frozenset(range(500, 600))


class _Retryable(Exception):
    """A failure worth trying again (rate limit, server error, lost connection)."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class _HTTPRefused(ModelError):
    """The server answered a 4xx that retrying will not fix."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


# --- tokenisation (token-id mode) ------------------------------------------------------------


def _load_tokenizer(tokenizer):
    """A tokenizer object, or one loaded from a folder / hub id given as a string."""
    if isinstance(tokenizer, str):
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(tokenizer)
    return tokenizer


# --- the backend -----------------------------------------------------------------------------


@dataclass
class _Prompt:
    """One distinct prompt sent to the server, and what its answer is needed for."""

    prompt: Any  # str or list[int]
    text_len: int = 0  # len(prompt) for text prompts
    result: tuple[list[float | None], list[int]] | None = None  # token_logprobs, text_offset
    weight: int = 0  # how many original requests finish when this prompt is answered


@dataclass
class _Plan:
    """How one distinct request is read off the answers."""

    full: int  # index of the prompt holding context + continuation
    n_ctx: int = 0  # token-id mode: number of context tokens
    n_all: int = 0  # token-id mode: number of prompt tokens
    ctx_chars: int = 0  # text mode: len(context) in the sent text
    ctx_only: int | None = None  # text mode fallback: index of the context-alone prompt
    truncated: bool = False
    fallback: bool = False
    originals: list[int] = field(default_factory=list)


class OpenAIBackend:
    """Scores continuations through an OpenAI-compatible ``/v1/completions`` endpoint."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        max_concurrency: int = 8,
        max_retries: int = 6,
        timeout: float = 120,
        tokenizer=None,
        identity: str | None = None,
        params: int | None = None,
        batch_size: int = 16,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_length: int | None = None,
        bos_text: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        base = server_root(base_url)
        self.base_url = base
        self.url = f"{base}/v1/completions"
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.max_concurrency = max(1, int(max_concurrency))
        self.max_retries = max(0, int(max_retries))
        self.timeout = timeout
        self.tokenizer = _load_tokenizer(tokenizer)
        # `max_length` counts what a local model is fed (context + continuation[:-1]), as the
        # local engine's window does; a server also needs room for the last continuation token
        # and the generated one, so for vLLM's max_model_len W pass W - 2.
        self._encoder = (PairEncoder(self.tokenizer, max_length if max_length else 10**12)
                         if self.tokenizer is not None else None)
        self.identity = identity or openai_identity(base, model)
        self.params = params
        self.batch_size = max(1, int(batch_size))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_length = max_length
        self.bos_text = bos_text
        # None: not known yet; True/False once the server has answered a token-id prompt.
        self.token_ids: bool | None = None if tokenizer is not None else False
        self.requests_sent = 0  # HTTP requests made, retries included (for tests and logs)
        self._lock = threading.Lock()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        self._client = httpx.Client(
            headers=headers,
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=self.max_concurrency,
                                max_keepalive_connections=self.max_concurrency),
        )

    def __repr__(self) -> str:
        return f"OpenAIBackend({self.base_url!r}, {self.model!r})"

    def close(self) -> None:
        self._client.close()

    # -- HTTP ------------------------------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        delay = min(self.max_backoff, self.backoff * (2 ** (state.attempt_number - 1)))
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            delay = max(delay, min(self.max_backoff, exc.retry_after))
        return delay

    def _post_once(self, payload: dict) -> dict:
        with self._lock:
            self.requests_sent += 1
        try:
            response = self._client.post(self.url, json=payload)
        except httpx.TransportError as exc:
            raise _Retryable(f"{self.url}: {type(exc).__name__}: {exc}") from exc
        if response.status_code == 200:
            try:
                return response.json()
            except ValueError as exc:
                raise _Retryable(f"{self.url} answered 200 with a body that is not JSON") from exc
        message = _server_message(response)
        if response.status_code in RETRY_STATUSES:
            raise _Retryable(f"{self.url} answered {response.status_code}: {message}",
                             retry_after=_retry_after(response))
        hint = ""
        if response.status_code in (401, 403):
            hint = " (set OPENAI_API_KEY or pass api_key)"
        raise _HTTPRefused(f"{self.url} answered {response.status_code}: {message}{hint}",
                           response.status_code)

    def _post(self, payload: dict) -> dict:
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            stop=stop_after_attempt(self.max_retries + 1),
            wait=self._wait,
            reraise=True,
        )
        try:
            return retrying(self._post_once, payload)
        except _Retryable as exc:
            raise ModelError(f"gave up after {self.max_retries + 1} attempts: {exc}") from exc

    def _complete(self, prompts: list[_Prompt]) -> None:
        payload = {
            "model": self.model,
            "prompt": [p.prompt for p in prompts],
            "echo": True,
            "logprobs": 1,
            "max_tokens": 1,
            "temperature": 0,
        }
        body = self._post(payload)
        choices = body.get("choices")
        if not isinstance(choices, list) or len(choices) != len(prompts):
            raise ModelError(f"{self.url} answered {len(choices or [])} choices for {len(prompts)} prompts")
        for position, choice in enumerate(choices):
            index = choice.get("index", position)
            if not isinstance(index, int) or not 0 <= index < len(prompts):
                raise ModelError(f"{self.url} answered a choice with index {index!r}")
            logprobs = choice.get("logprobs") or {}
            lps = logprobs.get("token_logprobs")
            offsets = logprobs.get("text_offset") or []
            if lps is None:
                raise ModelError(f"{self.url} returned no token_logprobs: does it support echo with logprobs?")
            prompts[index].result = (list(lps), list(offsets))

    # -- planning -----------------------------------------------------------------------------

    def _plan(self, unique: list[ScoreRequest], weights: list[int],
              use_ids: bool) -> tuple[list[_Plan], list[_Prompt]]:
        plans: list[_Plan] = []
        sent: list = []  # the prompt each plan reads, before identical prompts are merged
        for req in unique:
            if use_ids:
                pair = self._encoder.encode(req.context, req.continuation)
                ids = [int(t) for t in pair.context + pair.continuation]
                sent.append(ids)
                plans.append(_Plan(full=0, n_ctx=len(pair.context), n_all=len(ids),
                                   truncated=pair.truncated, fallback=pair.boundary_fallback))
            else:
                context = req.context
                if not context and self.bos_text:
                    context = self.bos_text
                sent.append(context + req.continuation)
                plans.append(_Plan(full=0, ctx_chars=len(context)))
        distinct = Collator(sent, key=_hashable)
        prompts = [_Prompt(prompt=p, text_len=len(p) if isinstance(p, str) else 0) for p in distinct.unique]
        for plan, slot, weight in zip(plans, distinct.slots, weights):
            plan.full = slot
            prompts[slot].weight += weight
        return plans, prompts

    # -- scoring ------------------------------------------------------------------------------

    def score(self, requests: Sequence[ScoreRequest], progress: Callable[[int], Any] | None = None) -> list[Score]:
        requests = list(requests)
        if not requests:
            return []
        collated = Collator(requests)
        unique, weights = collated.unique, collated.weights
        if self.token_ids is not False:
            try:
                scores = self._score_unique(unique, weights, progress, use_ids=True)
            except _HTTPRefused as exc:
                if self.token_ids is not None or exc.status not in (400, 404, 405, 415, 422):
                    raise
                self.token_ids = False  # the server refuses token-id prompts: use text
                scores = self._score_unique(unique, weights, progress, use_ids=False)
        else:
            scores = self._score_unique(unique, weights, progress, use_ids=False)
        return collated.scatter(scores)

    def _score_unique(self, unique, weights, progress, *, use_ids: bool) -> list[Score]:
        plans, prompts = self._plan(unique, weights, use_ids)
        self._run(prompts, progress, probe=use_ids and self.token_ids is None)
        if use_ids:
            self.token_ids = True

        scores: list[Score | None] = [None] * len(unique)
        fallback_needed: list[int] = []
        for j, (req, plan) in enumerate(zip(unique, plans)):
            lps, offsets = prompts[plan.full].result  # type: ignore[misc]
            if use_ids:
                if len(lps) < plan.n_all:
                    raise ModelError(f"{self.url} echoed {len(lps)} log-probabilities for a prompt of "
                                     f"{plan.n_all} tokens")
                cont = lps[plan.n_ctx : plan.n_all]
                if any(x is None for x in cont):
                    raise ModelError(f"{self.url} returned a null log-probability inside the continuation")
                scores[j] = Score(logprob=float(math.fsum(cont)), n_tokens=len(cont),
                                  boundary_fallback=plan.fallback, truncated=plan.truncated)
                continue
            lps, offsets = _drop_generated(lps, offsets, prompts[plan.full].text_len)
            if plan.ctx_chars == 0:
                cont = _strip_zero_width_start(lps, offsets)
                if any(x is None for x in cont):
                    raise ModelError(
                        "an empty context leaves the first continuation token without a log-probability: "
                        "pass tokenizer= (token-id prompts put a BOS in front) or bos_text= "
                        "(say '<|endoftext|>' or '<s>')")
                scores[j] = Score(logprob=float(math.fsum(cont)), n_tokens=len(cont))
                continue
            if plan.ctx_chars in offsets or not req.continuation:
                cont = [lp for lp, off in zip(lps, offsets) if off >= plan.ctx_chars]
                if any(x is None for x in cont):
                    raise ModelError(f"{self.url} returned a null log-probability inside the continuation")
                scores[j] = Score(logprob=float(math.fsum(cont)), n_tokens=len(cont))
            else:
                fallback_needed.append(j)

        if fallback_needed:
            self._score_off_boundary(unique, plans, prompts, fallback_needed, scores)
        return scores  # type: ignore[return-value]

    def _score_off_boundary(self, unique, plans, prompts, needed: list[int], scores: list) -> None:
        """Text mode, continuations not on a token boundary: score the context alone too, and
        take logP(context + continuation) - logP(context)."""
        contexts = Collator([unique[j].context for j in needed])
        extra = [_Prompt(prompt=c, text_len=len(c)) for c in contexts.unique]
        for j, slot in zip(needed, contexts.slots):
            plans[j].ctx_only = slot
        self._run(extra, None, probe=False)
        for j in needed:
            full_lps, _ = _drop_generated(*prompts[plans[j].full].result, prompts[plans[j].full].text_len)
            ctx_lps, _ = _drop_generated(*extra[plans[j].ctx_only].result, extra[plans[j].ctx_only].text_len)
            total = math.fsum(x for x in full_lps if x is not None) - math.fsum(x for x in ctx_lps if x is not None)
            scores[j] = Score(logprob=float(total), n_tokens=max(0, len(full_lps) - len(ctx_lps)),
                              boundary_fallback=True)

    def _run(self, prompts: list[_Prompt], progress, *, probe: bool) -> None:
        """Send every prompt, `batch_size` per request, over the thread pool."""
        batches = sorted_batches(prompts, length=lambda p: len(p.prompt),
                                 fits=lambda count, _longest, _total: count <= self.batch_size)
        if not batches:
            return

        def done(batch):
            if progress is not None:
                n = sum(p.weight for p in batch)
                if n:
                    progress(n)

        if probe:  # find out whether the server takes token ids before sending the rest
            first = batches.pop(0)
            self._complete(first)
            done(first)
        if not batches:
            return
        if self.max_concurrency == 1 or len(batches) == 1:
            for batch in batches:
                self._complete(batch)
                done(batch)
            return
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(batches))) as pool:
            futures = {pool.submit(self._complete, batch): batch for batch in batches}
            try:
                for future in as_completed(futures):
                    future.result()
                    done(futures[future])
            except BaseException:
                for future in futures:
                    future.cancel()
                raise


def _hashable(prompt):
    """A prompt as a dict key: token ids as a tuple, text as it is."""
    return tuple(prompt) if isinstance(prompt, list) else prompt


def _drop_generated(lps: list, offsets: list, text_len: int) -> tuple[list, list]:
    """The prompt's part of an echoed answer: the generated last position is dropped."""
    if offsets and len(offsets) == len(lps):
        if lps and offsets[-1] >= text_len:  # the generated token starts where the prompt ends
            return lps[:-1], offsets[:-1]
        return lps, offsets
    raise ModelError("the server returned no text_offset for the echoed tokens; pass tokenizer= to "
                     "send token ids instead")


def _strip_zero_width_start(lps: list, offsets: list) -> list:
    """Drop start tokens the server put in front (a BOS: null log-prob, no text of its own)."""
    i = 0
    while i < len(lps) and lps[i] is None and i + 1 < len(offsets) and offsets[i + 1] == offsets[i]:
        i += 1
    return lps[i:]


def _server_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("message") or err.get("detail") or err)[:500]
        if isinstance(body.get("detail"), str):
            return body["detail"][:500]
        return str(err)[:500]
    return str(body)[:500]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
