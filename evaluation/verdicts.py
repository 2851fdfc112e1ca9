"""What a task's results say as a whole (plain Python, no Django): its files pooled into one summary per
model, and the verdict over its series (the rubric's hints and the rules' evaluation eligibility).

Pooling takes the examples of several files together (the parts of a task), from each file's summary:

    n    = Σ nᵢ
    mean = Σ nᵢ·meanᵢ / n       (the same for accuracy, class mass, baseline and baseline accuracy;
                                 None if any file lacks it)
    sem  = √(Σ nᵢ²·semᵢ²) / n   (the standard error of that mean, the files independent; a file
                                 without one counts 0)

The verdict reads the whole task's trend on each series that has one:

    verdict(trends=[SeriesTrend("tiny", private=False, label="inverse", monotonic=True)], override=None)
    # Verdict(inverse=["tiny"], strictly_inverse=["tiny"], series_with_trend=1, eligible=True,
    #         eligibility_reason="No public series shows standard scaling.", override=None)

Eligibility is the rules' "the plot does not show a standard scaling law": not eligible if a public
series scales in the standard way, not known while no public series has a trend, and the organizers'
override (with its reason) when they made one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

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
    """One series' trend on the whole task, as the verdict reads it."""

    series: str
    private: bool
    label: str  # inverse, standard, flat, U-shaped or inverted-U
    monotonic: bool  # strictly monotonic in model size


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
    override: Override | None = None


def verdict(*, trends: Sequence[SeriesTrend], override: Override | None) -> Verdict:
    """The verdict over the series that have a trend on the whole task, in their order."""
    inverse = [t.series for t in trends if t.label == INVERSE]
    strictly = [t.series for t in trends if t.label == INVERSE and t.monotonic]
    public = [t for t in trends if not t.private]
    standard = [t.series for t in public if t.label == STANDARD]
    if override is not None:
        eligible, reason = override.eligible, f"Decided by the organizers: {override.reason}"
    elif not public:
        eligible, reason = None, "Not known yet: no public series has results on two or more models."
    elif standard:
        eligible, reason = False, (f"Standard scaling on {', '.join(standard)}: the rules require that the plot "
                                   "does not show a standard scaling law.")
    else:
        eligible, reason = True, "No public series shows standard scaling."
    return Verdict(inverse=inverse, strictly_inverse=strictly, series_with_trend=len(trends),
                   eligible=eligible, eligibility_reason=reason, override=override)
