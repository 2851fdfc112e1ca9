"""Display helpers for the review side's templates."""

from __future__ import annotations

from django import template

from reviews.models import LEVEL_CHOICES

register = template.Library()
_LEVEL_LABELS = dict(LEVEL_CHOICES)


@register.filter
def usd(amount) -> str:
    """20000 -> "$20,000"."""
    return f"${int(amount):,}"


@register.filter
def level_label(level: str | None) -> str:
    """no_prize -> "No prize"; an empty level -> "—"."""
    return _LEVEL_LABELS.get(level or "", "—")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
