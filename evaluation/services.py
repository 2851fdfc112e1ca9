"""What writes on the evaluation side: registering series, which runs to start and who may retry or
cancel one, few-shot requests, eligibility overrides. The changes of a run's status are
lifecycle.py's (it hands runs to the broker too); these functions decide and ask it."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from portal.access import is_organizer
from portal.models import Round, Submission, SubmissionVersion
from portal.refusals import Refused
from portal.roles import ORGANIZER, role_of

from . import lifecycle
from .models import EligibilityOverride, FewShotRequest, LanguageModel, ModelSeries, Partner, PrivateEvaluation, Run
from .registry import SeriesEntry

log = logging.getLogger(__name__)

MAX_SHOTS = 64


class EvaluationRefused(Refused):
    """The request is refused; the message says why and what to do instead."""


# --- series ----------------------------------------------------------------------------------


@dataclass
class Registration:
    """What `register_series` changed, one line per change (empty when nothing changed)."""

    changes: list[str] = field(default_factory=list)


def _apply(obj, values: dict) -> bool:
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    for key in changed:
        setattr(obj, key, values[key])
    if changed:
        obj.save(update_fields=changed)
    return bool(changed)


def _partner(name: str | None, registration: Registration) -> Partner | None:
    if name is None:
        return None
    partner, created = Partner.objects.get_or_create(name=name)
    if created:
        registration.changes.append(f"partner {name}: created (issue its token: manage.py partner_token {name!r})")
    return partner


def _register_one(entry: SeriesEntry, position: int, registration: Registration) -> None:
    partner = _partner(entry.partner, registration)
    series, created = ModelSeries.objects.get_or_create(name=entry.name, defaults={
        "visibility": entry.visibility, "x_axis": entry.x_axis, "enabled": entry.enabled, "position": position,
        "partner": partner})
    if created:
        registration.changes.append(f"series {entry.name}: created")
    elif _apply(series, {"visibility": entry.visibility, "x_axis": entry.x_axis, "enabled": entry.enabled,
                         "position": position, "partner": partner}):
        registration.changes.append(f"series {entry.name}: updated")
    for i, m in enumerate(entry.models):
        values = {"series": series, "spec": m.spec, "params": m.params, "flops": m.flops, "queue": m.queue,
                  "enabled": m.enabled, "position": i}
        model, made = LanguageModel.objects.get_or_create(name=m.name, defaults=values)
        if made:
            registration.changes.append(f"model {m.name} ({entry.name}): created")
        elif _apply(model, values):
            registration.changes.append(f"model {m.name} ({entry.name}): updated")
    listed = [m.name for m in entry.models]
    for model in series.models.exclude(name__in=listed).filter(enabled=True):
        _apply(model, {"enabled": False})
        registration.changes.append(f"model {model.name} ({entry.name}): disabled (no longer in the file)")


def register_series(*, entries: list[SeriesEntry]) -> Registration:
    """Create or update every series and model of a parsed file; the same file twice changes nothing."""
    registration = Registration()
    with transaction.atomic():
        for position, entry in enumerate(entries):
            _register_one(entry, position, registration)
    return registration


# --- starting runs ---------------------------------------------------------------------------


def enabled_models(*, visibility: str) -> list[LanguageModel]:
    return list(LanguageModel.objects.filter(enabled=True, series__enabled=True, series__visibility=visibility)
                .select_related("series"))


def start_version_evaluation(*, version: SubmissionVersion) -> list[Run]:
    """A new version: runs on every enabled public model, and on the private ones if its round's
    private evaluation has started; queued work of older versions is cancelled."""
    with transaction.atomic():
        lifecycle.cancel_older_versions(version=version)
        models = enabled_models(visibility=ModelSeries.PUBLIC)
        if PrivateEvaluation.objects.filter(round_id=version.submission.round_id).exists():
            models += enabled_models(visibility=ModelSeries.PRIVATE)
        return lifecycle.create(version=version, models=models)


def start_private_evaluation(*, submission: Submission, by=None) -> list[Run]:
    """The submission's current version on every enabled private model (organizers, or the round's close)."""
    if by is not None:
        ensure_organizer(user=by)
    with transaction.atomic():
        return lifecycle.create(version=submission.current_version,
                                models=enabled_models(visibility=ModelSeries.PRIVATE))


def start_private_evaluation_for_round(*, round: Round, by=None) -> list[Run]:
    """Every submission of a round, at its final version, on the private series (once per round)."""
    if by is not None:
        ensure_organizer(user=by)
    with transaction.atomic():
        _, created = PrivateEvaluation.objects.get_or_create(round=round, defaults={"started_by": by})
        runs = []
        for submission in round.submissions.exclude(current_version=None).select_related("current_version"):
            runs += start_private_evaluation(submission=submission)
    log.info("private evaluation of %s: %d run(s) started%s", round, len(runs), "" if created else " (again)")
    return runs


def start_private_evaluation_of_closed_rounds(*, now=None) -> list[Round]:
    """Rounds whose deadline has passed and whose private evaluation has not started yet."""
    now = now or timezone.now()
    rounds = list(Round.objects.filter(closes_at__lte=now, private_evaluation__isnull=True))
    for round in rounds:
        start_private_evaluation_for_round(round=round)
    return rounds


# --- organizers' actions -----------------------------------------------------------------------


def ensure_organizer(*, user) -> None:
    if not is_organizer(user):
        raise EvaluationRefused("Only organizers can do this.", status=403)


def retry_run(*, run: Run, by) -> Run:
    """Queue a run again from scratch (a failed or cancelled one, or one an organizer wants redone)."""
    ensure_organizer(user=by)
    if not lifecycle.requeue(run=run):
        raise EvaluationRefused("This run is being scored right now; cancel it first or wait for it to finish.")
    return run


def cancel_run(*, run: Run, by) -> Run:
    """Stop a queued or running run (its worker's results so far stay in the cache)."""
    ensure_organizer(user=by)
    if not lifecycle.cancel(run=run, reason=f"Cancelled by {by.username}."):
        raise EvaluationRefused(f"This run is already {run.status}.")
    return run


def override_eligibility(*, submission: Submission, eligible: bool, reason: str, by) -> EligibilityOverride:
    ensure_organizer(user=by)
    if not reason.strip():
        raise EvaluationRefused("Give the reason for overriding the computed eligibility.")
    override, _ = EligibilityOverride.objects.update_or_create(
        submission=submission, defaults={"eligible": eligible, "reason": reason.strip(), "decided_by": by})
    return override


def clear_eligibility_override(*, submission: Submission, by) -> None:
    ensure_organizer(user=by)
    EligibilityOverride.objects.filter(submission=submission).delete()


# --- few-shot variants -----------------------------------------------------------------------


def few_shot_refusal(*, user, submission: Submission) -> EvaluationRefused | None:
    """Why this user may not ask for few-shot variants of this submission, whatever k; None if they may.
    The submission page shows its k-shot form only when this is None."""
    if submission.owner_id != user.pk and role_of(user) != ORGANIZER:
        return EvaluationRefused("Only the submission's owner or an organizer can ask for few-shot variants.", status=403)
    version = submission.current_version
    if version.shot_setting != "zero-shot":
        return EvaluationRefused("Few-shot variants are made from zero-shot tasks; this task is already few-shot.")
    if min(MAX_SHOTS, min(f["rows"] for f in version.files) - 1) < 1:
        return EvaluationRefused("A file of this task has a single row; a k-shot prompt needs other examples of its file.")
    return None


def request_few_shot(*, user, submission: Submission, k: int) -> FewShotRequest:
    """Ask for k-shot variants of every file of a zero-shot task; its runs are queued again (only
    the new variant files are scored: the others are cached)."""
    refused = few_shot_refusal(user=user, submission=submission)
    if refused is not None:
        raise refused
    version = submission.current_version
    smallest = min(f["rows"] for f in version.files)
    if not 1 <= k <= min(MAX_SHOTS, smallest - 1):
        raise EvaluationRefused(
            f"Choose k from 1 to {min(MAX_SHOTS, smallest - 1)}: each prompt gets k other examples of its "
            f"file, and the smallest file has {smallest} rows.")
    with transaction.atomic():
        request, created = FewShotRequest.objects.get_or_create(submission=submission, k=k,
                                                                defaults={"requested_by": user})
        if not created:
            raise EvaluationRefused(f"{k}-shot variants were already requested.")
        for run in Run.objects.filter(version=version).exclude(status__in=lifecycle.UNFINISHED):
            lifecycle.requeue(run=run)  # a queued or running run reads the new variants when it is claimed or ends
    return request
