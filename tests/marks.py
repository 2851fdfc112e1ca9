"""The cost marks and the check that keeps them true (a pytest plugin, loaded by tests/conftest.py).

A test is marked by what it really does, so that `./scripts/test --fast` (`-m "not integration and not
e2e and not slow"`) leaves out exactly the expensive tests:

* `integration`: a Celery worker (in a thread or a process), a server process (`manage.py runserver`,
  gunicorn, nginx, a spawned redis-server), Redis or PostgreSQL restarted or killed, or a virtualenv
  made or a package built or installed by pip (the engine's package test: a server's cost in time);
* `e2e`: a browser (Chromium driven by Playwright), and so Django's `live_server` thread that serves it;
* `slow`: a pretrained model (SmolLM2, Gemma) read from its GGUF file, or the Gemma file being built.

Two checks fail a test whose marks say less than it does:

* at collection, a test using a fixture in FIXTURE_COSTS without one of its marks stops the run;
* while a test runs (setup, call and teardown, session fixtures included), an audit hook sees every
  process it starts and every file it opens, and Celery's `worker_init` signal every worker it starts
  in a thread; a server, worker or browser process, an in-thread worker or a GGUF file the marks do
  not allow fails the test at its teardown, saying which mark it needs.

In-process helper threads that are not a Celery worker or Django's live server (the OpenAI-compatible
server of tests/engine/openai_server.py on a tiny model) start in milliseconds and stay unmarked.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field

import pytest

COST_MARKS = ("integration", "e2e", "slow")

# fixture name -> the marks any one of which a test using it (directly or through another fixture) needs
FIXTURE_COSTS: dict[str, tuple[str, ...]] = {
    "worker": ("integration",),  # tests/evaluation/conftest.py: a Celery worker in a thread
    "live_server": ("e2e", "integration"),  # Django's server thread, there for a browser (or a client)
    "smollm2_cache": ("slow",),
    "smollm2": ("slow",),
    "gemma3": ("slow",),
}

SERVER_PROGRAMS = {"redis-server", "nginx", "gunicorn", "pg_ctl", "pg_ctlcluster", "postgres", "uwsgi"}
BROWSER_PROGRAMS = {"chromium", "chromium-browser", "chrome", "google-chrome"}


def cost_of_command(argv: list[str]) -> tuple[str, str] | None:
    """(the mark a test starting this command needs, what the command is), or None for a plain command."""
    names = [os.path.basename(str(part)) for part in argv]
    if any("playwright" in str(part) for part in argv) or BROWSER_PROGRAMS & set(names):
        return "e2e", "a browser (Playwright's driver or Chromium)"
    if "celery" in names and ({"worker", "beat"} & set(names)):
        return "integration", "a Celery worker process"
    if "runserver" in names:
        return "integration", "a `manage.py runserver` process"
    server = next((name for name in names if name in SERVER_PROGRAMS), None)
    if server:
        return "integration", f"a {server} process"
    runs_pip = bool({"pip", "pip3"} & set(names)) or _runs_module(names, "pip")
    if runs_pip and {"install", "wheel", "download"} & set(names):
        return "integration", "a package built or installed by pip"
    if _runs_module(names, "venv") or "virtualenv" in names:
        return "integration", "a virtualenv made"
    return None


def _runs_module(names: list[str], module: str) -> bool:
    return any(a == "-m" and b == module for a, b in zip(names, names[1:]))


def cost_of_opened_file(path: object) -> tuple[str, str] | None:
    """(the mark, what) for a file whose opening means a pretrained model: a GGUF file; else None."""
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if isinstance(path, str) and path.endswith(".gguf"):
        return "slow", f"a pretrained model's GGUF file ({os.path.basename(path)})"
    return None


def fixture_problems(items) -> list[str]:
    """One line per collected test that uses a costly fixture without one of the marks it needs."""
    problems = []
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        for fixture, needed in FIXTURE_COSTS.items():
            if fixture in item.fixturenames and not marks & set(needed):
                problems.append(f"{item.nodeid} uses the `{fixture}` fixture but is not marked "
                                f"{' or '.join(needed)}")
    return problems


@dataclass
class _Running:
    """The test whose setup, call or teardown runs now, and the costly things it was seen doing."""
    item: pytest.Item | None = None
    seen: list[tuple[str, str]] = field(default_factory=list)

    def note(self, cost: tuple[str, str] | None) -> None:
        if cost and self.item is not None and cost not in self.seen:
            self.seen.append(cost)


RUNNING = _Running()


def _audit(event: str, args: tuple) -> None:
    if RUNNING.item is None:
        return
    if event == "subprocess.Popen":
        argv = args[1] if isinstance(args[1], (list, tuple)) else str(args[1]).split()
        RUNNING.note(cost_of_command([args[0], *argv] if args[0] else list(argv)))
    elif event == "open":
        RUNNING.note(cost_of_opened_file(args[0]))


def _worker_started(**_: object) -> None:
    RUNNING.note(("integration", "a Celery worker in a thread of the test process"))


def pytest_configure(config: pytest.Config) -> None:
    if not getattr(sys, "_portal_cost_audit", False):  # an audit hook stays for the process's life
        sys.addaudithook(_audit)
        sys._portal_cost_audit = True
    from celery import signals

    signals.worker_init.connect(_worker_started, weak=False, dispatch_uid="portal-cost-marks")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    problems = fixture_problems(items)
    if problems:
        raise pytest.UsageError("tests whose cost marks are missing (see tests/marks.py):\n  "
                                + "\n  ".join(problems))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    RUNNING.item, RUNNING.seen = item, []
    try:
        return (yield)
    finally:
        RUNNING.item, RUNNING.seen = None, []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    result = yield
    marks = {mark.name for mark in item.iter_markers()}
    missing = [f"{what}: mark it {mark}" for mark, what in RUNNING.seen if mark not in marks]
    if missing:
        pytest.fail(f"{item.nodeid} started or opened what its cost marks do not allow (see tests/marks.py):\n  "
                    + "\n  ".join(missing), pytrace=False)
    return result
