"""The submission page's figures: the metric's baseline line is named for what it is, and the error
bars are the 95% interval, exactly as the command line's figure draws them."""

from __future__ import annotations

from statistics import NormalDist

import pytest

from evaluation import plots
from evaluation.engine.plots import scaling_figure
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


def test_error_bars_are_the_95_percent_interval_as_on_the_command_line_and_the_legend_says_so():
    results = file_results(0.6931)
    for point, sem in zip(results.series[0].points, (0.1, 0.025)):
        point.result.sem = sem
    fig = plots.metric_figure(results, metric="classification")
    assert NormalDist().inv_cdf(0.975) == pytest.approx(1.959963984540054, abs=1e-15)
    assert fig["data"][0]["error_y"]["array"] == [0.1959963984540054, 0.04899909961350135]  # 1.96 x sem
    assert fig["layout"]["legend"]["title"]["text"] == "series (error bars: 95% CI)"
    summary = {"files": [{"name": "t.csv", "kind": "main", "models": [p.as_dict() for p in results.series[0].points]}]}
    command_line = scaling_figure(summary, metric="classification").to_plotly_json()
    assert command_line["data"][0]["error_y"]["array"] == fig["data"][0]["error_y"]["array"]
