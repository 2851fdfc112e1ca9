"""How well the validators' answers agree with a task's labels (plain Python, no Django).

Each sampled example has its label (the index of the task's answer among the choices) and the choices its
validators made; a skipped example gives no choice, so a skip counts neither for nor against the label.

    answer agreement   a = (answers equal to the label) / (answers), over every answer of every example,
                       with its Wilson 95% interval (evaluation/engine/intervals.py) over those answers;
    majority           an example's majority answer is the choice made by strictly more of its validators
                       than any other choice; with no such choice (1 against 1, 2 against 2 ...) the
                       example is a tie, and has no majority;
    human agreement    h = (examples whose majority answer is the label) / (examples with an answer), as the
                       Inverse Scaling paper reports it per task; a tie counts as not agreeing (its majority
                       does not confirm the label) and the ties are counted apart, so a reader sees how
                       much a tie-break could add; with its Wilson 95% interval over those examples.

An example nobody has answered (not yet, or every validator skipped it) is left out of both shares and
counted in `unanswered`. `disagreeing` lists the examples where some answer differs from the label, with
whether their majority still confirms it.

    agreement([ExampleAnswers(label=0, choices=(0, 0)), ExampleAnswers(label=1, choices=(1, 0))], needed=2)
    # Agreement(answers=4, agreeing=3, share=0.75, ..., examples=2, majority_agreeing=1, ties=1, ...)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from evaluation.engine.intervals import wilson_interval


@dataclass(frozen=True)
class ExampleAnswers:
    """One example's label and the choices its validators made (skips left out); `skips` counts the skips."""

    label: int
    choices: tuple[int, ...]
    skips: int = 0


def majority(choices: Sequence[int]) -> int | None:
    """The choice made strictly more often than any other; None for no answer or a tie."""
    counts = Counter(choices).most_common()
    if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
        return None
    return counts[0][0]


@dataclass(frozen=True)
class Disagreement:
    """An example some answer of which differs from its label."""

    index: int  # its place in the sequence given to `agreement`
    label: int
    choices: tuple[int, ...]
    majority: int | None  # None: a tie
    majority_agrees: bool


@dataclass(frozen=True)
class Agreement:
    answers: int  # answers counted (skips are not answers)
    agreeing: int  # answers equal to the label
    share: float | None  # agreeing / answers; None with no answer
    interval: tuple[float, float] | None  # Wilson 95% interval of share
    examples: int  # examples with at least one answer
    majority_agreeing: int  # examples whose strict majority answer is the label
    ties: int  # examples with answers but no strict majority
    human_agreement: float | None  # majority_agreeing / examples; None with no answered example
    human_interval: tuple[float, float] | None  # Wilson 95% interval of human_agreement
    unanswered: int  # examples with no answer (none yet, or every validator skipped)
    skips: int
    short: int  # examples with fewer answers than needed
    disagreeing: tuple[Disagreement, ...]

    @property
    def complete(self) -> bool:
        """Every example has the answers it needs."""
        return self.short == 0


def _share(k: int, n: int) -> tuple[float | None, tuple[float, float] | None]:
    return (k / n, wilson_interval(k, n)) if n else (None, None)


def agreement(examples: Sequence[ExampleAnswers], *, needed: int) -> Agreement:
    """The agreement of the answers given so far with the labels; `needed` is the answers each example needs."""
    answers = sum(len(e.choices) for e in examples)
    agreeing = sum(c == e.label for e in examples for c in e.choices)
    answered = [e for e in examples if e.choices]
    majorities = [majority(e.choices) for e in answered]
    majority_agreeing = sum(m == e.label for m, e in zip(majorities, answered))
    share, interval = _share(agreeing, answers)
    human, human_interval = _share(majority_agreeing, len(answered))
    disagreeing = []
    for index, e in enumerate(examples):
        if any(c != e.label for c in e.choices):
            m = majority(e.choices)
            disagreeing.append(Disagreement(index=index, label=e.label, choices=e.choices, majority=m,
                                            majority_agrees=m == e.label))
    return Agreement(answers=answers, agreeing=agreeing, share=share, interval=interval, examples=len(answered),
                     majority_agreeing=majority_agreeing, ties=sum(m is None for m in majorities),
                     human_agreement=human, human_interval=human_interval,
                     unanswered=len(examples) - len(answered), skips=sum(e.skips for e in examples),
                     short=sum(len(e.choices) < needed for e in examples), disagreeing=tuple(disagreeing))
