"""The partner's side end to end: real PostgreSQL and Redis, Django's live server, a Celery worker, and
`isp-eval partner` from the engine's package installed into a virtualenv without Django (a
subprocess, on a tiny real model). The partner's results equal a Celery worker's for the same model
and files; a partner command killed with SIGKILL loses its lease through the sweep, and a second one
completes the run with exactly one result set."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation.models import Result, Run
from evaluation.registry import ModelEntry, SeriesEntry
from evaluation.sweep import sweep
from reviews.models import AuditEntry
from tests import factories
from tests.engine.test_package import clean_env, engine_venv, outside  # noqa: F401 (the installed package's fixtures)
from tests.partners.conftest import make_world

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(condition, *, timeout: float, what: str, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None and not condition():
            raise AssertionError(f"the partner command exited with {process.returncode} before {what}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {list(Run.objects.values('model__name', 'status', 'error'))}")


def partner_command(venv, cwd, url: str, token: str, spec: str, log) -> subprocess.Popen:
    return subprocess.Popen([venv / "bin" / "isp-eval", "partner", "--portal", url, "--token", token,
                             "--model", f"acme-1={spec}", "--once", "--no-progress", "--device", "cpu"],
                            cwd=cwd, env=clean_env(), stdout=log, stderr=subprocess.STDOUT)


def entries(models) -> list[SeriesEntry]:
    held = models["held-1"]
    model = {"params": held.params, "flops": None, "queue": "cpu"}
    return [SeriesEntry(name="acme-held", visibility="private", x_axis="params", partner="Acme",
                        models=(ModelEntry(name="acme-1", spec="held at Acme", **model),)),
            SeriesEntry(name="beta-held", visibility="private", x_axis="params", partner="Beta",
                        models=(ModelEntry(name="beta-1", spec="held at Beta", **model),)),
            SeriesEntry(name="held-out", visibility="private", x_axis="params",
                        models=(ModelEntry(name="held-1", spec=str(held.folder), **model),))]


def close_round(world) -> None:
    round = world.submission.round
    round.closes_at = timezone.now() - timedelta(minutes=1)
    round.save(update_fields=["closes_at"])
    assert sweep().rounds == 1


def test_the_partner_command_scores_a_closed_round_as_a_celery_worker_does(
        contest_tx, tiny_model_folders, worker, live_server, engine_venv, outside, tmp_path):  # noqa: F811
    world = make_world(contest_tx, entries=entries(tiny_model_folders), start_private=False)
    assert not Run.objects.exists()  # the private series wait for the round to close
    close_round(world)
    acme_run, celery_run = world.run("acme-1"), world.run("held-1")
    log = tmp_path / "partner.log"
    with open(log, "wb") as out:
        process = partner_command(engine_venv, outside, live_server.url, world.acme_token,
                                  str(tiny_model_folders["held-1"].folder), out)
        assert process.wait(timeout=600) == 0, log.read_text()[-3000:]
    wait_for(lambda: Run.objects.get(pk=celery_run.pk).status == "done", timeout=300, what="the Celery run")
    acme_run.refresh_from_db()
    celery_run.refresh_from_db()
    assert (acme_run.status, acme_run.attempts, acme_run.done_examples, acme_run.total_examples) == ("done", 1, 340, 340)
    assert world.run("beta-1").status == "queued"  # Beta's run waits for Beta
    assert f"claimed run {acme_run.pk} on acme-1 (attempt 1)" in log.read_text()

    organizer = factories.organizer()
    client = APIClient()
    client.force_login(organizer)
    body = client.get(f"/api/submissions/{world.submission.pk}/results/").json()
    for file in body["files"]:
        by_series = {s["series"]: s["models"][0] for s in file["series"] if s["models"]}  # Beta has not scored
        partner, celery = by_series["acme-held"], by_series["held-out"]
        assert (partner["n"], partner["params"]) == (celery["n"], celery["params"]) == (file["rows"], 3_000_000)
        for key in ("mean", "sem", "accuracy", "class_mass", "baseline"):
            assert partner[key] == pytest.approx(celery[key], abs=1e-6), (file["name"], key)
    for sha in (f["sha256"] for f in acme_run.files):
        mine = Result.objects.get(model_identity=acme_run.model_identity, file_sha256=sha)
        theirs = Result.objects.get(model_identity=celery_run.model_identity, file_sha256=sha)
        assert mine.examples["line"] == theirs.examples["line"]
        assert mine.examples["predicted"] == theirs.examples["predicted"]
        assert mine.examples["correct"] == theirs.examples["correct"]
        for column in ("value", "total_logprob"):
            assert mine.examples[column] == pytest.approx(theirs.examples[column], abs=1e-6)
    assert acme_run.model_identity == f"partner:{world.acme.pk}:acme-1:{celery_run.model_identity}"
    assert list(AuditEntry.objects.filter(action__in=["partner_claimed", "partner_uploaded"]).order_by("pk")
                .values_list("action", flat=True)) == ["partner_claimed", "partner_uploaded"]


def test_a_killed_partner_command_loses_its_lease_and_a_second_claim_completes_the_run(
        contest_tx, tiny_model_folders, live_server, engine_venv, outside, tmp_path, settings):  # noqa: F811
    world = make_world(contest_tx, rows=1500)  # long enough to be killed mid-run
    run = world.run("acme-1")
    spec = str(tiny_model_folders["held-2"].folder)

    with open(tmp_path / "killed.log", "wb") as out:
        first = partner_command(engine_venv, outside, live_server.url, world.acme_token, spec, out)
        try:
            wait_for(lambda: Run.objects.filter(pk=run.pk, status="running", done_examples__gt=0).exists(),
                     timeout=300, what="the first command's progress", process=first)
        finally:
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
    run.refresh_from_db()
    assert (run.status, run.attempts, Result.objects.count()) == ("running", 1, 0)

    later = timezone.now() + timedelta(seconds=settings.EVALUATION_STALE_AFTER_SECONDS + 1)
    assert sweep(now=later).requeued == 1
    run.refresh_from_db()
    assert (run.status, run.attempts, run.task_id) == ("queued", 1, "")

    with open(tmp_path / "second.log", "wb") as out:
        second = partner_command(engine_venv, outside, live_server.url, world.acme_token, spec, out)
        assert second.wait(timeout=600) == 0, (tmp_path / "second.log").read_text()[-3000:]
    run.refresh_from_db()
    assert (run.status, run.attempts, run.done_examples, run.total_examples) == ("done", 2, 1540, 1540)
    assert (tmp_path / "second.log").read_text().count("claimed run") == 1
    assert Result.objects.filter(model_identity=run.model_identity).count() == 2  # one result set: two files
    assert Result.objects.count() == 2
    assert AuditEntry.objects.filter(action="partner_claimed").count() == 2
    assert AuditEntry.objects.filter(action="partner_uploaded").count() == 1


def test_ctrl_c_stops_the_partner_command_cleanly_and_the_run_is_retried(
        contest_tx, tiny_model_folders, live_server, engine_venv, outside, tmp_path, settings):  # noqa: F811
    world = make_world(contest_tx, rows=1500)  # long enough to be interrupted mid-run
    run = world.run("acme-1")
    log = tmp_path / "interrupted.log"
    with open(log, "wb") as out:
        process = partner_command(engine_venv, outside, live_server.url, world.acme_token,
                                  str(tiny_model_folders["held-2"].folder), out)
        wait_for(lambda: Run.objects.filter(pk=run.pk, status="running", done_examples__gt=0).exists(),
                 timeout=300, what="the command's progress", process=process)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 130
    assert log.read_text().strip().splitlines()[-1] == \
        "interrupted: a claimed run's lease will run out and the portal will retry it."
    later = timezone.now() + timedelta(seconds=settings.EVALUATION_STALE_AFTER_SECONDS + 1)
    assert sweep(now=later).requeued == 1
    run.refresh_from_db()
    assert (run.status, run.attempts, Result.objects.count()) == ("queued", 1, 0)
