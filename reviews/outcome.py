"""A round's outcome, as the organizers decide and publish it: the awards (confirmed from the rules' proposal
or overridden with a reason), the feedback released to the contestants, the awards announced to the winners,
and the non-profit a winner names.

A prize is paid once per task over the contest: no cap is ever exceeded, counting every prize of the contest,
each submission once at its highest tier (prizes.AwardTally); an earlier winner kept at its tier gets no award
of a later round, and one upgraded gets the higher tier's award, paying the difference. As in services.py, each
function checks who acts and validates everything before it stores anything, records what it did in the audit
log, and raises ReviewsRefused (or a subclass) with the message the page or API shows.

An award rests on its evidence (evidence.py): one for a task not eligible or not known to be, with runs not
finished or with fewer than N submitted reviews is made only if the organizer acknowledges each of those gaps
with a reason, which the audit log keeps with the evidence as it stood; awards are not announced while runs
of an awarded task are not finished.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from evaluation import selectors as evaluation_selectors
from portal.deadlines import format_aoe
from portal.models import Round, Submission
from portal.selectors import feedback_released

from . import evidence, notifications, prizes, selectors
from .evidence import Acknowledgement
from .models import Award, ReviewRound
from .services import NotAllowed, ReviewsRefused, _fresh, _require_organizer, audit


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


def _check_evidence(awarded: list[tuple[selectors.CandidateRow, str]],
                    acknowledged: Mapping[int, Acknowledgement]) -> None:
    """Refuse unless every gap of the evidence of every (row, tier) about to be awarded is acknowledged with a
    reason (the rule: evidence.refusal)."""
    message = evidence.refusal([evidence.Award(task=row.submission.task_name, tier=tier, evidence=row.evidence,
                                               acknowledgement=acknowledged.get(row.submission.pk))
                                for row, tier in awarded])
    if message:
        raise ReviewsRefused(message, field="acknowledge")


def _acknowledged(*, row: selectors.CandidateRow, round: Round, tier: str, acknowledgement: Acknowledgement | None,
                  by) -> dict:
    """Record an award made on incomplete evidence in the audit log, with the evidence as it stood; what the
    award keeps of it ({} when its evidence was complete)."""
    gaps = acknowledgement.covers(row.evidence) if acknowledgement else {}
    if not gaps:
        return {}
    kept = {"gaps": [[code, text] for code, text in gaps.items()],  # in order (a JSON object's keys may not keep it)
            "reason": acknowledgement.reason.strip(), "evidence": row.evidence.as_dict()}
    audit(actor=by, action="evidence_acknowledged", contest=round.contest, submission=row.submission,
          message=f"{row.submission.task_name} ({tier}) in {round} awarded on incomplete evidence, acknowledged: "
                  f"{', '.join(gaps.values())}. Reason: {kept['reason']}",
          round=round.number, tier=tier, **kept)
    return kept


def confirm_awards(*, round: Round, by, acknowledged: Mapping[int, Acknowledgement] | None = None) -> list[Award]:
    """Store the allocation the rules propose as the round's awards (replacing any decided before). An
    earlier winner kept at its tier gets no award of this round; one upgraded gets the higher tier's award,
    paying the difference. An award whose evidence has gaps (evidence.py) is made only if `acknowledged`
    (submission id -> Acknowledgement) acknowledges each of them, with a reason."""
    _require_organizer(by, "decide awards")
    _ensure_not_announced(round)
    acknowledged = acknowledged or {}
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
    _check_evidence([(row, row.proposed) for row, _, _ in payable], acknowledged)
    with transaction.atomic():
        Award.objects.filter(round=round).delete()
        awards = [Award.objects.create(submission=row.submission, round=round, tier=row.proposed, amount=amount,
                                       upgraded_from=upgraded_from, proposed_tier=row.proposed, decided_by=by,
                                       acknowledgement=_acknowledged(row=row, round=round, tier=row.proposed, by=by,
                                                                     acknowledgement=acknowledged.get(row.submission.pk)))
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


def override_award(*, round: Round, submission: Submission, tier: str, reason: str, by,
                   acknowledgement: Acknowledgement | None = None) -> Award | None:
    """Set one submission's award of the round by hand (`none` takes it away); a reason is required,
    no cap is ever exceeded (counting every prize of the contest, each submission once at its highest
    tier) and an earlier round's award is never lowered. Setting an earlier winner to the tier it holds
    keeps it (no award of this round); a higher tier upgrades it, paying the difference. An award whose
    evidence has gaps (evidence.py) is made only if `acknowledgement` acknowledges each, with a reason."""
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
    if terms is not None:
        _check_evidence([(row, tier)], {submission.pk: acknowledgement} if acknowledgement else {})
    with transaction.atomic():
        award = None
        if terms is None:
            Award.objects.filter(round=round, submission=submission).delete()
        else:
            amount, upgraded_from = terms
            award, _ = Award.objects.update_or_create(
                round=round, submission=submission,
                defaults={"tier": tier, "amount": amount, "upgraded_from": upgraded_from,
                          "proposed_tier": row.proposed or "", "override_reason": reason.strip(), "decided_by": by,
                          "acknowledgement": _acknowledged(row=row, round=round, tier=tier, by=by,
                                                           acknowledgement=acknowledgement)})
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
    _ensure_runs_finished(round=round, awards=awards)
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


def _ensure_runs_finished(*, round: Round, awards: list[Award]) -> None:
    """Refuse while a run of an awarded task (its current version, on any series) is not finished."""
    standing = evaluation_selectors.standing_of_each(versions=[a.submission.current_version for a in awards])
    unfinished = [(a.submission.task_name, standing[a.submission.current_version_id]) for a in awards]
    named = [f"{task} has {s.unfinished_public + s.unfinished_private} ({s.unfinished_public} public, "
             f"{s.unfinished_private} private)" for task, s in unfinished if s.unfinished_public + s.unfinished_private]
    if named:
        raise ReviewsRefused(f"The awards of {round} are not announced while runs of awarded tasks are not finished: "
                             f"{'; '.join(named)}. Announce them once those runs have finished.")


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
