"""The Metric objects (evaluation/engine/metrics.py): one per metric, and the only place that knows it."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest

from evaluation.engine.metrics import (
    ALL_METRICS,
    METRICS,
    Aggregate,
    ExampleResult,
    aggregate,
    get_metric,
)
from evaluation.engine.types import ClassificationExample, LogoddsExample, Score, ScoreRequest, SequenceProbExample

ENGINE = Path(__file__).resolve().parents[2] / "evaluation" / "engine"
NAMES = ["classification", "sequence_prob", "logodds", "absolute_logodds"]
EXAMPLE = {
    "classification": ClassificationExample(2, "Q:", (" a", " b", " c"), 2),
    "sequence_prob": SequenceProbExample(3, "Q:", " the end"),
    "logodds": LogoddsExample(4, "P:", "O:", (" yes", " no"), 1),
    "absolute_logodds": LogoddsExample(4, "P:", "O:", (" yes", " no"), 1),
}


def test_all_metrics_in_the_contest_readme_order_and_their_names_derive_from_them():
    assert [m.name for m in ALL_METRICS] == NAMES
    assert tuple(NAMES) == METRICS
    assert all(get_metric(name) is m for name, m in zip(NAMES, ALL_METRICS))
    assert get_metric(ALL_METRICS[2]) is ALL_METRICS[2]


def test_unknown_metric_names_the_four():
    with pytest.raises(ValueError) as info:
        get_metric("accuracy")
    assert str(info.value) == ("Unknown metric 'accuracy'; choose one of classification, sequence_prob, "
                               "logodds, absolute_logodds.")


def test_metric_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ALL_METRICS[0].name = "loss"


def test_columns_accuracy_labels_and_baselines():
    table = {m.name: (m.required_columns, m.has_accuracy, m.value_label, m.axis_label) for m in ALL_METRICS}
    assert table == {
        "classification": (("prompt", "classes", "answer_index"), True,
                           "loss (−log p of the answer, normalised over classes)", "loss"),
        "sequence_prob": (("prompt", "completion"), False, "loss (−log p of the completion)", "loss"),
        "logodds": (("prompt", "other_prompt", "classes", "answer_index"), True,
                    "log-odds difference (the answer's log-odds after prompt minus after other_prompt)",
                    "log-odds difference"),
        "absolute_logodds": (("prompt", "other_prompt", "classes", "answer_index"), True,
                             "absolute log-odds difference (|the answer's log-odds after prompt minus after "
                             "other_prompt|)", "absolute log-odds difference"),
    }
    # what the accuracy measures: for the log-odds metrics, the answer's choice after other_prompt only
    assert [m.accuracy_label for m in ALL_METRICS] == [
        "accuracy (the answer gets the highest probability among the classes)", None,
        "accuracy on other_prompt only (the answer gets the higher probability after other_prompt)",
        "accuracy on other_prompt only (the answer gets the higher probability after other_prompt)"]
    assert [m.has_accuracy for m in ALL_METRICS] == [m.accuracy_label is not None for m in ALL_METRICS]
    agg = Aggregate(n=2, mean=1.0, sem=0.1, accuracy=0.5, class_mass=0.9, baseline_loss=math.log(3),
                    baseline_accuracy=1 / 3)
    assert [m.baseline(agg) for m in ALL_METRICS] == [math.log(3), None, 0.0, 0.0]
    assert [m.baseline_description for m in ALL_METRICS] == [
        "the loss of a uniform guess over the classes (mean of log(number of classes))",
        "none (a completion has no chance level)",
        "0 = the odds of the answer do not move between the two prompts",
        "0 = the odds of the answer do not move between the two prompts (|D| = 0)",
    ]


PAIR_REQUESTS = [ScoreRequest("P:", " yes"), ScoreRequest("P:", " no"), ScoreRequest("O:", " yes"),
                 ScoreRequest("O:", " no")]


@pytest.mark.parametrize("name, requests", [
    ("classification", [ScoreRequest("Q:", " a"), ScoreRequest("Q:", " b"), ScoreRequest("Q:", " c")]),
    ("sequence_prob", [ScoreRequest("Q:", " the end")]),
    ("logodds", PAIR_REQUESTS),
    ("absolute_logodds", PAIR_REQUESTS),
])
def test_requests_and_their_count(name, requests):
    metric = get_metric(name)
    assert metric.requests(EXAMPLE[name]) == requests
    assert metric.request_count(EXAMPLE[name]) == len(requests)


def test_worse_direction():
    assert [m.worse_direction([]) for m in ALL_METRICS] == [1, 1, 1, 1]
    logodds = get_metric("logodds")
    assert logodds.worse_direction([-0.5, 0.2]) == -1  # the mean of the means decides
    assert logodds.worse_direction([0.5, -0.2]) == 1
    assert logodds.worse_direction([1.0, -1.0]) == 1  # 0 counts as +1
    assert logodds.worse_direction([math.nan, -1.0]) == -1  # non-finite means are left out
    assert get_metric("absolute_logodds").worse_direction([-3.0]) == 1
    assert (logodds.worse_words([-0.5, 0.2]), logodds.worse_words([0.5])) == ("lower is worse", "higher is worse")
    assert get_metric("classification").worse_direction([-3.0]) == 1


@pytest.mark.parametrize("name, row, example, problems", [
    ("classification", {"prompt": "Q:", "classes": "[' a', ' b']", "answer_index": 1},
     ClassificationExample(7, "Q:", (" a", " b"), 1), []),
    ("classification", {"prompt": " ", "classes": "[' a']", "answer_index": "x"}, None, [
        ("prompt", "The prompt is empty; every row needs the text the model reads."),
        ("classes", "classes has 1 class; a classification task needs at least 2 classes to choose from."),
        ("answer_index", "answer_index is 'x', not a whole number; give the position of the correct class in "
                         "classes, counting from 0.")]),
    ("sequence_prob", {"prompt": 12, "completion": " end"}, SequenceProbExample(7, "12", " end"), []),
    ("sequence_prob", {"prompt": "Q:", "completion": float("nan")}, None, [
        ("completion", "The completion is empty; every row needs the text whose probability is measured.")]),
    ("absolute_logodds", {"prompt": "P", "other_prompt": "O", "classes": "[' a', ' b', ' c']", "answer_index": 5},
     None, [("classes", "classes has 3 classes; the absolute_logodds metric needs exactly 2, like "
                        "[\" Yes\", \" No\"].")]),
    ("logodds", {"prompt": "P", "other_prompt": "O", "classes": "[' a', ' b']", "answer_index": 2}, None, [
        ("answer_index", "answer_index is 2 but classes has 2 classes (positions 0 to 1); give the position of "
                         "the correct class, counting from 0.")]),
])
def test_row_parsers(name, row, example, problems):
    assert get_metric(name).parse_row(row, 7) == (example, problems)


def test_aggregate_takes_a_metric_or_its_name():
    results = [ExampleResult(2, 0.5, True, " a", math.log(0.5), 2), ExampleResult(3, 1.5, False, " b", 0.0, 4)]
    assert aggregate(results, "classification") == aggregate(results, get_metric("classification"))
    logodds = aggregate(results, "logodds")
    assert (logodds.accuracy, logodds.baseline_loss, logodds.baseline_accuracy) == (0.5, None, 0.375)


@pytest.mark.parametrize("name, value", [("logodds", -4.75), ("absolute_logodds", 4.75)])
def test_logodds_takes_each_class_whole_whatever_its_token_count(name, value):
    """lp(class | prompt) is the sum over the class's tokens (the backend's Score), as for classification."""
    ex = LogoddsExample(4, "P:", "O:", (" William is an immigrant", " no"), 0)
    # prompt: a, b; other_prompt: a, b (a is four tokens, b one)
    scores = [Score(-7.25, 4), Score(-1.5, 1), Score(-3.0, 4), Score(-2.0, 1)]
    got = get_metric(name).combine(ex, scores)
    # D = [(-7.25) - (-1.5)] - [(-3.0) - (-2.0)] = -5.75 + 1.0
    assert (got.value, got.correct, got.predicted, got.n_classes) == (value, False, " no", 2)
    assert got.total_logprob == pytest.approx(
        math.log((math.exp(-7.25) + math.exp(-1.5) + math.exp(-3.0) + math.exp(-2.0)) / 2), abs=1e-12)


def test_help_texts_are_the_forms():
    from portal.forms import SubmissionForm

    assert SubmissionForm().fields["metric"].help_text == " ".join(m.help_text for m in ALL_METRICS)
    assert all(m.help_text.startswith(f"{m.name}: ") for m in ALL_METRICS)


def test_no_module_outside_metrics_tests_a_metric_by_name():
    """The facts live in the Metric objects: no `metric == "classification"` chains elsewhere."""
    test = re.compile(r"""metric(\.name)?\s*(==|!=|\bin\b|\bnot in\b)\s*[("']""")
    offenders = [f"{path.relative_to(ENGINE)}:{n}" for path in ENGINE.rglob("*.py") if path.name != "metrics.py"
                 for n, line in enumerate(path.read_text().splitlines(), 1) if test.search(line)]
    assert offenders == []
