"""Plotly figures of a file's results: the metric against model size (log x axis), one line per
series with 95% error bars (evaluation/engine/intervals.py: the command line's convention too, and
the legend says so) and the metric's baseline (chance, or "no change" for the log-odds metrics),
and the accuracy where the metric has one.

Pages embed the figures' JSON, and the page template's once (`page_template`), and draw them with
the plotly.js that the Python package ships.
"""

from __future__ import annotations

import functools

import plotly.graph_objects as go
import plotly.io as pio

from evaluation.engine.intervals import INTERVAL_LABEL, mean_error
from evaluation.engine.metrics import get_metric

_AXIS_TITLES = {"params": "parameters", "flops": "training FLOPs"}


def _axis_title(series_rows) -> str:
    axes = {row.series.x_axis for row in series_rows if row.points}
    return " / ".join(_AXIS_TITLES[a] for a in sorted(axes)) or "parameters"


def _line(row, value, error=None) -> go.Scatter:
    points = [p for p in row.points if p.size and value(p) is not None]
    private = " (private)" if row.series.is_private else ""
    return go.Scatter(
        x=[p.size for p in points], y=[value(p) for p in points], mode="lines+markers",
        name=f"{row.series.name}{private}", text=[p.model.name for p in points],
        error_y=dict(type="data", array=[error(p) for p in points], visible=True) if error else None,
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


def _layout(fig: go.Figure, *, title: str, x_title: str, y_title: str, legend: str = "series") -> dict:
    fig.update_layout(title=title, template=None, height=380, margin=dict(l=60, r=20, t=50, b=50),
                      xaxis=dict(title=x_title, type="log"), yaxis=dict(title=y_title),
                      legend=dict(title=legend),
                      showlegend=True)  # the series' name shows even when it is the only line
    return fig.to_plotly_json()


def metric_figure(file_results, *, metric: str) -> dict | None:
    """The metric's mean per model with 95% error bars, one line per series; None without points."""
    rows = [row for row in file_results.series if any(p.size for p in row.points)]
    if not rows:
        return None
    m = get_metric(metric)
    fig = go.Figure([_line(row, lambda p: p.result.mean, lambda p: mean_error(p.result.sem)) for row in rows])
    _baseline(fig, rows, lambda p: p.result.baseline, m.baseline_label)
    return _layout(fig, title=f"{file_results.label}: {m.value_label}", x_title=_axis_title(rows),
                   y_title=m.value_label, legend=f"series (error bars: {INTERVAL_LABEL})")


def accuracy_figure(file_results, *, metric: str) -> dict | None:
    """Accuracy per model, one line per series, for metrics that have an accuracy."""
    if not get_metric(metric).has_accuracy:
        return None
    rows = [row for row in file_results.series if any(p.size and p.result.accuracy is not None for p in row.points)]
    if not rows:
        return None
    fig = go.Figure([_line(row, lambda p: p.result.accuracy) for row in rows])
    _baseline(fig, rows, lambda p: p.result.baseline_accuracy, "chance")
    return _layout(fig, title=f"{file_results.label}: accuracy", x_title=_axis_title(rows), y_title="accuracy")
