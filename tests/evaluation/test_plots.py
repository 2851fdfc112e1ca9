"""The submission page's figures: the metric's baseline line is named for what it is, the error bars
are the 95% interval exactly as the command line's figures draw them (the accuracy's Wilson interval
on an axis from 0), the axis says which way is worse and the title what is plotted, wrapped to fit."""

from __future__ import annotations

import re
from statistics import NormalDist

import pytest
from django.template.loader import render_to_string

from evaluation import plots
from evaluation.engine.plots import TITLE_CHARS, accuracy_figure, scaling_figure
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


def accuracy_results(points, *, baseline_accuracy=0.5) -> FileResults:
    series = ModelSeries(name="demo", visibility=ModelSeries.PUBLIC, x_axis=ModelSeries.PARAMS)
    rows = [ModelPoint(LanguageModel(name=f"m{k}", series=series, params=10 ** (6 + k)),
                       Result(n=n, mean=0.5, sem=0.01, accuracy=acc, baseline=0.0, baseline_accuracy=baseline_accuracy))
            for k, (acc, n) in enumerate(points)]
    return FileResults(name="premise-sensitivity-PART1.csv", kind="part", index=1, rows=300, sha256="0" * 64,
                       series=[SeriesResults(series, rows, None)])


def test_accuracy_has_the_command_lines_wilson_bars_an_axis_from_0_and_says_what_it_measures():
    results = accuracy_results([(1.0, 300), (0.5, 300), (8 / 300, 300)])
    fig = plots.accuracy_figure(results, metric="logodds")
    bars = fig["data"][0]["error_y"]
    # Wilson 95%: 300 of 300, 150 of 300, 8 of 300 (not a collapse to nothing)
    assert bars["arrayminus"] == pytest.approx([0.012642971224532285, 0.05622048386608308, 0.013093596858019588],
                                               abs=1e-12)
    assert bars["array"] == pytest.approx([0.0, 0.05622048386608314, 0.025062276283923154], abs=1e-12)
    assert fig["layout"]["yaxis"]["range"] == [0, 1]
    assert fig["layout"]["yaxis"]["title"]["text"] == "accuracy (lower is worse)"
    assert fig["layout"]["legend"]["title"]["text"] == "series (error bars: 95% CI)"
    assert fig["layout"]["title"]["text"].split("<br>") == [
        "premise-sensitivity-PART1.csv: accuracy on", "other_prompt only (the answer gets the higher",
        "probability after other_prompt)"]
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["chance"]
    summary = {"files": [{"name": "f.csv", "kind": "part", "models": [p.as_dict() for p in results.series[0].points]}]}
    command_line = accuracy_figure(summary, metric="logodds").to_plotly_json()["data"][0]["error_y"]
    assert (command_line["array"], command_line["arrayminus"]) == (bars["array"], bars["arrayminus"])


def test_the_metric_figures_axis_says_which_way_is_worse_and_its_title_fits():
    results = file_results(0.0)
    for point in results.series[0].points:
        point.result.mean = -point.result.mean - 0.1  # a logodds task whose effect is negative
    fig = plots.metric_figure(results, metric="logodds")
    assert fig["layout"]["yaxis"]["title"]["text"] == "log-odds difference (lower is worse)"
    lines = fig["layout"]["title"]["text"].split("<br>")
    assert lines == ["t.csv: log-odds difference (the answer's", "log-odds after prompt minus after other_prompt)"]
    assert max(len(line) for line in lines) <= TITLE_CHARS
    assert (fig["layout"]["margin"]["t"], fig["layout"]["height"]) == (30 + 22 * 2, 380 + 22)  # room for two lines
    assert plots.metric_figure(file_results(0.69), metric="classification")["layout"]["yaxis"]["title"]["text"] == (
        "loss (higher is worse)")


@pytest.mark.parametrize(("metric", "heading", "measures"), [
    ("logodds", "Accuracy on other_prompt only",
     "accuracy on other_prompt only (the answer gets the higher probability after other_prompt)"),
    ("absolute_logodds", "Accuracy on other_prompt only",
     "accuracy on other_prompt only (the answer gets the higher probability after other_prompt)"),
    ("classification", "Accuracy", "accuracy (the answer gets the highest probability among the classes)"),
    ("sequence_prob", "Accuracy", ""),
])
def test_the_tables_accuracy_column_says_what_it_measures(metric, heading, measures):
    results = accuracy_results([(1.0, 300), (0.5, 300)])
    page = render_to_string("evaluation/_file.html", {"view": {"file": results, "figures": [], "metric": metric},
                                                      "card": 1})
    assert re.findall(r'<th class="text-end accuracy-heading" title="([^"]*)">(.*?)</th>', page) == [
        (measures, heading)]
