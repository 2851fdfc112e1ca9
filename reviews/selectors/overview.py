"""The organizers' review page: per round, each submission's reviewers and reviews, what automatic
assignment would add (or why a submission stays short of N reviewers), the author scan; the audit log.
The queries grow with the rounds, never with the submissions, reviewers or assignments."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from portal.models import Contest, Round, Submission, SubmissionVersion

from ..assigning import Plan, plan_assignments
from ..models import Assignment, AuditEntry, ReviewRound
from .assignments import active_assignments_of_each, assignment_load, conflict_pairs, eligible_reviewers
from .rounds import review_round, review_settings

AUTHOR_SCAN_PREFIXES = ("The file contains the author", "The file name contains the author")


def author_scan_warnings(version: SubmissionVersion) -> list[dict]:
    """The validator's findings of an author's name or email in the files (for organizers only)."""
    return [w for w in version.warnings if w["message"].startswith(AUTHOR_SCAN_PREFIXES)]


@dataclass
class RoundPlan:
    plan: Plan  # pairs of (submission id, username) to add; why each short submission stays short
    submissions: dict[int, Submission]
    reviewers: dict[str, object]  # username -> user
    assignments: dict[int, list[Assignment]]  # submission id -> its active assignments now


def assignment_plan(round: Round) -> RoundPlan:
    """What automatic assignment would add to the round now (assigning.plan_assignments on the current
    assignments, loads, conflicts and the contest's N and cap), in queries that do not grow with the
    numbers of submissions, reviewers and assignments."""
    settings = review_settings(round.contest)
    submissions = list(Submission.objects.filter(round=round, current_version__isnull=False)
                       .select_related("owner", "contest", "round", "current_version").order_by("pk"))
    reviewers = eligible_reviewers(round.contest)
    names = {u.pk: u.username for u in reviewers}
    conflicted = conflict_pairs(reviewers=reviewers, submissions=submissions)
    load = assignment_load(round.contest)
    assignments = active_assignments_of_each(submissions)
    plan = plan_assignments(
        submissions=[s.pk for s in submissions], reviewers=list(names.values()),
        per_submission=settings.reviewers_per_submission, cap=settings.max_assignments_per_reviewer,
        load={u.username: load.get(u.pk, 0) for u in reviewers},
        assigned={pk: {a.reviewer.username for a in theirs} for pk, theirs in assignments.items()},
        conflicts={(s, names[r]) for s, r in conflicted})
    return RoundPlan(plan=plan, submissions={s.pk: s for s in submissions}, reviewers={u.username: u for u in reviewers},
                     assignments=assignments)


@dataclass
class SubmissionStatus:
    """One submission on the organizers' review page."""

    submission: Submission
    assignments: list[Assignment]
    author_warnings: list[dict]
    needed: int
    would_add: list[str]  # reviewers automatic assignment would add now
    short_reason: str | None  # why it stays short of N even then


@dataclass
class RoundStatus:
    round: Round
    review: ReviewRound
    rows: list[SubmissionStatus]


def review_overview(contest: Contest) -> list[RoundStatus]:
    """Per round: each submission's assignments and reviews, the author-scan warnings, and what automatic
    assignment would add or why the submission stays short of N reviewers."""
    needed = review_settings(contest).reviewers_per_submission
    out = []
    for round in contest.rounds.select_related("contest").order_by("number"):
        planned = assignment_plan(round)
        adds: dict[int, list[str]] = {}
        for submission_pk, username in planned.plan.pairs:
            adds.setdefault(submission_pk, []).append(username)
        rows = [SubmissionStatus(submission=s, assignments=planned.assignments[pk],
                                 author_warnings=author_scan_warnings(s.current_version), needed=needed,
                                 would_add=adds.get(pk, []), short_reason=planned.plan.short.get(pk))
                for pk, s in planned.submissions.items()]
        out.append(RoundStatus(round=round, review=review_round(round), rows=rows))
    return out


def audit_entries(contest: Contest) -> QuerySet[AuditEntry]:
    """The contest's entries, and those of no contest (a partner's token issued: partners/audit.py)."""
    return AuditEntry.objects.filter(Q(contest=contest) | Q(contest=None)).select_related("actor", "submission")


def contests_for_organizers() -> QuerySet[Contest]:
    return Contest.objects.prefetch_related("rounds")
