"""The evidence an award rests on, and what deciding an award against it takes (plain Python, no Django).

For each candidate of a round, the awards page shows the evaluation's eligibility (the organizers' decision
and its reason when there is one), the runs not finished on the public and on the private series, and the
reviews submitted against the N the contest asks for. Each of these may leave a gap: the task is not
eligible or not known to be, runs are not finished, fewer than N reviews are submitted. An award for a task
with a gap (confirmed from the proposal or set by hand) needs the organizer to acknowledge each gap, with a
reason; the refusal names every gap left unacknowledged, task by task:

    evidence = Evidence(eligible=False, eligibility_reason="Standard scaling on tiny.", overridden=False,
                        unfinished_public=2, unfinished_private=1, reviews=2, required_reviews=3)
    evidence.gaps()
    # {"eligibility": "not eligible (Standard scaling on tiny)",
    #  "runs": "3 runs not finished (2 public, 1 private)", "reviews": "2 of 3 reviews submitted"}
    refusal([Award("vowels", "second", evidence, Acknowledgement(frozenset({"runs"}), "Scored elsewhere."))])
    # "Not awarded: the evidence is incomplete and not acknowledged for vowels (second): not eligible
    #  (Standard scaling on tiny), 2 of 3 reviews submitted. Tick each gap to award anyway, and give the reason."
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

ELIGIBILITY, RUNS, REVIEWS = "eligibility", "runs", "reviews"
GAPS = (ELIGIBILITY, RUNS, REVIEWS)  # in the order they are told


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Evidence:
    """One candidate's evidence as it stands (the audit log keeps it as_dict with every award against it)."""

    eligible: bool | None  # the evaluation's eligibility; None: not known yet
    eligibility_reason: str  # the rules' reason, or the organizers' decision ("Decided by the organizers: ...")
    overridden: bool  # the organizers decided the eligibility
    unfinished_public: int  # runs queued or running on the public series
    unfinished_private: int  # ... and on the private series
    reviews: int  # submitted reviews
    required_reviews: int  # N: the contest's reviewers per submission
    failed: int = 0  # runs that ended failed (shown beside the rest; an eligibility counts only what finished)

    @property
    def unfinished(self) -> int:
        return self.unfinished_public + self.unfinished_private

    def gaps(self) -> dict[str, str]:
        """What the evidence lacks, each gap (ELIGIBILITY, RUNS, REVIEWS) told in words; {} when complete."""
        gaps = {}
        if self.eligible is not True:
            state = "not eligible" if self.eligible is False else "eligibility not known"
            gaps[ELIGIBILITY] = f"{state} ({self.eligibility_reason.rstrip('.')})"
        if self.unfinished:
            gaps[RUNS] = (f"{_plural(self.unfinished, 'run')} not finished ({self.unfinished_public} public, "
                          f"{self.unfinished_private} private)")
        if self.reviews < self.required_reviews:
            gaps[REVIEWS] = f"{self.reviews} of {self.required_reviews} reviews submitted"
        return gaps

    def gap_labels(self) -> dict[str, str]:
        """The gaps in a few words ("not eligible", "2 runs not finished", "1 of 3 reviews"), for a checkbox
        beside the full text."""
        words = {ELIGIBILITY: "not eligible" if self.eligible is False else "eligibility not known",
                 RUNS: f"{_plural(self.unfinished, 'run')} not finished",
                 REVIEWS: f"{self.reviews} of {self.required_reviews} reviews"}
        return {code: words[code] for code in self.gaps()}

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Acknowledgement:
    """The organizer's word that they award a task despite these gaps of its evidence, and why."""

    gaps: frozenset[str]
    reason: str

    def covers(self, evidence: Evidence) -> dict[str, str]:
        """The gaps of `evidence` this acknowledges, in words (a gap that is no longer there is not kept)."""
        return {code: text for code, text in evidence.gaps().items() if code in self.gaps}


@dataclass(frozen=True)
class Award:
    """An award about to be made: its task, its tier, the evidence under it and the acknowledgement given."""

    task: str
    tier: str
    evidence: Evidence
    acknowledgement: Acknowledgement | None


def unacknowledged(evidence: Evidence, acknowledgement: Acknowledgement | None) -> dict[str, str]:
    """The gaps of `evidence` that `acknowledgement` leaves out."""
    acknowledged = acknowledgement.gaps if acknowledgement else frozenset()
    return {code: text for code, text in evidence.gaps().items() if code not in acknowledged}


def refusal(awards: Sequence[Award]) -> str | None:
    """Why these awards cannot be made as they are, or None: every gap of every award's evidence must be
    acknowledged, and an acknowledgement of a gap needs a reason."""
    left = [(a.task, a.tier, unacknowledged(a.evidence, a.acknowledgement)) for a in awards]
    left = [(task, tier, gaps) for task, tier, gaps in left if gaps]
    if left:
        named = "; ".join(f"{task} ({tier}): {', '.join(gaps.values())}" for task, tier, gaps in left)
        return (f"Not awarded: the evidence is incomplete and not acknowledged for {named}. Tick each gap to award "
                "anyway, and give the reason.")
    unreasoned = [a.task for a in awards if a.evidence.gaps() and not a.acknowledgement.reason.strip()]
    if unreasoned:
        return (f"Give the reason for awarding {', '.join(unreasoned)} on incomplete evidence (it goes into the "
                "audit log).")
    return None
