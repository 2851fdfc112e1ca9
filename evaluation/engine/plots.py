"""Scaling plots: a task's metric against model size, one line per file (Plotly, log x axis).

`scaling_figure(summary)` takes the ``summary.json`` structure that `evaluate.evaluate_task` writes
(``{"files": [{"name", "kind", "models": [{"model", "params", "n", "mean", "sem", ...}]}]}``) and
returns a `plotly.graph_objects.Figure`. The portal can reuse it; a page embeds the figure with the
plotly.js that the Python package ships (``include_plotlyjs=True`` or a static copy), never a CDN.

Models without a parameter count cannot be placed on a size axis and are left out of the plot
(the figure says how many). Error bars are the standard error of the mean over examples.
"""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

METRIC_LABELS = {
    "classification": "loss (−log p of the answer, normalised over classes)",
    "sequence_prob": "loss (−log p of the completion)",
    "logodds": "log-odds difference",
    "absolute_logodds": "absolute log-odds difference",
}


def scaling_figure(summary: dict, *, metric: str | None = None, title: str | None = None) -> go.Figure:
    """A Plotly figure of `mean` against `params` (log x), one line per file, error bars = sem."""
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
            error_y=dict(type="data", array=[m.get("sem") or 0.0 for m in points], visible=True),
            mode="lines+markers",
            name=f"{file['name']} ({file.get('kind', 'main')})",
            text=[m["model"] for m in points],
            hovertemplate="%{text}<br>%{x:.3s} parameters<br>%{y:.4f} ± %{error_y.array:.4f}<extra>%{fullData.name}</extra>",
        ))
        baselines = [m.get("baseline") for m in points]
        if all(b is not None for b in baselines) and len(set(round(b, 9) for b in baselines)) == 1:
            fig.add_hline(y=baselines[0], line_dash="dot", line_color="gray",
                          annotation_text=f"chance ({file['name']})", annotation_position="bottom right")
    metric = metric or summary.get("metric")
    fig.update_layout(
        title=title or summary.get("task_name") or "Scaling",
        xaxis=dict(title="parameters", type="log"),
        yaxis=dict(title=METRIC_LABELS.get(metric, "mean")),
        template="plotly_white",
        legend=dict(title="file"),
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
