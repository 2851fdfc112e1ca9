"""The edges of a run's life as a contestant sees them: results that newer work never hides, final
statuses (cancelled, failed) with their reasons, a file no model can score, and the "loading model" phase."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from evaluation import lifecycle, services
from evaluation.models import Result, Run
from portal.celery import app
from reviews import export
from tests import datasets, factories
from tests.evaluation.conftest import submit
from tests.evaluation.test_jobs import all_finished, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
README = Path(__file__).resolve().parents[2] / "README.md"


def scoring_worker():
    """A real Celery worker (solo pool, in a thread) on the cpu queue, started and stopped by the test."""
    app.loader.import_module("celery.contrib.testing.tasks")
    return start_worker(app, pool="solo", queues=["cpu"], perform_ping_check=False, shutdown_timeout=60)


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def model_means(results: dict, file_name: str) -> list[tuple[str, int]]:
    file = next(f for f in results["files"] if f["name"] == file_name)
    return [(m["model"], m["n"]) for s in file["series"] for m in s["models"]]


@pytest.mark.integration
def test_a_k_shot_request_on_a_scored_version_hides_none_of_its_results(contest_tx, tiny_series, client):
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("cpu")
    submission = submit(contest=contest_tx, task_name="syllo", shot_setting="zero-shot")
    with scoring_worker():
        wait_for(lambda: all_finished(submission.current_version))
    api = api_client(submission.owner)
    before = api.get(f"/api/submissions/{submission.pk}/results/").json()
    assert model_means(before, "syllo.csv") == [("tiny-1", 300), ("tiny-2", 300), ("tiny-3", 300)]

    services.request_few_shot(user=submission.owner, submission=submission, k=2)  # no worker: the variant waits
    assert set(Run.objects.values_list("status", flat=True)) == {"queued"}
    during = api.get(f"/api/submissions/{submission.pk}/results/").json()
    assert during["files"] == before["files"]  # every plot, table and trend is still there
    assert during["verdict"] == before["verdict"] and during["task"] == before["task"]
    body = api.get(f"/api/submissions/{submission.pk}/").json()
    # what is left is exactly the variant: 300 examples on each of three models
    assert body["evaluation"] == {"status": "queued", "done": 900, "total": 1800}
    assert [(r["model"], r["status"], r["done"], r["total"]) for r in body["evaluation_runs"]] == [
        ("tiny-1", "queued", 300, 600), ("tiny-2", "queued", 300, 600), ("tiny-3", "queued", 300, 600)]
    client.force_login(submission.owner)
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    assert "No evaluation results yet" not in page
    assert page.count('class="card mb-3 evaluation-file"') == 1  # syllo.csv (a task in one file: no whole-task card)
    assert page.count("300 / 600 examples") == 3
    csv_link = before["files"][0]["series"][0]["models"][0]["csv"]
    assert api.get(csv_link).status_code == 200  # the per-example results too
    exported = json.loads(export._results(submission))  # the benchmark export's results.json
    assert model_means(exported, "syllo.csv") == [("tiny-1", 300), ("tiny-2", 300), ("tiny-3", 300)]

    with scoring_worker():
        wait_for(lambda: all_finished(submission.current_version) and Result.objects.count() == 6)
    after = api.get(f"/api/submissions/{submission.pk}/results/").json()
    assert [f["name"] for f in after["files"]] == ["syllo.csv", "syllo-2shot.csv"]
    assert model_means(after, "syllo-2shot.csv") == [("tiny-1", 300), ("tiny-2", 300), ("tiny-3", 300)]
    assert api.get(f"/api/submissions/{submission.pk}/").json()["evaluation"] == {
        "status": "done", "done": 1800, "total": 1800}


def test_each_file_shows_as_soon_as_its_result_is_recorded_whatever_the_run_is_doing(contest_tx, tiny_series):
    submission = submit(contest=contest_tx, task_name="syllo")  # no worker: the lifecycle is driven by hand
    run = Run.objects.get(version=submission.current_version, model__name="tiny-1")
    sha = submission.current_version.files[0]["sha256"]
    Result.objects.create(model_identity="tiny-1@a", file_sha256=sha, metric="classification", n=300, mean=0.7,
                          sem=0.01, examples={"line": [], "value": []})
    lifecycle.claim(run_id=run.pk, holder="h")
    lifecycle.record_files(run_id=run.pk, holder="h", files=[dict(submission.current_version.files[0], shots=0)],
                           total=300)
    api = api_client(submission.owner)
    assert model_means(api.get(f"/api/submissions/{submission.pk}/results/").json(), "syllo.csv") == []
    assert lifecycle.record_scored(run_id=run.pk, holder="h", identity="tiny-1@a", shas=[sha])
    # still running, not finished: the file's result shows already, and counts as done
    assert model_means(api.get(f"/api/submissions/{submission.pk}/results/").json(), "syllo.csv") == [("tiny-1", 300)]
    runs = api.get(f"/api/submissions/{submission.pk}/").json()["evaluation_runs"]
    assert [(r["model"], r["status"], r["done"], r["total"]) for r in runs] == [
        ("tiny-1", "running", 300, 300), ("tiny-2", "queued", 0, 300), ("tiny-3", "queued", 0, 300)]


def test_a_submission_whose_runs_were_all_cancelled_has_the_final_status_cancelled(contest_tx, tiny_series, client):
    submission = submit(contest=contest_tx, task_name="syllo")  # no worker: the runs stay queued
    organizer = factories.organizer()
    for run in Run.objects.filter(version=submission.current_version):
        services.cancel_run(run=run, by=organizer)
    body = api_client(submission.owner).get(f"/api/submissions/{submission.pk}/").json()
    assert body["evaluation"] == {"status": "cancelled", "done": 0, "total": 900}
    assert {(r["status"], r["message"]) for r in body["evaluation_runs"]} == {
        ("cancelled", "The organizers cancelled this model's run.")}
    organizers_view = api_client(organizer).get(f"/api/submissions/{submission.pk}/").json()["evaluation_runs"]
    assert {r["message"] for r in organizers_view} == {f"Cancelled by {organizer.username}."}
    client.force_login(submission.owner)
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    assert page.count("The organizers cancelled this model&#x27;s run.") == 3
    assert "data-unfinished" not in page  # the page stops polling
    progress = client.get(reverse("evaluation-progress", args=[submission.pk])).json()
    assert progress["evaluation"]["status"] == "cancelled"


def test_the_readme_polling_loop_ends_on_every_final_status():
    from evaluation.api import EvaluationSerializer

    text = README.read_text()
    loop = text[text.index("# 3. Poll until"):text.index("# 4. The results")]
    ends = re.search(r"case .* in ([a-z|]+)\) break", loop).group(1).split("|")
    finals = set(EvaluationSerializer().fields["status"].choices) - {"queued", "running"}
    assert sorted(ends) == sorted(finals) == ["cancelled", "done", "failed"]


def long_class_zip(task_name: str) -> bytes:
    """PART1 scores on every model; in PART2 the right answer is a class longer than the models' window."""
    rows = datasets.syllogism_classification_rows(n=300, seed=3)
    long_rows = [dict(r, classes=str([" Yes" + " indeed" * 300, " No"])) for r in rows]
    return datasets.make_zip({f"{task_name}-PART1.csv": datasets.to_csv_bytes(rows),
                              f"{task_name}-PART2.csv": datasets.to_csv_bytes(long_rows)})


@pytest.mark.integration
def test_a_file_no_model_can_score_fails_its_runs_with_the_reason_everywhere(contest_tx, tiny_series, worker, client):
    submission = submit(contest=contest_tx, task_name="long", zip_bytes=long_class_zip("long"))
    wait_for(lambda: all_finished(submission.current_version))
    reason = "a continuation of 2101 tokens does not fit the model's window of 256 tokens"
    api = api_client(submission.owner)
    body = api.get(f"/api/submissions/{submission.pk}/").json()
    assert body["evaluation"] == {"status": "failed", "done": 900, "total": 1800}
    assert [(r["model"], r["status"], r["message"], r["file_errors"]) for r in body["evaluation_runs"]] == [
        (m, "failed", "This model could not score every file of the task; each file's reason is listed.",
         [{"file": "long-PART2.csv", "message": reason}]) for m in ("tiny-1", "tiny-2", "tiny-3")]

    results = api.get(f"/api/submissions/{submission.pk}/results/").json()
    part1, part2 = results["files"]
    assert [(m["model"], m["n"]) for m in part1["series"][0]["models"]] == [
        ("tiny-1", 300), ("tiny-2", 300), ("tiny-3", 300)]
    assert (part2["name"], part2["series"][0]["models"], part2["series"][0]["errors"]) == (
        "long-PART2.csv", [], [{"model": m, "message": reason} for m in ("tiny-1", "tiny-2", "tiny-3")])

    client.force_login(submission.owner)
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    assert page.count(f"has no result on this file: {reason.replace(chr(39), '&#x27;')}") == 3

    evaluated = wait_for(lambda: [m for m in mail.outbox if "evaluated" in m.subject], what="the evaluated email")[0]
    assert "Could not be scored by tiny-1:\n  - long-PART2.csv: " + reason in evaluated.body
    assert ("The scaling plots, trends and per-example results of what was scored are on the submission's page:"
            in evaluated.body)


def test_the_email_claims_no_plot_when_no_model_produced_a_result(contest_tx, tiny_series):
    submission = submit(contest=contest_tx, task_name="syllo")
    for run in Run.objects.filter(version=submission.current_version):
        lifecycle.claim(run_id=run.pk, holder=f"h{run.pk}")
        lifecycle.finish(run_id=run.pk, holder=f"h{run.pk}", model_identity="x", loaded_model=True,
                         file_errors=[{"file": "syllo.csv", "message": "too long"}])
    evaluated = next(m for m in mail.outbox if "evaluated" in m.subject)
    assert evaluated.subject == "Your task syllo (version 1) could not be evaluated"
    assert "No model produced a result, so there are no plots. The reasons are on the submission's page:" in evaluated.body
    assert "The scaling plots" not in evaluated.body
    assert evaluated.body.count("  - syllo.csv: too long") == 3


def test_a_model_being_loaded_says_so_on_its_bar_and_in_the_api(contest_tx, tiny_series, client):
    submission = submit(contest=contest_tx, task_name="syllo")
    run = Run.objects.get(version=submission.current_version, model__name="tiny-2")
    lifecycle.claim(run_id=run.pk, holder="h")
    lifecycle.set_phase(run_id=run.pk, holder="h", phase=lifecycle.LOADING)
    runs = api_client(submission.owner).get(f"/api/submissions/{submission.pk}/").json()["evaluation_runs"]
    assert [(r["model"], r["status"], r["phase"]) for r in runs] == [
        ("tiny-1", "queued", ""), ("tiny-2", "running", "loading model"), ("tiny-3", "queued", "")]
    client.force_login(submission.owner)
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    row = page[page.index('<tr data-model="tiny-2">'):].split("</tr>")[0]
    assert '<small class="phase fw-semibold">loading model</small>' in row and "progress-bar-animated" in row
    progress = client.get(reverse("evaluation-progress", args=[submission.pk])).json()
    assert progress["runs"][1]["phase"] == "loading model"
    lifecycle.set_phase(run_id=run.pk, holder="h", phase=lifecycle.SCORING)
    assert client.get(reverse("evaluation-progress", args=[submission.pk])).json()["runs"][1]["phase"] == "scoring"


@pytest.fixture
def phase_log(transactional_db):
    """Every change of Run.phase as PostgreSQL sees it (a trigger), in order: what a worker reported."""
    with connection.cursor() as cursor:
        cursor.execute("""
            CREATE TABLE test_phase_log (id serial, run_id int, phase text);
            CREATE FUNCTION test_log_phase() RETURNS trigger AS $$
              BEGIN INSERT INTO test_phase_log (run_id, phase) VALUES (NEW.id, NEW.phase); RETURN NEW; END
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER test_phase_log AFTER UPDATE ON evaluation_run FOR EACH ROW
              WHEN (OLD.phase IS DISTINCT FROM NEW.phase) EXECUTE FUNCTION test_log_phase();""")

    def read() -> dict[int, list[str]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT run_id, phase FROM test_phase_log ORDER BY id")
            out: dict[int, list[str]] = {}
            for run_id, phase in cursor.fetchall():
                out.setdefault(run_id, []).append(phase)
            return out
    yield read
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER test_phase_log ON evaluation_run; DROP FUNCTION test_log_phase(); "
                       "DROP TABLE test_phase_log;")


@pytest.mark.integration
def test_the_worker_reports_loading_the_model_before_scoring(contest_tx, tiny_series, phase_log, worker):
    from evaluation import worker as worker_side

    worker_side.release_model()  # this process's worker starts with no model loaded
    submission = submit(contest=contest_tx, task_name="syllo")
    wait_for(lambda: all_finished(submission.current_version))
    runs = Run.objects.filter(version=submission.current_version)
    assert {run.status for run in runs} == {"done"}
    log = phase_log()
    # each run loads its model (three models, one after the other), then scores, then ends
    assert [log[run.pk] for run in runs.order_by("model__position")] == [["loading model", "scoring", ""]] * 3

    # a file already scored on every model: nothing to load, no phase at all
    again = submit(contest=contest_tx, task_name="syllo2", owner=submission.owner)
    wait_for(lambda: all_finished(again.current_version))
    log = phase_log()
    assert [log.get(run.pk) for run in Run.objects.filter(version=again.current_version)] == [None] * 3
