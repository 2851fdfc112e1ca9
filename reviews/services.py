"""What writes on the review side. Every rule of reviewing, awarding and releasing is here.

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
    Award,
    Conflict,
    ContestReviewer,
    Ranking,
    Review,
    ReviewRevision,
    ReviewRound,
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
    removed = []
    for assignment in assignments.select_related("reviewer", "submission__contest", "submission__owner"):
        reason = selectors.conflict_reason(assignment.reviewer, assignment.submission)
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
        for reviewer in planned.reviewers.values():
            mine = [a for a in result.created if a.reviewer_id == reviewer.pk]
            if mine:
                notifications.assigned(reviewer=reviewer, items=[(selectors.submission_label(a), a.due_at) for a in mine],
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


# --- awards and feedback ---------------------------------------------------------------------------


def _ensure_not_announced(round: Round) -> None:
    if selectors.awards_announced(round):
        raise NotAllowed(f"The awards of {round} are announced; they can no longer change.")


def _upgrade_note(upgraded_from: str, amount: int) -> str:
    return f" (upgraded from {upgraded_from}: ${amount:,} more)" if upgraded_from else ""


def _payable(*, round: Round, row, tier: str, tally: prizes.AwardTally) -> tuple[int, str] | None:
    """The award of the round that giving `row` `tier` makes (prizes.AwardTally.payable, at the tier's
    amount in the contest's settings)."""
    return tally.payable(row.submission.pk, tier, amount=selectors.amount_for(round.contest, tier),
                         paid_before=row.paid_before)


def _cap_refusal(*, proposal: selectors.Proposal, tally: prizes.AwardTally, tier: str) -> ReviewsRefused:
    cap = proposal.caps[tier]
    if proposal.first_round:
        return ReviewsRefused(f"The {tier} prizes of {proposal.round} are full (cap {cap}); lower another award "
                              "first, or raise the cap in the contest's review settings.", field="tier")
    return ReviewsRefused(
        f"The {tier} prizes of {proposal.round.contest} are full: the contest's total cap is {cap}, and "
        f"{tally.from_earlier(tier)} of them were won in earlier rounds; lower another award of {proposal.round} "
        "first, or raise the cap in the contest's review settings.", field="tier")


def confirm_awards(*, round: Round, by) -> list[Award]:
    """Store the allocation the rules propose as the round's awards (replacing any decided before). An
    earlier winner kept at its tier gets no award of this round; one upgraded gets the higher tier's award,
    paying the difference."""
    _require_organizer(by, "decide awards")
    _ensure_not_announced(round)
    proposal = selectors.award_proposal(round)
    if proposal.error:
        raise ReviewsRefused(proposal.error)
    payable, kept = [], []
    for row in proposal.rows:
        if row.proposed:
            terms = _payable(round=round, row=row, tier=row.proposed, tally=proposal.tally)
            if terms is None:
                kept.append(row)
            else:
                payable.append((row, *terms))
    after = prizes.AwardTally(earlier=proposal.tally.earlier,
                              current={row.submission.pk: row.proposed for row, _, _ in payable})
    if (over := after.over_cap(proposal.caps)) is not None:
        raise _cap_refusal(proposal=proposal, tally=after, tier=over)
    with transaction.atomic():
        Award.objects.filter(round=round).delete()
        awards = [Award.objects.create(submission=row.submission, round=round, tier=row.proposed, amount=amount,
                                       upgraded_from=upgraded_from, proposed_tier=row.proposed, decided_by=by)
                  for row, amount, upgraded_from in payable]
        kept_note = ("; kept from earlier rounds: " + ", ".join(f"{r.submission.task_name} {r.proposed}" for r in kept)
                     if kept else "")
        audit(actor=by, action="awards_confirmed", contest=round.contest,
              message=f"Confirmed the proposed awards of {round}: "
                      + (", ".join(f"{a.submission.task_name} {a.tier}{_upgrade_note(a.upgraded_from, a.amount)}"
                                   for a in awards) or "none") + kept_note + ".",
              awards={a.submission_id: a.tier for a in awards}, kept={r.submission.pk: r.proposed for r in kept})
    return awards


def _check_override(*, proposal: selectors.Proposal, row, tier: str) -> None:
    if row.previous_tier and prizes.TIER_RANK[tier] < prizes.TIER_RANK[row.previous_tier]:
        raise ReviewsRefused(f"{row.submission.task_name} won a {row.previous_tier} prize in an earlier round; an "
                             "award is never lowered.", field="tier")
    pk = row.submission.pk
    after = proposal.tally.with_award(pk, tier)
    held = after.highest().get(pk)
    if held is not None and after.counts()[held] > proposal.caps[held]:
        raise _cap_refusal(proposal=proposal, tally=proposal.tally, tier=held)


def override_award(*, round: Round, submission: Submission, tier: str, reason: str, by) -> Award | None:
    """Set one submission's award of the round by hand (`none` takes it away); a reason is required,
    no cap is ever exceeded (counting every prize of the contest, each submission once at its highest
    tier) and an earlier round's award is never lowered. Setting an earlier winner to the tier it holds
    keeps it (no award of this round); a higher tier upgrades it, paying the difference."""
    _require_organizer(by, "decide awards")
    _ensure_not_announced(round)
    if tier not in (*prizes.TIERS, prizes.NONE):
        raise ReviewsRefused(f"Choose a tier: {', '.join(prizes.TIERS)} or none.", field="tier")
    if not reason.strip():
        raise ReviewsRefused("Give the reason for overriding the rules' proposal.", field="reason")
    proposal = selectors.award_proposal(round)
    row = next((r for r in proposal.rows if r.submission.pk == submission.pk), None)
    if row is None:
        raise ReviewsRefused(f"{submission.task_name} is not a candidate in {round}.", field="submission")
    _check_override(proposal=proposal, row=row, tier=tier)
    before = row.award.tier if row.award else (row.previous_tier or prizes.NONE)
    terms = None if tier == prizes.NONE else _payable(round=round, row=row, tier=tier, tally=proposal.tally)
    with transaction.atomic():
        award = None
        if terms is None:
            Award.objects.filter(round=round, submission=submission).delete()
        else:
            amount, upgraded_from = terms
            award, _ = Award.objects.update_or_create(
                round=round, submission=submission,
                defaults={"tier": tier, "amount": amount, "upgraded_from": upgraded_from,
                          "proposed_tier": row.proposed or "", "override_reason": reason.strip(), "decided_by": by})
        note = (" (kept from an earlier round: nothing more is paid)" if tier != prizes.NONE and terms is None
                else _upgrade_note(terms[1], terms[0]) if terms else "")
        audit(actor=by, action="award_overridden", contest=round.contest, submission=submission,
              message=f"{submission.task_name} in {round}: {before} -> {tier}{note} (proposed: "
                      f"{row.proposed or 'none'}). Reason: {reason.strip()}",
              before=before, after=tier, proposed=row.proposed)
    return award


def announce_awards(*, round: Round, by, site: str = "") -> list[Award]:
    """Make the round's awards final and visible to their winners, and email them (an upgrade says so;
    an earlier winner kept at its tier has no award of the round and is not emailed again)."""
    _require_organizer(by, "announce awards")
    _ensure_not_announced(round)
    if not feedback_released(round=_fresh(round)):
        raise ReviewsRefused(f"Release the feedback of {round} first: awards are announced with or after the reviews.")
    awards = list(Award.objects.filter(round=round).select_related("submission__owner", "submission__contest",
                                                                   "submission__current_version"))
    caps = selectors.caps_for(round)
    over = selectors.award_tally(round).over_cap(caps)
    if over is not None:
        counting = "" if selectors.is_first_round(round) else " (counting the earlier rounds' winners)"
        raise ReviewsRefused(f"More {over} prizes are decided than the cap of {caps[over]}{counting}; change the "
                             "awards first.")
    with transaction.atomic():
        review_round, _ = ReviewRound.objects.get_or_create(round=round)
        review_round.awards_announced_at = timezone.now()
        review_round.save(update_fields=["awards_announced_at"])
        audit(actor=by, action="awards_announced", contest=round.contest,
              message=f"Announced {len(awards)} award{'s' if len(awards) != 1 else ''} of {round}.",
              awards={a.submission_id: a.tier for a in awards})
        notifications.awards_announced(round=round, awards=awards, paid_before=selectors.paid_before(round),
                                       site=site)
    return awards


def name_nonprofit(*, award: Award, user, nonprofit: str) -> Award:
    """The winner names a non-profit to receive the prize money (empty: paid to the winner)."""
    if award.submission.owner_id != user.pk or not selectors.awards_announced(award.round):
        raise NotAllowed("Only the winner names a non-profit for an announced award.")
    nonprofit = " ".join(nonprofit.split())
    if len(nonprofit) > 300:
        raise ReviewsRefused("Shorten the non-profit's name to 300 characters.", field="nonprofit")
    with transaction.atomic():
        award.nonprofit = nonprofit
        award.save(update_fields=["nonprofit"])
        audit(actor=user, action="nonprofit_named", contest=award.round.contest, submission=award.submission,
              message=f"{award.submission.task_name}: the {award.tier} prize goes to "
                      f"{nonprofit or 'the winner'}.", nonprofit=nonprofit)
    return award


def release_feedback(*, round: Round, by, site: str = "") -> Round:
    """Release the round's feedback: each contestant may read their reviews (and their announced award),
    and is emailed. Reviews of the round close."""
    _require_organizer(by, "release feedback")
    with transaction.atomic():
        locked = Round.objects.select_for_update().select_related("contest").get(pk=round.pk)
        if feedback_released(round=locked):
            raise ReviewsRefused(f"The feedback of {locked} was released on "
                                 f"{format_aoe(locked.feedback_released_at)}.")
        submissions = list(Submission.objects.filter(round=locked, current_version__isnull=False)
                           .select_related("owner"))
        locked.feedback_released_at = timezone.now()
        locked.save(update_fields=["feedback_released_at"])
        audit(actor=by, action="feedback_released", contest=locked.contest,
              message=f"Released the feedback of {locked} to {len(submissions)} submission"
                      f"{'s' if len(submissions) != 1 else ''}.")
        notifications.feedback_released(round=locked, submissions=submissions, site=site)
    round.feedback_released_at = locked.feedback_released_at
    return locked


def record_export(*, contest: Contest, by, what: str) -> None:
    audit(actor=by, action="exported", contest=contest, message=f"Exported {what}.", what=what)
