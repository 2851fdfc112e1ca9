"""The reviews: the rubric, what of which review each user sees, the levels the prize rules combine,
the reviewers' rankings, and a reviewer's own page.

- a review: `shown_reviews` (what of which review a user sees).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from portal.models import Round, Submission
from portal.roles import CONTESTANT, ORGANIZER, REVIEWER, role_of
from portal.selectors import feedback_released

from .. import prizes
from ..models import Assignment, Criterion, Ranking, Review
from .anonymity import submission_labels
from .assignments import (
    active_assignments,
    active_assignments_of_each,
    assignments_visible_to,
    ids_and_filter,
    reviewer_identity,
    reviewer_label,
    without_conflicts,
)
from .rounds import reviews_open


def rubric() -> list[Criterion]:
    """The criteria in order, each with `level_list`: its levels from no_prize to grand."""
    criteria = list(Criterion.objects.prefetch_related("levels"))
    for criterion in criteria:
        criterion.level_list = sorted(criterion.levels.all(), key=lambda lv: prizes.LEVEL_RANK[lv.level])
    return criteria


def criterion_keys() -> list[str]:
    return list(Criterion.objects.values_list("key", flat=True))


@dataclass
class ShownReview:
    """A review as one viewer may see it. None marks what this viewer may not see."""

    assignment_id: int
    number: int
    label: str
    reviewer: str | None  # the username, for those who may know it
    is_own: bool
    status: str
    submitted_at: datetime | None
    levels: dict[str, str]
    to_authors: str
    to_organizers: str | None = None
    revisions: list | None = None


def _shown(review: Review | None, assignment: Assignment, viewer, *, confidential: bool) -> ShownReview:
    own = assignment.reviewer_id == viewer.pk
    return ShownReview(
        assignment_id=assignment.pk, number=assignment.number, label=reviewer_label(viewer=viewer, assignment=assignment),
        reviewer=reviewer_identity(viewer=viewer, assignment=assignment), is_own=own,
        status=review.status if review else Review.DRAFT, submitted_at=review.submitted_at if review else None,
        levels=dict(review.levels) if review else {}, to_authors=review.to_authors if review else "",
        to_organizers=(review.to_organizers if review else "") if confidential or own else None,
        revisions=list(review.revisions.all()) if review and confidential else None)


def review_of(assignment: Assignment) -> Review | None:
    return getattr(assignment, "review", None)


def submitted(assignments: list[Assignment]) -> list[tuple[Assignment, Review]]:
    return [(a, r) for a in assignments if (r := review_of(a)) is not None and r.status == Review.SUBMITTED]


def shown_reviews(*, viewer, submission: Submission) -> list[ShownReview]:
    """The reviews of a submission this viewer may see, and how much of each.

    Organizers: every review (drafts too), with comments to the organizers, identities and history.
    The assigned reviewer: their own review; the other submitted reviews (levels and comments to the
    authors) once their own is submitted. The owner: the submitted reviews' levels and comments to
    the authors, once the round's feedback is released. Anyone else: nothing.
    """
    return shown_reviews_of_each(viewer=viewer, submissions=[submission])[submission.pk]


def shown_reviews_of_each(*, viewer, submissions: Iterable[Submission]) -> dict[int, list[ShownReview]]:
    """Submission id -> shown_reviews, for any number of submissions in a fixed number of queries."""
    submissions = list(submissions)
    shown: dict[int, list[ShownReview]] = {s.pk: [] for s in submissions}
    role = role_of(viewer)
    if role == ORGANIZER:
        for a in active_assignments().filter(submission_id__in=list(shown)).prefetch_related("review__revisions"):
            shown[a.submission_id].append(_shown(review_of(a), a, viewer, confidential=True))
    elif role == REVIEWER:
        assignments = active_assignments_of_each(submissions)
        own = [a for theirs in assignments.values() for a in theirs if a.reviewer_id == viewer.pk]
        mine = {a.submission_id: a for a in without_conflicts(viewer, own)}
        shown.update((pk, _shown_to_reviewer(viewer, mine[pk], theirs)) for pk, theirs in assignments.items()
                     if pk in mine)
    elif role == CONTESTANT:
        released = [s for s in submissions if s.owner_id == viewer.pk and feedback_released(round=s.round)]
        for pk, theirs in active_assignments_of_each(released).items():
            shown[pk] = [_shown(r, a, viewer, confidential=False) for a, r in submitted(theirs)]
    return shown


def _shown_to_reviewer(viewer, mine: Assignment, assignments: list[Assignment]) -> list[ShownReview]:
    """What the reviewer of `mine` sees of the submission's reviews: their own; the others once theirs is in."""
    own_review = review_of(mine)
    shown = [_shown(own_review, mine, viewer, confidential=False)]
    if own_review is not None and own_review.status == Review.SUBMITTED:
        shown += [_shown(r, a, viewer, confidential=False) for a, r in submitted(assignments) if a.pk != mine.pk]
    return shown


def submitted_levels(submission: Submission) -> list[dict[str, str]]:
    """The levels of the submitted reviews of the submission's active assignments, on the current criteria."""
    return submitted_levels_of_each([submission])[submission.pk]


def submitted_levels_of_each(submissions: Iterable[Submission] | QuerySet[Submission],
                             ) -> dict[int, list[dict[str, str]]]:
    """Submission id -> submitted_levels, for any number of submissions in two queries (three for a QuerySet:
    assignments.ids_and_filter): the levels of the submitted reviews of active assignments, in the order the
    assignments were made, read as rows."""
    keys = criterion_keys()
    ids, selected = ids_and_filter(submissions)
    out: dict[int, list[dict[str, str]]] = {pk: [] for pk in ids}
    for submission_id, levels in (Review.objects.filter(assignment__submission_id__in=selected,
                                                        assignment__removed_at__isnull=True, status=Review.SUBMITTED)
                                  .order_by("assignment_id").values_list("assignment__submission_id", "levels")):
        out[submission_id].append({k: levels[k] for k in keys if k in levels})
    return out


def reviewed_for_ranking(*, reviewer, round: Round) -> list[Assignment]:
    """The reviewer's assignments in this round whose review they submitted: what their ranking orders."""
    return [a for a, _ in submitted([a for a in assignments_visible_to(reviewer) if a.submission.round_id == round.pk])]


def ranking_of(*, reviewer, round: Round) -> list[int]:
    ranking = Ranking.objects.filter(reviewer=reviewer, round=round).first()
    return list(ranking.submission_ids) if ranking else []


@dataclass
class ReviewerRound:
    """One round on a reviewer's page: their assignments (with labels) and what they rank, in their order."""

    round: Round
    assignments: list[tuple[Assignment, str]]
    ranked: list[tuple[int, int, str]]  # (submission id, its number in the contest, label), the saved ranking's order first
    open: bool


def reviewer_rounds(reviewer) -> list[ReviewerRound]:
    """The reviewer's page, round by round: the queries do not grow with their assignments."""
    mine = assignments_visible_to(reviewer)
    labels = submission_labels(mine)
    rankings = {r.round_id: list(r.submission_ids) for r in Ranking.objects.filter(reviewer=reviewer)}
    by_round: dict[int, list[Assignment]] = {}
    for a in mine:
        by_round.setdefault(a.submission.round_id, []).append(a)
    out = []
    for round_id, items in by_round.items():
        reviewed = [a.submission_id for a, _ in submitted(items)]  # reviewed_for_ranking, from the same reads
        saved = [sid for sid in rankings.get(round_id, []) if sid in reviewed]
        order = saved + [sid for sid in reviewed if sid not in saved]
        round = items[0].submission.round
        numbers = {a.submission_id: a.submission.number for a in items}
        out.append(ReviewerRound(round=round, assignments=[(a, labels[a.submission_id]) for a in items],
                                 ranked=[(sid, numbers[sid], labels[sid]) for sid in order],
                                 open=reviews_open(round=round)))
    return sorted(out, key=lambda r: (r.round.contest_id, r.round.number))
