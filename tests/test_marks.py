"""The cost marks' check (tests/marks.py) fails a test that does more than its marks say: run on small
test files in a pytest of their own, with the check loaded as the suite loads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.marks import cost_of_command, cost_of_opened_file

ROOT = Path(__file__).resolve().parents[1]

INI = """
[pytest]
addopts = --strict-markers -p tests.marks -p no:django -p no:cacheprovider
markers =
    integration: a worker or a server process
    e2e: a browser
    slow: a pretrained model
"""

RUNTIME_TESTS = '''
import subprocess

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker


def test_unmarked_server_process():
    subprocess.run(["redis-server", "--version"], check=True, capture_output=True)


@pytest.mark.integration
def test_marked_server_process():
    subprocess.run(["redis-server", "--version"], check=True, capture_output=True)


def test_unmarked_gguf(tmp_path):
    (tmp_path / "model.gguf").write_bytes(b"GGUF")


@pytest.mark.slow
def test_marked_gguf(tmp_path):
    (tmp_path / "model.gguf").write_bytes(b"GGUF")


def test_unmarked_thread_worker():
    app = Celery("marks", broker="memory://", backend="cache+memory://")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        pass


def test_a_plain_command_needs_no_mark():
    subprocess.run(["python3", "-c", "print(1)"], check=True, capture_output=True)
'''


@pytest.fixture
def inner(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    pytester.makeini(INI)
    return pytester


def test_an_unmarked_test_using_the_worker_fixture_stops_the_run_at_collection(inner):
    inner.makeconftest("import pytest\n\n@pytest.fixture\ndef worker():\n    return 'a worker'\n")
    inner.makepyfile(test_uses="""
import pytest

@pytest.fixture
def evaluated(worker):
    return worker

def test_through_another_fixture(evaluated):
    pass

@pytest.mark.integration
def test_marked(worker):
    pass

def test_plain():
    pass
""")
    result = inner.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line.strip() for line in result.errlines if "uses the" in line] == [
        "test_uses.py::test_through_another_fixture uses the `worker` fixture but is not marked integration"]


def test_what_a_test_starts_or_opens_fails_it_unless_its_marks_allow_it(inner):
    inner.makepyfile(test_runtime=RUNTIME_TESTS)
    result = inner.runpytest_subprocess("-rA")
    result.assert_outcomes(passed=6, errors=3)
    errors = {line.split(" - ")[0].removeprefix("ERROR ") for line in result.outlines if line.startswith("ERROR ")}
    assert errors == {"test_runtime.py::test_unmarked_server_process", "test_runtime.py::test_unmarked_gguf",
                      "test_runtime.py::test_unmarked_thread_worker"}
    out = result.stdout.str()
    assert "a redis-server process: mark it integration" in out
    assert "a pretrained model's GGUF file (model.gguf): mark it slow" in out
    assert "a Celery worker in a thread of the test process: mark it integration" in out


@pytest.mark.parametrize(("argv", "cost"), [
    (["/usr/bin/python3", "-m", "celery", "-A", "portal", "worker", "--pool=solo"], "integration"),
    (["/usr/bin/python3", "-m", "gunicorn", "portal.wsgi:application"], "integration"),
    (["/usr/bin/python3", "/src/manage.py", "runserver", "127.0.0.1:8000", "--noreload"], "integration"),
    (["/usr/sbin/nginx", "-c", "/tmp/nginx.conf"], "integration"),
    (["redis-server", "--port", "6390"], "integration"),
    (["/venv/lib/python3.11/site-packages/playwright/driver/node", "cli.js", "run-driver"], "e2e"),
    (["/usr/bin/chromium", "--headless"], "e2e"),
    (["/usr/bin/python3", "-m", "venv", "/tmp/engine-venv"], "integration"),
    (["/tmp/engine-venv/bin/pip", "install", "-c", "requirements.txt", "/src"], "integration"),
    (["/usr/bin/python3", "-m", "pip", "wheel", "--no-deps", "/src"], "integration"),
    (["/tmp/engine-venv/bin/pip", "list", "--format", "json"], None),
    (["/tmp/engine-venv/bin/isp-eval", "validate", "task.zip", "--metric", "classification"], None),
    (["/usr/bin/python3", "manage.py", "validate_submission", "task.zip"], None),
    (["/usr/bin/python3", "manage.py", "migrate", "--noinput"], None),
])
def test_which_commands_cost_what(argv, cost):
    found = cost_of_command(argv)
    assert (found[0] if found else None) == cost


def test_only_gguf_files_mean_a_pretrained_model():
    assert cost_of_opened_file("/cache/gguf-files/gemma-3-270m.gguf") == (
        "slow", "a pretrained model's GGUF file (gemma-3-270m.gguf)")
    assert cost_of_opened_file(b"/pkg/SmolLM2.gguf")[0] == "slow"
    assert cost_of_opened_file("/models/tiny/model.safetensors") is None
    assert cost_of_opened_file(3) is None  # a file descriptor
