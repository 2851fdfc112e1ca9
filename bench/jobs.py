"""Benchmark: evaluation jobs through the real Redis and two Celery worker processes.

Saves --versions submissions (one version each, a zip with a main file of --rows rows and a
control file of 40, all distinct, so that no file is cached) through the contest side's own
service, which queues one task per (version, model) on the cpu queue for each of 4 tiny real
models (tests/engine/tiny_models). Then starts --workers `celery -A portal worker -Q cpu -c 1`
processes and waits until every run is done.

Prints tasks per second and examples per second (from the first claim to the last finish, read
from the runs); model loads per task (Run.loaded_model): a worker keeps its last model loaded and,
after a task, scores up to EVALUATION_DRAIN_MAX queued runs of that model, so the goal of about
one load per model per worker is bounded below by versions / (EVALUATION_DRAIN_MAX + 1) loads per
model; and the result rows, which must be versions x models x files exactly: it prints expected
and got, and exits 1 when they differ or a run did not finish as done.

It uses its own PostgreSQL database (portal_bench_jobs: created, migrated, dropped) and Redis db 13
(flushed before and after), and removes the folder it stores models and uploads in. The workers
inherit the environment, so EVALUATION_DRAIN_MAX=50 in front compares another drain limit.

    .venv/bin/python bench/jobs.py [--versions 50] [--rows 300] [--workers 2] [--timeout 1200]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "portal_bench_jobs"
POSTGRES = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
# Four tiny real models (kind, size, the parameters the series plots them at); the smallest size,
# since this measures the jobs around the scoring rather than the scoring itself.
MODELS = [("gpt2", "xs", 1_000_000), ("llama", "xs", 2_000_000), ("gpt2", "xs", 4_000_000), ("llama", "xs", 8_000_000)]
WINDOW = 256  # the syllogism prompts (about 220 tokens) fit
CONTROL_ROWS = 40
FILES_PER_VERSION = 2  # the main file and one control file


def configure(var_dir: Path) -> None:
    """The environment of this process and of the workers it starts: set before Django loads."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings", "DATABASE_URL": f"{POSTGRES}/{DATABASE}", "REDIS_URL": REDIS_URL,
        "PORTAL_VAR_DIR": str(var_dir), "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "EVALUATION_DEVICE": "cpu", "LOG_LEVEL": "WARNING"})


def postgres(sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(f"{POSTGRES}/postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def flush_redis() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()


def register_models(folder: Path) -> None:
    from evaluation.registry import ModelEntry, SeriesEntry
    from evaluation.services import register_series
    from tests.engine.tiny_models import save

    entries = []
    for seed, (kind, size, params) in enumerate(MODELS):
        name = f"bench-{seed + 1}-{kind}"
        path = save(kind, size, folder / name, window=WINDOW, seed=seed)
        entries.append(ModelEntry(name=name, spec=str(path), params=params, flops=None, queue="cpu"))
    register_series(entries=[SeriesEntry(name="bench", visibility="public", x_axis="params", models=tuple(entries))])


def queue_versions(*, versions: int, rows: int) -> float:
    """Save the submissions (their runs are sent to Redis as each commits); the seconds it took."""
    from portal import services
    from tests import datasets, factories

    contest = factories.RoundFactory(number=1).contest
    started = time.perf_counter()
    for i in range(versions):
        task = f"bench-task-{i:03d}"
        zip_bytes = datasets.make_zip({
            f"{task}.csv": datasets.to_csv_bytes(datasets.syllogism_classification_rows(n=rows, seed=2 * i)),
            f"{task}-CONTROL1.csv": datasets.to_csv_bytes(
                datasets.syllogism_classification_rows(n=CONTROL_ROWS, seed=2 * i + 1))})
        services.create_submission(user=factories.contestant(), contest=contest,
                                   data=factories.submission_data(task_name=task), zip_file=zip_bytes)
    return time.perf_counter() - started


def start_workers(*, count: int, log_dir: Path) -> list[subprocess.Popen]:
    """`celery -A portal worker -Q cpu -c 1` processes, one torch thread each (the machine's cores are shared)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    workers = []
    for i in range(count):
        with open(log_dir / f"worker-{i}.log", "wb") as log:  # the worker keeps its own copy of the file
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", "cpu", "-c", "1", "-n",
                 f"bench{i}@%h", "--loglevel", "INFO", "--without-gossip", "--without-mingle"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
    return workers


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def wait_until_finished(*, expected: int, workers: list[subprocess.Popen], timeout: float) -> None:
    from evaluation.models import Run

    deadline = time.monotonic() + timeout
    while Run.objects.filter(status__in=Run.FINISHED).count() < expected:
        if any(w.poll() is not None for w in workers):
            raise RuntimeError("a worker exited before the runs finished; see its log above")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the runs did not finish within {timeout:.0f} s: "
                               f"{dict(Counter(Run.objects.values_list('status', flat=True)))}")
        time.sleep(0.5)


def report(*, versions: int, rows: int, workers: int, queued_s: float, wall_s: float) -> bool:
    """Print the figures; True when every run is done and the result rows are exactly as expected."""
    from django.conf import settings
    from django.db.models import Max, Min

    from evaluation.models import Result, Run

    runs = Run.objects.all()
    statuses = Counter(runs.values_list("status", flat=True))
    span = runs.aggregate(first=Min("started_at"), last=Max("finished_at"))
    seconds = (span["last"] - span["first"]).total_seconds()
    loads = Counter(runs.filter(loaded_model=True).values_list("model__name", flat=True))
    tasks = versions * len(MODELS)
    examples = tasks * (rows + CONTROL_ROWS)
    expected_results, got_results = tasks * FILES_PER_VERSION, Result.objects.count()
    print(f"{versions} versions x {len(MODELS)} models = {tasks} tasks (each version: {rows} + {CONTROL_ROWS} rows "
          f"in {FILES_PER_VERSION} files), {workers} worker processes")
    print(f"runs: {dict(statuses)}")
    print(f"queueing (saving the {versions} versions): {queued_s:.1f} s")
    print(f"first claim to last finish: {seconds:.1f} s (from starting the workers: {wall_s:.1f} s)")
    print(f"tasks per second: {tasks / seconds:.2f}")
    print(f"examples per second: {examples / seconds:.0f}")
    drain = settings.EVALUATION_DRAIN_MAX  # a load scores its run and up to this many queued runs of the model
    print(f"model loads: {sum(loads.values())} ({', '.join(f'{m}: {n}' for m, n in sorted(loads.items()))}); "
          f"goal: about one per model per worker ({len(MODELS) * workers}); fewest possible with "
          f"EVALUATION_DRAIN_MAX={drain}: {len(MODELS) * math.ceil(versions / (drain + 1))}")
    print(f"model loads per task: {sum(loads.values()) / tasks:.3f}")
    print(f"result rows: expected {expected_results}, got {got_results}")
    return statuses == Counter({Run.DONE: tasks}) and got_results == expected_results


def run(args, var_dir: Path) -> bool:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    register_models(var_dir / "models")
    queued_s = queue_versions(versions=args.versions, rows=args.rows)
    started = time.monotonic()
    workers = start_workers(count=args.workers, log_dir=var_dir)
    try:
        wait_until_finished(expected=args.versions * len(MODELS), workers=workers, timeout=args.timeout)
        wall_s = time.monotonic() - started
    except RuntimeError:
        for log in sorted(var_dir.glob("worker-*.log")):
            print(f"--- {log.name} (last lines)\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:]))
        raise
    finally:
        stop_workers(workers)
    return report(versions=args.versions, rows=args.rows, workers=args.workers, queued_s=queued_s, wall_s=wall_s)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--versions", type=int, default=50)
    parser.add_argument("--rows", type=int, default=300, help="rows of a version's main file (the contest asks for 300)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=1200, help="seconds to wait for every run")
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    configure(var_dir)
    postgres(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    postgres(f"CREATE DATABASE {DATABASE}")
    flush_redis()
    try:
        ok = run(args, var_dir)
    finally:
        from django.db import connections

        connections.close_all()
        postgres(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        flush_redis()
        shutil.rmtree(var_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
