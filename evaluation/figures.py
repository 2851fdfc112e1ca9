"""A file's figures (evaluation/plots.py), cached beside the trends (the same cache, the same fallback).

Building a Plotly figure costs some 10 to 20 ms; a page of results draws two per file. The cache is keyed by
everything a figure reads, so nothing but its inputs decides what it shows: the file's label, the metric,
each series' name, visibility and x axis, each point's model name and size and the numbers of its result,
and the figure code itself (the source of plots.py and of the engine's plot conventions, and plotly's
version). A new result, a renamed model or a changed plot rule makes a new key; no entry is ever stale.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from . import plots, results_cache
from .engine import plots as engine_plots

FIGURES = (plots.metric_figure, plots.accuracy_figure)


@functools.cache
def code_version() -> str:
    """The figure code's own fingerprint: a change to how figures are drawn makes new keys."""
    digest = hashlib.sha256(metadata.version("plotly").encode())
    for module in (plots, engine_plots):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


def _inputs(file_results, metric: str) -> list:
    return [metric, file_results.label, [
        [row.series.name, row.series.is_private, row.series.x_axis,
         [[p.model.name, p.size, p.result.n, p.result.mean, p.result.sem, p.result.accuracy, p.result.baseline,
           p.result.baseline_accuracy] for p in row.points]] for row in file_results.series]]


def figures_key(file_results, *, metric: str) -> str:
    """The cache key of the file's figures: a digest of everything they read."""
    return _key(_inputs(file_results, metric))


def _key(inputs: list) -> str:
    return "figures:" + hashlib.sha256(json.dumps([code_version(), *inputs], default=str).encode()).hexdigest()


def cached(inputs: list, draw: Callable[[], list[dict]]) -> list[dict]:
    """`draw()`'s figures, from the cache when drawn before from the same `inputs` (everything they read)."""
    key = _key(inputs)
    hit = results_cache.get(key)
    if hit is not None:
        return hit
    drawn = draw()
    results_cache.put(key, drawn)
    return drawn


def figures_of(file_results, *, metric: str) -> list[dict]:
    """The file's metric figure and, where the metric has one, its accuracy figure (plots.py), from the cache
    when the same inputs were drawn before."""
    return cached(_inputs(file_results, metric),
                  lambda: [f for f in (figure(file_results, metric=metric) for figure in FIGURES) if f])


def file_view(file_results, *, metric: str, submission=None) -> dict:
    """What the results partial (templates/evaluation/_file.html) draws of one file: its results, its figures and
    its metric (the accuracy column's heading), and the submission its per-example CSV links point at (none on
    a page that links no CSV)."""
    return {"file": file_results, "figures": figures_of(file_results, metric=metric), "metric": metric,
            "submission": submission}
