"""The command line's scaling figure: one line per file, the baseline named for what it is, and
error bars of the 95% interval, as the portal draws them."""

from __future__ import annotations

from statistics import NormalDist

import pytest

from evaluation.engine.plots import scaling_figure


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
