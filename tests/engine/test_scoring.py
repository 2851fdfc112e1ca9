"""score_report (evaluation/engine/scoring.py): the one scoring function of the command line and
the portal's workers, on a tiny real model."""

from __future__ import annotations

import pytest

from evaluation.engine.backends.hf import HFBackend
from evaluation.engine.metrics import get_metric, score_examples
from evaluation.engine.scoring import FileOutcome, score_report
from evaluation.engine.taskfile import read_task_csv
from evaluation.engine.types import Issue, TaskReport
from tests.datasets import logodds_rows, syllogism_classification_rows, to_csv_bytes
from tests.engine.conftest import WINDOW


def read(name, rows, metric, kind="main", index=None):
    task_file, errors, _ = read_task_csv(name, to_csv_bytes(rows), metric=metric, kind=kind, index=index)
    assert errors == []
    return task_file


@pytest.fixture(scope="module")
def backend(tiny_gpt2):
    model, tok = tiny_gpt2
    # a small token budget: many batches, so progress is reported many times within a file
    return HFBackend(model, tok, identity="tiny", max_length=WINDOW, token_budget=96, kv_budget=512)


@pytest.fixture(scope="module")
def report():
    rows = syllogism_classification_rows(n=30, seed=4)
    return TaskReport(files=[read("s-PART1.csv", rows[:20], "classification", "part", 1),
                             read("s-PART2.csv", rows[20:26], "classification", "part", 2),
                             read("s-CONTROL1.csv", rows[26:], "classification", "control", 1)])


def test_outcomes_hold_the_numbers_of_score_examples(report, backend):
    outcomes = score_report(report, metric=get_metric("classification"), backend=backend)
    assert [o.file for o in outcomes] == report.files
    for outcome in outcomes:
        assert isinstance(outcome, FileOutcome) and outcome.error is None
        alone = score_examples(outcome.file.examples, metric="classification", backend=backend)
        assert outcome.scores == alone  # same requests, same batches: the same floats


def test_progress_counts_examples_as_work_goes_and_ends_at_the_total(report, backend):
    calls = []
    score_report(report, metric="classification", backend=backend, progress=lambda d, t: calls.append((d, t)))
    assert {t for _, t in calls} == {30}
    done = [d for d, _ in calls]
    assert done[-1] == 30 and done.count(30) == 1  # a last time with done == total, once
    assert done == sorted(set(done))  # only when it grows
    assert 20 in done and 26 in done  # each file counts in full once scored
    assert len([d for d in done if d < 20]) >= 3  # and within a file as its batches finish


def test_files_scores_only_those(report, backend):
    calls = []
    outcomes = score_report(report, metric="classification", backend=backend, files=report.files[1:2],
                            progress=lambda d, t: calls.append((d, t)))
    assert [o.file.name for o in outcomes] == ["s-PART2.csv"]
    assert calls[-1] == (6, 6)


def test_a_file_the_model_cannot_score_is_that_files_error(backend):
    rows = logodds_rows(n=5, seed=0)  # classes " A", " B": two tokens each for the tiny tokenizer, scored whole
    too_long = [dict(r, classes=str([" yes" * 60, " no"])) for r in rows]  # 60 tokens: past the 48-token window
    files = [read("lo-PART1.csv", too_long, "logodds", "part", 1), read("lo-PART2.csv", rows, "logodds", "part", 2)]
    calls = []
    outcomes = score_report(TaskReport(files=files), metric="logodds", backend=backend,
                            progress=lambda d, t: calls.append((d, t)))
    assert [(o.file.name, o.scores is None, o.error) for o in outcomes] == [
        ("lo-PART1.csv", True, "a continuation of 60 tokens does not fit the model's window of 48 tokens"),
        ("lo-PART2.csv", False, None)]
    assert outcomes[1].scores.aggregate.n == 5
    assert calls[-1] == (10, 10)


def test_an_invalid_report_is_refused_and_other_errors_propagate(report, backend):
    invalid = TaskReport(files=report.files, errors=[Issue(None, None, None, "broken")])
    with pytest.raises(ValueError, match="the task has errors"):
        score_report(invalid, metric="classification", backend=backend)

    def cancel(done, total):
        raise RuntimeError("cancelled by the caller")

    with pytest.raises(RuntimeError, match="cancelled by the caller"):
        score_report(report, metric="classification", backend=backend, progress=cancel)


def test_an_empty_selection_reports_zero_of_zero(report, backend):
    calls = []
    assert score_report(report, metric="classification", backend=backend, files=[],
                        progress=lambda d, t: calls.append((d, t))) == []
    assert calls == [(0, 0)]
