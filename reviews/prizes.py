"""The contest's prize rules as plain Python (no Django): combine reviews, tier eligibility, allocation,
and the prizes over the rounds (what the caps count, what is paid).

Levels, lowest first: `no_prize`, `accepted`, `grand`. Tiers, highest first: `grand`, `second`,
`third`; `none` is not a tier. Every tier other than `none` makes an Accepted Task.

    levels = combine([{"strength": "grand", ...}, {"strength": "accepted", ...}])
    eligible_tier(levels)                      # "grand" | "second" | "third" | "none"
    allocate(candidates, caps={"grand": 1, "second": 5, "third": 10})   # {key: tier} of the awarded

A prize is paid once per task over the contest. The caps count each submission once, at its highest
tier over the rounds (AwardTally); a task kept at the tier it won earlier gets no award of a later round,
and one upgraded gets the higher tier's amount less what the earlier rounds paid (AwardTally.payable):

    tally = AwardTally(earlier={7: "second"}, current={})
    tally.with_award(7, "grand").counts()      # {"grand": 1, "second": 0, "third": 0}
    tally.payable(7, "grand", amount=100_000, paid_before=20_000)   # (80_000, "second")
    prize_of(awards).total                     # what a task's awards pay in all
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Protocol

NO_PRIZE, ACCEPTED, GRAND = "no_prize", "accepted", "grand"
LEVELS = (NO_PRIZE, ACCEPTED, GRAND)
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}

SECOND, THIRD, NONE = "second", "third", "none"
TIERS = (GRAND, SECOND, THIRD)  # highest first
TIER_RANK = {NONE: 0, THIRD: 1, SECOND: 2, GRAND: 3}
UNRANKED = Fraction(1, 2)  # the rank score of a submission that no ranking places


def _rank(level: str) -> int:
    try:
        return LEVEL_RANK[level]
    except KeyError:
        raise ValueError(f"Unknown level {level!r}; the levels are {', '.join(LEVELS)}.") from None


def combine(reviews: Sequence[Mapping[str, str]]) -> dict[str, str]:
    """For each criterion, the median level over the submitted reviews; with an even count, the lower
    of the two middle levels. Every review must rate the same criteria. No reviews combine to {}."""
    if not reviews:
        return {}
    criteria = set(reviews[0])
    for number, review in enumerate(reviews, start=1):
        if set(review) != criteria:
            missing = sorted(criteria ^ set(review))
            raise ValueError(f"Review {number} does not rate the same criteria as review 1 "
                             f"(differs on {', '.join(missing)}).")
    combined = {}
    for criterion in sorted(criteria):
        ranks = sorted(_rank(review[criterion]) for review in reviews)
        combined[criterion] = LEVELS[ranks[(len(ranks) - 1) // 2]]
    return combined


def eligible_tier(levels: Mapping[str, str]) -> str:
    """`grand` if every criterion is at grand; `second` if every one is at least accepted and one is
    at grand; `third` if every one is at least accepted; `none` otherwise (and when nothing is rated)."""
    ranks = [_rank(level) for level in levels.values()]
    if not ranks or min(ranks) < LEVEL_RANK[ACCEPTED]:
        return NONE
    if min(ranks) == LEVEL_RANK[GRAND]:
        return GRAND
    if max(ranks) == LEVEL_RANK[GRAND]:
        return SECOND
    return THIRD


def grand_count(levels: Mapping[str, str]) -> int:
    """How many criteria are at `grand`: the first tie-break."""
    return sum(1 for level in levels.values() if level == GRAND)


def tie_break_key(candidate: Mapping) -> tuple:
    """The order of a tier's pool: more grand criteria first, then the higher rank score, then the key."""
    return (-grand_count(candidate["levels"]), -candidate.get("rank_score", 0), candidate["key"])


def _check_candidates(candidates: Sequence[Mapping], caps: Mapping[str, int]) -> None:
    keys = [c["key"] for c in candidates]
    if len(set(keys)) != len(keys):
        raise ValueError("Two candidates have the same key; each submission may appear once.")
    for tier in TIERS:
        if caps.get(tier, 0) < 0:
            raise ValueError(f"The cap for {tier} is negative; set it to 0 or more.")
    for candidate in candidates:
        previous = candidate.get("previous_tier")
        if previous is not None and previous not in TIERS:
            raise ValueError(f"Candidate {candidate['key']!r} has an unknown previous tier {previous!r}.")


def allocate(candidates: Sequence[Mapping], *, caps: Mapping[str, int]) -> dict[Hashable, str]:
    """The awarded keys, each with its tier, filling grand, then second, then third within `caps`.

    Each candidate is a mapping with `key`, `levels` (combined), `rank_score` (higher is better) and
    optionally `previous_tier` (an award from an earlier round). At each tier, the candidates whose
    previous tier it is, and who won nothing higher, keep it first; the remaining slots go to the
    pool (every candidate not yet awarded whose eligible tier is this one or higher), ordered by
    `tie_break_key`. A previous award is never lowered: if more of them hold a tier than its cap
    allows, ValueError says so rather than take one away.
    """
    _check_candidates(candidates, caps)
    awarded: dict[Hashable, str] = {}
    for tier in TIERS:
        cap = caps.get(tier, 0)
        kept = [c["key"] for c in candidates if c.get("previous_tier") == tier and c["key"] not in awarded]
        if len(kept) > cap:
            raise ValueError(f"{len(kept)} submissions already hold a {tier} prize from an earlier round, but "
                             f"the cap for {tier} is {cap}; raise the cap (an award is never taken away).")
        awarded.update((key, tier) for key in kept)
        pool = sorted((c for c in candidates
                       if c["key"] not in awarded and TIER_RANK[eligible_tier(c["levels"])] >= TIER_RANK[tier]),
                      key=tie_break_key)
        awarded.update((c["key"], tier) for c in pool[:cap - len(kept)])
    return awarded


def borda_scores(rankings: Iterable[Sequence[Hashable]]) -> dict[Hashable, Fraction]:
    """Each submission's rank score from the reviewers' rankings (best first), by a normalised Borda count.

    A ranking of k submissions (k >= 2) gives the submission at position i (0 for the first) k-1-i
    points, divided by k-1: the first gets 1, the last 0, whatever k is, so a reviewer with many
    submissions weighs no more than one with few. A submission's score is the mean of its points over
    the rankings that include it; a ranking of a single submission says nothing and is skipped, and a
    submission no ranking places scores UNRANKED (1/2), between first and last. Scores are exact fractions, so
    equal scores tie exactly.
    """
    points: dict[Hashable, list[Fraction]] = {}
    for ranking in rankings:
        if len(set(ranking)) != len(ranking):
            raise ValueError("A ranking lists the same submission twice.")
        k = len(ranking)
        for position, key in enumerate(ranking):
            points.setdefault(key, [])
            if k >= 2:
                points[key].append(Fraction(k - 1 - position, k - 1))
    return {key: (sum(got, Fraction(0)) / len(got) if got else UNRANKED) for key, got in points.items()}


# --- prizes over the rounds ---------------------------------------------------------------------------


def higher_tier(tier: str | None, other: str | None) -> str | None:
    """The higher of two tiers, either of which may be None (no prize)."""
    if tier is None or other is None:
        return other if tier is None else tier
    return tier if TIER_RANK[tier] >= TIER_RANK[other] else other


@dataclass
class AwardTally:
    """The prizes a round's caps count: each submission once, at its highest tier over the awards of the
    contest's earlier rounds (announced or not) and of this round. The first round has no earlier ones."""

    earlier: dict[Hashable, str]  # submission -> its highest tier in the earlier rounds
    current: dict[Hashable, str]  # submission -> the tier of its award of this round

    def highest(self) -> dict[Hashable, str]:
        return {key: higher_tier(self.earlier.get(key), self.current.get(key))
                for key in self.earlier.keys() | self.current.keys()}

    def counts(self) -> dict[str, int]:
        tiers = list(self.highest().values())
        return {tier: tiers.count(tier) for tier in TIERS}

    def from_earlier(self, tier: str) -> int:
        """How many submissions hold `tier` from an earlier round (and nothing higher since)."""
        return sum(1 for key, held in self.highest().items() if held == tier and self.earlier.get(key) == tier)

    def with_award(self, key: Hashable, tier: str) -> AwardTally:
        """The tally if the submission's award of this round were `tier`: `none`, or the tier it won in an
        earlier round (kept), make no award of this round."""
        current = {k: held for k, held in self.current.items() if k != key}
        if tier not in (NONE, self.earlier.get(key)):
            current[key] = tier
        return AwardTally(earlier=self.earlier, current=current)

    def over_cap(self, caps: Mapping[str, int]) -> str | None:
        """The highest tier held by more submissions than its cap, or None."""
        counts = self.counts()
        return next((tier for tier in TIERS if counts[tier] > caps[tier]), None)

    def payable(self, key: Hashable, tier: str, *, amount: int, paid_before: int) -> tuple[int, str] | None:
        """The award of this round that giving the submission `tier` (whose amount is `amount`) makes, as
        (what it pays in this round, the tier it upgrades or ""); None when the submission keeps the tier it
        won in an earlier round (nothing more is paid or announced). An upgrade pays `amount` less what the
        earlier rounds paid (`paid_before`), never less than 0."""
        earlier = self.earlier.get(key)
        if tier == earlier:
            return None
        return max(0, amount - paid_before), earlier or ""


class _Numbered(Protocol):
    number: int


class Awarded(Protocol):
    """What the prize arithmetic reads of an award (reviews.models.Award is one)."""

    tier: str
    amount: int  # what it paid in its round
    round: _Numbered


@dataclass
class Prize:
    """A submission's prize over the contest: its highest tier, paid once over the rounds."""

    award: Awarded  # the award of the highest tier (the latest): its tier, round and what it paid then
    earlier: list[Awarded]  # the lower awards of earlier rounds that it upgrades, earliest first

    @property
    def tier(self) -> str:
        return self.award.tier

    @property
    def paid_earlier(self) -> int:
        """What the lower awards it upgrades paid."""
        return sum(a.amount for a in self.earlier)

    @property
    def total(self) -> int:
        """What is paid in all: the highest tier's amount."""
        return self.paid_earlier + self.award.amount

    @property
    def upgraded_from(self) -> Awarded | None:
        return self.earlier[-1] if self.earlier else None


def prize_of(awards: Sequence[Awarded]) -> Prize | None:
    """The prize that a submission's awards (one a round, earliest first) make, or None."""
    if not awards:
        return None
    best = max(awards, key=lambda a: (TIER_RANK[a.tier], a.round.number))
    return Prize(award=best, earlier=[a for a in awards if a.round.number < best.round.number])
