"""What writes on the review side while reviewing: the panel, conflicts of interest, assignments, reviews and
rankings, and the audit log every write of the review side goes into. The round's outcome (awards, the
feedback release, the announcement) is written by outcome.py, with the same refusals.

Each function checks who acts and validates everything before it stores anything, records what
it did in the audit log, and raises ReviewsRefused (or a subclass) with the message the page or
API shows: `status` is the HTTP status an API answers with, `field` the form field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from portal.access import is_organizer
from portal.deadlines import format_aoe
from portal.models import Contest, Round, Submission
from portal.refusals import Refused
from portal.roles import ORGANIZER, REVIEWER, role_of
from portal.selectors import feedback_released

from . import conflicts, notifications, prizes, selectors
from .models import (
    Assignment,
    AuditEntry,
    Conflict,
    ContestReviewer,
    Ranking,
    Review,
    ReviewRevision,
)


class ReviewsRefused(Refused):
    """The action is refused; the message says why and what to do."""


class NotAllowed(ReviewsRefused):
    """This user may not do this (role, ownership, a deadline passed)."""

    status = 403


class ConflictRefused(ReviewsRefused):
    """Refused by the current state: a conflict of interest, an existing assignment."""

    status = 409


def audit(*, actor, action: str, contest: Contest | None, message: str, submission: Submission | None = None,
          **data) -> AuditEntry:
    return AuditEntry.objects.create(actor=actor, action=action, contest=contest, submission=submission,
                                     message=message, data=data)


def _require_organizer(user, doing: str) -> None:
    if not is_organizer(user):
        raise NotAllowed(f"Only organizers can {doing}.")


# --- reviewers and conflicts ----------------------------------------------------------------------


def add_reviewer(*, contest: Contest, user, by) -> ContestReviewer:
    """Put a reviewer account on the contest's panel. A contestant of the contest cannot review it."""
    _require_organizer(by, "add reviewers")
    if role_of(user) != REVIEWER:
        raise ReviewsRefused(f"{user.username} is not a reviewer account; set its role to reviewer in the admin "
                             "(Profiles) first.", field="reviewer")
    owned = Submission.objects.filter(contest=contest, owner=user).count()
    if owned:
        raise ReviewsRefused(f"{user.username} owns {owned} submission{'s' if owned > 1 else ''} in {contest}; a "
                             "contestant cannot review the contest they compete in.", field="reviewer")
    member, created = ContestReviewer.objects.get_or_create(contest=contest, user=user, defaults={"added_by": by})
    if created:
        audit(actor=by, action="reviewer_added", contest=contest, message=f"{user.username} joined the panel.",
              reviewer=user.username)
    return member


def _normal_domain(domain: str) -> str:
    try:
        return conflicts.declarable_domain(domain)
    except ValueError as exc:
        raise ReviewsRefused(str(exc), field="domain") from None


def declare_conflict(*, reviewer, by, submission: Submission | None = None, domain: str = "",
                     reason: str = "", contest: Contest | None = None) -> Conflict:
    """A reviewer declares a conflict with an assigned submission or an email domain; an organizer with
    any submission or domain. Assignments across it are removed at once, each with an audit entry.

    The conflict goes into the audit log of the submission's contest; a domain's, into that of every
    contest whose panel the reviewer is on, and of `contest` (the contest whose page it was declared on)."""
    organizer = role_of(by) == ORGANIZER
    if not organizer and by.pk != reviewer.pk:
        raise NotAllowed("Reviewers declare only their own conflicts.")
    if role_of(reviewer) != REVIEWER:
        raise ReviewsRefused(f"{reviewer.username} is not a reviewer.", field="reviewer")
    if (submission is None) == (not domain.strip()):
        raise ReviewsRefused("Name either a submission or an email domain.", field="domain")
    if submission is not None and not organizer and not any(
            a.submission_id == submission.pk for a in selectors.assignments_visible_to(reviewer)):
        raise NotAllowed("You can declare a conflict only with a submission assigned to you; for any other, "
                         "declare an email domain or write to the organizers.")
    domain = _normal_domain(domain) if domain.strip() else ""
    try:
        with transaction.atomic():
            conflict = Conflict.objects.create(
                reviewer=reviewer, submission=submission, domain=domain, reason=reason.strip(), declared_by=by,
                source=Conflict.ORGANIZER if organizer else Conflict.REVIEWER)
            what = f"the domain {domain}" if domain else f"submission {submission.pk} ({submission.task_name})"
            for logged_in in _conflict_contests(reviewer=reviewer, submission=submission, contest=contest):
                audit(actor=by, action="conflict", contest=logged_in, submission=submission,
                      message=f"Conflict of {reviewer.username} with {what}.",
                      reviewer=reviewer.username, domain=domain, reason=conflict.reason)
            _remove_conflicted(Assignment.objects.filter(reviewer=reviewer, removed_at__isnull=True), actor=by)
    except IntegrityError:
        raise ConflictRefused("This conflict is declared already.") from None
    return conflict


def _conflict_contests(*, reviewer, submission: Submission | None, contest: Contest | None) -> list[Contest | None]:
    """The contests whose audit log records a conflict: the submission's; for a domain, every contest whose
    panel the reviewer is on and the one it was declared on (none of them: the log of no contest)."""
    if submission is not None:
        return [submission.contest]
    contests = {c.pk: c for c in selectors.contests_reviewed_by(reviewer)}
    if contest is not None:
        contests.setdefault(contest.pk, contest)
    return [contests[pk] for pk in sorted(contests)] or [None]


def drop_conflicted_assignments(*, submission: Submission) -> list[Assignment]:
    """Remove the submission's assignments that a conflict now stands across (a new version's authors)."""
    with transaction.atomic():
        return _remove_conflicted(Assignment.objects.filter(submission=submission, removed_at__isnull=True),
                                  actor=None)


def drop_conflicted_assignments_of(*, user) -> list[Assignment]:
    """Remove the assignments that a conflict now stands across after this user's email changed: those
    where they review (their address or domain may now be an author's) and those of the submissions they
    own (the owner's address counts as an author's)."""
    with transaction.atomic():
        return _remove_conflicted(Assignment.objects.filter(Q(reviewer=user) | Q(submission__owner=user),
                                                            removed_at__isnull=True).order_by("pk"), actor=None)


def _remove_conflicted(assignments, *, actor) -> list[Assignment]:
    assignments = list(assignments.select_related("reviewer", "submission__contest", "submission__owner"))
    conflicted = selectors.conflict_pairs(reviewers={a.reviewer for a in assignments},
                                          submissions={a.submission for a in assignments})
    removed = []
    for assignment in assignments:
        reason = conflicted.get((assignment.submission_id, assignment.reviewer_id))
        if reason is not None:
            _remove(assignment, actor=actor, reason=f"Conflict of interest: {reason}")
            removed.append(assignment)
    return removed


def _remove(assignment: Assignment, *, actor, reason: str) -> None:
    assignment.removed_at = timezone.now()
    assignment.removed_reason = reason
    assignment.save(update_fields=["removed_at", "removed_reason"])
    audit(actor=actor, action="unassigned", contest=assignment.submission.contest, submission=assignment.submission,
          message=f"Removed {assignment.reviewer.username} ({selectors.numbered_reviewer(assignment.number)}) from "
                  f"{assignment.submission.task_name}: {reason}",
          reviewer=assignment.reviewer.username, number=assignment.number)


# --- assignment -------------------------------------------------------------------------------------


def _check_assignable(*, submission: Submission, reviewer) -> None:
    contest = submission.contest
    if role_of(reviewer) != REVIEWER:
        raise ReviewsRefused(f"{reviewer.username} is not a reviewer.", field="reviewer")
    if not ContestReviewer.objects.filter(contest=contest, user=reviewer).exists():
        raise ReviewsRefused(f"{reviewer.username} is not on the reviewer panel of {contest}; add them to it first.",
                             field="reviewer")
    round = _fresh(submission.round)
    if feedback_released(round=round):
        raise NotAllowed(f"The feedback of {round} is released; its reviews are closed.")
    if Assignment.objects.filter(submission=submission, reviewer=reviewer, removed_at__isnull=True).exists():
        raise ConflictRefused(f"{reviewer.username} is already assigned to {submission.task_name}.")
    reason = selectors.conflict_reason(reviewer, submission)
    if reason is not None:
        raise ConflictRefused(f"No assignment across a conflict of interest: {reason}")
    cap = selectors.review_settings(contest).max_assignments_per_reviewer
    if selectors.assignment_load(contest).get(reviewer.pk, 0) >= cap:
        raise ReviewsRefused(f"{reviewer.username} already has {cap} assignments in {contest}, the cap; raise the "
                             "cap in the contest's review settings to give them more.", field="reviewer")


def _create_assignment(*, submission: Submission, reviewer, by, due_at, automatic: bool) -> Assignment:
    Submission.objects.select_for_update().filter(pk=submission.pk).first()  # numbers are given one at a time
    number = (Assignment.objects.filter(submission=submission).aggregate(n=Max("number"))["n"] or 0) + 1
    assignment = Assignment.objects.create(submission=submission, reviewer=reviewer, number=number, due_at=due_at,
                                           automatic=automatic, assigned_by=by)
    audit(actor=by, action="assigned", contest=submission.contest, submission=submission,
          message=f"Assigned {reviewer.username} as {selectors.numbered_reviewer(number)} of {submission.task_name}"
                  f"{' (automatic)' if automatic else ''}.",
          reviewer=reviewer.username, number=number, due_at=due_at.isoformat() if due_at else None)
    return assignment


def assign(*, submission: Submission, reviewer, by, due_at=None, site: str = "") -> Assignment:
    """Assign a reviewer by hand. The due date defaults to the round's review deadline."""
    _require_organizer(by, "assign reviewers")
    due_at = due_at or selectors.review_deadline(submission.round)
    with transaction.atomic():
        _check_assignable(submission=submission, reviewer=reviewer)
        try:
            assignment = _create_assignment(submission=submission, reviewer=reviewer, by=by, due_at=due_at,
                                            automatic=False)
        except IntegrityError:  # the same pair assigned at the same moment
            raise ConflictRefused(f"{reviewer.username} is already assigned to {submission.task_name}.") from None
        notifications.assigned(reviewer=reviewer, items=[(selectors.submission_label(assignment), due_at)], site=site)
    return assignment


@dataclass
class AutoAssigned:
    created: list[Assignment] = field(default_factory=list)
    short: dict[Submission, str] = field(default_factory=dict)  # submission -> why it has fewer than N


def auto_assign(*, round: Round, by, due_at=None, site: str = "") -> AutoAssigned:
    """Give each submission of the round N reviewers from the panel, balancing load, within the cap, never
    across a conflict (selectors.assignment_plan); explain every submission left short."""
    _require_organizer(by, "assign reviewers")
    if feedback_released(round=_fresh(round)):
        raise NotAllowed(f"The feedback of {round} is released; its reviews are closed.")
    due_at = due_at or selectors.review_deadline(round)
    result = AutoAssigned()
    with transaction.atomic():
        planned = selectors.assignment_plan(round)
        for submission_pk, username in planned.plan.pairs:
            result.created.append(_create_assignment(
                submission=planned.submissions[submission_pk], reviewer=planned.reviewers[username], by=by,
                due_at=due_at, automatic=True))
        labels = selectors.submission_labels(result.created)
        for reviewer in planned.reviewers.values():
            mine = [a for a in result.created if a.reviewer_id == reviewer.pk]
            if mine:
                notifications.assigned(reviewer=reviewer, items=[(labels[a.submission_id], a.due_at) for a in mine],
                                       site=site)
    result.short = {planned.submissions[pk]: why for pk, why in planned.plan.short.items()}
    return result


def unassign(*, assignment: Assignment, by, reason: str) -> None:
    _require_organizer(by, "remove assignments")
    if not reason.strip():
        raise ReviewsRefused("Say why the assignment is removed (it goes into the audit log).", field="reason")
    with transaction.atomic():
        _remove(assignment, actor=by, reason=reason.strip())


# --- reviews and rankings --------------------------------------------------------------------------


def _fresh(round: Round) -> Round:
    """The round as stored now (the caller's copy may predate a release)."""
    return Round.objects.select_related("contest").get(pk=round.pk)


def _ensure_reviews_open(round: Round) -> None:
    round = _fresh(round)
    if not selectors.reviews_open(round=round):
        deadline = selectors.review_deadline(round)
        when = f" on {format_aoe(deadline)}" if deadline and not feedback_released(round=round) else ""
        raise NotAllowed(f"Reviews of {round} closed{when}; reviews can no longer be saved or revised.")


def _validate_levels(levels, *, complete: bool) -> dict[str, str]:
    if not isinstance(levels, dict):
        raise ReviewsRefused("Levels must map each criterion's key to a level.", field="levels")
    keys = selectors.criterion_keys()
    unknown = sorted(set(levels) - set(keys))
    if unknown:
        raise ReviewsRefused(f"Unknown criteria: {', '.join(unknown)}; the criteria are {', '.join(keys)}.",
                             field="levels")
    wrong = sorted(k for k, v in levels.items() if v not in prizes.LEVELS)
    if wrong:
        raise ReviewsRefused(f"Choose a level ({', '.join(prizes.LEVELS)}) for {', '.join(wrong)}.", field="levels")
    missing = [k for k in keys if k not in levels]
    if complete and missing:
        raise ReviewsRefused(f"Rate every criterion before submitting; missing: {', '.join(missing)}.", field="levels")
    return {k: levels[k] for k in keys if k in levels}


def save_review(*, assignment: Assignment, user, levels: dict, to_authors: str = "", to_organizers: str = "",
                submit: bool) -> Review:
    """Save the review as a draft, or submit it; a submitted review is revised by submitting again (until
    the round's review deadline), and every submission and revision is kept."""
    if assignment.reviewer_id != user.pk:
        raise NotAllowed("Only the assigned reviewer writes this review.")
    _ensure_reviews_open(assignment.submission.round)
    levels = _validate_levels(levels, complete=submit)
    with transaction.atomic():
        review, _ = Review.objects.select_for_update().get_or_create(assignment=assignment)
        if review.status == Review.SUBMITTED and not submit:
            raise ReviewsRefused("This review is submitted; a change to it is a revision, so submit it (every "
                                 "version is kept).", field="submit")
        revised = review.status == Review.SUBMITTED
        review.levels, review.to_authors, review.to_organizers = levels, to_authors.strip(), to_organizers.strip()
        if submit:
            review.status = Review.SUBMITTED
            review.submitted_at = review.submitted_at or timezone.now()
        review.save()
        if submit:
            number = review.revisions.count() + 1
            ReviewRevision.objects.create(review=review, number=number, levels=levels, to_authors=review.to_authors,
                                          to_organizers=review.to_organizers)
            audit(actor=user, action="review_revised" if revised else "review_submitted",
                  contest=assignment.submission.contest, submission=assignment.submission,
                  message=f"{selectors.numbered_reviewer(assignment.number)} ({user.username}) "
                          f"{'revised' if revised else 'submitted'} the review of {assignment.submission.task_name}"
                          f"{f' (revision {number})' if revised else ''}.",
                  reviewer=user.username, number=number, levels=levels)
    return review


def save_ranking(*, reviewer, round: Round, submission_ids: list) -> Ranking:
    """The reviewer's ranking (best first) of exactly the submissions of the round they submitted a review of."""
    _ensure_reviews_open(round)
    expected = {a.submission_id for a in selectors.reviewed_for_ranking(reviewer=reviewer, round=round)}
    if not expected:
        raise ReviewsRefused(f"Submit a review of a submission of {round} before ranking.")
    if (not isinstance(submission_ids, list) or len(submission_ids) != len(expected)
            or set(submission_ids) != expected):
        raise ReviewsRefused(f"Rank each of the {len(expected)} submissions of {round} you submitted a review of "
                             "exactly once.", field="ranking")
    with transaction.atomic():
        ranking, _ = Ranking.objects.update_or_create(reviewer=reviewer, round=round,
                                                      defaults={"submission_ids": submission_ids})
        audit(actor=reviewer, action="ranking_saved", contest=round.contest,
              message=f"{reviewer.username} ranked {len(submission_ids)} submissions of {round}.",
              ranking=submission_ids)
    return ranking


# --- exports ------------------------------------------------------------------------------------------


def record_export(*, contest: Contest, by, what: str) -> None:
    audit(actor=by, action="exported", contest=contest, message=f"Exported {what}.", what=what)
