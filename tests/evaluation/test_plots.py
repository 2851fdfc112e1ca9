"""The submission page's figures: the metric's baseline line is named for what it is."""

from __future__ import annotations

import pytest

from evaluation import plots
from evaluation.models import LanguageModel, ModelSeries, Result
from evaluation.selectors import FileResults, ModelPoint, SeriesResults


def file_results(baseline: float) -> FileResults:
    series = ModelSeries(name="demo", visibility=ModelSeries.PUBLIC, x_axis=ModelSeries.PARAMS)
    points = [ModelPoint(LanguageModel(name=f"m{k}", series=series, params=10 ** k),
                         Result(n=300, mean=0.1 * k, sem=0.01, baseline=baseline)) for k in (6, 7)]
    return FileResults(name="t.csv", kind="main", index=None, rows=300, sha256="0" * 64,
                       series=[SeriesResults(series, points, None)])


@pytest.mark.parametrize(("metric", "baseline", "label"), [
    ("classification", 0.6931, "chance"), ("logodds", 0.0, "no change"), ("absolute_logodds", 0.0, "no change")])
def test_the_baseline_line_says_what_it_is(metric, baseline, label):
    fig = plots.metric_figure(file_results(baseline), metric=metric)
    assert [(s["y0"], s["y1"]) for s in fig["layout"]["shapes"]] == [(baseline, baseline)]
    assert [a["text"] for a in fig["layout"]["annotations"]] == [label]
    assert fig["data"][0]["x"] == [10 ** 6, 10 ** 7] and fig["data"][0]["name"] == "demo"
