"""With no configuration the portal runs on a bare laptop: SQLite and a Celery broker on the
filesystem. This starts a real worker on those defaults and sends it a job; then, as `scripts/run`
does for the demo, registers a model series from YAML and has an upload evaluated on it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests import live
from tests.live import ROOT, laptop_env

pytestmark = pytest.mark.integration


def run_with_worker(env: dict[str, str], script: str, *, timeout: float) -> tuple[subprocess.CompletedProcess, str]:
    """Migrate, start a real worker (solo pool, cpu queue), run `script` in `manage.py shell`, stop the worker."""
    live.manage(env, "migrate", "--noinput", "-v", "0")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--queues=cpu",
         "--loglevel=warning"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        done = subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "-c", script], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
    finally:
        worker.terminate()
        log = worker.communicate(timeout=60)[0]
    return done, log


SEND_A_JOB = """
from django.conf import settings
from django.contrib.auth.models import User
from portal import services
from portal.models import Contest, Profile, Round
from portal.tasks import revalidate_version
from tests import datasets
from django.utils import timezone
from datetime import timedelta
assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
assert settings.CELERY_BROKER_URL == "filesystem://"
user = User.objects.create_user("laptop", "laptop@example.org", "a-long-test-password")
Profile.objects.create(user=user, role="contestant")
contest = Contest.objects.create(name="Laptop", slug="laptop")
Round.objects.create(contest=contest, number=1, opens_at=timezone.now() - timedelta(days=1),
                     closes_at=timezone.now() + timedelta(days=1))
data = datasets.make_zip({"laptop-task.csv": datasets.to_csv_bytes(
    datasets.lambada_sequence_prob_rows(n=305, seed=4))})
submission = services.create_submission(user=user, contest=contest, zip_file=data, data=services.SubmissionData(
    task_name="laptop-task", metric="sequence_prob", authors=(services.AuthorData("Ann Example", "ann@example.org"),),
    what_it_tests="x", correct_behaviour="x", why_it_matters="x", shot_setting="zero-shot", data_generation="x"))
report = revalidate_version.delay(submission.current_version_id).get(timeout=90)
print("FILES", report["files"])
"""


def test_no_configuration_means_sqlite_and_a_filesystem_broker(tmp_path):
    sent, log = run_with_worker(laptop_env(tmp_path / "var"), SEND_A_JOB, timeout=150)
    assert sent.returncode == 0, sent.stderr[-3000:] + log[-3000:]
    assert ("FILES [{'name': 'laptop-task.csv', 'kind': 'main', 'index': None, 'rows': 305, "
            "'columns': ['prompt', 'completion']}]") in sent.stdout.splitlines()
    assert (tmp_path / "var" / "db.sqlite3").is_file()
    assert not (ROOT / "control").exists()  # the broker keeps everything under PORTAL_VAR_DIR


EVALUATE_AN_UPLOAD = """
import time
from datetime import timedelta
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from evaluation import selectors
from evaluation.models import Run
from portal import services
from portal.models import Contest, Profile, Round
from tests import datasets
call_command("register_series", "SERIES_YAML")
user = User.objects.create_user("laptop", "laptop@example.org", "a-long-test-password")
Profile.objects.create(user=user, role="contestant")
contest = Contest.objects.create(name="Laptop", slug="laptop")
Round.objects.create(contest=contest, number=1, opens_at=timezone.now() - timedelta(days=1),
                     closes_at=timezone.now() + timedelta(days=1))
data = datasets.make_zip({"syllo.csv": datasets.to_csv_bytes(datasets.syllogism_classification_rows(n=300, seed=3))})
submission = services.create_submission(user=user, contest=contest, zip_file=data, data=services.SubmissionData(
    task_name="syllo", metric="classification", authors=(services.AuthorData("Ann Example", "ann@example.org"),),
    what_it_tests="x", correct_behaviour="x", why_it_matters="x", shot_setting="zero-shot", data_generation="x"))
deadline = time.monotonic() + 240
while Run.objects.exclude(status="done").exists() or not Run.objects.exists():
    assert time.monotonic() < deadline, list(Run.objects.values("model__name", "status", "error"))
    time.sleep(0.5)
print("RUNS", sorted(Run.objects.values_list("model__name", "status", "done_examples", "total_examples")))
results = selectors.results_for(user=user, submission=submission)
print("POINTS", [(f.name, s.series.name, [p.model.name for p in s.points], [p.result.n for p in s.points])
                 for f in results.files for s in f.series])
print("TREND", results.files[0].series[0].trend is not None)
"""


def test_no_configuration_evaluates_an_upload_on_a_series_registered_from_yaml(tmp_path):
    from tests.engine.tiny_models import save

    models = [(name, save("gpt2", size, tmp_path / name, window=256, seed=seed), params)
              for name, size, seed, params in (("mini-1", "xs", 0, 1_000_000), ("mini-2", "s", 1, 2_000_000))]
    yaml = tmp_path / "series.yaml"
    yaml.write_text("series:\n  - name: laptop-demo\n    visibility: public\n    x_axis: params\n    models:\n" + "".join(
        f"      - {{name: {name}, spec: '{folder}', params: {params}, flops: null, queue: cpu}}\n"
        for name, folder, params in models))
    done, log = run_with_worker(laptop_env(tmp_path / "var"), EVALUATE_AN_UPLOAD.replace("SERIES_YAML", str(yaml)), timeout=300)
    assert done.returncode == 0, done.stderr[-3000:] + log[-3000:]
    lines = done.stdout.splitlines()
    assert "RUNS [('mini-1', 'done', 300, 300), ('mini-2', 'done', 300, 300)]" in lines
    assert "POINTS [('syllo.csv', 'laptop-demo', ['mini-1', 'mini-2'], [300, 300])]" in lines
    assert "TREND True" in lines
