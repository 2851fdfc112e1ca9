"""Plotly figures of a file's results: the metric against model size (log x axis), one line per
series with 95% error bars and the metric's baseline (chance, or "no change" for the log-odds
metrics), and the accuracy where the metric has one, with its Wilson 95% interval on an axis from 0.
The conventions are the command line's (evaluation/engine/plots.py): the legend names the interval,
the y axis says which way is worse, the title says what is plotted and is wrapped to the figure.

Pages embed the figures' JSON, and the page template's once (`page_template`), and draw them with
the plotly.js that the Python package ships.
"""

from __future__ import annotations

import functools

import plotly.graph_objects as go
import plotly.io as pio

from evaluation.engine.intervals import accuracy_error, mean_error
from evaluation.engine.metrics import get_metric
from evaluation.engine.plots import ACCURACY_AXIS, ERROR_BARS, figure_title, title_lines, worse_axis

_AXIS_TITLES = {"params": "parameters", "flops": "training FLOPs"}


def _axis_title(series_rows) -> str:
    axes = {row.series.x_axis for row in series_rows if row.points}
    return " / ".join(_AXIS_TITLES[a] for a in sorted(axes)) or "parameters"


def _line(row, value, error) -> go.Scatter:
    """One series' points; `error(point)` gives (below, above), the reach of its 95% interval."""
    points = [p for p in row.points if p.size and value(p) is not None]
    private = " (private)" if row.series.is_private else ""
    below, above = zip(*(error(p) for p in points)) if points else ((), ())
    return go.Scatter(
        x=[p.size for p in points], y=[value(p) for p in points], mode="lines+markers",
        name=f"{row.series.name}{private}", text=[p.model.name for p in points],
        error_y=dict(type="data", symmetric=below == above, array=list(above), arrayminus=list(below), visible=True),
        hovertemplate="%{text}<br>%{x:.3s}<br>%{y:.4f}<extra>%{fullData.name}</extra>")


def _baseline(fig: go.Figure, rows, value, label: str) -> None:
    values = {round(value(p), 9) for row in rows for p in row.points if value(p) is not None}
    if len(values) == 1:
        fig.add_hline(y=values.pop(), line_dash="dot", line_color="gray", annotation_text=label,
                      annotation_position="bottom right")


PAGE_TEMPLATE = "plotly_white"


@functools.cache
def page_template() -> dict:
    """The Plotly template every figure of a page is drawn with, sent once per page (evaluation.js sets
    it on each figure): building it into each figure costs about 15 ms and 7 kB a figure."""
    return pio.templates[PAGE_TEMPLATE].to_plotly_json()


def _layout(fig: go.Figure, *, title: str, x_title: str, y_title: str, y_range=None) -> dict:
    title = figure_title(title)
    fig.update_layout(title=title, template=None, height=380 + 22 * (title_lines(title) - 1),
                      margin=dict(l=60, r=20, t=30 + 22 * title_lines(title), b=50),
                      xaxis=dict(title=x_title, type="log"), yaxis=dict(title=y_title, range=y_range),
                      legend=dict(title=f"series ({ERROR_BARS})"),
                      showlegend=True)  # the series' name shows even when it is the only line
    return fig.to_plotly_json()


def metric_figure(file_results, *, metric: str) -> dict | None:
    """The metric's mean per model with 95% error bars, one line per series; None without points.
    The y axis says which way is worse (for logodds, from the sign of the file's own means)."""
    rows = [row for row in file_results.series if any(p.size for p in row.points)]
    if not rows:
        return None
    m = get_metric(metric)
    fig = go.Figure([_line(row, lambda p: p.result.mean, lambda p: (mean_error(p.result.sem),) * 2) for row in rows])
    _baseline(fig, rows, lambda p: p.result.baseline, m.baseline_label)
    means = [p.result.mean for row in rows for p in row.points if p.size and p.result.mean is not None]
    return _layout(fig, title=f"{file_results.label}: {m.value_label}", x_title=_axis_title(rows),
                   y_title=worse_axis(m.axis_label, m, means))


def accuracy_figure(file_results, *, metric: str) -> dict | None:
    """Accuracy per model with Wilson 95% error bars on a y axis from 0 to 1, one line per series,
    for metrics that have an accuracy; the title says what it measures (on other_prompt only, for
    the log-odds metrics)."""
    m = get_metric(metric)
    if not m.has_accuracy:
        return None
    rows = [row for row in file_results.series if any(p.size and p.result.accuracy is not None for p in row.points)]
    if not rows:
        return None
    fig = go.Figure([_line(row, lambda p: p.result.accuracy, lambda p: accuracy_error(p.result.accuracy, p.result.n))
                     for row in rows])
    _baseline(fig, rows, lambda p: p.result.baseline_accuracy, "chance")
    return _layout(fig, title=f"{file_results.label}: {m.accuracy_label}", x_title=_axis_title(rows),
                   y_title=ACCURACY_AXIS, y_range=[0, 1])


def mean_figure(curves, *, title: str, y_title: str, y_range=None) -> dict | None:
    """Curves averaged over tasks (the organizers' overview of a round: Wei et al.'s Figure 1), one line per
    series: `curves` of (series, points), each point with model, size, mean and tasks (how many it averages)."""
    lines = [go.Scatter(x=[p.size for p in c.points], y=[p.mean for p in c.points], mode="lines+markers",
                        name=f"{c.series.name}{' (private)' if c.series.is_private else ''}",
                        text=[f"{p.model} ({p.tasks} task{'s' if p.tasks != 1 else ''})" for p in c.points],
                        hovertemplate="%{text}<br>%{x:.3s}<br>%{y:.4f}<extra>%{fullData.name}</extra>")
             for c in curves if c.points]
    if not lines:
        return None
    fig = go.Figure(lines)
    _layout(fig, title=title, x_title=_axis_title([c for c in curves if c.points]), y_title=y_title, y_range=y_range)
    fig.update_layout(legend=dict(title="series"))
    return fig.to_plotly_json()
