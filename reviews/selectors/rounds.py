"""A contest's review settings and each round's review calendar: deadlines, whether reviews are open,
whether the awards are announced, and the caps and amounts of its prizes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from portal.models import Contest, Round
from portal.selectors import feedback_released

from .. import prizes
from ..models import ReviewRound, ReviewSettings


def review_settings(contest: Contest) -> ReviewSettings:
    """The contest's settings; the defaults (unsaved) until an organizer saves some."""
    return ReviewSettings.objects.filter(contest=contest).first() or ReviewSettings(contest=contest)


def review_settings_of_each(contest_ids: Iterable[int]) -> dict[int, ReviewSettings]:
    """Contest id -> its settings (review_settings, for several contests in one query)."""
    ids = set(contest_ids)
    saved = {s.contest_id: s for s in ReviewSettings.objects.filter(contest_id__in=ids)}
    return {pk: saved.get(pk) or ReviewSettings(contest_id=pk) for pk in ids}


def review_round(round: Round) -> ReviewRound:
    return ReviewRound.objects.filter(round=round).first() or ReviewRound(round=round)


def is_first_round(round: Round) -> bool:
    return not Round.objects.filter(contest_id=round.contest_id, number__lt=round.number).exists()


def caps_for(round: Round) -> dict[str, int]:
    """How many awards of each tier the round's allocation may hold: round 1's caps in the first round
    (never above the totals), the contest's totals (earlier winners included) in later rounds."""
    s = review_settings(round.contest)
    totals = {prizes.GRAND: s.total_grand_cap, prizes.SECOND: s.total_second_cap, prizes.THIRD: s.total_third_cap}
    if not is_first_round(round):
        return totals
    first = {prizes.GRAND: s.round1_grand_cap, prizes.SECOND: s.round1_second_cap, prizes.THIRD: s.round1_third_cap}
    return {tier: min(first[tier], totals[tier]) for tier in prizes.TIERS}


def amount_for(contest: Contest, tier: str) -> int:
    return getattr(review_settings(contest), f"{tier}_amount")


def review_deadline(round: Round) -> datetime | None:
    return review_round(round).review_deadline


def reviews_open(*, round: Round, now=None) -> bool:
    """Reviews of the round's submissions can be saved until its review deadline, and never after its
    feedback is released."""
    now = now or timezone.now()
    if feedback_released(round=round, now=now):
        return False
    deadline = review_deadline(round)
    return deadline is None or now < deadline


def awards_announced(round: Round) -> bool:
    return review_round(round).awards_announced_at is not None
