"""Few-shot variants (evaluation/engine/fewshot.py): exact prompts, sampling, names, hashes, CSVs."""

from __future__ import annotations

import hashlib
import io

import pandas as pd
import pytest

from evaluation.engine.fewshot import SEPARATOR, few_shot_variant, variant_csv
from evaluation.engine.metrics import ALL_METRICS
from evaluation.engine.taskfile import read_task_csv
from evaluation.engine.types import ClassificationExample, LogoddsExample, SequenceProbExample, TaskFile
from tests.datasets import lambada_sequence_prob_rows, logodds_rows, syllogism_classification_rows, to_csv_bytes

ROWS = {
    "classification": lambda n: syllogism_classification_rows(n=n, seed=3),
    "sequence_prob": lambda n: lambada_sequence_prob_rows(n=n, seed=3),
    "logodds": lambda n: logodds_rows(n=n, seed=3),
    "absolute_logodds": lambda n: logodds_rows(n=n, seed=3),
}


def read(metric: str, n: int = 40, name: str = "task.csv", kind: str = "main", index=None) -> TaskFile:
    task_file, errors, _ = read_task_csv(name, to_csv_bytes(ROWS[metric](n)), metric=metric, kind=kind,
                                         index=index)
    assert errors == []
    return task_file


def small_classification() -> TaskFile:
    examples = [ClassificationExample(2, "Q: 1+1? A:", (" 2", " 3"), 0),
                ClassificationExample(3, "Q: 2+2? A:", (" 5", " 4"), 1),
                ClassificationExample(5, "Q: 3+3?\nA:", (" 6", " 7", " 8"), 0),
                ClassificationExample(6, "Q: 4+4? A:", (" 9", " 8"), 1)]
    return TaskFile(name="sums-PART2.csv", kind="part", index=2, rows=4,
                    columns=["prompt", "classes", "answer_index"], examples=examples, sha256="0" * 64)


def test_exact_prompts_of_a_small_file():
    variant = few_shot_variant(small_classification(), k=2, metric="classification", seed=0)
    shots = {ex.line: ex.prompt.split(SEPARATOR)[:-1] for ex in variant.examples}
    shown = {2: "Q: 1+1? A: 2", 3: "Q: 2+2? A: 4", 5: "Q: 3+3?\nA: 6", 6: "Q: 4+4? A: 8"}
    # the exact prompts for seed 0: k other examples with their correct answers, three newlines apart
    assert [ex.prompt for ex in variant.examples] == [
        "Q: 3+3?\nA: 6\n\n\nQ: 4+4? A: 8\n\n\nQ: 1+1? A:",
        "Q: 1+1? A: 2\n\n\nQ: 3+3?\nA: 6\n\n\nQ: 2+2? A:",
        "Q: 4+4? A: 8\n\n\nQ: 2+2? A: 4\n\n\nQ: 3+3?\nA:",
        "Q: 2+2? A: 4\n\n\nQ: 3+3?\nA: 6\n\n\nQ: 4+4? A:",
    ]
    for ex, original in zip(variant.examples, small_classification().examples):
        assert len(shots[ex.line]) == 2
        assert set(shots[ex.line]) <= set(shown.values()) - {shown[ex.line]}  # never its own shot
        assert len(set(shots[ex.line])) == 2  # without replacement
        assert ex.prompt == SEPARATOR.join(shots[ex.line]) + SEPARATOR + original.prompt
        assert (ex.line, ex.classes, ex.answer_index) == (original.line, original.classes, original.answer_index)


def test_name_kind_index_rows_columns_and_source():
    original = small_classification()
    variant = few_shot_variant(original, k=1, metric="classification")
    assert (variant.name, variant.kind, variant.index, variant.rows, variant.columns) == (
        "sums-PART2-1shot.csv", "part", 2, 4, ["prompt", "classes", "answer_index"])
    assert (variant.shots, variant.source, original.shots, original.source) == (1, "sums-PART2.csv", 0, None)
    assert variant.as_dict() == {"name": "sums-PART2-1shot.csv", "kind": "part", "index": 2, "rows": 4,
                                 "columns": ["prompt", "classes", "answer_index"]}
    assert few_shot_variant(read("classification", name="syllo.csv"), k=4,
                            metric="classification").name == "syllo-4shot.csv"


@pytest.mark.parametrize("metric", [m.name for m in ALL_METRICS])
def test_every_metric(metric):
    original = read(metric)
    variant = few_shot_variant(original, k=3, metric=metric, seed=5)
    by_prompt = {}
    for ex in original.examples:
        answer = ex.completion if metric == "sequence_prob" else ex.classes[ex.answer_index]
        by_prompt[ex.line] = ex.prompt + answer
    for ex, orig in zip(variant.examples, original.examples):
        assert type(ex) is type(orig) and ex.line == orig.line
        prefix = ex.prompt[: -len(orig.prompt)]
        assert ex.prompt == prefix + orig.prompt and prefix.endswith(SEPARATOR)
        shots = prefix[: -len(SEPARATOR)].split(SEPARATOR)
        assert len(shots) == 3 and by_prompt[orig.line] not in shots
        assert all(shot in by_prompt.values() for shot in shots)
        if isinstance(ex, LogoddsExample):  # the same shots in front of both prompts
            assert ex.other_prompt == prefix + orig.other_prompt
            assert (ex.classes, ex.answer_index) == (orig.classes, orig.answer_index)
        if isinstance(ex, SequenceProbExample):
            assert ex.completion == orig.completion
    # the variant's CSV reads back as the same examples through the contest's own reader
    back, errors, _ = read_task_csv(variant.name, variant_csv(variant, metric=metric), metric=metric)
    assert errors == []
    assert [(e.prompt, getattr(e, "classes", None)) for e in back.examples] == [
        (e.prompt, getattr(e, "classes", None)) for e in variant.examples]


def test_sha256_is_that_of_the_csv_to_csv_writes():
    variant = few_shot_variant(read("classification"), k=2, metric="classification")
    data = variant_csv(variant, metric="classification")
    assert variant.sha256 == hashlib.sha256(data).hexdigest()
    frame = pd.DataFrame([{"prompt": e.prompt, "classes": str(list(e.classes)), "answer_index": e.answer_index}
                          for e in variant.examples])
    assert data == frame.to_csv(index=False, lineterminator="\n").encode()
    assert pd.read_csv(io.BytesIO(data)).columns.tolist() == ["prompt", "classes", "answer_index"]


def test_deterministic_and_seeds_differ():
    original = read("logodds")
    first = few_shot_variant(original, k=4, metric="logodds", seed=0)
    again = few_shot_variant(original, k=4, metric="logodds", seed=0)
    other = few_shot_variant(original, k=4, metric="logodds", seed=1)
    assert first == again and first.sha256 == again.sha256
    assert other.sha256 != first.sha256
    assert sum(a.prompt != b.prompt for a, b in zip(first.examples, other.examples)) > 30
    assert few_shot_variant(original, k=1, metric="logodds").sha256 != first.sha256


def test_shots_are_spread_over_the_file():
    variant = few_shot_variant(read("classification", n=200), k=1, metric="classification")
    shots = {ex.prompt.split(SEPARATOR)[0] for ex in variant.examples}
    assert len(shots) > 100  # not the same few examples for every prompt


def test_refusals():
    task_file = small_classification()
    with pytest.raises(ValueError) as info:
        few_shot_variant(task_file, k=4, metric="classification")
    assert str(info.value) == ("sums-PART2.csv has 4 examples, so a 4-shot variant is impossible: each "
                               "prompt needs 4 other examples; choose k below 4.")
    assert len(few_shot_variant(task_file, k=3, metric="classification").examples) == 4
    with pytest.raises(ValueError, match="k must be a whole number of at least 1, not 0"):
        few_shot_variant(task_file, k=0, metric="classification")
    variant = few_shot_variant(task_file, k=1, metric="classification")
    with pytest.raises(ValueError, match="already a 1-shot variant"):
        few_shot_variant(variant, k=1, metric="classification")
    with pytest.raises(ValueError, match="Unknown metric 'loss'"):
        few_shot_variant(task_file, k=1, metric="loss")
