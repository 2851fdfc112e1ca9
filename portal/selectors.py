"""What each user may read. Every page, download and command asks these; no view filters on its own."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .models import Contest, Round, Submission, SubmissionVersion
from .roles import CONTESTANT, ORGANIZER, role_of


def submissions_visible_to(user) -> QuerySet[Submission]:
    """A contestant sees their own submissions; an organizer sees all; anyone else none (yet)."""
    qs = Submission.objects.select_related("contest", "round", "current_version", "owner")
    role = role_of(user)
    if role == ORGANIZER:
        return qs
    if role == CONTESTANT:
        return qs.filter(owner=user)
    return qs.none()


def get_submission_for(*, user, pk: int) -> Submission:
    """The submission if this user may see it; otherwise 404, so its existence is not revealed."""
    return get_object_or_404(submissions_visible_to(user), pk=pk)


def get_version_for(*, user, submission_pk: int, number: int) -> SubmissionVersion:
    submission = get_submission_for(user=user, pk=submission_pk)
    return get_object_or_404(submission.versions.all(), number=number)


def open_round(*, contest: Contest, now=None) -> Round | None:
    """The round accepting new submissions right now, if any."""
    now = now or timezone.now()
    return contest.rounds.filter(opens_at__lte=now, closes_at__gt=now).order_by("number").first()


def edits_open(*, submission: Submission, now=None) -> bool:
    """Edits are accepted until the submission's round closes, or while an organizer reopened it."""
    now = now or timezone.now()
    if now < submission.round.closes_at:
        return True
    return submission.edits_reopened_until is not None and now < submission.edits_reopened_until


def contests_with_rounds() -> QuerySet[Contest]:
    return Contest.objects.prefetch_related("rounds")


def open_contest_ids(contests, *, now=None) -> set[int]:
    """The contests (of `contests_with_rounds`) with a round accepting submissions now, as open_round
    decides: where a "Submit a task" link leads somewhere other than a refusal."""
    now = now or timezone.now()
    return {c.pk for c in contests if any(r.opens_at <= now < r.closes_at for r in c.rounds.all())}


def feedback_released(*, round: Round, now=None) -> bool:
    """Whether the organizers have released this round's feedback (reviews, private-series results)."""
    now = now or timezone.now()
    return round.feedback_released_at is not None and round.feedback_released_at <= now


def next_round(*, contest: Contest, now=None) -> Round | None:
    """The next round to open after `now`, if one is scheduled."""
    now = now or timezone.now()
    return contest.rounds.filter(opens_at__gt=now).order_by("opens_at").first()
