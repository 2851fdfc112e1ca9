"""Scaling plots: a task's metric against model size, one line per file (Plotly, log x axis).

`scaling_figure(summary, metric=...)` takes the ``summary.json`` structure that
`evaluate.evaluate_task` writes (``{"files": [{"name", "kind", "models": [{"model", "params", "n",
"mean", "sem", ...}]}]}``) and returns a `plotly.graph_objects.Figure`, whose y axis is the
metric's `value_label`; `write_scaling_html` saves it for the command line with the plotly.js that
the Python package ships inlined (never a CDN). The portal draws its own per-series figures.

Models without a parameter count cannot be placed on a size axis and are left out of the plot
(the figure says how many). Error bars are the 95% interval of the mean over examples
(intervals.py, the portal's convention too), and the legend says so.
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from .intervals import INTERVAL_LABEL, mean_error
from .metrics import Metric, get_metric


def scaling_figure(summary: dict, *, metric: Metric | str, title: str | None = None) -> go.Figure:
    """A Plotly figure of `mean` against `params` (log x), one line per file, 95% error bars."""
    metric = get_metric(metric)
    fig = go.Figure()
    left_out = set()
    for file in summary.get("files", []):
        points = [m for m in file.get("models", []) if m.get("params") and m.get("mean") is not None]
        left_out.update(m.get("model") for m in file.get("models", []) if not m.get("params"))
        points.sort(key=lambda m: m["params"])
        if not points:
            continue
        fig.add_trace(go.Scatter(
            x=[m["params"] for m in points],
            y=[m["mean"] for m in points],
            error_y=dict(type="data", array=[mean_error(m.get("sem")) for m in points], visible=True),
            mode="lines+markers",
            name=f"{file['name']} ({file.get('kind', 'main')})",
            text=[m["model"] for m in points],
            hovertemplate=("%{text}<br>%{x:.3s} parameters<br>%{y:.4f} ± %{error_y.array:.4f} "
                           f"({INTERVAL_LABEL})<extra>%{{fullData.name}}</extra>"),
        ))
        baselines = [m.get("baseline") for m in points]
        if all(b is not None for b in baselines) and len({round(b, 9) for b in baselines}) == 1:
            fig.add_hline(y=baselines[0], line_dash="dot", line_color="gray",
                          annotation_text=f"{metric.baseline_label} ({file['name']})", annotation_position="bottom right")
    fig.update_layout(
        title=title or "Scaling",
        xaxis=dict(title="parameters", type="log"),
        yaxis=dict(title=metric.value_label),
        template="plotly_white",
        legend=dict(title=f"file (error bars: {INTERVAL_LABEL})"),
    )
    if left_out:
        fig.add_annotation(text=f"{len(left_out)} model(s) without a parameter count not shown",
                           xref="paper", yref="paper", x=0, y=-0.15, showarrow=False)
    return fig


def write_scaling_html(summary: dict, path: Path, **kwargs) -> Path:
    """The figure as a standalone HTML page with plotly.js inlined (works offline, no CDN)."""
    fig = scaling_figure(summary, **kwargs)
    path = Path(path)
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    return path
