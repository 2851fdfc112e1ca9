"""The rubric's Strength and Generality as suggested by the evaluation's trend verdicts (plain Python, no Django).

The input is the evaluation's own `SeriesTrend` (evaluation/verdicts.py) per series that has a trend on the
whole task (the evaluation finds a trend once two or more of its models have results); what a trend says
(inverse, strictly inverse, on two models only, its headline) is asked of it, never derived again here. The
output, per criterion, a level and why:

    suggest([SeriesTrend("tiny", private=False, trend=<inverse, 3 models, not monotonic>)])
    # {"strength": Suggestion("accepted", "approximately monotonic inverse scaling on tiny (public)"),
    #  "generality": Suggestion("no_prize", "inverse scaling on 1 of 1 series (1 of 1 public, 0 of 0 private)")}

A series of two models shows no shape and no monotonicity: when its larger model is worse it counts as
inverse, and the reason says it rests on two models.

A suggestion only: the reviewer chooses the level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evaluation.verdicts import SeriesTrend

from .prizes import ACCEPTED, GRAND, NO_PRIZE

STRENGTH, GENERALITY = "strength", "generality"
LEVEL_WORDS = {NO_PRIZE: "no prize", ACCEPTED: "accepted", GRAND: "grand"}

RULE = (
    "Strength: grand if some series scales inversely with a strictly monotonic trend (which takes three or more "
    "models); accepted if some series scales inversely but none strictly monotonically; no prize otherwise. "
    "Generality: grand if at least one public and one private series were tested and every one of them scales "
    "inversely; accepted if at least one public and at least one private series scale inversely; no prize "
    "otherwise (for example when no private series scales inversely). "
    "A series counts as tested once it has a trend on the whole task (two or more of its models scored). "
    "A series of two models has no shape: it counts as scaling inversely when the larger model is worse (its "
    "paired 95% interval above 0), never as strictly monotonic, and the suggestion says it rests on two models."
)

__all__ = ["GENERALITY", "LEVEL_WORDS", "RULE", "STRENGTH", "SeriesTrend", "Suggestion", "generality", "strength",
           "suggest"]


@dataclass(frozen=True)
class Suggestion:
    level: str  # no_prize, accepted or grand
    reason: str

    def __str__(self) -> str:
        return f"Suggested: {LEVEL_WORDS[self.level]} — {self.reason}"


def _names(trends: Sequence[SeriesTrend]) -> str:
    return ", ".join(t.name for t in trends)


def strength(trends: Sequence[SeriesTrend]) -> Suggestion:
    strict = [t for t in trends if t.strictly_inverse]
    if strict:
        return Suggestion(GRAND, f"strictly monotonic inverse scaling on {_names(strict)}")
    shaped = [t for t in trends if t.inverse and not t.on_two_models]
    two = [t for t in trends if t.inverse and t.on_two_models]
    if shaped or two:
        parts = [f"approximately monotonic inverse scaling on {_names(shaped)}"] if shaped else []
        if two:
            parts.append(f"on {_names(two)} the larger of two models is worse (two points show no monotonicity)")
        return Suggestion(ACCEPTED, "; ".join(parts))
    headlines = ", ".join(f"{t.name}: {t.headline}" for t in trends)
    return Suggestion(NO_PRIZE, f"no series scales inversely ({headlines})")


def generality(trends: Sequence[SeriesTrend]) -> Suggestion:
    public = [t for t in trends if not t.private]
    private = [t for t in trends if t.private]
    inverse_public = [t for t in public if t.inverse]
    inverse_private = [t for t in private if t.inverse]
    reason = (f"inverse scaling on {len(inverse_public) + len(inverse_private)} of {len(trends)} series "
              f"({len(inverse_public)} of {len(public)} public, {len(inverse_private)} of {len(private)} private)")
    two = [t for t in trends if t.on_two_models]
    if two:
        reason += "; " + ", ".join(f"{t.name} rests on two models (the larger is {t.comparison})" for t in two)
    if public and private and len(inverse_public) == len(public) and len(inverse_private) == len(private):
        return Suggestion(GRAND, reason)
    if inverse_public and inverse_private:
        return Suggestion(ACCEPTED, reason)
    return Suggestion(NO_PRIZE, reason)


def suggest(trends: Sequence[SeriesTrend]) -> dict[str, Suggestion]:
    """{"strength": ..., "generality": ...}; {} while no series has a trend (no results yet)."""
    if not trends:
        return {}
    return {STRENGTH: strength(trends), GENERALITY: generality(trends)}
