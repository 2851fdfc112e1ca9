"""The contest's four metrics, one `Metric` object each, on top of any Backend (no Django).

Every fact about a metric lives in its Metric: the columns a CSV needs, how a row becomes a typed
example, which continuations an example asks the model to score, how their log-probabilities
combine into the example's value, the aggregate, which direction is worse, and the words pages and
plots use. Other modules ask `get_metric(name)`; none tests a metric's name.

lp(x | p) = sum over the tokens of x of log p(token | p, earlier tokens of x), in fp32 (Score).

classification     s_k = lp(class_k | prompt); value = -log_softmax(s)[answer_index];
                   correct = argmax s (ties to the first class) == answer_index;
                   predicted = classes[argmax]; total_logprob = logsumexp_k s_k.
sequence_prob      value = -lp(completion | prompt).
logodds            each class is scored whole, as in classification: lp(class | prompt) sums
                   the log-probabilities of all its tokens (a class may be several tokens);
                   a = classes[answer_index], b = the other;
                   D = [lp(a|prompt) - lp(b|prompt)] - [lp(a|other_prompt) - lp(b|other_prompt)];
                   value = D; correct and predicted are measured on other_prompt (argmax over the
                   two classes, ties to the first); total_logprob = log of the mean over the two
                   prompts of the probability mass the two classes get:
                   log((exp(lse(prompt)) + exp(lse(other_prompt))) / 2).
absolute_logodds   value = |D|, the rest as logodds.

Aggregates: n, mean and standard error of the mean (sample sd / sqrt(n); 0 when n < 2) of
value; accuracy (mean of correct) where the metric has one (for the log-odds metrics it is
measured on other_prompt only: `accuracy_label` says so wherever it is shown); class_mass = mean of
exp(total_logprob); chance baselines: baseline_loss = mean of log(n_classes) (classification
only, where value is a loss), baseline_accuracy = mean of 1/n_classes (metrics with an accuracy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from . import cells
from .types import (
    Backend,
    ClassificationExample,
    Example,
    LogoddsExample,
    Score,
    ScoreRequest,
    SequenceProbExample,
)

RowProblems = list[tuple[str, str]]  # (column, message) for one row


@dataclass
class ExampleResult:
    line: int
    value: float  # the loss (classification, sequence_prob), D (logodds) or |D|
    correct: bool | None
    predicted: str | None
    total_logprob: float | None
    n_classes: int | None


@dataclass
class Aggregate:
    n: int
    mean: float
    sem: float
    accuracy: float | None
    class_mass: float | None
    baseline_loss: float | None
    baseline_accuracy: float | None


@dataclass
class FileScores:
    examples: list[ExampleResult]
    aggregate: Aggregate
    warnings: list[str]


@dataclass(frozen=True)
class Metric:
    """One metric of the contest: what its files hold, how it is scored, how it reads."""

    name: str
    required_columns: tuple[str, ...]
    has_accuracy: bool  # the value comes with a predicted class (accuracy, class mass)
    value_label: str  # what the value is, in full (a plot's title)
    axis_label: str  # the value in a few words (a plot's y axis, with which way is worse)
    accuracy_label: str | None  # what the accuracy measures (its plot's title); None without accuracy
    help_text: str  # for the submission form
    baseline_description: str  # what the `baseline` column means for this metric
    baseline_label: str  # the baseline's name on a plot
    higher_is_worse: bool | None  # None: the task's own sign says which way is worse (logodds)
    chance_loss: bool  # the baseline is the loss of a uniform guess over the classes
    fixed_baseline: float | None  # the baseline where it does not depend on the file
    example_type: type
    prompt_columns: tuple[str, ...]  # the texts a few-shot prefix goes in front of
    answer: Callable[[Example], str] = field(repr=False)  # the correct continuation, as a shot shows it
    parse_row: Callable[[Mapping[str, Any], int | None], tuple[Example | None, RowProblems]] = \
        field(repr=False)
    request_count: Callable[[Example], int] = field(repr=False)  # continuations per example
    requests: Callable[[Example], list[ScoreRequest]] = field(repr=False)
    combine: Callable[[Example, Sequence[Score]], ExampleResult] = field(repr=False)

    def worse_direction(self, means: Sequence[float]) -> int:
        """+1 when higher values are worse, -1 when lower values are worse.

        For logodds the sign of the mean of `means` (the per-model means of a task) decides: a
        task whose D is positive gets worse as D grows; a mean of 0 (or no finite mean) counts
        as +1.
        """
        if self.higher_is_worse is not None:
            return 1 if self.higher_is_worse else -1
        finite = [m for m in means if m is not None and math.isfinite(m)]
        return -1 if finite and sum(finite) / len(finite) < 0 else 1

    def worse_words(self, means: Sequence[float]) -> str:
        """"higher is worse" or "lower is worse", as `worse_direction(means)` says."""
        return "higher is worse" if self.worse_direction(means) == 1 else "lower is worse"

    @property
    def accuracy_heading(self) -> str:
        """The accuracy in a few words, for a table's column: "Accuracy", or "Accuracy on other_prompt only"
        (`accuracy_label` without its explanation)."""
        if self.accuracy_label is None:
            return "Accuracy"
        words = self.accuracy_label.split(" (")[0]
        return words[:1].upper() + words[1:]

    def baseline(self, aggregate: Aggregate) -> float | None:
        """The chance baseline of a scored file (see `baseline_description`)."""
        return aggregate.baseline_loss if self.chance_loss else self.fixed_baseline


# --- rows -----------------------------------------------------------------------------------


def _text(row, column: str, empty: str, problems: RowProblems) -> str | None:
    value = cells.parse_text(row[column])
    if value is None:
        problems.append((column, empty))
    return value


def _classes_and_answer(row, *, exactly: int | None, metric: str, problems: RowProblems):
    classes, problem = cells.parse_classes(row["classes"], exactly=exactly, metric=metric)
    if problem:
        problems.append(("classes", problem))
    answer, problem = cells.parse_index(row["answer_index"])
    if problem is None and classes is not None:
        problem = cells.index_in_range(answer, classes)
    if problem:
        problems.append(("answer_index", problem))
    return classes, answer


_EMPTY_PROMPT = "The prompt is empty; every row needs the text the model reads."


def _classification_row(row, line):
    problems: RowProblems = []
    prompt = _text(row, "prompt", _EMPTY_PROMPT, problems)
    classes, answer = _classes_and_answer(row, exactly=None, metric="classification", problems=problems)
    if problems:
        return None, problems
    return ClassificationExample(line, prompt, classes, answer), problems


def _sequence_prob_row(row, line):
    problems: RowProblems = []
    prompt = _text(row, "prompt", _EMPTY_PROMPT, problems)
    completion = _text(row, "completion", "The completion is empty; every row needs the text whose "
                                          "probability is measured.", problems)
    if problems:
        return None, problems
    return SequenceProbExample(line, prompt, completion), problems


def _pair_row(row, line, *, metric: str):
    problems: RowProblems = []
    prompt = _text(row, "prompt", _EMPTY_PROMPT, problems)
    other = _text(row, "other_prompt", f"The other_prompt is empty; every row of a {metric} task "
                                       f"needs the second prompt to compare with.", problems)
    classes, answer = _classes_and_answer(row, exactly=2, metric=metric, problems=problems)
    if problems:
        return None, problems
    return LogoddsExample(line, prompt, other, classes, answer), problems


# --- scoring one example --------------------------------------------------------------------


def _lse(xs: Sequence[float]) -> float:
    m = max(xs)
    if m == -math.inf:
        return -math.inf
    return m + math.log(sum(math.exp(x - m) for x in xs))


def _argmax_first(xs: Sequence[float]) -> int:
    best = 0
    for k in range(1, len(xs)):
        if xs[k] > xs[best]:
            best = k
    return best


def _classification_requests(ex: ClassificationExample) -> list[ScoreRequest]:
    return [ScoreRequest(ex.prompt, c) for c in ex.classes]


def _classification_result(ex: ClassificationExample, scores: Sequence[Score]) -> ExampleResult:
    s = [x.logprob for x in scores]
    lse = _lse(s)
    best = _argmax_first(s)
    return ExampleResult(line=ex.line, value=lse - s[ex.answer_index], correct=best == ex.answer_index,
                         predicted=ex.classes[best], total_logprob=lse, n_classes=len(ex.classes))


def _sequence_prob_result(ex: SequenceProbExample, scores: Sequence[Score]) -> ExampleResult:
    return ExampleResult(line=ex.line, value=-scores[0].logprob, correct=None, predicted=None,
                         total_logprob=None, n_classes=None)


def _pair_requests(ex: LogoddsExample) -> list[ScoreRequest]:
    return [ScoreRequest(p, c) for p in (ex.prompt, ex.other_prompt) for c in ex.classes]


def _pair_result(ex: LogoddsExample, scores: Sequence[Score], *, absolute: bool) -> ExampleResult:
    p = [scores[0].logprob, scores[1].logprob]
    o = [scores[2].logprob, scores[3].logprob]
    a, b = ex.answer_index, 1 - ex.answer_index
    d = (p[a] - p[b]) - (o[a] - o[b])
    best = _argmax_first(o)
    total = _lse([_lse(p), _lse(o)]) - math.log(2.0)
    return ExampleResult(line=ex.line, value=abs(d) if absolute else d, correct=best == ex.answer_index,
                         predicted=ex.classes[best], total_logprob=total, n_classes=2)


# --- the four metrics, in the contest README's order ---------------------------------------

_PAIR_BASELINE = "0 = the odds of the answer do not move between the two prompts"

CLASSIFICATION = Metric(
    name="classification",
    required_columns=("prompt", "classes", "answer_index"),
    has_accuracy=True,
    value_label="loss (−log p of the answer, normalised over classes)",
    axis_label="loss",
    accuracy_label="accuracy (the answer gets the highest probability among the classes)",
    help_text="classification: prompt, classes, answer_index; the loss is −log p of the correct "
              "class, normalised over the classes.",
    baseline_description="the loss of a uniform guess over the classes (mean of log(number of classes))",
    baseline_label="chance",
    higher_is_worse=True, chance_loss=True, fixed_baseline=None,
    example_type=ClassificationExample, prompt_columns=("prompt",),
    answer=lambda ex: ex.classes[ex.answer_index], parse_row=_classification_row,
    request_count=lambda ex: len(ex.classes), requests=_classification_requests,
    combine=_classification_result,
)
SEQUENCE_PROB = Metric(
    name="sequence_prob",
    required_columns=("prompt", "completion"),
    has_accuracy=False,
    value_label="loss (−log p of the completion)",
    axis_label="loss",
    accuracy_label=None,
    help_text="sequence_prob: prompt, completion; the loss is −log p of the completion.",
    baseline_description="none (a completion has no chance level)",
    baseline_label="",
    higher_is_worse=True, chance_loss=False, fixed_baseline=None,
    example_type=SequenceProbExample, prompt_columns=("prompt",),
    answer=lambda ex: ex.completion, parse_row=_sequence_prob_row,
    request_count=lambda ex: 1, requests=lambda ex: [ScoreRequest(ex.prompt, ex.completion)],
    combine=_sequence_prob_result,
)
LOGODDS = Metric(
    name="logodds",
    required_columns=("prompt", "other_prompt", "classes", "answer_index"),
    has_accuracy=True,
    value_label="log-odds difference (the answer's log-odds after prompt minus after other_prompt)",
    axis_label="log-odds difference",
    accuracy_label="accuracy on other_prompt only (the answer gets the higher probability after other_prompt)",
    help_text="logodds: prompt, other_prompt, classes (two classes, each scored whole: the sum of its "
              "tokens' log-probabilities), answer_index; the value is the change in the answer's "
              "log-odds between the two prompts.",
    baseline_description=_PAIR_BASELINE,
    baseline_label="no change",
    higher_is_worse=None, chance_loss=False, fixed_baseline=0.0,
    example_type=LogoddsExample, prompt_columns=("prompt", "other_prompt"),
    answer=lambda ex: ex.classes[ex.answer_index], parse_row=partial(_pair_row, metric="logodds"),
    request_count=lambda ex: 4, requests=_pair_requests,
    combine=partial(_pair_result, absolute=False),
)
ABSOLUTE_LOGODDS = Metric(
    name="absolute_logodds",
    required_columns=LOGODDS.required_columns,
    has_accuracy=True,
    value_label="absolute log-odds difference (|the answer's log-odds after prompt minus after other_prompt|)",
    axis_label="absolute log-odds difference",
    accuracy_label=LOGODDS.accuracy_label,
    help_text="absolute_logodds: the columns of logodds; the value is the size of that change.",
    baseline_description=_PAIR_BASELINE + " (|D| = 0)",
    baseline_label="no change",
    higher_is_worse=True, chance_loss=False, fixed_baseline=0.0,
    example_type=LogoddsExample, prompt_columns=LOGODDS.prompt_columns,
    answer=LOGODDS.answer, parse_row=partial(_pair_row, metric="absolute_logodds"),
    request_count=lambda ex: 4, requests=_pair_requests,
    combine=partial(_pair_result, absolute=True),
)

ALL_METRICS: tuple[Metric, ...] = (CLASSIFICATION, SEQUENCE_PROB, LOGODDS, ABSOLUTE_LOGODDS)
METRICS: tuple[str, ...] = tuple(m.name for m in ALL_METRICS)  # the names, in the contest README's order
_BY_NAME = {m.name: m for m in ALL_METRICS}


def get_metric(name: str | Metric) -> Metric:
    """The Metric called `name` (a Metric is returned as it is); ValueError for an unknown name."""
    if isinstance(name, Metric):
        return name
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise ValueError(f"Unknown metric {name!r}; choose one of {', '.join(METRICS)}.") from None


# --- a file -----------------------------------------------------------------------------------


def _warnings(examples, per_example: list[Sequence[Score]]) -> list[str]:
    out = []
    fb = [ex.line for ex, ss in zip(examples, per_example) if any(s.boundary_fallback for s in ss)]
    tr = [ex.line for ex, ss in zip(examples, per_example) if any(s.truncated for s in ss)]

    def lines(ls):
        shown = ", ".join(str(x) for x in ls[:20])
        return shown + (f" and {len(ls) - 20} more" if len(ls) > 20 else "")

    if fb:
        out.append(f"{len(fb)} row(s): a continuation does not start on a token boundary of this "
                   f"model's tokenizer (say the prompt ends with a space and the class has none); "
                   f"prompt and continuation were tokenised separately (lines {lines(fb)})")
    if tr:
        out.append(f"{len(tr)} row(s): the prompt was longer than the model's context window and "
                   f"was cut from the left (lines {lines(tr)})")
    return out


def aggregate(results: Sequence[ExampleResult], metric: Metric | str) -> Aggregate:
    metric = get_metric(metric)
    n = len(results)
    vals = [r.value for r in results]
    mean = sum(vals) / n if n else math.nan
    sem = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1) / n) if n >= 2 else 0.0
    accuracy = class_mass = baseline_loss = baseline_accuracy = None
    if metric.has_accuracy and n:
        accuracy = sum(1.0 for r in results if r.correct) / n
        class_mass = sum(math.exp(r.total_logprob) for r in results) / n
        baseline_accuracy = sum(1.0 / r.n_classes for r in results) / n
        if metric.chance_loss:
            baseline_loss = sum(math.log(r.n_classes) for r in results) / n
    return Aggregate(n=n, mean=mean, sem=sem, accuracy=accuracy, class_mass=class_mass,
                     baseline_loss=baseline_loss, baseline_accuracy=baseline_accuracy)


def score_examples(examples: Sequence[Example], *, metric: Metric | str, backend: Backend,
                   progress: Callable[[int], None] | None = None) -> FileScores:
    """Score a file's examples on a backend; one ExampleResult per example, in order.

    `progress(n)` is passed to the backend: it is called as n more continuations are scored
    (`metric.request_count(example)` per example). Raises ModelError when the file cannot be
    scored on this model (say a continuation longer than the model's context window).
    """
    metric = get_metric(metric)
    requests: list[ScoreRequest] = []
    for ex in examples:
        if not isinstance(ex, metric.example_type):
            raise TypeError(f"line {ex.line}: {metric.name} needs {metric.example_type.__name__}")
        requests.extend(metric.requests(ex))
    scores = backend.score(requests, progress=progress) if requests else []
    results: list[ExampleResult] = []
    per_example: list[Sequence[Score]] = []
    start = 0
    for ex in examples:
        end = start + metric.request_count(ex)
        per_example.append(scores[start:end])
        results.append(metric.combine(ex, per_example[-1]))
        start = end
    return FileScores(examples=results, aggregate=aggregate(results, metric),
                      warnings=_warnings(examples, per_example))
