"""The contest's four metrics on top of any Backend (plain Python, no Django).

lp(x | p) = sum over the tokens of x of log p(token | p, earlier tokens of x), in fp32 (Score).

classification     s_k = lp(class_k | prompt); value = -log_softmax(s)[answer_index];
                   correct = argmax s (ties to the first class) == answer_index;
                   predicted = classes[argmax]; total_logprob = logsumexp_k s_k.
sequence_prob      value = -lp(completion | prompt).
logodds            every class must be one token for the model (checked on Score.n_tokens);
                   a = classes[answer_index], b = the other;
                   D = [lp(a|prompt) - lp(b|prompt)] - [lp(a|other_prompt) - lp(b|other_prompt)];
                   value = D; correct and predicted are measured on other_prompt (argmax over the
                   two classes, ties to the first); total_logprob = log of the mean over the two
                   prompts of the probability mass the two classes get:
                   log((exp(lse(prompt)) + exp(lse(other_prompt))) / 2).
absolute_logodds   value = |D|, the rest as logodds.

Aggregates: n, mean and standard error of the mean (sample sd / sqrt(n); 0 when n < 2) of
value; accuracy (mean of correct) where it exists; class_mass = mean of exp(total_logprob);
chance baselines: baseline_loss = mean of log(n_classes) (classification only, where value is a
loss), baseline_accuracy = mean of 1/n_classes (classification and logodds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .types import (METRICS, Backend, ClassificationExample, Example, LogoddsExample, ModelError,
                    Score, ScoreRequest, SequenceProbExample)


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


def _requests(examples: Sequence[Example], metric: str) -> list[ScoreRequest]:
    reqs: list[ScoreRequest] = []
    for ex in examples:
        if metric == "classification":
            if not isinstance(ex, ClassificationExample):
                raise TypeError(f"line {ex.line}: classification needs ClassificationExample")
            reqs.extend(ScoreRequest(ex.prompt, c) for c in ex.classes)
        elif metric == "sequence_prob":
            if not isinstance(ex, SequenceProbExample):
                raise TypeError(f"line {ex.line}: sequence_prob needs SequenceProbExample")
            reqs.append(ScoreRequest(ex.prompt, ex.completion))
        else:
            if not isinstance(ex, LogoddsExample):
                raise TypeError(f"line {ex.line}: {metric} needs LogoddsExample")
            for p in (ex.prompt, ex.other_prompt):
                reqs.extend(ScoreRequest(p, c) for c in ex.classes)
    return reqs


def _warnings(examples, per_example: list[list[Score]]) -> list[str]:
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


def aggregate(results: Sequence[ExampleResult], metric: str) -> Aggregate:
    n = len(results)
    vals = [r.value for r in results]
    mean = sum(vals) / n if n else math.nan
    if n >= 2:
        var = sum((v - mean) ** 2 for v in vals) / (n - 1)
        sem = math.sqrt(var / n)
    else:
        sem = 0.0
    has_classes = metric != "sequence_prob"
    accuracy = class_mass = baseline_loss = baseline_accuracy = None
    if has_classes and n:
        accuracy = sum(1.0 for r in results if r.correct) / n
        class_mass = sum(math.exp(r.total_logprob) for r in results) / n
        baseline_accuracy = sum(1.0 / r.n_classes for r in results) / n
        if metric == "classification":
            baseline_loss = sum(math.log(r.n_classes) for r in results) / n
    return Aggregate(n=n, mean=mean, sem=sem, accuracy=accuracy, class_mass=class_mass,
                     baseline_loss=baseline_loss, baseline_accuracy=baseline_accuracy)


def score_examples(examples: Sequence[Example], *, metric: str, backend: Backend,
                   progress=None) -> FileScores:
    """Score a file's examples on a backend; one ExampleResult per example, in order.

    `progress(n)` is passed to the backend: it is called as n more continuations are scored
    (classification: one per class, logodds: four per row, sequence_prob: one per row).
    Raises ModelError when the file cannot be scored on this model (a logodds class that is
    more than one token).
    """
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; one of {METRICS}")
    reqs = _requests(examples, metric)
    scores = backend.score(reqs, progress=progress) if reqs else []
    results: list[ExampleResult] = []
    per_example: list[list[Score]] = []
    i = 0
    for ex in examples:
        if metric == "classification":
            ss = scores[i:i + len(ex.classes)]
            i += len(ex.classes)
            s = [x.logprob for x in ss]
            lse = _lse(s)
            best = _argmax_first(s)
            results.append(ExampleResult(line=ex.line, value=lse - s[ex.answer_index],
                                         correct=best == ex.answer_index,
                                         predicted=ex.classes[best], total_logprob=lse,
                                         n_classes=len(ex.classes)))
        elif metric == "sequence_prob":
            ss = scores[i:i + 1]
            i += 1
            results.append(ExampleResult(line=ex.line, value=-ss[0].logprob, correct=None,
                                         predicted=None, total_logprob=None, n_classes=None))
        else:
            ss = scores[i:i + 4]
            i += 4
            for k, x in enumerate(ss):
                if x.n_tokens != 1:
                    cls = ex.classes[k % 2]
                    raise ModelError(
                        f"line {ex.line}: logodds class {cls!r} is {x.n_tokens} tokens for this "
                        f"model; logodds needs every class to be a single token")
            p = [ss[0].logprob, ss[1].logprob]
            o = [ss[2].logprob, ss[3].logprob]
            a, b = ex.answer_index, 1 - ex.answer_index
            d = (p[a] - p[b]) - (o[a] - o[b])
            best = _argmax_first(o)
            lse_p, lse_o = _lse(p), _lse(o)
            total = _lse([lse_p, lse_o]) - math.log(2.0)
            results.append(ExampleResult(line=ex.line, value=abs(d) if metric == "absolute_logodds" else d,
                                         correct=best == ex.answer_index, predicted=ex.classes[best],
                                         total_logprob=total, n_classes=2))
        per_example.append(list(ss))
    return FileScores(examples=results, aggregate=aggregate(results, metric),
                      warnings=_warnings(examples, per_example))
