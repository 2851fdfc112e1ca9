"""How runs reach the workers and what a worker does with one.

* `send_run` hands a run to its model's queue; if the broker is down the run stays unsent and
  `sweep` sends it later. Nothing here ever makes a contestant's save fail.
* `execute_run` (the Celery task's body) claims the run, reads the version's files through
  Django's storage, skips every file already scored on this model (the result cache), loads the
  model once (a worker process keeps its last model loaded), scores the rest through the engine's
  `score_report`, and upserts one Result per file. Progress and a heartbeat are stored as it goes.
* `sweep` (every minute, from beat) sends what was never sent, re-sends what the broker lost,
  re-queues runs whose worker stopped answering (up to EVALUATION_MAX_ATTEMPTS claims, then the
  run fails with its error kept), starts runs for current versions that have none on an enabled
  public model, and starts the private evaluation of rounds that have closed.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from evaluation.engine.fewshot import few_shot_variant
from evaluation.engine.metrics import get_metric
from evaluation.engine.scoring import score_report
from evaluation.engine.taskfile import read_task_zip
from evaluation.engine.types import TaskFile, TaskReport
from portal.models import Submission
from portal.uploads import limits_from_settings

from . import notifications
from .models import FewShotRequest, LanguageModel, ModelSeries, Result, Run

log = logging.getLogger(__name__)

CONTESTANT_FAILURE = ("This model could not score the task after several attempts; the organizers have "
                      "been told and will look into it.")


# --- sending ---------------------------------------------------------------------------------


def send_run(run: Run, *, countdown: float | None = None) -> bool:
    """Hand the run to its model's queue. False (and the run stays unsent) if the broker is down."""
    from .tasks import evaluate_run

    try:
        result = evaluate_run.apply_async(args=[run.pk], queue=run.model.queue, countdown=countdown, retry=False)
    except Exception as exc:  # the broker is unreachable: the sweep sends it once it is back
        log.warning("run %s not sent (%s: %s); the sweep will send it", run.pk, type(exc).__name__, exc)
        return False
    Run.objects.filter(pk=run.pk, status=Run.QUEUED).update(sent_at=timezone.now(), task_id=result.id)
    return True


def revoke(task_ids: list[str]) -> None:
    """Tell workers to drop these tasks if they are still queued (claiming checks the status anyway)."""
    if not task_ids:
        return
    from portal.celery import app

    try:
        app.control.revoke(task_ids)
    except Exception as exc:  # the claim check makes a missed revoke harmless
        log.warning("could not revoke %d task(s): %s", len(task_ids), exc)


# --- claiming --------------------------------------------------------------------------------


def _stale_before(now):
    return now - timedelta(seconds=settings.EVALUATION_STALE_AFTER_SECONDS)


def _claim(run_id: int, task_id: str) -> Run | None:
    """Mark the run running for this delivery, or None if it is not this delivery's to do.

    A delivery with the run's own task id means the worker that held this very message was lost
    (messages are acknowledged late and requeued then), so it takes over. A run claimed by a
    draining worker gets a task id of its own (`claim_for_drain`), so its message, still in the
    queue, never takes it over while that worker is alive.
    """
    now = timezone.now()
    with transaction.atomic():
        run = (Run.objects.select_for_update(of=("self",))
               .select_related("model__series", "version__submission").filter(pk=run_id).first())
        if run is None or run.status in Run.FINISHED:
            return None
        if run.status == Run.RUNNING and run.task_id != task_id and (run.heartbeat_at or now) > _stale_before(now):
            return None  # another delivery is scoring it
        if run.version.submission.current_version_id != run.version_id:
            _finish(run, status=Run.CANCELLED, error="A newer version of the submission replaced this one.")
            return None
        if run.attempts >= settings.EVALUATION_MAX_ATTEMPTS:
            _finish(run, status=Run.FAILED, error=(run.error or "") +
                    f"\nGave up after {run.attempts} attempts: the worker stopped each time.")
            return None
        run.status, run.attempts, run.task_id = Run.RUNNING, run.attempts + 1, task_id
        run.started_at = run.heartbeat_at = now
        run.save(update_fields=["status", "attempts", "task_id", "started_at", "heartbeat_at"])
    return run


def _finish(run: Run, *, status: str, error: str | None = None) -> None:
    """Mark the run finished; `error` replaces its error log (kept as it is when None). Once the version's
    last public run has finished, its owner is emailed (after the commit)."""
    if error is not None:
        run.error = error.strip()
    run.status, run.finished_at = status, timezone.now()
    run.save(update_fields=["status", "error", "finished_at"])
    if status in (Run.DONE, Run.FAILED):
        transaction.on_commit(lambda: _notify(run.version_id))


def _notify(version_id: int) -> None:
    try:
        notifications.notify_if_evaluated(version_id=version_id)
    except Exception:  # an unreachable mail server must not fail the run that is already stored
        log.exception("could not send the evaluated email of version %s", version_id)


# --- the files of a version ------------------------------------------------------------------


def version_files(run: Run) -> list[TaskFile]:
    """Every file the run scores: the zip's files (read through Django's storage, exactly as the
    upload was validated) and the few-shot variants asked for."""
    version = run.version
    with version.zip_file.open("rb") as stored:
        report = read_task_zip(stored, metric=version.metric, task_name=version.task_name,
                               limits=limits_from_settings())
    if not report.valid:
        problems = "; ".join(issue.as_text() for issue in report.errors[:5])
        raise RuntimeError(f"the stored zip no longer passes validation: {problems}")
    ks = FewShotRequest.objects.filter(submission_id=version.submission_id).values_list("k", flat=True)
    variants = [few_shot_variant(f, k=k, metric=version.metric) for k in ks for f in report.files]
    return report.files + variants


def describe(task_file: TaskFile) -> dict:
    """What pages need to know of a scored file, few-shot variants included."""
    return {**task_file.as_dict(), "sha256": task_file.sha256, "shots": getattr(task_file, "shots", 0),
            "source": getattr(task_file, "source", None)}


def _cached(identity: str, files: list[TaskFile], metric: str) -> set[str]:
    if not identity:
        return set()
    shas = {f.sha256 for f in files}
    return set(Result.objects.filter(model_identity=identity, metric=metric, file_sha256__in=shas)
               .values_list("file_sha256", flat=True))


# --- the worker's model ------------------------------------------------------------------------

_loaded: dict = {}  # {"spec": str, "backend": Backend}: the model this worker process has loaded


def loaded_backend(model: LanguageModel):
    """(backend, loaded_now): the worker keeps its last model; another model replaces it."""
    from evaluation.engine.backends import load_backend

    if _loaded.get("spec") == model.spec:
        return _loaded["backend"], False
    release_model()
    backend = load_backend(model.spec, params=model.params, device=settings.EVALUATION_DEVICE,
                           dtype=settings.EVALUATION_DTYPE)
    _loaded.update(spec=model.spec, backend=backend)
    return backend, True


def release_model() -> None:
    backend = _loaded.pop("backend", None)
    _loaded.pop("spec", None)
    if backend is not None:
        backend.close()
        del backend
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass


# --- progress and heartbeat --------------------------------------------------------------------


@dataclass
class _Progress:
    """Stores examples done (and a heartbeat) at most every `every` seconds, and at the end."""

    run_id: int
    total: int
    offset: int = 0
    every: float = 1.0
    _last: float = field(default=0.0)

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < self.every:
            return
        self._last = now
        Run.objects.filter(pk=self.run_id, status=Run.RUNNING).update(
            done_examples=min(self.offset + done, self.total), heartbeat_at=timezone.now())


class _Heartbeat(threading.Thread):
    """Touches the run while the worker is busy (a long model load writes no progress)."""

    def __init__(self, run_id: int):
        super().__init__(daemon=True, name=f"heartbeat-run-{run_id}")
        self.run_id, self.stop = run_id, threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.wait(settings.EVALUATION_HEARTBEAT_SECONDS):
                Run.objects.filter(pk=self.run_id, status=Run.RUNNING).update(heartbeat_at=timezone.now())
        finally:
            connection.close()


# --- scoring -------------------------------------------------------------------------------------


def _columns(scores) -> dict:
    def finite(x):
        return x if x is None or isinstance(x, bool) or math.isfinite(x) else None

    return {"line": [e.line for e in scores.examples], "value": [finite(e.value) for e in scores.examples],
            "correct": [e.correct for e in scores.examples], "predicted": [e.predicted for e in scores.examples],
            "total_logprob": [finite(e.total_logprob) for e in scores.examples]}


def _finite_or_none(x):
    return None if x is None or not math.isfinite(x) else float(x)


def store_result(*, identity: str, metric: str, outcome) -> None:
    """Upsert on (model identity, file sha256, metric): a second delivery never adds a row."""
    agg = outcome.scores.aggregate
    row = Result(model_identity=identity, file_sha256=outcome.file.sha256, metric=metric, n=agg.n,
                 mean=_finite_or_none(agg.mean), sem=_finite_or_none(agg.sem), accuracy=agg.accuracy,
                 class_mass=agg.class_mass, baseline=get_metric(metric).baseline(agg),
                 baseline_accuracy=agg.baseline_accuracy, examples=_columns(outcome.scores),
                 warnings=[str(w) for w in outcome.scores.warnings])
    fields = ["n", "mean", "sem", "accuracy", "class_mass", "baseline", "baseline_accuracy", "examples",
              "warnings", "updated_at"]
    Result.objects.bulk_create([row], update_conflicts=True, update_fields=fields,
                               unique_fields=["model_identity", "file_sha256", "metric"])


def _score(run: Run, files: list[TaskFile]) -> None:
    metric = run.version.metric
    progress = _Progress(run.pk, total=sum(len(f.examples) for f in files))
    pending = [f for f in files if f.sha256 not in _cached(run.model.identity, files, metric)]
    identity, loaded = run.model.identity, False
    if pending:
        backend, loaded = loaded_backend(run.model)
        identity = backend.identity
        if run.model.identity != identity:
            LanguageModel.objects.filter(pk=run.model_id).update(identity=identity)
        done = _cached(identity, files, metric)
        pending = [f for f in files if f.sha256 not in done]
    progress.offset = progress.total - sum(len(f.examples) for f in pending)
    errors = []
    if pending:
        for outcome in score_report(TaskReport(files=files), metric=get_metric(metric), backend=backend,
                                    files=pending, progress=progress):
            if outcome.error:
                errors.append({"file": outcome.file.name, "message": outcome.error})
            else:
                store_result(identity=identity, metric=metric, outcome=outcome)
    Run.objects.filter(pk=run.pk).update(model_identity=identity, loaded_model=loaded, file_errors=errors,
                                         done_examples=progress.total, total_examples=progress.total)


def _fail_or_retry(run: Run, exc: BaseException) -> None:
    detail = " ".join(str(exc).split())[:1000]  # one line per attempt in the organizers' log
    error = f"attempt {run.attempts}: {type(exc).__name__}: {detail}"
    log.exception("run %s failed (%s)", run.pk, error)
    previous = (run.error + "\n") if run.error else ""
    if run.attempts >= settings.EVALUATION_MAX_ATTEMPTS:
        _finish(run, status=Run.FAILED, error=previous + error)
        return
    Run.objects.filter(pk=run.pk).update(status=Run.QUEUED, error=previous + error, sent_at=None)
    run.refresh_from_db()
    send_run(run, countdown=settings.EVALUATION_RETRY_DELAY_SECONDS * 2 ** (run.attempts - 1))


def execute_run(*, run_id: int, task_id: str) -> str:
    """The Celery task's body: the run's status when it returns. While its model is loaded, the
    worker then scores other queued runs of the same model (up to EVALUATION_DRAIN_MAX), so a model
    is loaded about once per burst of work rather than once per task; their own messages, when
    they arrive, find them finished and are skipped."""
    close_old_connections()
    run = _claim(run_id, task_id)
    if run is None:
        return "skipped"
    status = _execute_claimed(run)
    if status == Run.DONE:
        _drain(run.model_id)
    return status


def _execute_claimed(run: Run) -> str:
    heartbeat = _Heartbeat(run.pk)
    heartbeat.start()
    try:
        files = version_files(run)
        Run.objects.filter(pk=run.pk).update(total_examples=sum(len(f.examples) for f in files),
                                             files=[describe(f) for f in files])
        _score(run, files)
    except Exception as exc:
        _fail_or_retry(run, exc)
        return "error"
    finally:
        heartbeat.stop.set()
        heartbeat.join()
    run.refresh_from_db()
    if run.status == Run.RUNNING:
        _finish(run, status=Run.DONE)
    _requeue_if_files_changed(run, files)
    return run.status


def _drain(model_id: int) -> None:
    """Score other queued runs of the loaded model, oldest first (never one waiting for a retry)."""
    for _ in range(settings.EVALUATION_DRAIN_MAX):
        waiting = (Run.objects.filter(model_id=model_id, status=Run.QUEUED, attempts=0)
                   .order_by("queued_at", "pk").values_list("pk", flat=True).first())
        if waiting is None:
            return
        run = claim_for_drain(waiting)
        if run is not None and _execute_claimed(run) != Run.DONE:
            return


def claim_for_drain(run_id: int) -> Run | None:
    """Claim a queued run for the worker that has its model loaded. The claim gets a fresh task id:
    the run's own message, delivered meanwhile to another worker process, then finds the run held
    by someone else and is skipped, so the run is scored once. Should the draining worker die, the
    sweep re-queues the run once its heartbeat is stale."""
    return _claim(run_id, f"drained-{uuid.uuid4().hex}")


def _requeue_if_files_changed(run: Run, files: list[TaskFile]) -> None:
    """A few-shot variant asked for while the run was scoring: queue the run again for it."""
    asked = set(FewShotRequest.objects.filter(submission_id=run.version.submission_id).values_list("k", flat=True))
    scored = {f.shots for f in files if getattr(f, "shots", 0)}
    if asked - scored and run.status == Run.DONE:
        Run.objects.filter(pk=run.pk).update(status=Run.QUEUED, attempts=0, sent_at=None, finished_at=None)
        run.refresh_from_db()
        send_run(run)


# --- the sweep -----------------------------------------------------------------------------------


@dataclass
class SweepReport:
    sent: int = 0
    requeued: int = 0
    failed: int = 0
    started: int = 0
    rounds: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _send_unsent(now, report: SweepReport) -> None:
    lost = now - timedelta(seconds=settings.EVALUATION_RESEND_AFTER_SECONDS)
    grace = now - timedelta(seconds=5)  # a run saved this instant is being sent by its own request
    waiting = Run.objects.filter(Q(sent_at__isnull=True, queued_at__lt=grace) | Q(sent_at__lt=lost),
                                 status=Run.QUEUED).select_related("model")
    for run in waiting:
        report.sent += send_run(run)


def _requeue_stale(now, report: SweepReport) -> None:
    stale = Run.objects.filter(status=Run.RUNNING, heartbeat_at__lt=_stale_before(now)).select_related("model")
    for run in stale:
        note = f"attempt {run.attempts}: the worker stopped answering (no heartbeat since {run.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC)."
        error = (run.error + "\n" + note) if run.error else note
        if run.attempts >= settings.EVALUATION_MAX_ATTEMPTS:
            _finish(run, status=Run.FAILED, error=error)
            report.failed += 1
            continue
        if Run.objects.filter(pk=run.pk, status=Run.RUNNING).update(status=Run.QUEUED, error=error, sent_at=None):
            run.refresh_from_db()
            report.requeued += 1
            send_run(run)


def _start_missing(report: SweepReport) -> None:
    from .services import enabled_models, start_version_evaluation

    wanted = len(enabled_models(visibility=ModelSeries.PUBLIC))
    if not wanted:
        return
    on_public = Count("current_version__evaluation_runs", filter=Q(
        current_version__evaluation_runs__model__enabled=True,
        current_version__evaluation_runs__model__series__enabled=True,
        current_version__evaluation_runs__model__series__visibility=ModelSeries.PUBLIC))
    short = (Submission.objects.exclude(current_version=None).annotate(on_public=on_public)
             .filter(on_public__lt=wanted).select_related("current_version__submission"))
    for submission in short:
        report.started += len(start_version_evaluation(version=submission.current_version))


def sweep(*, now=None) -> SweepReport:
    from .services import start_private_evaluation_of_closed_rounds

    now = now or timezone.now()
    report = SweepReport()
    _requeue_stale(now, report)
    _send_unsent(now, report)
    _start_missing(report)
    report.rounds = len(start_private_evaluation_of_closed_rounds(now=now))
    return report
