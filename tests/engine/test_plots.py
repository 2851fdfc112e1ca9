"""The command line's scaling figure: one line per file, and the baseline named for what it is."""

from __future__ import annotations

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
