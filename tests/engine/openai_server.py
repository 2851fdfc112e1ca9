"""A small OpenAI-compatible completions server for the tests, backed by a real transformers model.

It answers ``POST /v1/completions`` the way vLLM does for scoring: ``echo`` with ``logprobs``
returns every prompt token's log-probability (the first one null) and ``text_offset``, then one
generated token (greedy). A prompt may have up to window + 1 tokens (the positions that predict
its tokens fit the model's window; generation sees the last `window` tokens), so the server scores
exactly what the local engine scores; longer prompts get a 400. Prompts may be a string, a list of strings, a list of token ids or a list
of lists of token ids. Each prompt is run through the full model on its own, in fp32.

Switches for the tests:

* ``server.fail_next(status, times)`` answers ``status`` (say 429 or 500) the next `times` requests;
* ``server.accept_token_ids = False`` refuses token-id prompts with a 400, as some services do;
* ``api_key="..."`` requires ``Authorization: Bearer ...`` (401 otherwise);
* ``server.requests`` records every request (headers and JSON body), failed ones included.

Usage::

    with CompletionServer(model, tokenizer, model_name="tiny") as server:
        backend = OpenAIBackend(server.url, "tiny", tokenizer=tokenizer)
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import torch


class CompletionServer:
    def __init__(self, model, tokenizer, *, model_name: str = "tiny", api_key: str | None = None,
                 accept_token_ids: bool = True, host: str = "127.0.0.1"):
        self.model = model.float().eval()
        cfg = self.model.config
        self.window = int(getattr(cfg, "n_positions", None) or getattr(cfg, "max_position_embeddings", None) or 2048)
        self.tokenizer = tokenizer
        self.model_name = model_name
        self.api_key = api_key
        self.accept_token_ids = accept_token_ids
        self.requests: list[dict] = []
        self._failures: deque[int] = deque()
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> CompletionServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="openai-test-server",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> CompletionServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- switches -------------------------------------------------------------------------------

    def fail_next(self, status: int, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([status] * times)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self.requests.clear()
        self.accept_token_ids = True

    # -- the protocol ---------------------------------------------------------------------------

    def handle(self, headers: dict, body: bytes) -> tuple[int, dict, dict]:
        """(status, extra headers, JSON body) for one request."""
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = None
        with self._lock:
            self.requests.append({"headers": headers, "json": payload})
            failure = self._failures.popleft() if self._failures else None
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, {}, _error("Incorrect API key provided.", "invalid_request_error", 401)
        if failure is not None:
            extra = {"Retry-After": "0"} if failure == 429 else {}
            return failure, extra, _error(f"injected failure {failure}", "server_error", failure)
        if not isinstance(payload, dict):
            return 400, {}, _error("The body is not valid JSON.", "invalid_request_error", 400)
        if payload.get("model") != self.model_name:
            return 404, {}, _error(f"The model `{payload.get('model')}` does not exist.", "NotFoundError", 404)
        max_tokens = payload.get("max_tokens", 16)
        if not isinstance(max_tokens, int) or max_tokens < 1:
            return 400, {}, _error("max_tokens must be at least 1, got 0.", "BadRequestError", 400)
        prompts = payload.get("prompt")
        if isinstance(prompts, str) or (isinstance(prompts, list) and prompts and isinstance(prompts[0], int)):
            prompts = [prompts]
        if not isinstance(prompts, list) or not prompts:
            return 400, {}, _error("prompt must be a string, a list of strings or token ids.", "BadRequestError", 400)
        for p in prompts:
            is_ids = isinstance(p, list) and all(isinstance(t, int) for t in p)
            if is_ids and not self.accept_token_ids:
                return 400, {}, _error("Token-id prompts are not supported: send text.", "BadRequestError", 400)
            if not (isinstance(p, str) or is_ids) or len(p) == 0:
                return 400, {}, _error("Each prompt must be a non-empty string or list of token ids.",
                                       "BadRequestError", 400)
        echo = bool(payload.get("echo", False))
        want_logprobs = payload.get("logprobs") is not None
        try:
            choices = [self._complete(i, p, max_tokens, echo, want_logprobs) for i, p in enumerate(prompts)]
        except _TooLong as exc:
            return 400, {}, _error(str(exc), "BadRequestError", 400)
        usage_prompt = sum(c.pop("_n_prompt") for c in choices)
        return 200, {}, {
            "id": f"cmpl-{len(self.requests)}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": self.model_name,
            "choices": choices,
            "usage": {"prompt_tokens": usage_prompt, "completion_tokens": max_tokens * len(choices),
                      "total_tokens": usage_prompt + max_tokens * len(choices)},
        }

    def _complete(self, index: int, prompt, max_tokens: int, echo: bool, want_logprobs: bool) -> dict:
        tok = self.tokenizer
        if isinstance(prompt, str):
            enc = tok(prompt, return_offsets_mapping=True)  # special tokens as the tokenizer adds them
            ids = list(enc["input_ids"])
            offsets, last_end = [], 0
            for _, end in enc["offset_mapping"]:  # a token starts where the previous one ended
                offsets.append(last_end)
                last_end = max(last_end, end)
            text = prompt
        else:
            ids = list(prompt)
            offsets = [len(tok.decode(ids[:i])) for i in range(len(ids))]
            text = tok.decode(ids)
        n_prompt = len(ids)
        all_ids = list(ids)
        window = self.window
        with self._model_lock, torch.inference_mode():
            # Prompt tokens 1..n-1 are predicted from ids[:-1] (at most `window` positions, so a
            # prompt of window + 1 tokens is still scored whole); generation sees the last
            # `window` tokens.
            token_logprobs: list[float | None] = [None]
            if n_prompt > 1:
                if n_prompt - 1 > window:
                    raise _TooLong(n_prompt, window)
                logits = self.model(torch.tensor([ids[:-1]])).logits[0].float()
                lp = torch.log_softmax(logits, dim=-1)
                token_logprobs += [float(lp[i - 1, ids[i]]) for i in range(1, n_prompt)]
            gen_lp: list[float] = []
            for _ in range(max_tokens):
                logits = self.model(torch.tensor([all_ids[-window:]])).logits[0, -1].float()
                lp = torch.log_softmax(logits, dim=-1)
                nxt = int(torch.argmax(lp))
                gen_lp.append(float(lp[nxt]))
                all_ids.append(nxt)
        generated = all_ids[n_prompt:]
        gen_text = tok.decode(generated)
        tokens = [tok.decode([t]) for t in all_ids]
        out_offsets = offsets + [len(text) + len(tok.decode(generated[:k])) for k in range(len(generated))]
        lps = token_logprobs + gen_lp
        if not echo:
            tokens, lps, out_offsets = tokens[n_prompt:], lps[n_prompt:], out_offsets[n_prompt:]
        logprobs = None
        if want_logprobs:
            logprobs = {
                "tokens": tokens,
                "token_logprobs": lps,
                "top_logprobs": [None if lp is None else {t: lp} for t, lp in zip(tokens, lps)],
                "text_offset": out_offsets,
            }
        return {"index": index, "text": (text if echo else "") + gen_text, "logprobs": logprobs,
                "finish_reason": "length", "_n_prompt": n_prompt}


class _TooLong(Exception):
    def __init__(self, n: int, window: int):
        super().__init__(f"This model's maximum context length is {window + 1} prompt tokens; "
                         f"the prompt has {n} tokens. Shorten the prompt.")


def _error(message: str, kind: str, code: int) -> dict:
    return {"object": "error", "error": {"message": message, "type": kind, "code": code}}


def _make_handler(server: CompletionServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/completions":
                status, extra, payload = 404, {}, _error(f"no route {self.path}", "NotFound", 404)
            else:
                try:
                    status, extra, payload = server.handle({k.lower(): v for k, v in self.headers.items()}, body)
                except Exception as exc:  # a bug here shows as a 500 with its message
                    status, extra, payload = 500, {}, _error(f"{type(exc).__name__}: {exc}", "server_error", 500)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # keep pytest output clean
            pass

    return Handler
