"""Faults, with real processes: a worker killed with SIGKILL in the middle of a task, Redis
restarted during a run, and the broker down when a version is saved.

Each test runs its own Redis server (so restarting it disturbs nobody) and real `celery worker`
processes on the test database; the sweep runs in a process of its own, as beat would run it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psutil
import pytest
from django.db import connection
from django.utils import timezone

from evaluation.models import Result, Run
from evaluation.services import register_series
from tests import datasets, factories
from tests.evaluation.conftest import series_entries, submit

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
ROWS = 3000  # several seconds per model on a tiny model: long enough to be interrupted


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OwnRedis:
    """A redis-server of the test's own, on a free port, that keeps nothing on disk."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis():
    redis = OwnRedis()
    yield redis
    redis.stop()


@pytest.fixture
def env(own_redis, settings):
    """The environment of every process a test starts: the test database, its own Redis, the
    test's storage folder, and short delays for the sweep."""
    name = connection.settings_dict["NAME"]
    return dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", PYTHONPATH=str(ROOT),
                DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}", REDIS_URL=own_redis.url,
                PORTAL_STORAGE_DIR=str(settings.STORAGE_DIR), EVALUATION_STALE_AFTER_SECONDS="4",
                EVALUATION_HEARTBEAT_SECONDS="1", EVALUATION_RESEND_AFTER_SECONDS="2",
                EVALUATION_RETRY_DELAY_SECONDS="0", LOG_LEVEL="WARNING")


class Workers:
    def __init__(self, env: dict, tmp_path: Path):
        self.env, self.tmp_path, self.processes = env, tmp_path, []

    def start(self, *, pool: str = "prefork") -> subprocess.Popen:
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "w")  # noqa: SIM115 (closed in stop)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", f"--pool={pool}", "--concurrency=1",
             "--queues=cpu", "--loglevel=info", "--without-heartbeat", "--without-mingle", "--without-gossip",
             f"--hostname=fault{len(self.processes)}@%h"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append((process, log))
        return process

    def stop(self) -> None:
        for process, log in self.processes:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
            log.close()

    def logs(self) -> str:
        return "\n".join((self.tmp_path / f"worker-{i}.log").read_text()[-3000:] for i in range(len(self.processes)))


@pytest.fixture
def workers(env, tmp_path):
    pool = Workers(env, tmp_path)
    yield pool
    pool.stop()


def django(env: dict, code: str) -> str:
    """Run Python in a Django process of its own (as the web server or beat would)."""
    done = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


SWEEP = "from evaluation import sweep; print(sweep.sweep().as_dict())"


def sweep_later(seconds: float) -> str:
    """The sweep as it runs `seconds` from now: time moves for it alone, the test waits for nothing."""
    return ("from datetime import timedelta; from django.utils import timezone; from evaluation import sweep; "
            f"print(sweep.sweep(now=timezone.now() + timedelta(seconds={seconds})).as_dict())")


def wait_for(condition, *, timeout: float, what: str, workers: Workers | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    runs = list(Run.objects.values("model__name", "status", "attempts", "done_examples", "error"))
    raise AssertionError(f"timed out waiting for {what}: {runs}\n{workers.logs() if workers else ''}")


def big_submission(contest, models: dict):
    """A 3,000-row task on the tiny public series; its runs are left for the test's own broker."""
    register_series(entries=series_entries(models, private=False))
    rows = datasets.syllogism_classification_rows(n=ROWS, seed=3)
    submission = submit(contest=contest, task_name="big", zip_bytes=datasets.make_zip(
        {"big.csv": datasets.to_csv_bytes(rows)}))
    # the in-process send went to the session's Redis; these runs are the test broker's to deliver
    Run.objects.update(sent_at=None, task_id="", queued_at=timezone.now() - timedelta(minutes=1))
    return submission


def running_midway(run_pk: int) -> bool:
    run = Run.objects.get(pk=run_pk)
    return run.status == Run.RUNNING and 0 < run.done_examples < run.total_examples


def test_a_worker_process_killed_mid_task_gets_the_task_again_and_it_completes_once(
        contest_tx, tiny_model_folders, own_redis, env, workers):
    own_redis.start()
    submission = big_submission(contest_tx, tiny_model_folders)
    runs = list(Run.objects.filter(version=submission.current_version).order_by("model__position"))
    worker = workers.start(pool="prefork")
    assert "{'sent': 3," in django(env, SWEEP)

    first = runs[0]
    wait_for(lambda: running_midway(first.pk), timeout=300, what="the first run to be half done", workers=workers)
    child = psutil.Process(worker.pid).children()[0]
    os.kill(child.pid, signal.SIGKILL)  # the process scoring the task dies at once

    wait_for(lambda: not Run.objects.exclude(status=Run.DONE).exists(), timeout=600, what="every run to finish",
             workers=workers)
    first.refresh_from_db()
    assert (first.status, first.attempts, first.done_examples, first.total_examples) == ("done", 2, ROWS, ROWS)
    assert sorted(Run.objects.values_list("attempts", flat=True)) == [1, 1, 2]
    assert Result.objects.count() == 3  # one file x three models: no row counted twice
    assert "WorkerLostError" in workers.logs() or "Process 'ForkPoolWorker" in workers.logs()


def test_a_whole_worker_killed_mid_task_is_requeued_by_the_sweep_and_completes_once(
        contest_tx, tiny_model_folders, own_redis, env, workers):
    own_redis.start()
    submission = big_submission(contest_tx, tiny_model_folders)
    first = Run.objects.filter(version=submission.current_version).order_by("model__position").first()
    doomed = workers.start(pool="solo")
    django(env, SWEEP)
    wait_for(lambda: running_midway(first.pk), timeout=300, what="the first run to be half done", workers=workers)
    doomed.kill()  # SIGKILL: its message stays unacknowledged until the visibility timeout
    doomed.wait()
    # longer than EVALUATION_STALE_AFTER_SECONDS (4 s) after its last heartbeat, which cannot come again
    report = django(env, sweep_later(5))
    assert "'requeued': 1" in report, report
    workers.start(pool="solo")
    wait_for(lambda: not Run.objects.exclude(status=Run.DONE).exists(), timeout=600, what="every run to finish",
             workers=workers)
    first.refresh_from_db()
    assert (first.attempts, first.done_examples) == (2, ROWS)
    assert first.error.startswith("attempt 1: the worker stopped answering (no heartbeat since ")
    assert Result.objects.count() == 3


def test_redis_restarted_during_a_run_loses_no_work_and_counts_nothing_twice(
        contest_tx, tiny_model_folders, own_redis, env, workers):
    own_redis.start()
    submission = big_submission(contest_tx, tiny_model_folders)
    first = Run.objects.filter(version=submission.current_version).order_by("model__position").first()
    workers.start(pool="solo")
    django(env, SWEEP)
    wait_for(lambda: running_midway(first.pk), timeout=300, what="the first run to be half done", workers=workers)
    own_redis.stop()  # it keeps nothing on disk: the two queued messages are gone
    own_redis.start()

    wait_for(lambda: Run.objects.get(pk=first.pk).status == Run.DONE, timeout=120, what="the running run",
             workers=workers)
    assert set(Run.objects.exclude(pk=first.pk).values_list("status", flat=True)) == {"queued"}
    # EVALUATION_RESEND_AFTER_SECONDS (2 s) later, a message sent and never claimed is taken as lost
    assert "'sent': 2" in django(env, sweep_later(2.5))
    wait_for(lambda: not Run.objects.exclude(status=Run.DONE).exists(), timeout=600, what="every run to finish",
             workers=workers)
    assert sorted(Run.objects.values_list("attempts", flat=True)) == [1, 1, 1]
    assert Result.objects.count() == 3


def test_a_version_saved_while_the_broker_is_down_is_kept_and_evaluated_when_it_is_back(
        contest_tx, tiny_model_folders, own_redis, env, workers):
    register_series(entries=series_entries(tiny_model_folders, private=False))
    owner_id = factories.contestant().pk
    saved = django(env, f"""
from django.contrib.auth.models import User
from portal.models import Contest
from portal import services
from tests import factories
from tests.evaluation.conftest import syllogism_zip
submission = services.create_submission(user=User.objects.get(pk={owner_id}), contest=Contest.objects.get(pk={contest_tx.pk}),
    data=factories.submission_data(task_name="offline"), zip_file=syllogism_zip("offline"))
print("SAVED", submission.current_version.number)
""")
    assert "SAVED 1" in saved  # the broker is down (nothing listens on its port), the save succeeds
    runs = Run.objects.filter(version__submission__task_name="offline")
    assert set(runs.values_list("status", "sent_at")) == {("queued", None)}

    own_redis.start()
    workers.start(pool="solo")
    assert "'sent': 3" in django(env, SWEEP)
    wait_for(lambda: runs.exists() and not runs.exclude(status=Run.DONE).exists(), timeout=180,
             what="the runs of the version saved offline", workers=workers)
    assert Result.objects.count() == 3
