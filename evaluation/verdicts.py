"""What a task's results say as a whole (plain Python, no Django): its files pooled into one summary per
model, and the verdict over its series (the rubric's hints and the rules' evaluation eligibility).

Pooling takes the examples of several files together (the parts of a task), from each file's summary:

    n    = Σ nᵢ
    mean = Σ nᵢ·meanᵢ / n       (the same for accuracy, class mass, baseline and baseline accuracy;
                                 None if any file lacks it)
    sem  = √(Σ nᵢ²·semᵢ²) / n   (the standard error of that mean, the files independent; a file
                                 without one counts 0)

The verdict reads the whole task's trend on each series that has one, a `SeriesTrend`: the series and
the engine's own `Trend` of it (evaluation/engine/trends.py), which every reader (the pages, the reviewers'
suggestions, the awards' evidence) asks rather than re-deriving the trend rule:

    verdict(trends=[SeriesTrend("tiny", private=False, trend=<Trend: inverse, 2 models, larger worse>)],
            override=None)
    # Verdict(inverse=["tiny"], strictly_inverse=[], series_with_trend=1, eligible=True,
    #         eligibility_reason="No public series shows standard scaling. On tiny it rests on two models
    #         (the larger is worse).", on_two_models=["tiny"], override=None)

A series of two models has no shape and is never strictly monotonic; its comparison (the larger model
worse, better or no different) still counts as inverse, standard or flat, and every sentence built on it
says that it rests on two models.

Eligibility is the rules' "the plot does not show a standard scaling law": not eligible if a public
series scales in the standard way, not known while no public series has a trend, and the organizers'
override (with its reason) when they made one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from evaluation.engine.trends import Trend

INVERSE, STANDARD = "inverse", "standard"


class Summary(Protocol):
    """What pooling reads of one file's result (evaluation.models.Result is one)."""

    n: int
    mean: float | None
    sem: float | None
    accuracy: float | None
    class_mass: float | None
    baseline: float | None
    baseline_accuracy: float | None


@dataclass(frozen=True)
class Pooled:
    """Several files' summaries as one (the fields of a Result that pooling makes)."""

    n: int
    mean: float | None
    sem: float | None
    accuracy: float | None
    class_mass: float | None
    baseline: float | None
    baseline_accuracy: float | None


def pooled(parts: Sequence[Summary]) -> Pooled:
    """The files' examples taken together: means weighted by rows, the pooled standard error."""
    n = sum(r.n for r in parts)

    def weighted(attr: str) -> float | None:
        values = [getattr(r, attr) for r in parts]
        return None if any(v is None for v in values) else sum(v * r.n for v, r in zip(values, parts)) / n

    sem = math.sqrt(sum((r.sem or 0.0) ** 2 * r.n ** 2 for r in parts)) / n if n else None
    return Pooled(n=n, mean=weighted("mean"), sem=sem, accuracy=weighted("accuracy"),
                  class_mass=weighted("class_mass"), baseline=weighted("baseline"),
                  baseline_accuracy=weighted("baseline_accuracy"))


@dataclass(frozen=True)
class SeriesTrend:
    """One series' trend on the whole task: the series, and the engine's Trend of it."""

    series: str
    private: bool
    trend: Trend

    @property
    def name(self) -> str:
        """"tiny (public)"."""
        return f"{self.series} ({'private' if self.private else 'public'})"

    @property
    def label(self) -> str:
        """inverse, standard, flat, U-shaped or inverted-U; with two models the comparison's direction."""
        return self.trend.label

    @property
    def on_two_models(self) -> bool:
        """The trend rests on two models: a comparison, no shape."""
        return self.trend.shape is None

    @property
    def inverse(self) -> bool:
        return self.label == INVERSE

    @property
    def standard(self) -> bool:
        return self.label == STANDARD

    @property
    def strictly_inverse(self) -> bool:
        """Inverse and strictly monotonic, which takes three or more models."""
        return self.inverse and self.trend.monotonic and not self.on_two_models

    @property
    def comparison(self) -> str | None:
        """Two models: the larger is "worse", "better" or "no different"; None with three or more."""
        return self.trend.comparison

    @property
    def headline(self) -> str:
        """The shape, or "two models: the larger is worse"."""
        return self.trend.headline

    @property
    def two_models_note(self) -> str:
        """"On tiny it rests on two models (the larger is worse)."; "" with three or more models."""
        if not self.on_two_models:
            return ""
        return f"On {self.series} it rests on two models (the larger is {self.comparison})."


class Override(Protocol):
    """The organizers' decision on eligibility (evaluation.models.EligibilityOverride is one)."""

    eligible: bool
    reason: str


@dataclass
class Verdict:
    """The rubric's hints: how many series scale inversely (generality), which strictly (strength),
    and the rules' evaluation eligibility (no standard scaling on the public series)."""

    inverse: list[str]
    strictly_inverse: list[str]
    series_with_trend: int
    eligible: bool | None  # None while no public series has a trend yet
    eligibility_reason: str
    on_two_models: list[str] = field(default_factory=list)  # series whose trend rests on two models
    override: Override | None = None

    def described(self, names: Sequence[str]) -> list[str]:
        """The series `names`, each that rests on two models marked so ("held-out (two models)")."""
        return [f"{name} (two models)" if name in self.on_two_models else name for name in names]

    @property
    def inverse_described(self) -> list[str]:
        return self.described(self.inverse)


def verdict(*, trends: Sequence[SeriesTrend], override: Override | None) -> Verdict:
    """The verdict over the series that have a trend on the whole task, in their order."""
    inverse = [t.series for t in trends if t.inverse]
    strictly = [t.series for t in trends if t.strictly_inverse]
    public = [t for t in trends if not t.private]
    standard = [t.series for t in public if t.standard]
    if not public:
        eligible, reason = None, "Not known yet: no public series has results on two or more models."
    else:
        if standard:
            eligible, reason = False, (f"Standard scaling on {', '.join(standard)}: the rules require that the plot "
                                       "does not show a standard scaling law.")
        else:
            eligible, reason = True, "No public series shows standard scaling."
        reason = " ".join([reason, *(t.two_models_note for t in public if t.on_two_models)])
    eligible, reason = decided(eligible, reason, override)
    return Verdict(inverse=inverse, strictly_inverse=strictly, series_with_trend=len(trends),
                   eligible=eligible, eligibility_reason=reason,
                   on_two_models=[t.series for t in trends if t.on_two_models], override=override)


def decided(eligible: bool | None, reason: str, override: Override | None) -> tuple[bool | None, str]:
    """The rules' eligibility and its reason, or the organizers' decision when they made one."""
    if override is None:
        return eligible, reason
    return override.eligible, f"Decided by the organizers: {override.reason}"
