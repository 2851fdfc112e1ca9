"""Number formats of the results tables, and the Plotly template the pages' figures share."""

from __future__ import annotations

import math

from django import template
from django.utils.html import json_script

from evaluation.engine.intervals import Z95
from evaluation.engine.metrics import get_metric
from evaluation.plots import page_template

register = template.Library()


@register.filter
def num(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.4f}"


@register.filter
def ci95(sem) -> str:
    return "—" if sem is None else f"{Z95 * sem:.4f}"


@register.filter
def size(value) -> str:
    """1.5B, 355M, 70M; FLOPs as 3.1e+21."""
    if not value:
        return "—"
    if value >= 1e15:
        return f"{value:.2g}"
    for unit, step in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= step:
            return f"{value / step:.3g}{unit}"
    return str(int(value))


@register.filter
def accuracy_heading(metric: str) -> str:
    """The accuracy column's heading for a metric: what the accuracy measures ("Accuracy on other_prompt only")."""
    return get_metric(metric).accuracy_heading


@register.filter
def accuracy_measures(metric: str) -> str:
    """What the accuracy of a metric measures, in full; "" for a metric without one."""
    return get_metric(metric).accuracy_label or ""


@register.simple_tag
def percent(done, total) -> str:
    return "0" if not total else f"{min(100.0, 100.0 * done / total):.1f}"


@register.simple_tag
def plotly_page_template() -> str:
    """The figures' shared Plotly template as a JSON script (id "plotly-template"), for evaluation.js."""
    return json_script(page_template(), "plotly-template")
