"""The trend rule (evaluation/engine/trends.py) on planted series, for both directions of "worse"."""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pytest

from evaluation.engine.metrics import get_metric
from evaluation.engine.trends import LABELS, PER_DOUBLING, RULE, Trend, bootstrap_means, spearman, trend

SIZES = [1e8, 3e8, 1e9, 3e9, 1e10]
X = np.log10(SIZES)
N = 400


def series(means, noise: float = 1.0, seed: int = 0, shared: float = 0.0) -> list[np.ndarray]:
    """Per-example values of each model: its mean plus example noise (some of it shared by all
    models, as real examples are easier or harder for every model)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(0.0, shared, N)
    return [m + common + rng.normal(0.0, noise, N) for m in means]


RISING = [0.0, 0.5, 1.0, 1.5, 2.0]
FALLING = RISING[::-1]
PEAK = [0.0, 1.5, 2.5, 1.5, 0.0]  # values highest in the middle
DIP = [-m for m in PEAK]


@pytest.mark.parametrize("worse, planted, label", [
    # higher is worse (a loss)
    (+1, RISING, "inverse"), (+1, FALLING, "standard"), (+1, [1.0] * 5, "flat"),
    (+1, PEAK, "U-shaped"), (+1, DIP, "inverted-U"),
    # lower is worse (say a logodds task whose effect is negative)
    (-1, RISING, "standard"), (-1, FALLING, "inverse"), (-1, [1.0] * 5, "flat"),
    (-1, PEAK, "inverted-U"), (-1, DIP, "U-shaped"),
])
def test_planted_series_get_their_label(worse, planted, label):
    got = trend(SIZES, series(planted, noise=1.0), worse=worse)
    assert got.label == label


def test_noisy_series_with_a_small_rise_is_flat_and_a_large_one_is_not():
    small = trend(SIZES, series([0.0, 0.01, 0.02, 0.03, 0.04], noise=3.0, seed=4), worse=1)
    assert small.label == "flat"
    assert small.slope_ci[0] < 0 < small.slope_ci[1]
    large = trend(SIZES, series([0.0, 0.5, 1.0, 1.5, 2.0], noise=3.0, seed=4), worse=1)
    assert large.label == "inverse"


def test_a_bump_within_the_noise_is_not_u_shaped():
    got = trend(SIZES, series([0.0, 0.25, 0.3, 0.25, 0.2], noise=3.0, seed=2), worse=1)
    assert got.label in ("flat", "inverse")  # decided by the slope, not the shape
    assert got.label != "U-shaped"


def test_exact_slope_on_a_noiseless_line():
    means = [0.7 * x - 3.0 for x in X]
    values = [np.full(50, m) for m in means]
    got = trend(SIZES, values, worse=1)
    assert got.slope == pytest.approx(0.7, abs=1e-12)
    # every resample of identical examples gives the same means: the CI collapses on the slope
    assert got.slope_ci == pytest.approx((0.7, 0.7), abs=1e-9)
    assert (got.label, got.spearman, got.monotonic) == ("inverse", 1.0, True)


def test_slope_is_in_the_metric_units_and_order_of_models_does_not_matter():
    values = series(RISING, noise=0.5, seed=3)
    got = trend(SIZES, values, worse=1)
    shuffled = [4, 0, 3, 1, 2]
    again = trend([SIZES[i] for i in shuffled], [values[i] for i in shuffled], worse=1)
    means = [v.mean() for v in values]
    expected = np.polyfit(X, means, 1)[0]  # least squares of mean against log10(size)
    assert got.slope == pytest.approx(expected, abs=1e-12)
    assert again == got


def test_ci_contains_the_true_slope_and_excludes_zero_when_it_should():
    true_slope = 0.8  # per decade of size
    means = [true_slope * (x - X[0]) for x in X]
    got = trend(SIZES, series(means, noise=1.0, seed=11), worse=1)
    lo, hi = got.slope_ci
    assert lo < true_slope < hi
    assert lo > 0  # excludes 0
    flat = trend(SIZES, series([0.0] * 5, noise=1.0, seed=11), worse=1)
    assert flat.slope_ci[0] < 0 < flat.slope_ci[1]


def test_paired_resampling_removes_what_examples_share():
    """Large noise shared by all models (hard and easy examples) does not widen the CI of the slope."""
    paired = trend(SIZES, series(RISING, noise=0.2, shared=5.0, seed=5), worse=1)
    lo, hi = paired.slope_ci
    assert hi - lo < 0.2 and paired.label == "inverse"


def test_spearman_and_monotonic():
    zigzag = trend(SIZES, [np.full(10, m) for m in [0.0, 2.0, 1.0, 3.0, 4.0]], worse=1)
    assert zigzag.spearman == pytest.approx(0.9)  # 1 - 6 * 2 / (5 * 24)
    assert zigzag.monotonic is False
    falling = trend(SIZES, [np.full(10, m) for m in FALLING], worse=1)
    assert (falling.spearman, falling.monotonic) == (-1.0, True)
    tied = trend(SIZES, [np.full(10, m) for m in [0.0, 1.0, 1.0, 2.0, 3.0]], worse=1)
    assert tied.monotonic is False  # strictly monotonic only
    assert tied.spearman == pytest.approx(spearman(np.arange(5.0), np.array([0.0, 1.0, 1.0, 2.0, 3.0])))
    constant = trend(SIZES, [np.full(10, 1.0)] * 5, worse=1)
    assert math.isnan(constant.spearman) and constant.monotonic is False


def test_spearman_ranks_ties_by_their_average():
    assert spearman(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 1.0, 2.0, 3.0])) == pytest.approx(
        0.9486832980505138)  # scipy.stats.spearmanr gives the same
    assert math.isnan(spearman(np.array([1.0, 2.0]), np.array([5.0, 5.0])))


def test_the_seed_makes_it_deterministic():
    values = series(RISING, noise=2.0, seed=8)
    assert trend(SIZES, values, worse=1) == trend(SIZES, values, worse=1)
    assert trend(SIZES, values, worse=1, seed=1).slope_ci != trend(SIZES, values, worse=1, seed=2).slope_ci
    assert np.array_equal(bootstrap_means(np.vstack(values), resamples=50, seed=3),
                          bootstrap_means(np.vstack(values), resamples=50, seed=3))


def test_bootstrap_means_are_means_of_resampled_examples():
    values = np.vstack(series(RISING, noise=1.0, seed=1))
    boot = bootstrap_means(values, resamples=2000, seed=0)
    assert boot.shape == (2000, 5)
    # resampled means centre on the means; their spread is the standard error of the mean
    assert boot.mean(axis=0) == pytest.approx(values.mean(axis=1), abs=0.01)
    sem = values.std(axis=1, ddof=1) / math.sqrt(N)
    assert boot.std(axis=0) == pytest.approx(sem, rel=0.1)


def test_fewer_than_two_models_or_unusable_input():
    assert trend([1e9], [[1.0, 2.0]], worse=1) is None
    assert trend([], [], worse=1) is None
    assert trend([1e9, 1e9], [[1.0], [2.0]], worse=1) is None  # no size difference to measure
    assert trend([1e8, 1e9], [[], []], worse=1) is None
    assert trend([1e8, 1e9], [[1.0, math.inf], [1.0, 2.0]], worse=1) is None
    with pytest.raises(ValueError, match="different numbers of examples"):
        trend([1e8, 1e9], [[1.0, 2.0], [1.0]], worse=1)
    with pytest.raises(ValueError, match="worse must be"):
        trend([1e8, 1e9], [[1.0], [2.0]], worse=0)
    with pytest.raises(ValueError, match="must be positive"):
        trend([0, 1e9], [[1.0], [2.0]], worse=1)


@pytest.mark.parametrize("metric, means, worse", [
    ("classification", [2.0, 1.0], 1), ("sequence_prob", [3.0, 4.0], 1),
    ("logodds", [0.5, 1.5], 1), ("logodds", [-0.5, -1.5], -1), ("logodds", [0.0, 0.0], 1),
    ("absolute_logodds", [0.5, 1.5], 1),
])
def test_each_metric_says_which_way_is_worse(metric, means, worse):
    assert get_metric(metric).worse_direction(means) == worse


def test_a_logodds_task_whose_effect_grows_in_its_own_direction_is_inverse():
    """D negative and more negative with size: the task's own sign says lower is worse."""
    means = [-0.2, -0.6, -1.0, -1.4, -1.8]
    values = series(means, noise=0.5, seed=9)
    worse = get_metric("logodds").worse_direction([v.mean() for v in values])
    assert worse == -1
    assert trend(SIZES, values, worse=worse).label == "inverse"


def test_as_dict_is_the_api_shape_and_json_safe():
    got = Trend(label="flat", slope=0.25, slope_ci=(-0.5, 1.0), spearman=math.nan, monotonic=False, models=2,
                shape=None, comparison="no different", difference=0.1, difference_ci=(-0.2, math.nan),
                slope_unit=PER_DOUBLING)
    assert got.as_dict() == {"label": "flat", "slope": 0.25, "slope_ci": [-0.5, 1.0], "spearman": None,
                             "monotonic": False, "models": 2, "shape": None, "comparison": "no different",
                             "difference": 0.1, "difference_ci": [-0.2, None], "slope_unit": "per doubling of size",
                             "headline": "two models: the larger is no different"}
    assert json.loads(json.dumps(got.as_dict(), allow_nan=False)) == got.as_dict()
    assert set(LABELS) == {"inverse", "standard", "flat", "U-shaped", "inverted-U"}
    assert "97.5%" in RULE and "log10" in RULE and "95%" in RULE and "two models" in RULE and "log2" in RULE


# --- two models: a paired comparison, not a shape ----------------------------------------------

SMALL = [1.0, 1.2, 0.8, 1.4]
LARGE = [2.0, 2.1, 1.9, 2.6]  # differences 1.0, 0.9, 1.1, 1.2


def paired_interval(a, b):
    """The paired 95% interval, straight from its definition (statistics module, not the engine)."""
    d = [y - x for x, y in zip(a, b)]
    half = 1.959963984540054 * statistics.stdev(d) / math.sqrt(len(d))
    return statistics.fmean(d), statistics.fmean(d) - half, statistics.fmean(d) + half


def test_two_models_get_a_comparison_with_the_paired_interval_not_a_shape():
    got = trend([3e8, 1e8], [LARGE, SMALL], worse=+1)  # given largest first: sorted by size
    mean, lo, hi = paired_interval(SMALL, LARGE)
    # sd of the differences sqrt(0.05 / 3), so 1.05 ± 1.959963984540054 x 0.0645497224367903
    assert (mean, lo, hi) == pytest.approx((1.05, 0.923484868811834, 1.176515131188166), rel=1e-12)
    assert got.difference == pytest.approx(mean, rel=1e-12)
    assert got.difference_ci == pytest.approx((lo, hi), rel=1e-12)
    assert (got.models, got.shape, got.comparison, got.label, got.monotonic) == (2, None, "worse", "inverse", False)
    assert math.isnan(got.spearman)
    assert got.headline == "two models: the larger is worse"
    # 3e8 / 1e8 spans less than a decade: the slope is per doubling, log2(3) doublings apart
    assert got.slope_unit == "per doubling of size"
    assert got.slope == pytest.approx(1.05 / math.log2(3), rel=1e-12)
    assert got.slope_ci == pytest.approx((lo / math.log2(3), hi / math.log2(3)), rel=1e-12)


@pytest.mark.parametrize("worse, shift, comparison, label", [
    (+1, -1.05, "better", "standard"),  # the larger model's loss is lower
    (-1, +1.05, "better", "standard"),  # lower is worse (a logodds task with a negative effect): higher is better
    (-1, -1.05, "worse", "inverse"),
    (+1, 0.0, "no different", "flat"),
])
def test_which_way_the_two_model_comparison_goes(worse, shift, comparison, label):
    noise = [0.3, -0.2, 0.25, -0.35]  # the larger model's own noise: the interval of a zero shift holds 0
    got = trend([1e8, 1e10], [SMALL, [s + shift + e for s, e in zip(SMALL, noise)]], worse=worse)
    assert (got.comparison, got.label, got.shape) == (comparison, label, None)
    assert got.slope_unit == "per decade of size"  # two decades apart
    assert got.slope == pytest.approx(got.difference / 2, rel=1e-12)


def test_two_models_with_a_single_example_are_no_different_having_no_interval():
    got = trend([1e8, 1e9], [[1.0], [3.0]], worse=1)
    assert (got.difference, got.comparison, got.label) == (2.0, "no different", "flat")
    assert all(math.isnan(x) for x in got.difference_ci)


def test_a_series_spanning_less_than_a_decade_has_its_slope_per_doubling():
    sizes = [1e8, 2e8, 4e8, 8e8]  # 0.9 decades
    means = [0.3 * k for k in range(4)]  # 0.3 more per doubling
    got = trend(sizes, [np.full(20, m) for m in means], worse=1)
    assert (got.slope_unit, got.shape, got.models, got.comparison) == ("per doubling of size", "inverse", 4, None)
    assert got.slope == pytest.approx(0.3, abs=1e-12)
    assert got.slope_ci == pytest.approx((0.3, 0.3), abs=1e-9)
    assert got.difference == pytest.approx(0.9, abs=1e-12) and got.difference_ci == pytest.approx((0.9, 0.9))
    assert (got.spearman, got.monotonic, got.headline) == (1.0, True, "inverse")
    wide = trend([1e8, 2e8, 1e9], [np.full(20, m) for m in (0.0, 0.1, 0.7)], worse=1)
    assert wide.slope_unit == "per decade of size"  # exactly a decade


def test_three_models_get_a_shape_and_the_difference_of_the_ends():
    got = trend(SIZES[:3], series(RISING[:3], noise=0.5, seed=3), worse=1)
    assert (got.models, got.shape, got.label, got.comparison, got.headline) == (3, "inverse", "inverse", None, "inverse")
    values = series(RISING[:3], noise=0.5, seed=3)
    mean, lo, hi = paired_interval(values[0], values[2])
    assert (got.difference, *got.difference_ci) == pytest.approx((mean, lo, hi), rel=1e-9)
