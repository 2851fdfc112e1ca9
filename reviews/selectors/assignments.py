"""Who reviews what: the contest's panel, conflicts of interest, the assignments and who may see them,
and how a reviewer is named to each reader.

- an assignment: `assignments_visible_to` (its reviewer, while no conflict stands; organizers);
- a conflict between a reviewer and a submission: `conflict_reason` (the rule is reviews/conflicts.py), and
  what conflicts keep from a reviewer, as they may read it: `panel_seats`;
- a reviewer's identity: `reviewer_label` (organizers see usernames; everyone else "Reviewer N").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from portal.models import Contest, Submission
from portal.roles import ORGANIZER, REVIEWER, role_of

from .. import conflicts
from ..models import Assignment, Conflict, ContestReviewer


@dataclass(frozen=True)
class People:
    """Everyone a submission could be traced to: every version's authors and the owner."""

    names: tuple[str, ...]
    emails: tuple[str, ...]
    affiliations: tuple[str, ...]
    usernames: tuple[str, ...]


def people_of_each(submissions: Iterable[Submission]) -> dict[int, People]:
    """Submission id -> everyone it could be traced to, for any number of submissions in one query."""
    ids = {s.pk for s in submissions}
    if not ids:
        return {}
    owners: dict[int, tuple[str, str]] = {}
    authors: dict[int, list[tuple[str, str, str]]] = {pk: [] for pk in ids}
    for pk, username, owner_email, name, email, affiliation in Submission.objects.filter(pk__in=ids).values_list(
            "pk", "owner__username", "owner__email", "versions__authors__name", "versions__authors__email",
            "versions__authors__affiliation"):
        owners[pk] = (username, owner_email)
        if name is not None:  # None: a submission without a version (no author joined)
            authors[pk].append((name, email, affiliation))
    return {pk: _people(authors[pk], *owners[pk]) for pk in ids}


def _people(authors: list[tuple[str, str, str]], username: str, owner_email: str) -> People:
    emails = {e.lower() for _, e, _ in authors if e} | ({owner_email.lower()} if owner_email else set())
    return People(names=tuple(sorted({n for n, _, _ in authors if n})), emails=tuple(sorted(emails)),
                  affiliations=tuple(sorted({a for _, _, a in authors if a})), usernames=(username,))


def people_of(submission: Submission) -> People:
    return people_of_each([submission])[submission.pk]


def _declared(rows) -> list[conflicts.Declared]:
    return [conflicts.Declared(submission_id=c.submission_id, domain=c.domain) for c in rows]


def conflict_reason(reviewer, submission: Submission) -> str | None:
    """Why this reviewer may not review this submission, or None (the rule: reviews/conflicts.py). The reason
    names authors' addresses, so it is for organizers only."""
    return conflict_pairs(reviewers=[reviewer], submissions=[submission]).get((submission.pk, reviewer.pk))


def conflict_pairs(*, reviewers: Iterable, submissions: Iterable[Submission]) -> dict[tuple[int, int], str]:
    """(submission id, reviewer id) -> the reason, for every conflicted pair (conflict_reason, in bulk: two
    queries whatever the numbers of reviewers and submissions)."""
    return {pair: reason.for_organizers for pair, reason in _conflicts(reviewers, submissions).items()}


def _conflicts(reviewers: Iterable, submissions: Iterable[Submission]) -> dict[tuple[int, int], conflicts.Reason]:
    reviewers = {r.pk: r for r in reviewers}
    emails = {pk: people.emails for pk, people in people_of_each(submissions).items()}
    declared: dict[int, list] = {}
    for conflict in Conflict.objects.filter(reviewer_id__in=list(reviewers)):
        declared.setdefault(conflict.reviewer_id, []).append(conflict)
    pairs = {}
    for submission_id, author_emails in emails.items():
        for r in reviewers.values():
            reason = conflicts.conflict(username=r.username, email=r.email, submission_id=submission_id,
                                        author_emails=author_emails, declared=_declared(declared.get(r.pk, [])))
            if reason is not None:
                pairs[(submission_id, r.pk)] = reason
    return pairs


@dataclass
class PanelSeat:
    """A contest whose reviewer panel the reviewer is on, as their page explains why nothing is assigned:
    the submissions that can be reviewed (a version saved, the round's feedback not released), and those
    that a conflict of interest keeps from them, counted by the reason as the reviewer may read it."""

    contest: Contest
    submissions: int
    blocked: list[tuple[str, int]]  # (conflicts.Reason.for_reviewer, how many submissions), most first

    @property
    def blocked_count(self) -> int:
        return sum(count for _, count in self.blocked)


def panel_seats(reviewer) -> list[PanelSeat]:
    """The reviewer's panels, each with what conflicts of interest keep from them (four queries in all)."""
    contests = contests_reviewed_by(reviewer)
    submissions = list(Submission.objects.filter(contest__in=contests, current_version__isnull=False,
                                                 round__feedback_released_at__isnull=True).only("pk", "contest_id"))
    reasons = _conflicts([reviewer], submissions)
    seats = []
    for contest in contests:
        theirs = [s for s in submissions if s.contest_id == contest.pk]
        counts: dict[str, int] = {}
        for s in theirs:
            if (reason := reasons.get((s.pk, reviewer.pk))) is not None:
                counts[reason.for_reviewer] = counts.get(reason.for_reviewer, 0) + 1
        seats.append(PanelSeat(contest=contest, submissions=len(theirs),
                               blocked=sorted(counts.items(), key=lambda item: (-item[1], item[0]))))
    return seats


def conflicts_of(reviewer) -> QuerySet[Conflict]:
    return Conflict.objects.filter(reviewer=reviewer).select_related("submission__contest")


def panel(contest: Contest) -> list:
    """The contest's reviewers, by username (with their roles)."""
    return [cr.user for cr in ContestReviewer.objects.filter(contest=contest).select_related("user__profile")]


def contests_reviewed_by(reviewer) -> list[Contest]:
    """The contests whose reviewer panel this reviewer is on."""
    return list(Contest.objects.filter(reviewers__user=reviewer).order_by("pk"))


def active_assignments() -> QuerySet[Assignment]:
    """Every assignment not removed, with what the pages show of it (for the selectors of this package)."""
    return (Assignment.objects.filter(removed_at__isnull=True)
            .select_related("reviewer", "submission__owner", "submission__contest", "submission__round__contest",
                            "submission__current_version", "review")
            .order_by("pk"))


def visible(user, assignments: QuerySet[Assignment]) -> list[Assignment]:
    """Those of `assignments` that `user` may see (the rule of assignments_visible_to)."""
    role = role_of(user)
    if role == ORGANIZER:
        return list(assignments)
    if role == REVIEWER:
        return without_conflicts(user, list(assignments.filter(reviewer=user)))
    return []


def without_conflicts(reviewer, assignments: list[Assignment]) -> list[Assignment]:
    """Those of the reviewer's own assignments across which no conflict stands (two queries for all)."""
    if not assignments:
        return []
    conflicted = conflict_pairs(reviewers=[reviewer], submissions=[a.submission for a in assignments])
    return [a for a in assignments if (a.submission_id, reviewer.pk) not in conflicted]


def assignments_visible_to(user) -> list[Assignment]:
    """A reviewer sees their own active assignments while no conflict stands; organizers see all."""
    return visible(user, active_assignments())


def get_assignment_for(*, user, pk: int) -> Assignment:
    """The assignment if this user may see it; otherwise 404, so its existence is not revealed."""
    found = visible(user, active_assignments().filter(pk=pk))
    if not found:
        raise Http404("No such assignment.")
    return found[0]


def active_assignments_of(submission: Submission) -> list[Assignment]:
    return active_assignments_of_each([submission])[submission.pk]


def ids_and_filter(submissions: Iterable[Submission] | QuerySet[Submission]) -> tuple[list[int], object]:
    """The submissions' ids, and what a query selects them by (`submission_id__in=`): for a QuerySet, itself as a
    subquery (one query more for the ids; 10,000 ids in one IN list cost Django more to build than the query
    takes to run), otherwise the ids."""
    if isinstance(submissions, QuerySet):
        return list(submissions.values_list("pk", flat=True)), submissions.values("pk")
    ids = [s.pk for s in submissions]
    return ids, ids


def active_assignments_of_each(submissions: Iterable[Submission] | QuerySet[Submission]) -> dict[int, list[Assignment]]:
    """Submission id -> its active assignments, in the order they were made (one query for all; two for a
    QuerySet, ids_and_filter)."""
    ids, selected = ids_and_filter(submissions)
    out: dict[int, list[Assignment]] = {pk: [] for pk in ids}
    for assignment in active_assignments().filter(submission_id__in=selected):
        out[assignment.submission_id].append(assignment)
    return out


def assignment_load(contest: Contest) -> dict[int, int]:
    """Active assignments per reviewer id in this contest."""
    load: dict[int, int] = {}
    for reviewer_id in active_assignments().filter(submission__contest=contest).values_list("reviewer_id", flat=True):
        load[reviewer_id] = load.get(reviewer_id, 0) + 1
    return load


def eligible_reviewers(contest: Contest) -> list:
    """The panel's reviewer accounts that own no submission in the contest, by username."""
    owners = set(Submission.objects.filter(contest=contest).values_list("owner_id", flat=True))
    return sorted((u for u in panel(contest) if role_of(u) == REVIEWER and u.pk not in owners),
                  key=lambda u: u.username)


def reviewer_identity(*, viewer, assignment: Assignment) -> str | None:
    """The reviewer's username if this viewer may know who they are: organizers and the reviewer themself."""
    if assignment.reviewer_id == getattr(viewer, "pk", None) or role_of(viewer) == ORGANIZER:
        return assignment.reviewer.username
    return None


def numbered_reviewer(number: int) -> str:
    """What everyone but organizers calls a reviewer: "Reviewer N", numbered stably per submission."""
    return f"Reviewer {number}"


def reviewer_label(*, viewer, assignment: Assignment) -> str:
    """How a reviewer is named to `viewer`: numbered_reviewer, with the username for organizers and
    "(you)" for the reviewer themself."""
    label = numbered_reviewer(assignment.number)
    if assignment.reviewer_id == getattr(viewer, "pk", None):
        return f"{label} (you)"
    identity = reviewer_identity(viewer=viewer, assignment=assignment)
    return f"{label} ({identity})" if identity else label
