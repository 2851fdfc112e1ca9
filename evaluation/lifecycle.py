"""A run's life, in one place: every change of `Run.status` and of the fields that go with it.

    create ──> queued ──claim──> running ──finish──> done (every file stored), failed (a file could not be scored)
                 ^                  │
                 │                  ├─ fail_or_retry, requeue_stale: back to queued while attempts are left,
                 │                  │  failed after the last one (EVALUATION_MAX_ATTEMPTS)
                 │                  └─ cancel: cancelled
                 └─ requeue (new work: an organizer's retry, a few-shot variant) from any status but running
    queued ──cancel (an organizer), a newer version──> cancelled

Phases. While it runs, its holder says what it is doing (`set_phase`): LOADING ("loading model", before a
model that is not loaded yet is loaded), then SCORING; every other change of status clears it.

Scored files. `record_scored` keeps, per file (its sha256), the model identity its result is stored under,
as soon as it is stored (or found in the cache). Pages show each file's result from it whatever the run's
status: new work on the run (a few-shot variant, a retry) never hides what is already there. It is
never reset, only added to (a file scored again under new weights takes its new identity). Whatever
changes which results a version's pages read (`record_scored`, `finish`'s model identity, a run deleted) calls
`results_changed`, which bumps the version's generation: the stamp its kept whole-task summary rests on
(summaries.py).

Holders. A run is claimed by a holder whose id is kept in `Run.task_id`: a Celery delivery's task id
(a second delivery of the same message takes the run over, since its worker was lost), a fresh
`drained-<uuid>` for a worker that drains the queued runs of its loaded model, and so any other kind
of worker that names itself. `heartbeat`, `record_files`, `finish` and `fail_or_retry` take the holder
id and change nothing once the run is no longer that holder's (cancelled, or given up on and claimed
by another), so a holder that was given up on cannot overwrite the work of the next one.

Sending. A queued run is handed to its model's Celery queue (dispatch.py) once the transaction that
queued it commits; `send` is the one place that asks for it, and it stores the message's task id and
`sent_at`. A broker that is down leaves the run unsent, and the sweep's `send_unsent` sends it later.

The one reset. Whenever a run goes back to the queue (`requeue`, and the retries of `fail_or_retry`
and `requeue_stale`), exactly these fields are reset:

    status = queued, task_id = "", sent_at = started_at = heartbeat_at = finished_at = None,
    done_examples = total_examples = 0, phase = ""

so nobody holds it, and its progress counts what is left to do (pages count the rows of the files already
in `scored` as done, out of the rows the version's files promise, until the next claim counts them again). `attempts` and `error` depend on why:
a retry after a failed attempt keeps `attempts` (the bound counts every claim of the same work) and
adds a line to `error`; new work (`requeue`) starts again at attempts = 0 with an empty error. What
the last finished scoring recorded (`files`, `file_errors`, `model_identity`, `loaded_model`) stays
until the next `finish` replaces it, and `scored` is kept (see above). `phase` is cleared.

Final statuses. done: every file's result is stored. failed: the model could not score some file
(`file_errors`, each with its reason, shown to the contestant; no retry: it would fail the same way) or
every attempt failed. cancelled: an organizer stopped it or a newer version replaced it.

A run that ends done or failed emails its version's owner once every public run has finished
(notifications.py, after the commit).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.models import SubmissionVersion

from . import dispatch, notifications
from .models import FewShotRequest, LanguageModel, Run, TaskResultsGeneration, TaskSummary

log = logging.getLogger(__name__)

CONTESTANT_FAILURE = notifications.CONTESTANT_FAILURE  # what the contestant reads of a run that failed
REPLACED_BEFORE_SCORING = "A newer version of the submission replaced this one before it was scored."
REPLACED = "A newer version of the submission replaced this one."
CANCELLED_BY_ORGANIZERS = "The organizers cancelled this model's run."  # what the contestant reads
FILES_NOT_SCORED = "This model could not score every file of the task; each file's reason is listed."
UNFINISHED = (Run.QUEUED, Run.RUNNING)
LOADING, SCORING = "loading model", "scoring"  # Run.phase while running
GONE = "gone"  # what finish and fail_or_retry answer for a run that was deleted meanwhile (its version was)


# --- queueing and sending ----------------------------------------------------------------------


def create(*, version: SubmissionVersion, models: list[LanguageModel]) -> list[Run]:
    """A queued run of `version` on each model that has none yet; each is sent once the transaction commits."""
    created = []
    for model in models:
        run, made = Run.objects.get_or_create(version=version, model=model)
        if made:
            created.append(run)
            _send_on_commit(run)
    return created


def send(run: Run, *, countdown: float | None = None) -> bool:
    """Hand a queued run to its model's queue and store the message's task id; False if the broker
    is down (the run stays unsent), and for a run of a partner's series, which is never sent: the
    partner pulls it over its API (partners/) and claims it here under its own holder id."""
    if run.model.series.partner_id is not None:
        return False
    task_id = dispatch.send(run_id=run.pk, queue=run.model.queue, countdown=countdown)
    if task_id is None:
        return False
    Run.objects.filter(pk=run.pk, status=Run.QUEUED).update(sent_at=timezone.now(), task_id=task_id)
    return True


def _send_on_commit(run: Run, *, countdown: float | None = None) -> None:
    transaction.on_commit(lambda: send(run, countdown=countdown), robust=True)


def send_unsent(*, now: datetime) -> int:
    """Send the queued runs that were never sent (the broker was down) or whose message is taken as
    lost (sent more than EVALUATION_RESEND_AFTER_SECONDS ago and never claimed); how many were sent."""
    lost = now - timedelta(seconds=settings.EVALUATION_RESEND_AFTER_SECONDS)
    grace = now - timedelta(seconds=5)  # a run saved this instant is being sent by its own request
    waiting = Run.objects.filter(Q(sent_at__isnull=True, queued_at__lt=grace) | Q(sent_at__lt=lost),
                                 status=Run.QUEUED, model__series__partner=None).select_related("model__series")
    return sum(send(run) for run in waiting)


# --- claiming and holding ----------------------------------------------------------------------


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.EVALUATION_STALE_AFTER_SECONDS)


def _locked(run_id: int) -> Run | None:
    return (Run.objects.select_for_update(of=("self",)).select_related("model__series", "version__submission")
            .filter(pk=run_id).first())


def claim(*, run_id: int, holder: str) -> Run | None:
    """Mark the run running for `holder`, or None if it is not this holder's to do.

    A run held by another holder whose heartbeat is fresh is not taken. A delivery with the run's own
    task id means the worker that held this very message was lost (messages are acknowledged late
    and requeued then), so it takes over. A run of a version that is no longer current is cancelled,
    and one claimed EVALUATION_MAX_ATTEMPTS times already fails instead of running again.
    """
    now = timezone.now()
    with transaction.atomic():
        run = _locked(run_id)
        if run is None or run.status in Run.FINISHED:
            return None
        if run.status == Run.RUNNING and run.task_id != holder and (run.heartbeat_at or now) > _stale_before(now):
            return None  # another holder is scoring it
        if run.version.submission.current_version_id != run.version_id:
            _end(run, status=Run.CANCELLED, error=REPLACED)
            return None
        if run.attempts >= settings.EVALUATION_MAX_ATTEMPTS:
            _end(run, status=Run.FAILED, error=(run.error or "") +
                 f"\nGave up after {run.attempts} attempts: the worker stopped each time.")
            return None
        run.status, run.attempts, run.task_id, run.phase = Run.RUNNING, run.attempts + 1, holder, ""
        run.started_at = run.heartbeat_at = now
        run.save(update_fields=["status", "attempts", "task_id", "phase", "started_at", "heartbeat_at"])
    return run


def claim_for_drain(run_id: int) -> Run | None:
    """Claim a queued run for the worker that has its model loaded. The claim gets a fresh holder id:
    the run's own message, delivered meanwhile to another worker process, then finds the run held
    by someone else and is skipped, so the run is scored once. Should the draining worker die, the
    sweep re-queues the run once its heartbeat is stale."""
    return claim(run_id=run_id, holder=f"drained-{uuid.uuid4().hex}")


PARTNER_HOLDER = "partner-{partner_id}-"  # how a partner's holder ids start (then a fresh uuid per claim)


def claim_for_partner(*, run_id: int, partner_id: int) -> Run | None:
    """Claim a queued run of the partner's series for a fresh holder id of this partner (the lease;
    kept while its heartbeats come, given up by `requeue_stale` like any holder's); None when the run
    is not the partner's, not waiting, or held by another holder whose heartbeat is fresh."""
    if not Run.objects.filter(pk=run_id, model__series__partner_id=partner_id).exists():
        return None
    return claim(run_id=run_id, holder=PARTNER_HOLDER.format(partner_id=partner_id) + uuid.uuid4().hex)


def next_waiting(*, model_id: int) -> int | None:
    """The oldest queued run of the model that is not waiting for a retry (what a worker drains)."""
    return (Run.objects.filter(model_id=model_id, status=Run.QUEUED, attempts=0)
            .order_by("queued_at", "pk").values_list("pk", flat=True).first())


def _held(run_id: int, holder: str):
    return Run.objects.filter(pk=run_id, status=Run.RUNNING, task_id=holder)


def heartbeat(*, run_id: int, holder: str, done: int | None = None, total: int | None = None) -> bool:
    """The holder is alive (and has scored `done` of `total` examples, when given); False when the
    run is no longer this holder's."""
    values: dict = {"heartbeat_at": timezone.now()}
    if done is not None:
        values["done_examples"] = done
    if total is not None:
        values["total_examples"] = total
    return bool(_held(run_id, holder).update(**values))


def record_files(*, run_id: int, holder: str, files: list[dict], total: int) -> bool:
    """The files the holder is scoring ([{name, kind, index, rows, sha256, shots, source}]) and their
    examples in all; False when the run is no longer this holder's."""
    return bool(_held(run_id, holder).update(files=files, total_examples=total))


def set_phase(*, run_id: int, holder: str, phase: str) -> bool:
    """The holder is now LOADING the model or SCORING (and alive); False when the run is no longer its."""
    if phase not in (LOADING, SCORING):
        raise ValueError(f"unknown phase {phase!r}")
    return bool(_held(run_id, holder).update(phase=phase, heartbeat_at=timezone.now()))


def record_scored(*, run_id: int, holder: str, identity: str, shas: list[str]) -> bool:
    """These files' results on this model are stored under `identity` (scored now, or found in the cache):
    pages show them from now on. False when the run is no longer this holder's."""
    if not shas:
        return True
    with transaction.atomic():
        run = _held(run_id, holder).select_for_update(of=("self",)).only("scored", "version_id").first()
        if run is None:
            return False
        _held(run_id, holder).update(scored={**run.scored, **dict.fromkeys(shas, identity)})
        results_changed(version_id=run.version_id)
    return True


def results_changed(*, version_id: int) -> None:
    """The version's whole-task results may read differently now (a file's result recorded, the run's model
    identity set, a run deleted): bump its generation, so that no summary computed before is read again
    (summaries.py), and delete those summaries. In the caller's transaction."""
    TaskResultsGeneration.objects.bulk_create([TaskResultsGeneration(version_id=version_id)], ignore_conflicts=True)
    TaskResultsGeneration.objects.filter(version_id=version_id).update(generation=F("generation") + 1)
    TaskSummary.objects.filter(version_id=version_id).delete()


def run_deleted(*, version_id: int) -> None:
    """After a run's deletion committed: results_changed, unless its version went with it."""
    try:
        with transaction.atomic():
            if SubmissionVersion.objects.filter(pk=version_id).exists():
                results_changed(version_id=version_id)
    except IntegrityError:  # the version was deleted meanwhile: nothing is left to summarize
        log.info("version %s deleted while its results changed", version_id)


# --- ending --------------------------------------------------------------------------------------


def _end(run: Run, *, status: str, error: str | None = None, fields: tuple[str, ...] = ()) -> None:
    """Mark the locked run finished; `error` replaces its error log (kept as it is when None). Once the
    version's last public run has finished, its owner is emailed (after the commit)."""
    if error is not None:
        run.error = error.strip()
    run.status, run.finished_at, run.phase = status, timezone.now(), ""
    run.save(update_fields=["status", "error", "finished_at", "phase", *fields])
    if status in (Run.DONE, Run.FAILED):
        transaction.on_commit(lambda: _notify(run.version_id))


def _notify(version_id: int) -> None:
    try:
        notifications.notify_if_evaluated(version_id=version_id)
    except Exception:  # an unreachable mail server must not fail the run that is already stored
        log.exception("could not send the evaluated email of version %s", version_id)


def finish(*, run_id: int, holder: str, model_identity: str, loaded_model: bool, file_errors: list[dict]) -> str:
    """The holder has scored the run: every file is stored or listed in `file_errors` ([{file, message}]).
    The run is done, with every example counted, or failed when some file could not be scored (its reason
    in `file_errors`, the contestant's to read; the organizers' error lists them too; not retried, since
    the same model fails the same file the same way). Should a few-shot variant have been asked for while
    it was scored, it goes back to the queue for it (`requeue`). The run's status afterwards (unchanged
    when the run is no longer this holder's; GONE when it was deleted)."""
    with transaction.atomic():
        run = _locked(run_id)
        if run is None:
            return GONE
        if run.status != Run.RUNNING or run.task_id != holder:
            return run.status
        run.model_identity, run.loaded_model, run.file_errors = model_identity, loaded_model, file_errors
        results_changed(version_id=run.version_id)
        fields = ("model_identity", "loaded_model", "file_errors", "done_examples")
        if file_errors:
            lines = [f"{e['file']}: {e['message']}" for e in file_errors]
            _end(run, status=Run.FAILED, fields=fields,
                 error=_note(run.error, f"attempt {run.attempts}: could not score " + "; ".join(lines)))
        else:
            run.done_examples = run.total_examples
            _end(run, status=Run.DONE, fields=fields)
    if _variants_missing(run):
        requeue(run=run)
    run.refresh_from_db(fields=["status"])
    return run.status


def _variants_missing(run: Run) -> bool:
    asked = set(FewShotRequest.objects.filter(submission_id=run.version.submission_id).values_list("k", flat=True))
    return bool(asked - {f.get("shots", 0) for f in run.files})


def _note(previous: str, line: str) -> str:
    return f"{previous}\n{line}" if previous else line


def _back_to_queue(run: Run, *, attempts: int, error: str, countdown: float | None = None) -> None:
    """The one reset (see the module's docstring), saved; the run is sent once the transaction commits."""
    values = {"status": Run.QUEUED, "task_id": "", "sent_at": None, "started_at": None, "heartbeat_at": None,
              "finished_at": None, "done_examples": 0, "total_examples": 0, "phase": "", "attempts": attempts,
              "error": error}
    for name, value in values.items():
        setattr(run, name, value)
    run.save(update_fields=list(values))
    _send_on_commit(run, countdown=countdown)


def fail_or_retry(*, run_id: int, holder: str, reason: str) -> str:
    """The holder's attempt failed; `reason` (one line) goes to the organizers' error log as
    "attempt N: reason". With attempts left, the run goes back to the queue and is sent again after
    EVALUATION_RETRY_DELAY_SECONDS, doubled at each attempt; after the last one it fails. The run's
    status afterwards (unchanged when the run is no longer this holder's; GONE when it was deleted)."""
    with transaction.atomic():
        run = _locked(run_id)
        if run is None:
            return GONE
        if run.status != Run.RUNNING or run.task_id != holder:
            return run.status
        error = _note(run.error, f"attempt {run.attempts}: {reason}")
        if run.attempts >= settings.EVALUATION_MAX_ATTEMPTS:
            _end(run, status=Run.FAILED, error=error)
        else:
            _back_to_queue(run, attempts=run.attempts, error=error,
                           countdown=settings.EVALUATION_RETRY_DELAY_SECONDS * 2 ** (run.attempts - 1))
        return run.status


def requeue_stale(*, now: datetime) -> tuple[int, int]:
    """Runs whose holder stopped beating (no heartbeat for EVALUATION_STALE_AFTER_SECONDS) go back to
    the queue, or fail after the last attempt; (requeued, failed)."""
    requeued = failed = 0
    for run_id in Run.objects.filter(status=Run.RUNNING, heartbeat_at__lt=_stale_before(now)).values_list("pk", flat=True):
        with transaction.atomic():
            run = _locked(run_id)
            if run is None or run.status != Run.RUNNING or run.heartbeat_at >= _stale_before(now):
                continue  # finished, or beat again, meanwhile
            error = _note(run.error, f"attempt {run.attempts}: the worker stopped answering "
                                     f"(no heartbeat since {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC).")
            if run.attempts >= settings.EVALUATION_MAX_ATTEMPTS:
                _end(run, status=Run.FAILED, error=error)
                failed += 1
            else:
                _back_to_queue(run, attempts=run.attempts, error=error)
                requeued += 1
    return requeued, failed


def requeue(*, run: Run) -> bool:
    """New work for a run that is not running (an organizer's retry, a few-shot variant asked for):
    back to the queue from scratch, at attempts = 0 with an empty error, sent once the transaction
    commits. False (nothing changed) when the run is being scored; `run` is refreshed."""
    with transaction.atomic():
        locked = _locked(run.pk)
        if locked is None or locked.status == Run.RUNNING:
            return False
        _back_to_queue(locked, attempts=0, error="")
    run.refresh_from_db()
    return True


def cancel(*, run: Run, reason: str) -> bool:
    """An organizer stops a queued or running run; `reason` is its error. Its message is revoked
    after the commit. False when the run had already finished; `run` is refreshed."""
    cancelled = Run.objects.filter(pk=run.pk, status__in=UNFINISHED).update(
        status=Run.CANCELLED, finished_at=timezone.now(), error=reason, phase="")
    if cancelled:
        task_ids = [run.task_id]
        transaction.on_commit(lambda: dispatch.revoke(task_ids=task_ids), robust=True)
    run.refresh_from_db()
    return bool(cancelled)


def cancel_older_versions(*, version: SubmissionVersion) -> int:
    """A newer version was saved: the queued runs of the submission's older versions are cancelled
    and their messages revoked after the commit (one being scored finishes; its results serve the
    cache). How many were cancelled."""
    older = Run.objects.filter(version__submission_id=version.submission_id, status=Run.QUEUED,
                               version__number__lt=version.number)
    stale = list(older.values_list("task_id", flat=True))
    count = older.update(status=Run.CANCELLED, finished_at=timezone.now(), error=REPLACED_BEFORE_SCORING, phase="")
    transaction.on_commit(lambda: dispatch.revoke(task_ids=stale), robust=True)
    return count
