"""The rubric's Strength and Generality as suggested by the evaluation's trend verdicts (plain Python, no Django).

The input is one `SeriesTrend` per series that has a trend on the whole task (the evaluation labels a
series once two or more of its models have results); the output, per criterion, a level and why:

    suggest([SeriesTrend("tiny", private=False, label="inverse", monotonic=False)])
    # {"strength": Suggestion("accepted", "approximately monotonic inverse scaling on tiny (public)"),
    #  "generality": Suggestion("no_prize", "inverse scaling on 1 of 1 series (1 of 1 public, 0 of 0 private)")}

A suggestion only: the reviewer chooses the level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .prizes import ACCEPTED, GRAND, NO_PRIZE

STRENGTH, GENERALITY = "strength", "generality"
INVERSE = "inverse"
LEVEL_WORDS = {NO_PRIZE: "no prize", ACCEPTED: "accepted", GRAND: "grand"}

RULE = (
    "Strength: grand if some series scales inversely with a strictly monotonic trend; accepted if some series "
    "scales inversely but none strictly monotonically; no prize otherwise. "
    "Generality: grand if at least one public and one private series were tested and every one of them scales "
    "inversely; accepted if at least one public and at least one private series scale inversely; no prize "
    "otherwise (for example when no private series scales inversely). "
    "A series counts as tested once it has a trend on the whole task (two or more of its models scored)."
)


@dataclass(frozen=True)
class SeriesTrend:
    series: str
    private: bool
    label: str  # the evaluation's trend label: inverse, standard, flat, U-shaped or inverted-U
    monotonic: bool  # strictly monotonic in model size

    @property
    def name(self) -> str:
        return f"{self.series} ({'private' if self.private else 'public'})"


@dataclass(frozen=True)
class Suggestion:
    level: str  # no_prize, accepted or grand
    reason: str

    def __str__(self) -> str:
        return f"Suggested: {LEVEL_WORDS[self.level]} — {self.reason}"


def _names(trends: Sequence[SeriesTrend]) -> str:
    return ", ".join(t.name for t in trends)


def strength(trends: Sequence[SeriesTrend]) -> Suggestion:
    inverse = [t for t in trends if t.label == INVERSE]
    strict = [t for t in inverse if t.monotonic]
    if strict:
        return Suggestion(GRAND, f"strictly monotonic inverse scaling on {_names(strict)}")
    if inverse:
        return Suggestion(ACCEPTED, f"approximately monotonic inverse scaling on {_names(inverse)}")
    labels = ", ".join(f"{t.name}: {t.label}" for t in trends)
    return Suggestion(NO_PRIZE, f"no series scales inversely ({labels})")


def generality(trends: Sequence[SeriesTrend]) -> Suggestion:
    public = [t for t in trends if not t.private]
    private = [t for t in trends if t.private]
    inverse_public = [t for t in public if t.label == INVERSE]
    inverse_private = [t for t in private if t.label == INVERSE]
    reason = (f"inverse scaling on {len(inverse_public) + len(inverse_private)} of {len(trends)} series "
              f"({len(inverse_public)} of {len(public)} public, {len(inverse_private)} of {len(private)} private)")
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
