"""The sweep runs whatever the workers are doing: under scripts/run's own process layout (the very script
it starts, scripts/celery-processes), a round that closes while the only scoring worker is busy gets its
private evaluation started at once, not when the scoring ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from evaluation.models import ModelSeries, PrivateEvaluation, Run
from portal.celery import app
from tests import datasets
from tests.evaluation.conftest import submit
from tests.live import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_until(condition, *, timeout: float, what: str, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; runs: "
                         f"{list(Run.objects.values_list('model__name', 'status', 'phase'))}\n"
                         f"{log.read_text(errors='replace')[-4000:]}")


def database_url() -> str:
    db = connection.settings_dict  # the test database this test's rows are in
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_processes(tmp_path, transactional_db):
    """scripts/celery-processes, as scripts/run starts it, on this test's database and Redis, with beat
    sending the sweep every 2 s (EVALUATION_SWEEP_SECONDS)."""
    with app.connection_for_write() as conn:
        for queue in ("cpu", settings.SWEEP_QUEUE):
            conn.default_channel.queue_purge(queue)
    env = {**os.environ, "DATABASE_URL": database_url(), "REDIS_URL": settings.REDIS_URL,
           "DJANGO_SETTINGS_MODULE": "portal.settings", "EVALUATION_SWEEP_SECONDS": "2",
           "PORTAL_STORAGE_DIR": str(settings.STORAGE_DIR), "DATABASE_CONN_MAX_AGE": "0",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = tmp_path / "celery.log"
    with log.open("w") as out:
        process = subprocess.Popen([str(ROOT / "scripts" / "celery-processes"), str(tmp_path / "var")], env=env,
                                   cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield log
    finally:
        process.send_signal(signal.SIGTERM)  # what scripts/run's trap sends
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise AssertionError(f"scripts/celery-processes did not stop on TERM:\n{log.read_text()[-3000:]}") from None


def test_a_round_closing_while_the_only_worker_scores_gets_its_private_evaluation_at_once(
        contest_tx, tiny_series, celery_processes):
    # long enough that the worker is busy for a while: 3,000 examples on each public model
    rows = datasets.syllogism_classification_rows(n=3000, seed=11)
    submission = submit(contest=contest_tx, task_name="busy",
                        zip_bytes=datasets.make_zip({"busy.csv": datasets.to_csv_bytes(rows)}))
    public = Run.objects.filter(version=submission.current_version, model__series__visibility=ModelSeries.PUBLIC)
    wait_until(lambda: public.filter(status=Run.RUNNING, phase="scoring").exists(), timeout=180,
               what="the worker to start scoring", log=celery_processes)

    round = submission.round
    round.closes_at = timezone.now() - timedelta(seconds=1)
    round.save(update_fields=["closes_at"])
    closed = time.monotonic()
    started = wait_until(lambda: PrivateEvaluation.objects.filter(round=round).first(), timeout=120,
                         what="the private evaluation to start (within 2 minutes of the close)", log=celery_processes)
    assert time.monotonic() - closed < 120
    assert started.started_by is None  # the sweep started it
    assert sorted(Run.objects.filter(model__series__visibility=ModelSeries.PRIVATE)
                  .values_list("model__name", flat=True)) == ["held-1", "held-2"]
    # ... while the only scoring worker was busy: some public run was being scored at that moment
    busy = [run for run in public.exclude(started_at=None)
            if run.started_at <= started.started_at and (run.finished_at is None or run.finished_at >= started.started_at)]
    assert busy, [(r.model.name, r.status, r.started_at, r.finished_at, started.started_at) for r in public]
    assert public.exclude(status__in=Run.FINISHED).exists() or busy[0].finished_at > started.started_at
