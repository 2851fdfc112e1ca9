"""With no configuration the portal runs on a bare laptop: SQLite and a Celery broker on the
filesystem. This starts a real worker on those defaults and sends it a job."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", PORTAL_VAR_DIR=str(tmp_path / "var"),
               PYTHONPATH=str(ROOT))
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=120)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--queues=cpu",
         "--loglevel=warning"], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        sent = subprocess.run([*manage, "shell", "-c", SEND_A_JOB], env=env, cwd=ROOT, capture_output=True,
                              text=True, timeout=150)
    finally:
        worker.terminate()
        log = worker.communicate(timeout=30)[0]
    assert sent.returncode == 0, sent.stderr[-3000:] + log[-3000:]
    assert ("FILES [{'name': 'laptop-task.csv', 'kind': 'main', 'index': None, 'rows': 305, "
            "'columns': ['prompt', 'completion']}]") in sent.stdout.splitlines()
    assert (tmp_path / "var" / "db.sqlite3").is_file()
    assert not (ROOT / "control").exists()  # the broker keeps everything under PORTAL_VAR_DIR
