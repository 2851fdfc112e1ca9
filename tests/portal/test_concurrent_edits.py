"""Edits sent at the same moment, by threads, to a real `manage.py runserver` process: on SQLite
(the laptop default, a fresh var folder) and on PostgreSQL (the test database).

Each round, two contestants' submissions receive several simultaneous edits each (new zips and
fields-only edits mixed). No answer may be a 5xx (nor any refusal: every edit is saved), each
submission's versions must be numbered 1, 2, 3, ... without gaps, the current version must be the
last one, every stored zip must belong to a version (no orphan files), and a fields-only edit must
keep the zip of the version before it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.db import connection

from tests import datasets, live

pytestmark = pytest.mark.integration

ROUNDS = 3
EDITS_PER_SUBMISSION = 6
PASSWORD = "a-long-test-password"

FACTS = """
import json
from portal.models import Submission, SubmissionVersion
print(json.dumps({
    "versions": {s.owner.username: sorted(s.versions.values_list("number", flat=True)) for s in Submission.objects.all()},
    "history": {s.owner.username: list(s.versions.order_by("number").values_list("why_it_matters", "zip_file"))
                for s in Submission.objects.all()},
    "current": {s.owner.username: s.current_version.number for s in Submission.objects.all()},
    "zips": sorted(set(SubmissionVersion.objects.values_list("zip_file", flat=True))),
}))
"""


def form(task_name: str, *, why: str, token: str) -> dict[str, str]:
    return {"csrfmiddlewaretoken": token, "task_name": task_name, "metric": "classification",
            "shot_setting": "zero-shot", "what_it_tests": "Logic over belief.",
            "correct_behaviour": "Answer Yes when it follows.", "why_it_matters": why,
            "data_generation": "Templates.", "authors-TOTAL_FORMS": "1", "authors-INITIAL_FORMS": "0",
            "authors-MIN_NUM_FORMS": "0", "authors-MAX_NUM_FORMS": "20",
            "authors-0-name": "Ada Lovelace", "authors-0-email": "ada@example.org"}


def task_zip(task_name: str, seed: int) -> bytes:
    rows = datasets.syllogism_classification_rows(n=300, seed=seed)
    return datasets.make_zip({f"{task_name}.csv": datasets.to_csv_bytes(rows)})


def create(server, session, task_name: str) -> str:
    page = session.get(f"{server.url}/contests/demo/submit/", timeout=60)
    answer = session.post(f"{server.url}/contests/demo/submit/", timeout=120, allow_redirects=False,
                          data=form(task_name, why="First.", token=live.csrf_token(page.content)),
                          files={"zip_file": (f"{task_name}.zip", task_zip(task_name, seed=0))})
    assert answer.status_code == 302, answer.text[:3000]
    return answer.headers["Location"]  # /submissions/<pk>/


def edit_all_at_once(server, sessions: dict[str, tuple], round_number: int) -> list[tuple[str, int, str]]:
    """Every thread waits at a barrier, then sends its edit; returns (who, status, body) per edit."""
    jobs = []
    for username, (session, detail, task_name) in sessions.items():
        token = live.csrf_token(session.get(server.url + detail + "edit/", timeout=60).content)
        for i in range(EDITS_PER_SUBMISSION):
            data = form(task_name, why=f"Round {round_number}, edit {i}.", token=token)
            files = ({"zip_file": (f"{task_name}.zip", task_zip(task_name, seed=100 * round_number + i))}
                     if i % 2 == 0 else None)
            jobs.append((username, session, server.url + detail + "edit/", data, files))
    barrier = threading.Barrier(len(jobs))
    answers: list[tuple[str, int, str]] = []

    def send(username, session, url, data, files):
        barrier.wait()
        try:
            answer = session.post(url, data=data, files=files, timeout=120, allow_redirects=False)
            answers.append((username, answer.status_code, answer.text[:2000]))
        except Exception as exc:  # a reset connection counts as a failure too
            answers.append((username, 0, repr(exc)))

    threads = [threading.Thread(target=send, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def run_contest(env: dict[str, str], tmp_path: Path, storage: Path) -> None:
    live.manage(env, "seed_demo", "--no-samples")
    for username in ("alice", "bob"):
        live.manage({**env, "PORTAL_NEW_PASSWORD": PASSWORD}, "create_account", username, "--role", "contestant",
                    "--email", f"{username}@example.org")
    with live.runserver(env, tmp_path / "runserver.log") as server:
        sessions = {}
        for username in ("alice", "bob"):
            session = live.logged_in(server, username, PASSWORD)
            task_name = f"{username}-task"
            sessions[username] = (session, create(server, session, task_name), task_name)
        for round_number in range(1, ROUNDS + 1):
            answers = edit_all_at_once(server, sessions, round_number)
            failed = [a for a in answers if a[1] != 302]
            assert failed == [], f"{failed}\n{server.log_text()}"

    facts = live.query(env, FACTS)
    expected = list(range(1, 2 + ROUNDS * EDITS_PER_SUBMISSION))
    assert facts["versions"] == {"alice": expected, "bob": expected}
    assert facts["current"] == {"alice": expected[-1], "bob": expected[-1]}
    stored = sorted(str(p.relative_to(storage)) for p in storage.rglob("*.zip"))
    assert stored == facts["zips"]  # every stored zip has its version, and every version its zip
    assert len(stored) == 2 * (1 + ROUNDS * EDITS_PER_SUBMISSION // 2)  # fields-only edits share their zip
    for history in facts["history"].values():  # a fields-only edit kept the zip current when it was saved
        for (_, before), (why, zip_name) in zip(history, history[1:]):
            if int(why.rstrip(".").rsplit(" ", 1)[1]) % 2 == 1:
                assert zip_name == before, history


def test_simultaneous_edits_on_sqlite_the_laptop_default(tmp_path):
    env = live.laptop_env(tmp_path / "var")
    live.manage(env, "migrate", "--noinput", "-v", "0")
    run_contest(env, tmp_path, tmp_path / "var" / "uploads")


@pytest.mark.django_db(transaction=True)
def test_simultaneous_edits_on_postgresql(tmp_path):
    name = connection.settings_dict["NAME"]
    env = live.laptop_env(tmp_path / "var", DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}",
                          PORTAL_STORAGE_DIR=str(tmp_path / "uploads"))
    assert connection.vendor == "postgresql"
    run_contest(env, tmp_path, tmp_path / "uploads")
