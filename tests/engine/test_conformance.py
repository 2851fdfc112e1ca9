"""One conformance suite for every backend: the engine's numbers equal the naive reference.

Backends: the local Hugging Face engine on a tiny GPT-2-style model (no BOS, offset-trimming
post-processor) and a tiny Llama-style model (BOS), and the OpenAI-compatible backend (token-id
prompts) against a local server that serves the same tiny models. For all four metrics,
`score_examples` must give the reference's values (tests/engine/reference.py: one full fp32
forward pass per continuation, no cache, no batching) within 1e-4, with the same correctness,
predicted class, class mass and aggregates, including the boundary cases: a prompt ending with a
space, a class without a leading space, unicode split into byte tokens, an empty prompt, prompts
longer than the model's window (cut from the left).
"""

from __future__ import annotations

import ast
import math

import pytest

from evaluation.engine.backends.hf import HFBackend
from evaluation.engine.backends.openai import OpenAIBackend
from evaluation.engine.metrics import score_examples
from evaluation.engine.types import ClassificationExample, LogoddsExample, ScoreRequest, SequenceProbExample
from tests.datasets import lambada_sequence_prob_rows, logodds_rows, syllogism_classification_rows
from tests.engine.openai_server import CompletionServer
from tests.engine.reference import NaiveReference
from tests.engine.tiny_models import build

WINDOW = 64
TOL = 1e-4

# --- the examples ----------------------------------------------------------------------------


def classification_examples() -> list[ClassificationExample]:
    rows = syllogism_classification_rows(n=3, seed=1)  # long: cut from the left to the window
    out = [ClassificationExample(line=2 + i, prompt=r["prompt"], classes=tuple(ast.literal_eval(r["classes"])),
                                 answer_index=r["answer_index"]) for i, r in enumerate(rows)]
    cases = [
        ("Answer:", (" yes", " no"), 0),  # on a token boundary
        ("Answer: ", ("yes", "no"), 1),  # prompt ending with a space, classes without one
        ("Answer:", ("yes", "no", "maybe"), 2),  # classes without a leading space
        ("Ünïcödé façade naïve", (" café", " 東京", " 😀"), 0),  # unicode, byte tokens
        ("Ünïcödé caf", ("é", "e"), 0),  # boundary inside a word
        ("", ("The cat sat on the mat.", "All men are mortal."), 1),  # empty prompt
        ("The cat sat on the", (" mat", " mat.", " log"), 2),  # a class that prefixes another
    ]
    for k, (prompt, classes, answer) in enumerate(cases):
        out.append(ClassificationExample(line=10 + k, prompt=prompt, classes=classes, answer_index=answer))
    return out


def sequence_prob_examples() -> list[SequenceProbExample]:
    rows = lambada_sequence_prob_rows(n=3, seed=2)
    out = [SequenceProbExample(line=2 + i, prompt=r["prompt"], completion=r["completion"])
           for i, r in enumerate(rows)]
    cases = [
        ("The cat sat on the", " mat."),
        ("Sentiment: ", "positive"),
        ("東京", " 日本語 😀 emoji"),
        ("", "Socrates is mortal."),
        ("Question: Is Paris the capital of France? Answer:", " Yes, it is."),
    ]
    for k, (prompt, completion) in enumerate(cases):
        out.append(SequenceProbExample(line=10 + k, prompt=prompt, completion=completion))
    return out


def logodds_examples() -> list[LogoddsExample]:
    # " yes"/" Yes" are one token for the tiny tokenizers; the dataset's " A"/" B" are two each
    rows = logodds_rows(n=3, seed=3)
    out = [LogoddsExample(line=2 + i, prompt=r["prompt"], other_prompt=r["other_prompt"],
                          classes=(" yes", " Yes") if i < 2 else (" A", " B"), answer_index=i % 2)
           for i, r in enumerate(rows)]
    cases = [
        ("Answer: ", "Answer:", ("yes", "Yes"), 0),  # prompt ending with a space / classes without
        ("", "The cat sat on the mat. Answer:", (" yes", " no"), 1),  # empty prompt
        ("Ünïcödé façade", "東京 日本語", ("The", "is"), 0),
        # classes of several tokens, of different lengths: each scored whole
        ("He said she was a nurse. So", "She said he was a nurse. So", (" William is an immigrant", " she is"), 0),
    ]
    for k, (prompt, other, classes, answer) in enumerate(cases):
        out.append(LogoddsExample(line=10 + k, prompt=prompt, other_prompt=other, classes=classes,
                                  answer_index=answer))
    return out


EXAMPLES = {
    "classification": classification_examples,
    "sequence_prob": sequence_prob_examples,
    "logodds": logodds_examples,
    "absolute_logodds": logodds_examples,
}

# --- the backends ----------------------------------------------------------------------------

BACKENDS = ["hf-gpt2", "hf-llama", "openai-gpt2", "openai-llama"]
_MODELS: dict[str, tuple] = {}


def _model(kind: str):
    if kind not in _MODELS:
        model, tokenizer = build(kind, "xs", window=WINDOW)
        _MODELS[kind] = (model, tokenizer, NaiveReference(model, tokenizer, WINDOW))
    return _MODELS[kind]


@pytest.fixture(scope="module", params=BACKENDS)
def subject(request):
    """(backend, reference) for one backend on one tiny model."""
    family, kind = request.param.split("-")
    model, tokenizer, reference = _model(kind)
    if family == "hf":
        # a small token budget so that the engine really batches, shares prefixes and pads
        backend = HFBackend(model, tokenizer, identity=f"tiny-{kind}", max_length=WINDOW, token_budget=96)
        yield backend, reference
        return
    with CompletionServer(model, tokenizer, model_name=f"tiny-{kind}") as server:
        backend = OpenAIBackend(server.url, f"tiny-{kind}", api_key="", tokenizer=tokenizer,
                                max_length=WINDOW, batch_size=4, max_concurrency=2)
        yield backend, reference
        backend.close()
        assert all(isinstance(p, list) for r in server.requests for p in r["json"]["prompt"])


# --- what the reference says -----------------------------------------------------------------


def _lse(xs):
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


def expected(reference: NaiveReference, metric: str, ex) -> dict:
    """value, correct, predicted, total_logprob from the reference's log-probabilities."""
    lp = lambda p, c: reference.logprob(p, c)[0]  # noqa: E731
    if metric == "classification":
        ref = reference.classification(ex)
        s = [lp(ex.prompt, c) for c in ex.classes]
        best = max(range(len(s)), key=lambda k: (s[k], -k))
        return {"value": ref["value"], "correct": ref["correct"], "predicted": ex.classes[best],
                "total_logprob": ref["total_logprob"]}
    if metric == "sequence_prob":
        return {"value": reference.sequence_prob(ex)["value"], "correct": None, "predicted": None,
                "total_logprob": None}
    ref = reference.logodds(ex)
    p = [lp(ex.prompt, c) for c in ex.classes]
    o = [lp(ex.other_prompt, c) for c in ex.classes]
    best = 0 if o[0] >= o[1] else 1
    value = abs(ref["value"]) if metric == "absolute_logodds" else ref["value"]
    return {"value": value, "correct": ref["correct"], "predicted": ex.classes[best],
            "total_logprob": math.log((math.exp(_lse(p)) + math.exp(_lse(o))) / 2)}


# --- the suite -------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", ["classification", "sequence_prob", "logodds", "absolute_logodds"])
def test_metric_equals_reference(subject, metric):
    backend, reference = subject
    examples = EXAMPLES[metric]()
    result = score_examples(examples, metric=metric, backend=backend)
    assert [r.line for r in result.examples] == [ex.line for ex in examples]
    want = [expected(reference, metric, ex) for ex in examples]
    for ex, got, exp in zip(examples, result.examples, want):
        where = f"line {ex.line}"
        assert got.value == pytest.approx(exp["value"], abs=TOL), where
        assert got.correct == exp["correct"], where
        assert got.predicted == exp["predicted"], where
        if exp["total_logprob"] is None:
            assert got.total_logprob is None, where
        else:
            assert got.total_logprob == pytest.approx(exp["total_logprob"], abs=TOL), where

    values = [e["value"] for e in want]
    n = len(values)
    mean = sum(values) / n
    sem = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n)
    agg = result.aggregate
    assert agg.n == n
    assert agg.mean == pytest.approx(mean, abs=TOL)
    assert agg.sem == pytest.approx(sem, abs=TOL)
    if metric == "sequence_prob":
        assert (agg.accuracy, agg.class_mass, agg.baseline_loss) == (None, None, None)
    else:
        assert agg.accuracy == pytest.approx(sum(bool(e["correct"]) for e in want) / n)
        assert agg.class_mass == pytest.approx(sum(math.exp(e["total_logprob"]) for e in want) / n, abs=TOL)
    if metric == "classification":
        assert agg.baseline_loss == pytest.approx(sum(math.log(len(ex.classes)) for ex in examples) / n)
        assert any("tokenised separately" in w for w in result.warnings)
        assert any("cut from the left" in w for w in result.warnings)


def test_scores_equal_reference_token_by_token(subject):
    """Every (context, continuation) of every example: log-prob, token count, and flags."""
    backend, reference = subject
    requests = []
    for metric in ("classification", "sequence_prob", "logodds"):
        for ex in EXAMPLES[metric]():
            if metric == "classification":
                requests += [ScoreRequest(ex.prompt, c) for c in ex.classes]
            elif metric == "sequence_prob":
                requests.append(ScoreRequest(ex.prompt, ex.completion))
            else:
                requests += [ScoreRequest(p, c) for p in (ex.prompt, ex.other_prompt) for c in ex.classes]
    scores = backend.score(requests)
    assert len(scores) == len(requests)
    flags = []
    for req, score in zip(requests, scores):
        ctx, cont, fallback, truncated = reference.tokens(req.context, req.continuation)
        logprob, n = reference.logprob(req.context, req.continuation)
        assert score.logprob == pytest.approx(logprob, abs=TOL), req
        assert (score.n_tokens, score.boundary_fallback, score.truncated) == (n, fallback, truncated), req
        flags.append((fallback, truncated))
    # the suite really covers the boundary cases
    assert any(f for f, _ in flags) and any(t for _, t in flags) and any(not f and not t for f, t in flags)


@pytest.mark.parametrize("metric", ["logodds", "absolute_logodds"])
def test_logodds_classes_of_several_tokens_are_scored_whole(subject, metric):
    """Each class's log-probability is the sum over its tokens (as classification's): D from those sums."""
    backend, reference = subject
    r = logodds_rows(n=1, seed=0)[0]
    ex = LogoddsExample(line=2, prompt=r["prompt"], other_prompt=r["other_prompt"],
                        classes=(" William is an immigrant", " B"), answer_index=1)
    # tokens of each class for the tiny tokenizers: " William is an immigrant" is spelt out nearly
    # letter by letter (Llama's merges split " an" too), " B" is "Ġ", "B"
    assert [reference.logprob(ex.prompt, c)[1] for c in ex.classes] == ([20, 2] if reference.lead else [19, 2])
    lp = {(p, c): reference.logprob(p, c)[0] for p in (ex.prompt, ex.other_prompt) for c in ex.classes}
    a, b = ex.classes[1], ex.classes[0]
    d = (lp[ex.prompt, a] - lp[ex.prompt, b]) - (lp[ex.other_prompt, a] - lp[ex.other_prompt, b])
    got = score_examples([ex], metric=metric, backend=backend).examples[0]
    assert got.value == pytest.approx(abs(d) if metric == "absolute_logodds" else d, abs=TOL)
    classification = score_examples([ClassificationExample(2, ex.other_prompt, ex.classes, 1)],
                                    metric="classification", backend=backend).examples[0]
    assert (got.correct, got.predicted) == (classification.correct, classification.predicted)


def test_empty_file(subject):
    backend, _ = subject
    result = score_examples([], metric="classification", backend=backend)
    assert result.examples == [] and result.aggregate.n == 0
