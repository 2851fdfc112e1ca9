"""The Celery worker's side of a run: the process's loaded model, scoring a claimed run, storing results.

`execute_run` (the body of tasks.evaluate_run) claims the run through lifecycle.py under the
delivery's task id, reads the version's files through Django's storage, skips every file already
scored on this model's weights as they are now (the result cache, keyed by the identity the engine
finds without loading them), loads the model once (a worker process keeps its last model loaded
until another model or new weights replace it), scores the rest through the engine's `score_report`, and upserts one Result per file.
Progress and a heartbeat go to the lifecycle as it scores, and the run ends there too: finished, or
failed and retried. While its model is loaded the worker then drains up to EVALUATION_DRAIN_MAX other
queued runs of the same model, each claimed under a fresh holder id.
"""

from __future__ import annotations

import gc
import logging
import math
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection

from evaluation.engine.fewshot import few_shot_variant
from evaluation.engine.metrics import get_metric
from evaluation.engine.scoring import score_report
from evaluation.engine.taskfile import read_task_zip
from evaluation.engine.types import TaskFile, TaskReport
from portal.uploads import limits_from_settings

from . import lifecycle, summaries
from .models import FewShotRequest, LanguageModel, Result, Run

log = logging.getLogger(__name__)


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


def current_identity(model: LanguageModel) -> str:
    """The identity the model's weights have now, found without loading them (a folder's content
    hashes, remembered by stat; a GGUF file's sha256; a hub revision's commit in the local hub cache).
    Where only loading can tell (a hub model not in the cache yet), the identity the last worker that
    loaded it reported."""
    from evaluation.engine.backends import model_identity

    return model_identity(model.spec) or model.identity


def is_loaded(model: LanguageModel, *, identity: str = "") -> bool:
    """Whether this worker process has the model loaded, with these weights (when `identity` is known)."""
    return _loaded.get("spec") == model.spec and identity in ("", _loaded["backend"].identity)


def loaded_backend(model: LanguageModel, *, identity: str = ""):
    """(backend, loaded_now): the worker keeps its last model while its spec and its weights'
    `identity` (when known) are the same; another model, or new weights, replace it."""
    from evaluation.engine.backends import load_backend

    if is_loaded(model, identity=identity):
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
    """Reports examples done (and so a heartbeat) at most every `every` seconds, and at the end."""

    run_id: int
    holder: str
    total: int
    offset: int = 0
    every: float = 1.0
    _last: float = field(default=0.0)

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._last < self.every:
            return
        self._last = now
        lifecycle.heartbeat(run_id=self.run_id, holder=self.holder, done=min(self.offset + done, self.total))


class _Heartbeat(threading.Thread):
    """Beats for the run while the worker is busy (a long model load reports no progress)."""

    def __init__(self, run_id: int, holder: str):
        super().__init__(daemon=True, name=f"heartbeat-run-{run_id}")
        self.run_id, self.holder, self.stop = run_id, holder, threading.Event()

    def run(self) -> None:
        try:
            while not self.stop.wait(settings.EVALUATION_HEARTBEAT_SECONDS):
                lifecycle.heartbeat(run_id=self.run_id, holder=self.holder)
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


@dataclass(frozen=True)
class Scored:
    """What scoring a run's files leaves for the lifecycle's `finish`."""

    model_identity: str
    loaded_model: bool
    file_errors: list[dict]


def _score(run: Run, files: list[TaskFile]) -> Scored:
    """Score the files not stored yet on this model's weights, one file at a time: each file's result is
    stored and recorded (lifecycle.record_scored) as soon as it is scored, so pages show it at once. The
    phase says "loading model" while a model this process does not have loaded is loaded."""
    metric, holder = run.version.metric, run.task_id
    progress = _Progress(run.pk, holder, total=sum(len(f.examples) for f in files))
    identity, loaded = current_identity(run.model), False
    cached = _cached(identity, files, metric)
    lifecycle.record_scored(run_id=run.pk, holder=holder, identity=identity, shas=sorted(cached))
    pending = [f for f in files if f.sha256 not in cached]
    if pending:
        if not is_loaded(run.model, identity=identity):
            lifecycle.set_phase(run_id=run.pk, holder=holder, phase=lifecycle.LOADING)
        backend, loaded = loaded_backend(run.model, identity=identity)
        lifecycle.set_phase(run_id=run.pk, holder=holder, phase=lifecycle.SCORING)
        if backend.identity != identity:
            identity = backend.identity
            cached = _cached(identity, files, metric)
            lifecycle.record_scored(run_id=run.pk, holder=holder, identity=identity, shas=sorted(cached))
            pending = [f for f in files if f.sha256 not in cached]
        if run.model.identity != identity:
            LanguageModel.objects.filter(pk=run.model_id).update(identity=identity)
    progress.offset = progress.total - sum(len(f.examples) for f in pending)
    errors = []
    report = TaskReport(files=files)
    for task_file in pending:
        for outcome in score_report(report, metric=get_metric(metric), backend=backend, files=[task_file],
                                    progress=progress):
            if outcome.error:
                errors.append({"file": outcome.file.name, "message": outcome.error})
            else:
                store_result(identity=identity, metric=metric, outcome=outcome)
                lifecycle.record_scored(run_id=run.pk, holder=holder, identity=identity, shas=[task_file.sha256])
        progress.offset += len(task_file.examples)
    return Scored(model_identity=identity, loaded_model=loaded, file_errors=errors)


# --- executing claimed runs ------------------------------------------------------------------------


def execute_run(*, run_id: int, task_id: str) -> str:
    """The Celery task's body: the run's status when it returns ("skipped" when the delivery is not
    this run's to do, "error" when the attempt failed). While its model is loaded, the worker then
    scores other queued runs of the same model (up to EVALUATION_DRAIN_MAX), so a model is loaded
    about once per burst of work rather than once per task; their own messages, when they arrive,
    find them held or finished and are skipped."""
    close_old_connections()
    if Run.objects.filter(pk=run_id, model__series__partner__isnull=False).exists():
        return "skipped"  # a message sent before its series was given to a partner: the partner scores it
    run = lifecycle.claim(run_id=run_id, holder=task_id)
    if run is None:
        return "skipped"
    status = _execute_claimed(run)
    if status == Run.DONE:
        _drain(run.model_id)
    return status


def _execute_claimed(run: Run) -> str:
    holder = run.task_id
    heartbeat = _Heartbeat(run.pk, holder)
    heartbeat.start()
    try:
        files = version_files(run)
        lifecycle.record_files(run_id=run.pk, holder=holder, files=[describe(f) for f in files],
                               total=sum(len(f.examples) for f in files))
        scored = _score(run, files)
    except Exception as exc:
        reason = f"{type(exc).__name__}: {' '.join(str(exc).split())[:1000]}"  # one line per attempt
        log.exception("run %s failed on attempt %s (%s)", run.pk, run.attempts, reason)
        lifecycle.fail_or_retry(run_id=run.pk, holder=holder, reason=reason)
        return "error"
    finally:
        heartbeat.stop.set()
        heartbeat.join()
    status = lifecycle.finish(run_id=run.pk, holder=holder, model_identity=scored.model_identity,
                              loaded_model=scored.loaded_model, file_errors=scored.file_errors)
    summaries.keep_after_scoring(run.version_id)
    return status


def _drain(model_id: int) -> None:
    """Score other queued runs of the loaded model, oldest first (never one waiting for a retry)."""
    for _ in range(settings.EVALUATION_DRAIN_MAX):
        waiting = lifecycle.next_waiting(model_id=model_id)
        if waiting is None:
            return
        run = lifecycle.claim_for_drain(waiting)
        if run is not None and _execute_claimed(run) != Run.DONE:
            return
