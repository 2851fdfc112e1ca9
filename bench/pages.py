"""Benchmark: latency of the pages and the API with 10,000 submissions in PostgreSQL and 50
concurrent clients (locust). Prints p50, p95 and p99 per page; asserts nothing (the query count per
page is asserted in tests/test_query_counts.py).

1. Makes a PostgreSQL database of its own (dropped first if it exists) and migrates it.
2. Seeds it with bulk_create: 50 accounts (45 contestants, 5 organizers), one contest with an open
   round, N submissions owned by the contestants in turn, each with a version of one of 100 real
   task zips and two authors, and a public series of three models whose runs are done and whose
   results (300 examples each) are stored for every task file. The round's outcome: --accepted
   submissions reviewed twice (every criterion accepted; the first tenth grand), a third prize for
   the first --winners of them, the feedback released and the awards announced, so the public results
   page and the organizers' overview have their whole content. Each version's whole-task summary is kept, as
   the workers keep it when its runs finish (evaluation/summaries.py), so the overview reads them.
3. Starts the portal with gunicorn on 127.0.0.1 under the production settings (DEBUG off, the
   workers and keep-alive of docker-compose's web service) with Redis as the cache.
4. Runs locust headless in a child process: each client logs in with a session of its own (pages)
   and a token (API), waits 0.5 to 1.5 s between requests, and asks for the home page, the
   submission list (any page), a submission's page with its results panel, its progress JSON,
   GET /api/submissions/<id>/, /api/submissions/<id>/results/ and /api/contests/, the public page of the round,
   and (the organizers) the round's overview. The first
   seconds (--warmup) are not counted. The trend cache starts cold: each run seeds new model
   identities, so every task file's trends are computed on their first view.

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -r requirements.txt -r bench/requirements.txt
    .venv-bench/bin/python bench/pages.py [--submissions 10000] [--users 50] [--seconds 60]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONTESTANTS, ORGANIZERS = 45, 5
TASK_FILES = 100
MODELS = [("bench-small", 125_000_000), ("bench-medium", 350_000_000), ("bench-large", 1_300_000_000)]
PAGE = "submission page (results panel)"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50, help="concurrent locust clients")
    parser.add_argument("--seconds", type=int, default=60, help="how long the measured load lasts")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before measuring")
    parser.add_argument("--accepted", type=int, default=40, help="submissions reviewed and accepted")
    parser.add_argument("--winners", type=int, default=10, help="of those, third prizes announced")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (docker-compose's default)")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL",
                                                               "postgres://postgres@127.0.0.1:5432/portal_bench"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--load", help=argparse.SUPPRESS)  # the child process: a JSON spec of the load
    return parser.parse_args()


# --- the database ----------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import dj_database_url
    import psycopg2

    config = dj_database_url.parse(url)
    connection = psycopg2.connect(dbname="postgres", user=config["USER"], password=config["PASSWORD"] or None,
                                  host=config["HOST"], port=config["PORT"] or 5432)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{config["NAME"]}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    connection.close()


def portal_environment(args: argparse.Namespace, var_dir: Path) -> dict[str, str]:
    """The production settings, served over plain HTTP on 127.0.0.1."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url, "DEBUG": "false", "SECRET_KEY": secrets.token_hex(32),
            "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false",
            "PORTAL_VAR_DIR": str(var_dir), "LOG_LEVEL": "WARNING"}


# --- seeding -----------------------------------------------------------------------------------------


def seed_accounts() -> tuple[list, list]:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    from portal.models import Profile
    from portal.roles import CONTESTANT, ORGANIZER

    password = make_password("bench-password")
    roles = [CONTESTANT] * CONTESTANTS + [ORGANIZER] * ORGANIZERS
    users = User.objects.bulk_create(
        User(username=f"bench{i:02d}", email=f"bench{i:02d}@example.org", password=password, is_staff=role == ORGANIZER)
        for i, role in enumerate(roles))
    Profile.objects.bulk_create(Profile(user=user, role=role) for user, role in zip(users, roles))
    return users[:CONTESTANTS], users[CONTESTANTS:]


def seed_reviewers() -> list:
    from django.contrib.auth.models import User

    from portal.models import Profile
    from portal.roles import REVIEWER

    users = User.objects.bulk_create(User(username=f"benchrev{i}", email=f"benchrev{i}@reviewers.test")
                                     for i in range(4))
    Profile.objects.bulk_create(Profile(user=user, role=REVIEWER) for user in users)
    return users


def seed_task_files() -> list[dict]:
    """TASK_FILES real zips in storage: [{zip name, sha256, size, files}]."""
    import hashlib

    from portal import uploads
    from portal.samples import make_zip, syllogism_classification_rows, to_csv_bytes

    stored = []
    for k in range(TASK_FILES):
        csv = to_csv_bytes(syllogism_classification_rows(n=300, seed=k))
        data = make_zip({"bench-task.csv": csv})
        sha = hashlib.sha256(data).hexdigest()
        name = uploads.store_zip(uploads.as_binary_file(data), sha256=sha)
        stored.append({"name": name, "sha256": sha, "size": len(data), "files": [{
            "name": "bench-task.csv", "kind": "main", "index": None, "rows": 300,
            "columns": ["prompt", "classes", "answer_index"], "sha256": hashlib.sha256(csv).hexdigest()}]})
    return stored


def seed_series(task_files: list[dict], *, tag: str) -> list:
    """A public series of three models, and their results on every task file (300 examples each)."""
    from evaluation.models import LanguageModel, ModelSeries, Result

    series = ModelSeries.objects.create(name="bench", visibility=ModelSeries.PUBLIC)
    models = LanguageModel.objects.bulk_create(
        LanguageModel(series=series, name=name, spec=f"/models/{name}", params=params, position=i,
                      identity=f"{name}@{tag}") for i, (name, params) in enumerate(MODELS))
    results = []
    for k, f in enumerate(task_files):
        slope = (k % 5 - 2) * 0.05  # rising, flat and falling files
        for i, model in enumerate(models):
            values = [0.6 + slope * i + 0.3 * math.sin(j * (k + 1) + i) ** 2 for j in range(300)]
            results.append(Result(
                model_identity=model.identity, file_sha256=f["files"][0]["sha256"], metric="classification", n=300,
                mean=sum(values) / 300, sem=0.01, accuracy=0.55, class_mass=0.9, baseline=math.log(2),
                baseline_accuracy=0.5, examples={"line": list(range(2, 302)), "value": values,
                                                 "correct": [j % 2 == 0 for j in range(300)],
                                                 "predicted": [j % 2 for j in range(300)],
                                                 "total_logprob": [-v for v in values]}))
    Result.objects.bulk_create(results, batch_size=100)
    return models


def seed_submissions(*, count: int, contestants: list, task_files: list[dict], models: list) -> dict[int, list[int]]:
    """`count` submissions with one version, two authors and a done run per model; ids by owner."""
    from datetime import timedelta

    from django.utils import timezone

    from evaluation.models import Run
    from portal.models import Author, Contest, Round, Submission, SubmissionVersion

    now = timezone.now()
    contest = Contest.objects.create(name="Inverse Scaling Prize (bench)", slug="bench", description="Seeded.")
    open_round = Round.objects.create(contest=contest, number=1, opens_at=now - timedelta(days=10),
                                      closes_at=now + timedelta(days=30))
    owners = [contestants[i % len(contestants)] for i in range(count)]
    submissions = Submission.objects.bulk_create(
        (Submission(contest=contest, round=open_round, owner=owner, task_name=f"bench-task-{i:05d}", number=i + 1)
         for i, owner in enumerate(owners)), batch_size=2000)
    versions = SubmissionVersion.objects.bulk_create((SubmissionVersion(
        submission=s, number=1, created_by=s.owner, task_name=s.task_name, metric="classification",
        what_it_tests="Whether models follow the logic of a syllogism.", correct_behaviour="Answer Yes when it follows.",
        why_it_matters="Belief bias misleads users.", shot_setting="zero-shot", data_generation="Templates.",
        zip_file=f["name"], zip_sha256=f["sha256"], zip_size=f["size"], files=f["files"], warnings=[])
        for s, f in ((s, task_files[i % len(task_files)]) for i, s in enumerate(submissions))), batch_size=2000)
    Author.objects.bulk_create((Author(version=v, order=order, name=name, email=f"{name.split()[0].lower()}@example.org")
                                for v in versions for order, name in ((1, "Ada Lovelace"), (2, "Charles Babbage"))),
                               batch_size=5000)
    for submission, version in zip(submissions, versions):
        submission.current_version = version
    Submission.objects.bulk_update(submissions, ["current_version"], batch_size=1000)
    Run.objects.bulk_create((Run(version=v, model=m, status=Run.DONE, attempts=1, done_examples=300,
                                 total_examples=300, files=v.files, model_identity=m.identity, finished_at=now)
                             for v in versions for m in models), batch_size=5000)
    by_owner: dict[int, list[int]] = {}
    for submission in submissions:
        by_owner.setdefault(submission.owner_id, []).append(submission.pk)
    return by_owner


def seed_outcome(*, accepted: int, winners: int, reviewers: list) -> None:
    """The first `accepted` submissions reviewed twice and accepted, the first `winners` of them awarded a third
    prize; the round's feedback released and its awards announced (rows written directly)."""
    from django.utils import timezone

    from portal.models import Round, Submission
    from reviews.models import Assignment, Award, Criterion, Review, ReviewRound

    now = timezone.now()
    keys = list(Criterion.objects.values_list("key", flat=True))
    chosen = list(Submission.objects.order_by("number")[:accepted])
    assignments = Assignment.objects.bulk_create(
        Assignment(submission=s, reviewer=reviewers[(i + k) % len(reviewers)], number=k + 1)
        for i, s in enumerate(chosen) for k in range(2))
    Review.objects.bulk_create(Review(assignment=a, levels=dict.fromkeys(keys, "grand" if n < accepted // 10 * 2 else
                                                                          "accepted"),
                                      to_authors="Clear.", status=Review.SUBMITTED, submitted_at=now)
                               for n, a in enumerate(assignments))
    Award.objects.bulk_create(Award(submission=s, round=s.round, tier="third", amount=5_000, proposed_tier="third")
                              for s in chosen[:winners])
    round = Round.objects.get()
    round.feedback_released_at = now
    round.save(update_fields=["feedback_released_at"])
    ReviewRound.objects.update_or_create(round=round, defaults={"awards_announced_at": now})


def credentials(users: list, *, submissions: list[int]) -> list[dict]:
    """A session (for the pages) and a token (for the API) per account, and the submissions it may open."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework.authtoken.models import Token

    out = []
    for user, ids in zip(users, submissions):
        session = SessionStore()
        session.update({SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                        HASH_SESSION_KEY: user.get_session_auth_hash()})
        session.create()
        out.append({"username": user.username, "session": session.session_key, "organizer": user.is_staff,
                    "token": Token.objects.create(user=user).key, "submissions": ids})
    return out


def seed(*, count: int, accepted: int, winners: int) -> list[dict]:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    tag = secrets.token_hex(4)  # new model identities: the trend cache starts cold
    contestants, organizers = seed_accounts()
    task_files = seed_task_files()
    models = seed_series(task_files, tag=tag)
    by_owner = seed_submissions(count=count, contestants=contestants, task_files=task_files, models=models)
    seed_outcome(accepted=min(accepted, count), winners=min(winners, accepted, count), reviewers=seed_reviewers())
    every = [pk for ids in by_owner.values() for pk in ids]
    from django.db import connection

    from evaluation import summaries
    from portal.models import SubmissionVersion
    summaries.keep(SubmissionVersion.objects.values("pk"), read=summaries.registry())  # as the workers would have
    with connection.cursor() as cursor:  # the planner's statistics, as autovacuum would have them in production
        cursor.execute("ANALYZE")
    return (credentials(contestants, submissions=[by_owner[u.pk] for u in contestants])
            + credentials(organizers, submissions=[every] * len(organizers)))


# --- the server and the load -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(env: dict[str, str], *, port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--timeout", "120", "--keep-alive", "5", "--log-level", "warning"],
        cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return server
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see its output above.")
        time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not listen within 60 s.")


def run_load(spec_path: str) -> None:
    """The child process: locust's library runner (gevent) against the server; stats as JSON on stdout."""
    import itertools
    import random

    import gevent
    from locust import HttpUser, between, task
    from locust.env import Environment

    spec = json.loads(Path(spec_path).read_text())
    accounts = itertools.cycle(spec["accounts"])

    class Client(HttpUser):
        host = spec["host"]
        wait_time = between(0.5, 1.5)

        def on_start(self):
            account = next(accounts)
            self.client.cookies.set("sessionid", account["session"])
            self.api = {"Authorization": f"Token {account['token']}"}
            self.ids = account["submissions"]
            self.organizer = account["organizer"]
            self.pages = max(1, math.ceil(len(self.ids) / spec["per_page"]))

        @task(2)
        def home(self):
            self.client.get("/", name="home /")

        @task(2)
        def submission_list(self):
            self.client.get(f"/submissions/?page={random.randint(1, self.pages)}", name="list /submissions/")

        @task(3)
        def submission_page(self):
            self.client.get(f"/submissions/{random.choice(self.ids)}/", name=PAGE)

        @task(1)
        def progress(self):
            self.client.get(f"/submissions/{random.choice(self.ids)}/evaluation/progress/",
                            name="progress /submissions/[id]/evaluation/progress/")

        @task(2)
        def api_submission(self):
            self.client.get(f"/api/submissions/{random.choice(self.ids)}/", headers=self.api,
                            name="API /api/submissions/[id]/")

        @task(2)
        def api_results(self):
            self.client.get(f"/api/submissions/{random.choice(self.ids)}/results/", headers=self.api,
                            name="API /api/submissions/[id]/results/")

        @task(2)
        def public_round(self):
            self.client.get("/results/bench/rounds/1/", name="public /results/bench/rounds/1/")

        @task(1)
        def overview(self):
            if self.organizer:
                self.client.get("/reviews/contests/bench/rounds/1/overview/",
                                name="overview /reviews/contests/bench/rounds/1/overview/")

        @task(1)
        def api_contests(self):
            self.client.get("/api/contests/", headers=self.api, name="API /api/contests/")

    env = Environment(user_classes=[Client])
    runner = env.create_local_runner()
    runner.start(spec["users"], spawn_rate=spec["users"])
    gevent.sleep(spec["warmup"])
    env.stats.reset_all()
    gevent.sleep(spec["seconds"])
    runner.quit()
    entries = sorted(env.stats.entries.values(), key=lambda e: e.name) + [env.stats.total]
    print(json.dumps([{"name": e.name, "requests": e.num_requests, "failures": e.num_failures,
                       "rps": e.num_requests / spec["seconds"],
                       **{p: e.get_response_time_percentile(q) for p, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))}}
                      for e in entries]))


def print_table(rows: list[dict], *, args: argparse.Namespace, load_before: float) -> None:
    print(f"\n{args.submissions} submissions, {args.users} clients, {args.seconds} s measured "
          f"(after {args.warmup} s of warm-up), gunicorn with {args.workers} workers, {os.cpu_count()} CPUs "
          f"(1-minute load average {load_before:.1f} before the load, {os.getloadavg()[0]:.1f} after)\n")
    width = max(len(r["name"]) for r in rows)
    print(f"{'page':<{width}}  {'requests':>8}  {'fail':>4}  {'req/s':>6}  {'p50 ms':>6}  {'p95 ms':>6}  {'p99 ms':>6}")
    for r in rows:
        print(f"{r['name']:<{width}}  {r['requests']:>8}  {r['failures']:>4}  {r['rps']:>6.1f}  "
              f"{r['p50']:>6.0f}  {r['p95']:>6.0f}  {r['p99']:>6.0f}")
    print("\nThe goal: p95 under 200 ms on every page (tests/test_query_counts.py asserts no N+1 queries).")


def main() -> None:
    args = parse_args()
    if args.load:
        run_load(args.load)
        return
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    env = portal_environment(args, work)
    os.environ.update(env)
    print(f"Seeding {args.submissions} submissions into {args.database_url} ...", flush=True)
    started = time.monotonic()
    recreate_database(args.database_url)
    accounts = seed(count=args.submissions, accepted=args.accepted, winners=args.winners)
    print(f"Seeded in {time.monotonic() - started:.0f} s.", flush=True)
    from portal.views import SUBMISSIONS_PER_PAGE
    port = free_port()
    server = start_gunicorn(env, port=port, workers=args.workers)
    load_before = os.getloadavg()[0]
    try:
        spec = work / "load.json"
        spec.write_text(json.dumps({"host": f"http://127.0.0.1:{port}", "users": args.users, "seconds": args.seconds,
                                    "warmup": args.warmup, "accounts": accounts, "per_page": SUBMISSIONS_PER_PAGE}))
        load = subprocess.run([sys.executable, __file__, "--load", str(spec)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True, check=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print_table(json.loads(load.stdout.strip().splitlines()[-1]), args=args, load_before=load_before)


if __name__ == "__main__":
    main()
