"""How a task's metric scales with model size: a shape with three or more models, a paired
comparison with two; slope, rank correlation and monotonicity.

Pure numpy, no Django. `trend(sizes, values, worse=...)` takes the per-example values of each
model of a series (the same examples in the same order for every model) and the models' sizes;
`worse` comes from the metric (`Metric.worse_direction`). The bootstrap resamples examples, the
same resample for every model (paired), with a fixed seed, so a trend is reproducible. Intervals
are 95% (intervals.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .intervals import CONFIDENCE, paired_difference

LABELS = ("inverse", "standard", "flat", "U-shaped", "inverted-U")
COMPARISONS = ("worse", "better", "no different")  # the larger of two models, against the smaller
_LABEL_OF_COMPARISON = {"worse": "inverse", "better": "standard", "no different": "flat"}
PER_DECADE, PER_DOUBLING = "per decade of size", "per doubling of size"
MIN_SHAPE_MODELS = 3  # fewer models get a comparison, not a shape
VERSION = 2  # bumped whenever the fields or the rule change: part of a stored trend's cache key
_TAIL = (1 - CONFIDENCE) / 2  # 0.025
_CELLS_PER_CHUNK = 4_000_000  # resampled example counts held in memory at once

RULE = (
    "Each model's mean is first oriented so that higher means worse for this metric (for a loss, "
    "the loss itself; for logodds, the sign of the task's own effect decides). "
    "A series of two models gets no shape: the larger model's mean minus the smaller's, over the "
    "examples both scored, with its paired 95% interval (1.96 standard errors of the per-example "
    "differences) says whether the larger model is worse, better or no different (the interval "
    "includes 0); no rank correlation or monotonicity is claimed from two points. "
    "With three or more models: "
    "U-shaped: the worst model is neither the smallest nor the largest, "
    "and it is worse than both the smallest and the largest model in at least 97.5% of 1,000 "
    "bootstrap resamples of the examples (the same examples for every model): performance first "
    "gets worse, then better, as models grow. "
    "Inverted-U: the best model is neither the smallest nor the largest, and it is better than both "
    "in at least 97.5% of the resamples: performance first gets better, then worse. "
    "Otherwise the least-squares slope of the mean against log model size decides, with its 95% "
    "bootstrap confidence interval: inverse scaling when the whole interval says larger models do "
    "worse, standard scaling when the whole interval says they do better, flat when it includes 0. "
    "Monotonic means that every larger model's mean is strictly higher (or every one strictly lower) "
    "than the next smaller model's. "
    "The slope is given per decade of size (log10), or per doubling (log2) when the series spans "
    "less than a decade."
)


@dataclass(frozen=True)
class Trend:
    """A series' trend. Pages show `headline` (the shape, or the two-model comparison) and the slope
    with its `slope_unit`; with two models they show `difference` and its interval, never a shape,
    a rank correlation or monotonicity."""

    # with three or more models: the shape, one of LABELS. With two: the direction the comparison
    # found (inverse: the larger is worse; standard: better; flat: no different), so that rules
    # that count inverse or standard series keep counting it; a page says it rests on two models
    label: str
    slope: float  # least-squares slope of the per-model mean against log size, in `slope_unit`
    slope_ci: tuple[float, float]  # its 95% interval: bootstrap (examples resampled, paired); with two models, the difference's
    spearman: float  # Spearman's rank correlation of size and per-model mean; nan with two models or if undefined
    monotonic: bool  # strictly monotonic over three or more models (either direction); False with two
    models: int  # how many models the trend rests on
    shape: str | None  # the shape label with three or more models; None with two
    comparison: str | None  # two models: the larger is "worse", "better" or "no different" (COMPARISONS); None with more
    difference: float  # the largest model's mean minus the smallest's, over the same examples
    difference_ci: tuple[float, float]  # its paired 95% interval (nan, nan with a single example)
    slope_unit: str  # PER_DECADE, or PER_DOUBLING when the sizes span less than a decade

    @property
    def headline(self) -> str:
        """The shape ("inverse"), or "two models: the larger is worse" for a two-model series."""
        return self.shape if self.shape is not None else f"two models: the larger is {self.comparison}"

    def as_dict(self) -> dict:
        """The fields, `slope_ci` and `difference_ci` as [lo, hi], and `headline`; JSON-safe (nan -> None)."""
        return {"label": self.label, "slope": _json_float(self.slope),
                "slope_ci": [_json_float(self.slope_ci[0]), _json_float(self.slope_ci[1])],
                "spearman": _json_float(self.spearman), "monotonic": bool(self.monotonic),
                "models": self.models, "shape": self.shape, "comparison": self.comparison,
                "difference": _json_float(self.difference),
                "difference_ci": [_json_float(self.difference_ci[0]), _json_float(self.difference_ci[1])],
                "slope_unit": self.slope_unit, "headline": self.headline}


def _json_float(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def bootstrap_means(values: np.ndarray, *, resamples: int, seed: int) -> np.ndarray:
    """(resamples, models): each model's mean over the same resampled examples (with replacement).

    Resamples are drawn as example counts (bincount) and applied to all models at once with one
    matrix product, in chunks that bound memory.
    """
    n_models, n = values.shape
    rng = np.random.default_rng(seed)
    out = np.empty((resamples, n_models))
    chunk = max(1, min(resamples, _CELLS_PER_CHUNK // n))
    for start in range(0, resamples, chunk):
        r = min(chunk, resamples - start)
        drawn = rng.integers(0, n, size=(r, n)) + (np.arange(r) * n)[:, None]
        counts = np.bincount(drawn.ravel(), minlength=r * n).reshape(r, n).astype(np.float64)
        out[start:start + r] = counts @ values.T / n
    return out


def _ranks(a: np.ndarray) -> np.ndarray:
    """Ranks from 0, ties sharing their average rank."""
    order = np.argsort(a, kind="stable")
    ranks = np.empty(len(a))
    ranks[order] = np.arange(len(a))
    for value in np.unique(a):
        tied = a == value
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (Pearson's on average ranks); nan when either side is constant."""
    rx, ry = _ranks(x), _ranks(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    denominator = math.sqrt(float(rx @ rx) * float(ry @ ry))
    return float(rx @ ry) / denominator if denominator > 0 else math.nan


def _interior_extreme(badness: np.ndarray, boot: np.ndarray, sign: int) -> bool:
    """Whether the interior model with the most (sign=+1) or least (sign=-1) badness is more so
    than both end models in at least 1 - _TAIL of the resamples."""
    if len(badness) < 3:
        return False
    k = 1 + int(np.argmax(sign * badness[1:-1]))
    margin = np.minimum(sign * (boot[:, k] - boot[:, 0]), sign * (boot[:, k] - boot[:, -1]))
    return bool(np.quantile(margin, _TAIL) > 0)


def _label(badness: np.ndarray, boot_badness: np.ndarray, oriented_ci: tuple[float, float]) -> str:
    if _interior_extreme(badness, boot_badness, +1):
        return "U-shaped"
    if _interior_extreme(badness, boot_badness, -1):
        return "inverted-U"
    lo, hi = oriented_ci
    if lo > 0:
        return "inverse"
    if hi < 0:
        return "standard"
    return "flat"


def _checked(sizes: Sequence[float], values: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(sizes, dtype=np.float64)
    lengths = {len(v) for v in values}
    if len(values) != len(x):
        raise ValueError(f"{len(x)} sizes for {len(values)} models; give one size per model.")
    if len(lengths) > 1:
        raise ValueError(f"the models have different numbers of examples ({sorted(lengths)}); a "
                         f"trend needs the same examples, in the same order, for every model.")
    if not np.all(x > 0):
        raise ValueError("every model size must be positive (sizes are placed on a log scale).")
    return x, np.asarray(values, dtype=np.float64).reshape(len(x), -1)


def _comparison(difference_ci: tuple[float, float], worse: int) -> str:
    lo, hi = sorted((worse * difference_ci[0], worse * difference_ci[1]))
    if lo > 0:
        return "worse"
    if hi < 0:
        return "better"
    return "no different"  # includes 0, or no interval (a single example)


def trend(sizes: Sequence[float], values: Sequence[Sequence[float]], *, worse: int,
          resamples: int = 1000, seed: int = 0) -> Trend | None:
    """The trend of a series (see RULE); None with fewer than 2 models, fewer than 2 distinct
    sizes, no examples, or a value that is not finite.

    `values[i]` are model i's per-example values, `sizes[i]` its parameter count (or FLOPs);
    models are sorted by size here. `worse` is +1 when higher values are worse, -1 when lower are.
    """
    if worse not in (1, -1):
        raise ValueError(f"worse must be +1 or -1, not {worse!r}.")
    if len(sizes) < 2:
        return None
    x, v = _checked(sizes, values)
    if len(np.unique(x)) < 2 or v.shape[1] == 0 or not np.isfinite(v).all():
        return None
    order = np.argsort(x, kind="stable")
    x, v = np.log10(x[order]), v[order]
    unit = PER_DOUBLING if x[-1] - x[0] < 1 else PER_DECADE
    if unit == PER_DOUBLING:
        x = x / math.log10(2)  # log2(size)
    means = v.mean(axis=1)
    centred = x - x.mean()
    weights = centred / float(centred @ centred)  # slope = weights @ means
    difference, lo, hi = paired_difference(v[0], v[-1])
    common = {"slope": float(weights @ means), "models": len(x), "difference": difference,
              "difference_ci": (lo, hi), "slope_unit": unit}
    if len(x) < MIN_SHAPE_MODELS:
        comparison = _comparison((lo, hi), worse)
        span = float(x[-1] - x[0])
        return Trend(label=_LABEL_OF_COMPARISON[comparison], slope_ci=(lo / span, hi / span),
                     spearman=math.nan, monotonic=False, shape=None, comparison=comparison, **common)
    boot = bootstrap_means(v, resamples=resamples, seed=seed)
    boot_slopes = boot @ weights
    ci = (float(np.quantile(boot_slopes, _TAIL)), float(np.quantile(boot_slopes, 1 - _TAIL)))
    oriented = sorted((worse * ci[0], worse * ci[1]))
    steps = np.diff(means)
    label = _label(worse * means, worse * boot, (oriented[0], oriented[1]))
    return Trend(label=label, slope_ci=ci, spearman=spearman(x, means),
                 monotonic=bool(np.all(steps > 0) or np.all(steps < 0)), shape=label, comparison=None,
                 **common)
