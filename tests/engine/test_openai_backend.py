"""The OpenAI-compatible backend against a real local server (tests/engine/openai_server.py) that
serves a tiny transformers model: retries, the API key, clear 4xx errors, batching and dedupe,
token-id and text prompts, and numbers equal to the local HF engine's within 1e-4."""

from __future__ import annotations

import math

import httpx
import pytest

from evaluation.engine.backends.hf import HFBackend
from evaluation.engine.backends.openai import OpenAIBackend
from evaluation.engine.types import ModelError, ScoreRequest
from tests.engine.openai_server import CompletionServer
from tests.engine.tiny_models import build

WINDOW = 64

# context, continuation pairs: on a token boundary, a class without a leading space after a prompt
# without a trailing space, a prompt ending with a space, unicode, an empty prompt, a duplicate,
# and one long enough to be truncated.
REQUESTS = [
    ScoreRequest("The cat sat on the", " mat"),
    ScoreRequest("Answer:", " yes"),
    ScoreRequest("Answer: ", "yes"),
    ScoreRequest("Answer:", "yes"),
    ScoreRequest("The ca", "t sat"),
    ScoreRequest("Ünïcödé façade", " naïve café 東京 😀"),
    ScoreRequest("", "The dog sat on the log."),
    ScoreRequest("The cat sat on the", " mat"),
    ScoreRequest("All men are mortal. " * 12 + "Therefore Socrates is", " mortal."),
]
# the pairs whose continuation starts on a token boundary of the joint text (text prompts give
# exactly the local numbers for these)
ON_BOUNDARY = [0, 1, 3, 5, 7]


@pytest.fixture(scope="module", params=["gpt2", "llama"])
def tiny(request):
    model, tokenizer = build(request.param, "xs", window=WINDOW)
    hf = HFBackend(model, tokenizer, identity=f"tiny-{request.param}", max_length=WINDOW)
    with CompletionServer(model, tokenizer, model_name="tiny", api_key="sk-test") as server:
        yield request.param, model, tokenizer, hf, server


@pytest.fixture
def server(tiny):
    server = tiny[4]
    server.reset()
    yield server
    server.reset()


def backend(server, **kw) -> OpenAIBackend:
    kw.setdefault("api_key", "sk-test")
    kw.setdefault("backoff", 0.001)
    return OpenAIBackend(server.url, "tiny", **kw)


def test_token_id_prompts_equal_the_hf_engine(tiny, server):
    kind, _, tokenizer, hf, _ = tiny
    expected = hf.score(REQUESTS)
    client = backend(server, tokenizer=tokenizer, max_length=WINDOW, batch_size=3, max_concurrency=2)
    got = client.score(REQUESTS)
    assert client.token_ids is True
    assert len(got) == len(REQUESTS)
    for e, g in zip(expected, got):
        assert g.logprob == pytest.approx(e.logprob, abs=1e-4)
        assert (g.n_tokens, g.boundary_fallback, g.truncated) == (e.n_tokens, e.boundary_fallback, e.truncated)
    # the boundary cases really are what they claim
    assert [s.boundary_fallback for s in got] == [False, False, True, False, True, False, False, False, False]
    assert [s.truncated for s in got] == [False] * 8 + [True]
    # every prompt was sent as token ids, each distinct one once, 3 per request
    bodies = [r["json"] for r in server.requests]
    prompts = [p for b in bodies for p in b["prompt"]]
    assert all(isinstance(p, list) and all(isinstance(t, int) for t in p) for p in prompts)
    assert len(prompts) == len(set(map(tuple, prompts))) == len(set(REQUESTS))
    # two requests are in flight at once (max_concurrency=2), so they may arrive in either order
    assert sorted((len(b["prompt"]) for b in bodies), reverse=True) == [3, 3, 2]
    for b in bodies:
        assert (b["echo"], b["max_tokens"], b["temperature"], b["model"]) == (True, 1, 0, "tiny")
        assert b["logprobs"] in (0, 1)


def test_text_prompts_equal_the_hf_engine_on_token_boundaries(tiny, server):
    kind, _, tokenizer, hf, _ = tiny
    reqs = [REQUESTS[i] for i in ON_BOUNDARY]
    expected = hf.score(reqs)
    client = backend(server)  # no tokenizer: text prompts, boundary by text_offset
    got = client.score(reqs)
    for e, g in zip(expected, got):
        assert g.logprob == pytest.approx(e.logprob, abs=1e-4)
        assert g.n_tokens == e.n_tokens
        assert not g.boundary_fallback
    assert all(isinstance(p, str) for r in server.requests for p in r["json"]["prompt"])


def test_text_prompts_off_the_boundary_score_context_alone_too(tiny, server):
    _, model, tokenizer, _, _ = tiny
    client = backend(server)
    req = ScoreRequest("Answer: ", "yes")
    [got] = client.score([req])
    assert got.boundary_fallback
    # logP(context + continuation) - logP(context), each under the server's own tokenisation
    full = _text_logprob(model, tokenizer, "Answer: yes")
    ctx = _text_logprob(model, tokenizer, "Answer: ")
    assert got.logprob == pytest.approx(full - ctx, abs=1e-4)
    sent = [p for r in server.requests for p in r["json"]["prompt"]]
    assert sent == ["Answer: yes", "Answer: "]


def _text_logprob(model, tokenizer, text: str) -> float:
    import torch

    ids = tokenizer(text)["input_ids"]
    with torch.inference_mode():
        lp = torch.log_softmax(model(torch.tensor([ids[:-1]])).logits[0].float(), dim=-1)
    return math.fsum(float(lp[i - 1, ids[i]]) for i in range(1, len(ids)))


def test_empty_context_in_text_mode(tiny, server):
    kind, _, tokenizer, hf, _ = tiny
    req = ScoreRequest("", "The dog sat on the log.")
    [expected] = hf.score([req])
    if kind == "llama":  # the server's tokenizer puts <s> in front: nothing to do
        [got] = backend(server).score([req])
    else:  # GPT-2 has no BOS: without bos_text the first token has no log-probability
        with pytest.raises(ModelError, match="bos_text"):
            backend(server).score([req])
        [got] = backend(server, bos_text="<|endoftext|>").score([req])
    assert got.logprob == pytest.approx(expected.logprob, abs=1e-4)
    assert got.n_tokens == expected.n_tokens


def test_refused_token_ids_fall_back_to_text(tiny, server):
    _, _, tokenizer, hf, _ = tiny
    server.accept_token_ids = False
    reqs = [REQUESTS[i] for i in ON_BOUNDARY]
    client = backend(server, tokenizer=tokenizer, max_length=WINDOW, batch_size=2)
    got = client.score(reqs)
    assert client.token_ids is False
    for e, g in zip(hf.score(reqs), got):
        assert g.logprob == pytest.approx(e.logprob, abs=1e-4)
    kinds = [isinstance(r["json"]["prompt"][0], str) for r in server.requests]
    assert kinds == [False, True, True]  # one refused probe with ids, then text only


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_on_rate_limits_and_server_errors(tiny, server, status):
    _, _, tokenizer, hf, _ = tiny
    server.fail_next(status, 3)
    client = backend(server, tokenizer=tokenizer, max_length=WINDOW, max_retries=3)
    [got] = client.score(REQUESTS[:1])
    assert len(server.requests) == 4 == client.requests_sent
    assert got.logprob == pytest.approx(hf.score(REQUESTS[:1])[0].logprob, abs=1e-4)


def test_gives_up_after_max_retries(tiny, server):
    server.fail_next(500, 3)
    client = backend(server, max_retries=2)
    with pytest.raises(ModelError, match=r"gave up after 3 attempts: .* answered 500: injected failure 500"):
        client.score(REQUESTS[:1])
    assert len(server.requests) == 3


def test_retries_connection_errors():
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    client = OpenAIBackend("http://server.invalid/v1", "m", api_key="k", max_retries=2, backoff=0.001,
                           transport=httpx.MockTransport(handler))
    with pytest.raises(ModelError, match="gave up after 3 attempts: .*ConnectError"):
        client.score([ScoreRequest("a", " b")])
    assert len(calls) == 3
    assert str(calls[0].url) == "http://server.invalid/v1/completions"


def test_api_key_from_the_environment_is_sent(tiny, server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    client = OpenAIBackend(server.url + "/v1/", "tiny")
    client.score(REQUESTS[:1])
    assert server.requests[0]["headers"]["authorization"] == "Bearer sk-test"


def test_wrong_api_key_is_a_clear_error_not_retried(tiny, server):
    client = backend(server, api_key="sk-wrong")
    with pytest.raises(ModelError) as info:
        client.score(REQUESTS[:1])
    assert str(info.value) == (f"{server.url}/v1/completions answered 401: Incorrect API key provided. "
                               f"(set OPENAI_API_KEY or pass api_key)")
    assert len(server.requests) == 1


def test_unknown_model_is_a_clear_error(tiny, server):
    client = OpenAIBackend(server.url, "no-such-model", api_key="sk-test")
    with pytest.raises(ModelError) as info:
        client.score(REQUESTS[:1])
    assert str(info.value) == f"{server.url}/v1/completions answered 404: The model `no-such-model` does not exist."
    assert len(server.requests) == 1


def test_duplicates_are_sent_once_and_progress_counts_requests(tiny, server):
    _, _, tokenizer, _, _ = tiny
    reqs = [ScoreRequest("The cat sat on the", " mat")] * 5 + [ScoreRequest("Answer:", " yes")] * 2
    seen = []
    client = backend(server, tokenizer=tokenizer, max_length=WINDOW)
    got = client.score(reqs, progress=seen.append)
    assert sum(seen) == len(reqs)
    assert len({s.logprob for s in got[:5]}) == 1 and got[5] == got[6]
    assert [len(r["json"]["prompt"]) for r in server.requests] == [2]  # one request, 2 distinct prompts
    assert client.score([]) == []


def test_a_spec_with_a_tokenizer_sends_token_ids(tiny, server, tmp_path, monkeypatch):
    from evaluation.engine.backends import load_backend

    kind, _, tokenizer, hf, _ = tiny
    tokenizer.save_pretrained(tmp_path / "tok")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    client = load_backend(f"openai:{server.url}#tiny?tokenizer={tmp_path / 'tok'}&max_length={WINDOW}", params=7)
    got = client.score(REQUESTS)
    assert (client.token_ids, client.params, client.max_length) == (True, 7, WINDOW)
    for e, g in zip(hf.score(REQUESTS), got):
        assert g.logprob == pytest.approx(e.logprob, abs=1e-4)
        assert (g.n_tokens, g.boundary_fallback, g.truncated) == (e.n_tokens, e.boundary_fallback, e.truncated)
    with pytest.raises(ValueError, match=r"^unknown option\(s\) window in "):
        load_backend(f"openai:{server.url}#tiny?window=3")
