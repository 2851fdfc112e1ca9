"""The command line's figures: one line per file, the baseline named for what it is, error bars of
the 95% interval as the portal draws them, the accuracy's Wilson interval on an axis from 0, the y
axis saying which way is worse, and titles wrapped to fit a half-page figure."""

from __future__ import annotations

import math
from statistics import NormalDist

import plotly.offline
import pytest

from evaluation.engine.plots import TITLE_CHARS, accuracy_figure, figure_title, scaling_figure, write_scaling_html


def summary(baseline: float | None) -> dict:
    models = [{"model": "small", "params": 1e6, "mean": 0.9, "sem": 0.1, "baseline": baseline},
              {"model": "large", "params": 1e7, "mean": 1.1, "sem": 0.1, "baseline": baseline}]
    return {"files": [{"name": "t.csv", "kind": "main", "models": models}]}


@pytest.mark.parametrize(("metric", "baseline", "label"), [
    ("classification", 0.6931, "chance (t.csv)"),
    ("logodds", 0.0, "no change (t.csv)"),
    ("absolute_logodds", 0.0, "no change (t.csv)"),
])
def test_the_baseline_line_says_what_it_is(metric, baseline, label):
    fig = scaling_figure(summary(baseline), metric=metric).to_plotly_json()
    assert [(s["y0"], s["y1"]) for s in fig["layout"]["shapes"]] == [(baseline, baseline)]
    assert [a["text"] for a in fig["layout"]["annotations"]] == [label]
    assert fig["data"][0]["x"] == [1e6, 1e7] and fig["layout"]["xaxis"]["type"] == "log"


def test_sequence_prob_has_no_baseline_line():
    fig = scaling_figure(summary(None), metric="sequence_prob").to_plotly_json()
    assert "shapes" not in fig["layout"] and "annotations" not in fig["layout"]


def test_error_bars_are_the_95_percent_interval_and_the_legend_says_so():
    models = [{"model": "small", "params": 1e6, "mean": 0.9, "sem": 0.1, "baseline": None},
              {"model": "large", "params": 1e7, "mean": 1.1, "sem": 0.025, "baseline": None},
              {"model": "one-example", "params": 1e8, "mean": 1.3, "sem": None, "baseline": None}]
    fig = scaling_figure({"files": [{"name": "t.csv", "kind": "main", "models": models}]},
                         metric="sequence_prob").to_plotly_json()
    # 1.96 standard errors: the normal's 97.5% quantile, 1.959963984540054 (correctly rounded)
    assert NormalDist().inv_cdf(0.975) == pytest.approx(1.959963984540054, abs=1e-15)
    assert fig["data"][0]["error_y"]["array"] == [0.1959963984540054, 0.04899909961350135, 0.0]
    assert fig["layout"]["legend"]["title"]["text"] == "file (error bars: 95% CI)"
    assert "(95% CI)" in fig["data"][0]["hovertemplate"]


# --- accuracy, which way is worse, titles --------------------------------------------------------


def wilson_by_quadratic(k: int, n: int) -> tuple[float, float]:
    """The Wilson interval from its definition: the p with (k/n - p)^2 = z^2 p (1 - p) / n."""
    z, ph = 1.959963984540054, k / n
    a, b, c = 1 + z * z / n, -(2 * ph + z * z / n), ph * ph
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def accuracy_summary(points) -> dict:
    models = [{"model": f"m{k}", "params": 10 ** (6 + k), "n": n, "mean": 1.0, "sem": 0.1, "accuracy": acc,
               "baseline": 0.0} for k, (acc, n) in enumerate(points)]
    return {"files": [{"name": "t.csv", "kind": "main", "models": models}]}


def test_accuracy_has_wilson_95_percent_bars_on_an_axis_from_0_to_1():
    fig = accuracy_figure(accuracy_summary([(150 / 300, 300), (8 / 300, 300), (0.0, 20)]),
                          metric="classification").to_plotly_json()
    bars = fig["data"][0]["error_y"]
    expected = [wilson_by_quadratic(k, n) for k, n in ((150, 300), (8, 300), (0, 20))]
    assert bars["arrayminus"] == pytest.approx([a - lo for a, (lo, _) in zip((0.5, 8 / 300, 0.0), expected)], abs=1e-12)
    assert bars["array"] == pytest.approx([hi - a for a, (_, hi) in zip((0.5, 8 / 300, 0.0), expected)], abs=1e-12)
    # 8 of 300: 0.0267 - 0.0131 .. + 0.0251, not a collapse to nothing
    assert (bars["arrayminus"][1], bars["array"][1]) == pytest.approx((0.013093596858019575, 0.02506227628392314),
                                                                     abs=1e-12)
    assert bars["symmetric"] is False
    assert fig["layout"]["yaxis"]["range"] == [0, 1]
    assert fig["layout"]["yaxis"]["title"]["text"] == "accuracy (lower is worse)"
    assert fig["layout"]["legend"]["title"]["text"] == "file (error bars: 95% CI)"
    assert fig["layout"]["title"]["text"] == (
        "Scaling: accuracy (the answer gets the highest<br>probability among the classes)")


def test_a_metric_without_accuracy_has_no_accuracy_figure():
    assert accuracy_figure(accuracy_summary([(None, 10)]), metric="sequence_prob") is None


@pytest.mark.parametrize("metric, means, axis", [
    ("classification", [0.9, 1.1], "loss (higher is worse)"),
    ("sequence_prob", [3.0, 2.0], "loss (higher is worse)"),
    ("logodds", [0.5, 1.5], "log-odds difference (higher is worse)"),
    ("logodds", [-0.5, -1.5], "log-odds difference (lower is worse)"),  # the task's own sign decides
    ("absolute_logodds", [0.5, 1.5], "absolute log-odds difference (higher is worse)"),
])
def test_the_y_axis_says_which_way_is_worse(metric, means, axis):
    models = [{"model": f"m{k}", "params": 10 ** (6 + k), "mean": m, "sem": 0.1, "baseline": None}
              for k, m in enumerate(means)]
    fig = scaling_figure({"files": [{"name": "t.csv", "kind": "main", "models": models}]}, metric=metric)
    assert fig.to_plotly_json()["layout"]["yaxis"]["title"]["text"] == axis


def test_logodds_titles_say_what_is_plotted_and_no_line_is_wider_than_a_half_page_figure():
    summary = accuracy_summary([(0.95, 300), (0.05, 300)])
    title = "premise-sensitivity-with-a-long-name-PART1.csv"
    value = scaling_figure(summary, metric="logodds", title=title).to_plotly_json()["layout"]["title"]["text"]
    accuracy = accuracy_figure(summary, metric="logodds", title=title).to_plotly_json()["layout"]["title"]["text"]
    assert accuracy.split("<br>") == [
        "premise-sensitivity-with-a-long-name-PART1.csv:", "accuracy on other_prompt only (the answer gets",
        "the higher probability after other_prompt)"]
    assert value.split("<br>") == [
        "premise-sensitivity-with-a-long-name-PART1.csv:", "log-odds difference (the answer's log-odds after",
        "prompt minus after other_prompt)"]
    assert max(len(line) for text in (value, accuracy) for line in text.split("<br>")) <= TITLE_CHARS == 48
    assert figure_title("x" * 100)["text"] == "x" * 48 + "<br>" + "x" * 48 + "<br>" + "x" * 4  # no line overflows


def test_plot_html_holds_both_figures_and_plotly_js_once(tmp_path):
    path = write_scaling_html(accuracy_summary([(0.5, 300), (0.25, 300)]), tmp_path / "plot.html",
                              metric="classification", title="t")
    html = path.read_text(encoding="utf-8")
    assert html.count('class="plotly-graph-div"') == 2
    assert html.count(plotly.offline.get_plotlyjs()) == 1
    assert "t: accuracy (the answer gets the highest" in html and "t: loss (\\u2212log p of the answer" in html
