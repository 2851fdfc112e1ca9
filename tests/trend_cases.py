"""Series trends for the plain tests of the verdict and the reviewers' suggestions: a series of two models
gets the engine's own trend of planted values (so its comparison, headline and monotonicity are the
engine's); three or more models a Trend with the given shape (the shape rule is tested in the engine)."""

from __future__ import annotations

import math

from evaluation.engine.trends import PER_DECADE, Trend, trend
from evaluation.verdicts import SeriesTrend

SMALLER = [1.0, 2.0, 3.0, 4.0]  # the smaller model's per-example values (higher is worse)
LARGER = {"inverse": [2.0, 3.0, 4.0, 5.0],  # every example worse by 1: the interval is (1, 1)
          "standard": [0.0, 1.0, 2.0, 3.0],  # better by 1
          "flat": [2.0, 1.0, 4.0, 3.0]}  # +1, -1, +1, -1: a mean difference of 0, the interval around it


def two_models(label: str) -> Trend:
    found = trend([1_000_000, 3_000_000], [SMALLER, LARGER[label]], worse=1)
    assert found is not None and found.label == label and found.models == 2
    return found


def shaped(label: str, *, monotonic: bool = False, models: int = 3) -> Trend:
    return Trend(label=label, slope=0.5, slope_ci=(0.25, 0.75), spearman=1.0 if monotonic else 0.5,
                 monotonic=monotonic, models=models, shape=label, comparison=None, difference=1.0,
                 difference_ci=(0.5, 1.5), slope_unit=PER_DECADE)


def series_trend(series: str, label: str, *, private: bool = False, monotonic: bool = False,
                 models: int = 3) -> SeriesTrend:
    assert models >= 3 or not monotonic, "the engine never calls two models monotonic"
    found = two_models(label) if models == 2 else shaped(label, monotonic=monotonic, models=models)
    return SeriesTrend(series, private=private, trend=found)


assert math.isnan(two_models("flat").spearman)
