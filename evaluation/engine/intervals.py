"""The one convention for the intervals that tables, plots and trends show: 95%, everywhere.

    CONFIDENCE = 0.95; Z95 = the standard normal's 97.5% quantile (1.959963984540054)
    mean_error(sem) = Z95 * sem          half-width of a mean's 95% interval (normal, over examples)
    paired_difference(a, b)              the mean of b - a over the same examples, ± Z95 standard
                                         errors of those differences (two models compared)
    wilson_interval(k, n)                a proportion's (an accuracy's) Wilson score interval

The command line's plot (engine/plots.py), the portal's plots and tables (evaluation/plots.py,
the `ci95` filter) and the trend statistics (trends.py) all take their interval from here, and a
figure names it with `INTERVAL_LABEL`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

CONFIDENCE = 0.95
Z95 = 1.959963984540054  # the standard normal distribution's 97.5% quantile, correctly rounded
INTERVAL_LABEL = "95% CI"


def mean_error(sem: float | None) -> float:
    """Half-width of the 95% interval of a mean whose standard error is `sem` (0 when unknown)."""
    return Z95 * (sem or 0.0)


def paired_difference(before: Sequence[float], after: Sequence[float]) -> tuple[float, float, float]:
    """(mean, lo, hi): the mean of the per-example differences after - before (the same examples,
    in the same order) and its 95% interval, mean ± Z95 × sd / √n (sample sd); lo and hi are nan
    with fewer than two examples, where no interval can be had."""
    if len(before) != len(after) or len(before) == 0:
        raise ValueError(f"a paired difference needs the same examples on both sides, not {len(before)} "
                         f"and {len(after)}")
    d = [b - a for a, b in zip(before, after)]
    n = len(d)
    mean = math.fsum(d) / n
    if n < 2:
        return mean, math.nan, math.nan
    half = Z95 * math.sqrt(math.fsum((x - mean) ** 2 for x in d) / (n - 1) / n)
    return mean, mean - half, mean + half


def wilson_interval(successes: float, n: int) -> tuple[float, float]:
    """The Wilson score 95% interval of a proportion `successes` / `n` (say examples answered
    right): it stays within [0, 1] and does not collapse at 0 or 1, as the normal interval does;
    (nan, nan) when n is 0. `successes` is rounded to a count (a pooled accuracy times n)."""
    if n <= 0:
        return math.nan, math.nan
    p = round(successes) / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def accuracy_error(accuracy: float | None, n: int | None) -> tuple[float, float]:
    """(below, above): how far the Wilson 95% interval of an accuracy over n examples reaches
    under and over it, for asymmetric error bars; (0, 0) when unknown."""
    if accuracy is None or not n:
        return 0.0, 0.0
    lo, hi = wilson_interval(accuracy * n, n)
    return max(0.0, accuracy - lo), max(0.0, hi - accuracy)
