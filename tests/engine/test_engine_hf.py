"""The HF engine against the naive reference (tests/engine/reference.py) on real models.

Tiny GPT-2-style (no BOS, offset-trimming post-processor) and Llama-style (BOS) models built on
the fly, and SmolLM2-135M from its GGUF (slow). Every number is compared with the reference
within 1e-4; tokenisation, tree counts, warnings and aggregates are checked exactly.
"""

from __future__ import annotations

import math

import pytest

from evaluation.engine.backends.hf import HFBackend
from evaluation.engine.metrics import ExampleResult, aggregate, score_examples
from evaluation.engine.prefix_tree import build_tree, naive_tokens, tree_minimum
from evaluation.engine.types import ClassificationExample, LogoddsExample, ScoreRequest, SequenceProbExample
from tests.engine.conftest import WINDOW
from tests.engine.reference import NaiveReference

TOL = 1e-4
SHARED = "Instruction: answer the question about the cat. "
LONG = "The cat sat on the mat. The dog sat on the log. " * 6  # > WINDOW tokens

CLASSIFICATION = [
    ClassificationExample(2, SHARED + "Q: Is the cat on the mat? Answer:", (" yes", " no"), 0),
    ClassificationExample(3, SHARED + "Q: Is the dog on the log? Answer: ", ("yes", "no", "maybe"), 2),
    ClassificationExample(4, SHARED + "Socrates is a man. Therefore Socrates is",
                          (" mortal", " not mortal at all", " a cat", " unknown"), 0),
    ClassificationExample(5, "", (" The cat", "The dog sat"), 1),
    ClassificationExample(6, "Ünïcödé façade naïve ", ("café", "東京 日本語", "😀 emoji"), 1),
    ClassificationExample(7, LONG + "Answer:", (" yes", " no"), 1),
    ClassificationExample(8, SHARED + "Q: Is the cat on the mat? Answer:", (" yes", " no"), 1),
]
SEQUENCE = [
    SequenceProbExample(2, SHARED + "Q: Where did the cat sit?", " The cat sat on the mat."),
    SequenceProbExample(3, SHARED + "Q: Where did the dog sit? ", "On the log."),
    SequenceProbExample(4, "", "All men are mortal."),
    SequenceProbExample(5, "café ", "naïve – “quotes” 😀"),
    SequenceProbExample(6, LONG, " Socrates is mortal."),
]
LOGODDS = [
    LogoddsExample(2, SHARED + "She said he was a nurse. Answer:", SHARED + "He said she was a nurse. Answer:",
                   (" yes", " no"), 0),
    LogoddsExample(3, SHARED + "Is the doctor a man? ", SHARED + "Is the doctor a woman? ", ("yes", "The"), 1),
    LogoddsExample(4, "", "The", (" man", " yes"), 0),
    LogoddsExample(5, LONG + "Answer:", "Answer:", (" yes", " no"), 1),
]


def reference_values(ref: NaiveReference, metric, examples):
    out = []
    for ex in examples:
        if metric == "classification":
            r = ref.classification(ex)
        elif metric == "sequence_prob":
            r = ref.sequence_prob(ex)
        else:
            r = ref.logodds(ex)
            if metric == "absolute_logodds":
                r = dict(r, value=abs(r["value"]))
        out.append(r)
    return out


def check_against_reference(backend, ref, metric, examples):
    got = score_examples(examples, metric=metric, backend=backend)
    want = reference_values(ref, metric, examples)
    assert [e.line for e in got.examples] == [ex.line for ex in examples]
    for g, w in zip(got.examples, want):
        assert abs(g.value - w["value"]) < TOL, (g.line, g.value, w["value"])
        if "correct" in w:
            assert g.correct == w["correct"], g.line
        if "total_logprob" in w:
            assert abs(g.total_logprob - w["total_logprob"]) < TOL
    return got


MODELS = ["tiny_gpt2", "tiny_llama", "tiny_gpt2_s"]


@pytest.fixture(params=MODELS)
def tiny(request):
    model, tok = request.getfixturevalue(request.param)
    return model, tok, NaiveReference(model, tok, WINDOW)


@pytest.mark.parametrize("budget", [(16, 64), (2048, 16384)])
@pytest.mark.parametrize("metric", ["classification", "sequence_prob", "logodds", "absolute_logodds"])
def test_tiny_models_agree_with_reference(tiny, metric, budget):
    model, tok, ref = tiny
    backend = HFBackend(model, tok, identity="tiny", max_length=WINDOW, token_budget=budget[0],
                        kv_budget=budget[1])
    examples = {"classification": CLASSIFICATION, "sequence_prob": SEQUENCE}.get(metric, LOGODDS)
    got = check_against_reference(backend, ref, metric, examples)
    # every distinct prefix fed exactly once
    assert backend.stats["fed_tokens"] == backend.stats["tree_minimum"]
    # warnings count exactly the rows the reference flags
    flags = []
    for ex in examples:
        conts = getattr(ex, "classes", None) or (ex.completion,)
        prompts = [ex.prompt] + ([ex.other_prompt] if isinstance(ex, LogoddsExample) else [])
        t = [ref.tokens(p, c) for p in prompts for c in conts]
        flags.append((any(x[2] for x in t), any(x[3] for x in t)))
    n_fb, n_tr = sum(f[0] for f in flags), sum(f[1] for f in flags)
    assert n_tr >= 1
    texts = "\n".join(got.warnings)
    if n_fb:
        assert f"{n_fb} row(s): a continuation does not start on a token boundary" in texts
    assert f"{n_tr} row(s): the prompt was longer than the model's context window" in texts


@pytest.mark.parametrize("model_name", ["tiny_gpt2", "tiny_llama"])
def test_many_rows_cut_to_the_window_in_one_padded_batch(request, model_name):
    """Rows of different lengths, all longer than the window, batched together: the padding of a
    row cut to the full window must not run past the last position embedding (GPT-2 crashed)."""
    model, tok = request.getfixturevalue(model_name)
    ref = NaiveReference(model, tok, WINDOW)
    examples = [ClassificationExample(i + 2, LONG[: 200 + 13 * i] + " Answer:", (" yes", " no", " maybe so"), i % 3)
                for i in range(16)]
    backend = HFBackend(model, tok, identity="tiny", max_length=WINDOW)
    got = check_against_reference(backend, ref, "classification", examples)
    assert got.warnings == ["16 row(s): the prompt was longer than the model's context window and was "
                            "cut from the left (lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)"]


def test_prefix_sharing_and_dedup_counts(tiny_llama):
    model, tok = tiny_llama
    backend = HFBackend(model, tok, identity="tiny", max_length=WINDOW)
    ref = NaiveReference(model, tok, WINDOW)
    reqs = [ScoreRequest(SHARED + "Q: one", " yes"), ScoreRequest(SHARED + "Q: one", " no"),
            ScoreRequest(SHARED + "Q: two", " yes"), ScoreRequest(SHARED + "Q: one", " yes")]
    seen = []
    scores = backend.score(reqs, progress=seen.append)
    assert sum(seen) == 4
    assert backend.stats["pairs"] == 3  # the identical pair is scored once
    assert scores[0] == scores[3]
    pairs = [ref.tokens(r.context, r.continuation)[:2] for r in reqs[:3]]
    shared = len(ref.tokens(SHARED + "Q: one", " yes")[0])
    other = len(ref.tokens(SHARED + "Q: two", " yes")[0])
    common = sum(1 for a, b in zip(pairs[0][0], pairs[2][0]) if a == b)
    # single-token classes: each prompt fed once, its classes read at its last position
    assert backend.stats["fed_tokens"] == shared + other - common == backend.stats["tree_minimum"]
    for r, s in zip(reqs, scores):
        lp, n = ref.logprob(r.context, r.continuation)
        assert abs(s.logprob - lp) < TOL and s.n_tokens == n == 1


def test_tree_counts_exact():
    pairs = [((1, 2, 3), (4, 5)), ((1, 2, 3), (4, 6)), ((1, 2, 7), (8,)), ((9,), (1, 2))]
    # fed: 1 2 3 4 | 1 2 3 4 | 1 2 7 | 9 1  -> distinct prefixes: 1,12,123,1234,127,9,91
    assert tree_minimum(pairs) == 7
    assert naive_tokens(pairs) == 13
    root = build_tree(pairs)
    assert sorted(c.edge for c in root.children) == [[1, 2], [9, 1]]
    assert build_tree(pairs, share=False).subtree_tokens() == 13


def test_tokenisation_boundaries(tiny_gpt2, tiny_llama):
    for (model, tok), lead in ((tiny_gpt2, []), (tiny_llama, [tok_id(tiny_llama[1], "<s>")])):
        backend = HFBackend(model, tok, identity="t", max_length=WINDOW)
        enc = backend.encoder
        e = enc.encode("Answer:", " yes")
        assert tok.convert_ids_to_tokens(list(e.continuation)) == ["Ġyes"]
        assert list(e.context[:len(lead)]) == lead and not e.boundary_fallback
        assert tok.decode(list(e.context[len(lead):])) == "Answer:"
        e = enc.encode("Answer: ", "yes")  # the space belongs to " yes" jointly: fallback
        assert e.boundary_fallback and tok.decode(list(e.continuation)) == "yes"
        assert tok.decode(list(e.context[len(lead):])) == "Answer: "
        e = enc.encode("", "The cat")
        assert list(e.context) == (lead or [tok.eos_token_id])
        e = enc.encode("café", "é")  # multi-byte characters split into byte tokens
        assert tok.decode(list(e.continuation)) == "é" and not e.boundary_fallback
        e = enc.encode(LONG, " mortal")
        assert e.truncated and len(e.context) + len(e.continuation) - 1 == WINDOW
        assert list(e.context[:len(lead)]) == lead


def tok_id(tok, s):
    return tok.convert_tokens_to_ids(s)


def test_logodds_classes_of_several_tokens_are_scored_whole(tiny_gpt2):
    model, tok = tiny_gpt2
    backend = HFBackend(model, tok, identity="t", max_length=WINDOW)
    ref = NaiveReference(model, tok, WINDOW)
    ex = [LOGODDS[0], LogoddsExample(9, "He is a", "She is a", (" yes", " Socrates is"), 0)]
    assert [len(ref.tokens("He is a", c)[1]) for c in ex[1].classes] == [1, 2]
    check_against_reference(backend, ref, "logodds", ex)


def test_aggregate_exact_numbers():
    rs = [ExampleResult(2, 0.5, True, "a", math.log(0.8), 2),
          ExampleResult(3, 1.5, False, "b", math.log(0.4), 4),
          ExampleResult(4, 1.0, True, "a", math.log(0.6), 2)]
    a = aggregate(rs, "classification")
    assert a.n == 3 and a.mean == pytest.approx(1.0, abs=1e-12)
    assert a.sem == pytest.approx(math.sqrt(0.25 / 3), abs=1e-12)  # sd 0.5
    assert a.accuracy == pytest.approx(2 / 3) and a.class_mass == pytest.approx(0.6)
    assert a.baseline_loss == pytest.approx((math.log(2) * 2 + math.log(4)) / 3)
    assert a.baseline_accuracy == pytest.approx((0.5 + 0.25 + 0.5) / 3)
    s = aggregate([ExampleResult(2, 3.0, None, None, None, None)], "sequence_prob")
    assert (s.n, s.mean, s.sem, s.accuracy, s.baseline_loss) == (1, 3.0, 0.0, None, None)


def test_classification_formula_on_real_scores(tiny_llama):
    model, tok = tiny_llama
    backend = HFBackend(model, tok, identity="t", max_length=WINDOW)
    ex = CLASSIFICATION[2]
    s = [backend.score([ScoreRequest(ex.prompt, c)])[0].logprob for c in ex.classes]
    got = score_examples([ex], metric="classification", backend=backend).examples[0]
    lse = math.log(sum(math.exp(x) for x in s))
    assert got.value == pytest.approx(lse - s[0], abs=1e-9)
    assert got.total_logprob == pytest.approx(lse, abs=1e-9)
    assert got.predicted == ex.classes[max(range(4), key=lambda k: s[k])]


# --- SmolLM2-135M (GGUF) ---------------------------------------------------------------------


@pytest.mark.slow
def test_gguf_conversion_is_cached(smollm2_cache):
    first, second, cache = smollm2_cache
    assert first.converted_now and not second.converted_now
    assert first.loaded_from == second.loaded_from and first.loaded_from.parent == cache
    assert (second.loaded_from / "model.safetensors").is_file()
    assert first.identity == second.identity and first.identity.startswith("gguf:SmolLM2-135M")
    from evaluation.engine.backends import model_identity
    from evaluation.engine.pretrained import smollm2_spec

    assert model_identity(smollm2_spec(), cache_dir=cache) == first.identity  # known before loading


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["classification", "sequence_prob", "logodds", "absolute_logodds"])
def test_smollm2_agrees_with_reference(smollm2, metric):
    window = 40  # a short window so that the LONG rows are cut, as on a real long file
    backend = HFBackend(smollm2.model, smollm2.tokenizer, identity="smol", max_length=window)
    ref = NaiveReference(smollm2.model, smollm2.tokenizer, window)
    examples = {"classification": CLASSIFICATION[:6], "sequence_prob": SEQUENCE,
                "logodds": LOGODDS, "absolute_logodds": LOGODDS[:2]}[metric]
    check_against_reference(backend, ref, metric, examples)
    assert backend.stats["fed_tokens"] == backend.stats["tree_minimum"]


@pytest.mark.slow
@pytest.mark.parametrize("metric", ["classification", "sequence_prob", "logodds"])
def test_gemma3_agrees_with_reference(gemma3, metric):
    """Gemma 3 270M: a SentencePiece-style tokenizer that adds <bos>, and sliding-window layers
    (scored without prefix sharing, batched and deduplicated)."""
    window = 64
    backend = HFBackend(gemma3.model, gemma3.tokenizer, identity="gemma", max_length=window)
    assert backend.share_prefixes is False
    assert gemma3.tokenizer("Hello world")["input_ids"][0] == gemma3.tokenizer.bos_token_id
    ref = NaiveReference(gemma3.model, gemma3.tokenizer, window)
    examples = {"classification": CLASSIFICATION, "sequence_prob": SEQUENCE, "logodds": LOGODDS}[metric]
    assert len(examples) >= 4
    got = check_against_reference(backend, ref, metric, examples)
    if metric == "classification":
        assert got.warnings == [
            "2 row(s): a continuation does not start on a token boundary of this model's tokenizer (say the "
            "prompt ends with a space and the class has none); prompt and continuation were tokenised "
            "separately (lines 3, 6)",
            "1 row(s): the prompt was longer than the model's context window and was cut from the left (lines 7)"]


@pytest.mark.slow
def test_gguf_conversion_draws_its_bar_only_when_bars_are_on(tmp_path, capfd):
    """transformers' GGUF reader draws its bar past transformers' switch; progress_bars routes it."""
    from evaluation.engine.backends import progress_bars
    from evaluation.engine.backends.loading import convert_gguf
    from evaluation.engine.pretrained import smollm2_gguf

    capfd.readouterr()
    with progress_bars(False):
        assert convert_gguf(smollm2_gguf(), tmp_path / "quiet")[1]
    quiet = capfd.readouterr().err
    assert not any(mark in quiet for mark in ("Converting", "Loading", "Writing", "%|", "█"))
    with progress_bars(True):
        assert convert_gguf(smollm2_gguf(), tmp_path / "loud")[1]
    loud = capfd.readouterr().err
    assert "Converting and de-quantizing GGUF tensors" in loud and "Writing model shards" in loud
