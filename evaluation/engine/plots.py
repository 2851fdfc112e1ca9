"""Scaling plots: a task's metric, and its accuracy, against model size (Plotly, log x axis).

`scaling_figure(summary, metric=...)` takes the ``summary.json`` structure that
`evaluate.evaluate_task` writes (``{"files": [{"name", "kind", "models": [{"model", "params", "n",
"mean", "sem", "accuracy", ...}]}]}``) and returns a `plotly.graph_objects.Figure`, one line per
file; `accuracy_figure` does the same for the accuracy of the metrics that have one;
`write_scaling_html` saves both for the command line with the plotly.js that the Python package
ships inlined (never a CDN). The portal draws its own per-series figures with the same conventions:

* error bars are 95% intervals (intervals.py): the mean ± 1.96 standard errors, the accuracy's
  Wilson interval; the legend says so;
* the y axis says which way is worse (for logodds, the task's own sign decides); an accuracy axis
  runs from 0 to 1;
* the title says what is plotted (for the log-odds metrics, that the accuracy is measured on
  other_prompt only), wrapped by `figure_title` so that no line is wider than a half-page figure.

Models without a parameter count cannot be placed on a size axis and are left out of the plot
(the figure says how many).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio

from .intervals import INTERVAL_LABEL, accuracy_error, mean_error
from .metrics import Metric, get_metric

TITLE_CHARS = 48  # a title line at TITLE_SIZE px fits a figure 480 px wide (the portal's half-page column)
TITLE_SIZE = 16
ACCURACY_AXIS = "accuracy (lower is worse)"
ERROR_BARS = f"error bars: {INTERVAL_LABEL}"


def figure_title(text: str) -> dict:
    """A Plotly title whose lines (joined by <br>) hold at most TITLE_CHARS characters each."""
    lines = textwrap.wrap(text, TITLE_CHARS, break_on_hyphens=False) or [""]
    return {"text": "<br>".join(lines), "font": {"size": TITLE_SIZE}}


def title_lines(title: dict) -> int:
    return title["text"].count("<br>") + 1


def worse_axis(label: str, metric: Metric, means) -> str:
    """A y axis title: the value in a few words and which way is worse ("loss (higher is worse)")."""
    return f"{label} ({metric.worse_words(means)})"


def _points(file: dict, value: str) -> list[dict]:
    points = [m for m in file.get("models", []) if m.get("params") and m.get(value) is not None]
    return sorted(points, key=lambda m: m["params"])


def _figure(summary: dict, *, value: str, error, hover: str, title: dict, y_title: str,
            y_range=None) -> go.Figure:
    fig = go.Figure()
    for file in summary.get("files", []):
        points = _points(file, value)
        if not points:
            continue
        below, above = zip(*(error(m) for m in points))
        fig.add_trace(go.Scatter(
            x=[m["params"] for m in points], y=[m[value] for m in points],
            error_y=dict(type="data", symmetric=below == above, array=list(above), arrayminus=list(below),
                         visible=True),
            mode="lines+markers", name=f"{file['name']} ({file.get('kind', 'main')})",
            text=[m["model"] for m in points],
            hovertemplate=f"%{{text}}<br>%{{x:.3s}} parameters<br>{hover}<extra>%{{fullData.name}}</extra>"))
    fig.update_layout(
        title=title, margin=dict(t=40 + 22 * title_lines(title)),
        xaxis=dict(title="parameters", type="log"), yaxis=dict(title=y_title, range=y_range),
        template="plotly_white", legend=dict(title=f"file ({ERROR_BARS})"),
    )
    return fig


def _note_left_out(fig: go.Figure, summary: dict) -> go.Figure:
    left_out = {m.get("model") for f in summary.get("files", []) for m in f.get("models", []) if not m.get("params")}
    if left_out:
        fig.add_annotation(text=f"{len(left_out)} model(s) without a parameter count not shown",
                           xref="paper", yref="paper", x=0, y=-0.15, showarrow=False)
    return fig


def _baseline(fig: go.Figure, file: dict, points: list[dict], key: str, label: str) -> None:
    baselines = [m.get(key) for m in points]
    if points and all(b is not None for b in baselines) and len({round(b, 9) for b in baselines}) == 1:
        fig.add_hline(y=baselines[0], line_dash="dot", line_color="gray",
                      annotation_text=f"{label} ({file['name']})", annotation_position="bottom right")


def scaling_figure(summary: dict, *, metric: Metric | str, title: str | None = None) -> go.Figure:
    """The metric's mean against `params` (log x), one line per file, 95% error bars."""
    metric = get_metric(metric)
    means = [m["mean"] for f in summary.get("files", []) for m in _points(f, "mean")]
    fig = _figure(summary, value="mean", error=lambda m: (mean_error(m.get("sem")),) * 2,
                  hover=f"%{{y:.4f}} ± %{{error_y.array:.4f}} ({INTERVAL_LABEL})",
                  title=figure_title(f"{title or 'Scaling'}: {metric.value_label}"),
                  y_title=worse_axis(metric.axis_label, metric, means))
    for file in summary.get("files", []):
        _baseline(fig, file, _points(file, "mean"), "baseline", metric.baseline_label)
    return _note_left_out(fig, summary)


def accuracy_figure(summary: dict, *, metric: Metric | str, title: str | None = None) -> go.Figure | None:
    """The accuracy against `params`, one line per file, with Wilson 95% error bars and a y axis
    from 0 to 1; None for a metric without accuracy."""
    metric = get_metric(metric)
    if not metric.has_accuracy:
        return None
    fig = _figure(summary, value="accuracy", error=lambda m: accuracy_error(m["accuracy"], m.get("n")),
                  hover=f"%{{y:.4f}} ({INTERVAL_LABEL} −%{{error_y.arrayminus:.4f}} +%{{error_y.array:.4f}})",
                  title=figure_title(f"{title or 'Scaling'}: {metric.accuracy_label}"),
                  y_title=ACCURACY_AXIS, y_range=[0, 1])
    return _note_left_out(fig, summary)


def write_scaling_html(summary: dict, path: Path, *, metric: Metric | str, title: str | None = None) -> Path:
    """The figures as one standalone HTML page with plotly.js inlined (works offline, no CDN)."""
    figures = [f for f in (scaling_figure(summary, metric=metric, title=title),
                           accuracy_figure(summary, metric=metric, title=title)) if f is not None]
    body = "\n".join(pio.to_html(fig, include_plotlyjs=k == 0, full_html=False) for k, fig in enumerate(figures))
    path = Path(path)
    path.write_text(f'<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8" /></head>\n<body>\n{body}\n</body>\n'
                    f'</html>\n', encoding="utf-8")
    return path
