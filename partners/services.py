"""What a partner does over its API, on the runs of its own series only: list what waits, claim a run
(a lease), beat, read its files, upload its results or report a failure.

Every change of a run's status is lifecycle.py's: a claim is `lifecycle.claim_for_partner` (a holder id
of this partner, fresh for each claim), beats and failures are the lifecycle's `heartbeat` and
`fail_or_retry` under that holder, so a partner that stops beating loses its lease through the
sweep's `requeue_stale` and the bounded attempts, exactly as a Celery worker does. Results are stored
by the worker's own `store_result` (the same Result rows, cache key, trends, plots and visibility)
and the run ends with the lifecycle's `finish`.

A partner reads a run's files under anonymised names (task.csv, task-PART1.csv, task-CONTROL1.csv,
task-4shot.csv: reviews.taskzip.anonymous_name) and never the task's name, its owner or its authors.
Anything that is not a run of its series is 404, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from evaluation import lifecycle, summaries
from evaluation.engine.fewshot import variant_csv
from evaluation.engine.metrics import get_metric
from evaluation.models import LanguageModel, Partner, Run
from evaluation.worker import describe, store_result, version_files
from portal.refusals import Refused
from reviews.taskzip import anonymous_name, read_csvs

from . import audit
from .uploads import RunFile, UploadInvalid, check_upload


class PartnerRefused(Refused):
    """The partner's request is refused; the message says why and what to do instead."""


NOT_FOUND = "No such run among the runs of your series."


def _runs(partner: Partner):
    return Run.objects.filter(model__series__partner=partner).select_related(
        "model__series", "version__submission__contest")


def waiting(*, partner: Partner) -> list[Run]:
    """The partner's runs that wait to be claimed, oldest first."""
    return list(_runs(partner).filter(status=Run.QUEUED, model__enabled=True, model__series__enabled=True)
                .order_by("queued_at", "pk"))


def run_of(*, partner: Partner, run_id: int) -> Run:
    run = _runs(partner).filter(pk=run_id).first()
    if run is None:
        raise PartnerRefused(NOT_FOUND, status=404)
    return run


def run_files(run: Run) -> list[RunFile]:
    """The files the run scores (few-shot variants included), each under its anonymised name."""
    return [RunFile(name=anonymous_name(describe(f)), file=f) for f in version_files(run)]


def listed_files(run: Run) -> list[dict]:
    """What the listing says of each file: from the version's record (no zip read) unless few-shot
    variants were asked for (their sha256 is that of the CSV the variant writes)."""
    if run.version.submission.few_shot_requests.exists():
        return [_file_entry(f.name, describe(f.file)) for f in run_files(run)]
    return [_file_entry(anonymous_name(f), f) for f in run.version.files]


def _file_entry(name: str, described: dict) -> dict:
    return {"name": name, "kind": described["kind"], "index": described["index"], "rows": described["rows"],
            "sha256": described["sha256"], "shots": described.get("shots") or 0,
            "source": anonymous_name({**described, "shots": 0}) if described.get("shots") else None}


# --- the lease ---------------------------------------------------------------------------------


def _holder(run: Run, partner: Partner, lease: str | None) -> str:
    """The run's holder id when this partner holds it (and `lease`, when given, is that id)."""
    prefix = lifecycle.PARTNER_HOLDER.format(partner_id=partner.pk)
    if run.status in Run.FINISHED:
        raise PartnerRefused(f"Run {run.pk} is already {run.status}; nothing more is taken for it.", status=409)
    if run.status != Run.RUNNING or not run.task_id.startswith(prefix) or (lease and lease != run.task_id):
        raise PartnerRefused(f"Run {run.pk} is not leased by you (your lease ran out, or you never claimed it): "
                             f"claim it again when it waits (POST /api/partner/runs/{run.pk}/claim/).", status=409)
    return run.task_id


@dataclass(frozen=True)
class Claimed:
    run: Run
    lease: str
    files: list[dict]


def claim(*, partner: Partner, run_id: int) -> Claimed:
    run = run_of(partner=partner, run_id=run_id)
    claimed = lifecycle.claim_for_partner(run_id=run.pk, partner_id=partner.pk)
    if claimed is None:
        run.refresh_from_db()
        if run.status == Run.RUNNING:
            raise PartnerRefused(f"Run {run.pk} is leased by another claim that is still beating; claim it once "
                                 f"it waits again.", status=409)
        raise PartnerRefused(f"Run {run.pk} is {run.status}; only a waiting run can be claimed.", status=409)
    try:
        files = run_files(claimed)
    except Exception as exc:  # a stored zip that no longer reads: the attempt fails like a worker's
        lifecycle.fail_or_retry(run_id=claimed.pk, holder=claimed.task_id, reason=f"{type(exc).__name__}: {exc}")
        raise PartnerRefused(f"Run {run.pk} cannot be read right now; the organizers have been told.", status=409) from None
    lifecycle.record_files(run_id=claimed.pk, holder=claimed.task_id, files=[describe(f.file) for f in files],
                           total=sum(len(f.file.examples) for f in files))
    audit.claimed(run=claimed, partner=partner)
    return Claimed(run=claimed, lease=claimed.task_id, files=[_file_entry(f.name, describe(f.file)) for f in files])


def heartbeat(*, partner: Partner, run_id: int, done: int, total: int, lease: str | None = None) -> Run:
    run = run_of(partner=partner, run_id=run_id)
    holder = _holder(run, partner, lease)
    if not lifecycle.heartbeat(run_id=run.pk, holder=holder, done=min(done, run.total_examples or total),
                               total=run.total_examples or total):
        raise PartnerRefused(f"Run {run.pk} is no longer leased by you; stop scoring it.", status=409)
    run.refresh_from_db()
    return run


def file_bytes(*, partner: Partner, run_id: int, name: str) -> bytes:
    """The file exactly as submitted (a few-shot variant: the CSV it writes), found by its anonymised name."""
    run = run_of(partner=partner, run_id=run_id)
    if run.status in Run.FINISHED:
        raise PartnerRefused(NOT_FOUND, status=404)
    for entry in run.version.files:
        if anonymous_name(entry) == name:
            with run.version.zip_file.open("rb") as stored:
                return read_csvs(stored, [entry])[0][1]
    for f in run_files(run) if run.version.submission.few_shot_requests.exists() else []:
        if f.name == name and f.file.shots:
            return variant_csv(f.file, metric=run.version.metric)
    raise PartnerRefused(f"Run {run.pk} has no file {name}.", status=404)


def upload(*, partner: Partner, run_id: int, payload, lease: str | None = None) -> Run:
    """Check the results and store them as a Celery worker does, then finish the run; nothing is
    stored when the upload is refused (400 with what to fix) or the run is not this partner's lease (409)."""
    run = run_of(partner=partner, run_id=run_id)
    if run.status == Run.DONE:
        raise PartnerRefused(f"Run {run.pk} is already done; its stored results stay as they are.", status=409)
    holder = _holder(run, partner, lease)
    metric = get_metric(run.version.metric)
    try:
        outcomes = check_upload(payload, files=run_files(run), metric=metric, run_label=f"run {run.pk}")
    except UploadInvalid as invalid:
        raise PartnerRefused(f"Nothing was stored. {invalid}", status=400) from None
    identity = _identity(partner, run.model, payload.get("model_identity"))
    stored = [o for o in outcomes if o.error is None]
    with transaction.atomic():
        for outcome in stored:
            store_result(identity=identity, metric=metric.name, outcome=outcome)
        held = lifecycle.heartbeat(run_id=run.pk, holder=holder) and lifecycle.record_scored(
            run_id=run.pk, holder=holder, identity=identity, shas=sorted({o.file.sha256 for o in stored}))
        if not held:  # the lease was lost meanwhile: store nothing
            transaction.set_rollback(True)
            run.refresh_from_db(fields=["status"])
            raise PartnerRefused(f"Run {run.pk} is no longer leased by you (it is {run.status}); nothing was "
                                 "stored.", status=409)
        lifecycle.finish(run_id=run.pk, holder=holder, model_identity=identity, loaded_model=True,
                         file_errors=[{"file": o.file.name, "message": o.error} for o in outcomes if o.error])
        LanguageModel.objects.filter(pk=run.model_id).exclude(identity=identity).update(identity=identity)
    summaries.keep_after_scoring(run.version_id)
    run.refresh_from_db()
    audit.uploaded(run=run, partner=partner, files=len(outcomes),
                   examples=sum(len(o.file.examples) for o in outcomes if o.error is None), status=run.status)
    return run


def _identity(partner: Partner, model: LanguageModel, reported) -> str:
    """The result cache's key for the partner's model: its registered name under the partner's name,
    and the identity the engine found for the partner's weights when the partner sent it (new
    weights, new key). Never a public model's key, whatever the partner sends."""
    base = f"partner:{partner.pk}:{model.name}"
    if isinstance(reported, str) and reported.strip():
        return f"{base}:{reported.strip()}"[:300]
    return base


def fail(*, partner: Partner, run_id: int, message, lease: str | None = None) -> Run:
    """The partner could not score the run: the lifecycle's bounded attempts decide what follows."""
    run = run_of(partner=partner, run_id=run_id)
    if not isinstance(message, str) or not message.strip():
        raise PartnerRefused('Say what went wrong: {"message": "..."}.', field="message")
    holder = _holder(run, partner, lease)
    reason = " ".join(message.split())[:1000]
    status = lifecycle.fail_or_retry(run_id=run.pk, holder=holder, reason=f"partner {partner.name}: {reason}")
    run.refresh_from_db()
    audit.failed(run=run, partner=partner, message=reason, status=status)
    return run
