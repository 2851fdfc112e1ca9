"""Display helpers for the review side's templates."""

from __future__ import annotations

from django import template

from reviews import prizes
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


_LEVEL_LETTERS = {prizes.GRAND: "G", prizes.ACCEPTED: "A", prizes.NO_PRIZE: "N"}


@register.filter
def level_letter(level: str | None) -> str:
    """grand -> "G", accepted -> "A", no_prize -> "N"; an empty level -> "–" (the awards page's legend)."""
    return _LEVEL_LETTERS.get(level or "", "–")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def share(value) -> str:
    """0.96 -> "96.0%"; None -> "—"."""
    return "—" if value is None else f"{100 * value:.1f}%"


@register.filter
def interval(bounds) -> str:
    """(0.902, 0.984) -> "90.2–98.4%"; None -> "—"."""
    return "—" if not bounds else f"{100 * bounds[0]:.1f}–{100 * bounds[1]:.1f}%"


@register.filter
def get_index(sequence, index):
    """sequence[index], or None."""
    try:
        return sequence[index]
    except (IndexError, TypeError):
        return None


@register.filter
def sum_of(values) -> int:
    return sum(values or ())
