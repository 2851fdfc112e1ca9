"""The one interval convention (evaluation/engine/intervals.py): 95%, by definition."""

from __future__ import annotations

import math
import statistics

import pytest

from evaluation.engine.intervals import (
    CONFIDENCE,
    INTERVAL_LABEL,
    Z95,
    accuracy_error,
    mean_error,
    paired_difference,
    wilson_interval,
)


def test_the_convention_is_95_percent():
    assert (CONFIDENCE, INTERVAL_LABEL) == (0.95, "95% CI")
    assert statistics.NormalDist().cdf(Z95) == pytest.approx(0.975, abs=1e-15)
    assert (mean_error(0.5), mean_error(None), mean_error(0.0)) == (0.979981992270027, 0.0, 0.0)


def test_paired_difference_is_the_mean_difference_with_1_96_standard_errors_of_it():
    before, after = [1.0, 2.0, 3.0, 4.0, 5.0], [1.5, 2.0, 3.75, 4.25, 6.0]  # differences .5 0 .75 .25 1
    mean, lo, hi = paired_difference(before, after)
    sem = statistics.stdev([0.5, 0.0, 0.75, 0.25, 1.0]) / math.sqrt(5)  # 0.1767766952966369
    assert mean == 0.5
    assert (lo, hi) == pytest.approx((0.5 - Z95 * sem, 0.5 + Z95 * sem), rel=1e-14)
    assert (lo, hi) == pytest.approx((0.1535240439125805, 0.8464759560874195), rel=1e-14)  # 0.5 ± 0.34647595608741950


def test_paired_difference_needs_the_same_examples_and_two_for_an_interval():
    mean, lo, hi = paired_difference([1.0], [3.5])
    assert mean == 2.5 and math.isnan(lo) and math.isnan(hi)
    with pytest.raises(ValueError, match="^a paired difference needs the same examples on both sides, not 2 and 1$"):
        paired_difference([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="not 0 and 0"):
        paired_difference([], [])


def test_wilson_interval_stays_within_0_and_1_and_does_not_collapse_at_the_ends():
    assert wilson_interval(0, 20) == pytest.approx((0.0, 0.16112515805281938), abs=1e-15)
    assert wilson_interval(20, 20) == pytest.approx((0.8388748419471803, 1.0), abs=1e-14)
    assert wilson_interval(150, 300) == pytest.approx((0.4437795161339168, 0.5562204838660831), abs=1e-14)
    assert wilson_interval(149.99999999, 300) == wilson_interval(150, 300)  # a pooled accuracy x n is a count
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    assert accuracy_error(0.5, 300) == pytest.approx((0.05622048386608319, 0.05622048386608314), abs=1e-14)
    assert accuracy_error(None, 300) == accuracy_error(0.5, 0) == (0.0, 0.0)
