"""Upload → queued → progress → results → trend → plot data, through the real Redis and a real
Celery worker on tiny real models; the result cache; cancelled and failing work."""

from __future__ import annotations

import csv
import json
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from rest_framework.test import APIClient

from evaluation import lifecycle, selectors, summaries
from evaluation.engine.evaluate import ModelSpec, evaluate_task
from evaluation.engine.taskfile import read_task_zip
from evaluation.engine.trends import trend
from evaluation.models import ModelSeries, Result, Run, TaskResultsGeneration, TaskSummary
from evaluation.registry import ModelEntry, SeriesEntry
from evaluation.services import register_series
from evaluation.worker import execute_run, release_model
from portal import services as portal_services
from portal.celery import app
from tests import datasets, factories
from tests.evaluation.conftest import submit, syllogism_zip

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, *, timeout: float = 300.0, what: str = "runs to finish"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {list(Run.objects.values('model__name', 'status', 'error'))}")


def all_finished(version) -> bool:
    runs = Run.objects.filter(version=version)
    return runs.exists() and not runs.exclude(status__in=Run.FINISHED).exists()


@pytest.mark.integration
def test_an_upload_is_scored_on_every_public_model_and_the_api_has_the_engine_numbers(
        contest_tx, tiny_series, worker, tmp_path):
    zip_bytes = syllogism_zip("syllo", control=True)
    submission = submit(contest=contest_tx, task_name="syllo", zip_bytes=zip_bytes)
    version = submission.current_version
    assert sorted(Run.objects.filter(version=version).values_list("model__name", flat=True)) == [
        "tiny-1", "tiny-2", "tiny-3"]  # the private series waits for the round to close
    wait_for(lambda: all_finished(version))

    runs = {r.model.name: r for r in Run.objects.filter(version=version).select_related("model")}
    assert {(n, r.status, r.attempts, r.done_examples, r.total_examples, r.error) for n, r in runs.items()} == {
        (n, "done", 1, 340, 340, "") for n in ("tiny-1", "tiny-2", "tiny-3")}
    assert Result.objects.count() == 6  # two files x three models

    client = APIClient()
    client.force_login(submission.owner)  # the API and the pages alike
    body = client.get(f"/api/submissions/{submission.pk}/results/").json()
    assert [(f["name"], f["kind"]) for f in body["files"]] == [("syllo.csv", "main"), ("syllo-CONTROL1.csv", "control")]
    assert [s["series"] for f in body["files"] for s in f["series"]] == ["tiny", "tiny"]  # no private series

    report = read_task_zip(zip_bytes, metric="classification", task_name="syllo")
    specs = [ModelSpec(str(m.folder), params=m.params, name=m.name) for m in
             (tiny_series[n] for n in ("tiny-1", "tiny-2", "tiny-3"))]
    expected = evaluate_task(report, metric="classification", models=specs, out_dir=tmp_path, progress=False)
    for api_file, engine_file in zip(body["files"], expected["files"]):
        got = [{k: v for k, v in m.items() if k != "csv"} for m in api_file["series"][0]["models"]]
        assert len(got) == 3
        for g, e in zip(got, engine_file["models"]):
            assert g.keys() == e.keys()
            for key in ("model", "params", "n", "accuracy", "baseline"):
                assert g[key] == e[key], key
            for key in ("mean", "sem", "class_mass"):
                assert g[key] == pytest.approx(e[key], rel=1e-9, abs=1e-12), key

    # the trend is the engine's trend rule on the engine's own per-example losses (lower is better)
    engine_values = [[float(row["value"]) for row in csv.DictReader(
        (tmp_path / f"syllo__{spec.name}.csv").read_text().splitlines())] for spec in specs]
    assert [len(v) for v in engine_values] == [300, 300, 300]
    want = trend([spec.params for spec in specs], engine_values, worse=+1)
    got = body["files"][0]["series"][0]["trend"]
    assert (got["label"], got["monotonic"]) == (want.label, want.monotonic)
    assert [got["slope"], got["spearman"], *got["slope_ci"]] == pytest.approx(
        [want.slope, want.spearman, *want.slope_ci], rel=1e-6, abs=1e-9)

    csv_url = body["files"][0]["series"][0]["models"][0]["csv"]
    rows = client.get(csv_url).content.decode().splitlines()
    assert rows[0] == "line,value,correct,predicted,total_logprob"
    assert len(rows) == 301

    progress = client.get(reverse("evaluation-progress", args=[submission.pk])).json()
    assert progress["evaluation"] == {"status": "done", "done": 1020, "total": 1020}


@pytest.mark.integration
def test_the_submission_page_shows_the_plot_data_table_and_trend(contest_tx, tiny_series, worker, client):
    submission = submit(contest=contest_tx, task_name="syllo")
    wait_for(lambda: all_finished(submission.current_version))
    client.force_login(submission.owner)
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    assert page.count('class="card mb-3 evaluation-file"') == 1  # syllo.csv, once (the whole task is that file)
    results = selectors.results_for(user=submission.owner, submission=submission)
    points = results.files[0].series[0].points
    figure = json.loads(page.split('<script type="application/json">')[1].split("</script>")[0])
    line = figure["data"][0]
    assert line["x"] == [1_000_000, 2_000_000, 4_000_000]
    assert line["y"] == [p.result.mean for p in points]
    assert line["error_y"]["array"] == pytest.approx([1.959964 * p.result.sem for p in points])
    assert figure["layout"]["xaxis"]["type"] == "log"
    # the look (plotly_white) is sent once for the page's figures, not inside each
    assert figure["layout"]["template"] == {}
    shared = json.loads(page.split('<script id="plotly-template" type="application/json">')[1].split("</script>")[0])
    assert shared["layout"]["plot_bgcolor"] == "white" and page.count('id="plotly-template"') == 1
    assert f"tiny: {results.files[0].series[0].trend.label}" in page
    assert 'src="/static/plotly/plotly.min.js"' in page
    assert client.get("/static/plotly/plotly.min.js").status_code == 200
    # the worker kept the whole task's summary as its last run finished: the overview reads it, not computes it
    version = submission.current_version
    wait_for(lambda: TaskSummary.objects.filter(
        version=version, generation=TaskResultsGeneration.objects.get(version=version).generation).exists(),
        what="the worker to keep the summary")
    task = selectors.task_results_of_each(versions=[version])[version.pk].task
    assert summaries.of_each([version.pk])[version.pk].trends == {
        s.series.pk: s.trend.label for s in task.series if s.trend} != {}


@pytest.mark.integration
def test_an_unchanged_file_is_never_scored_twice_on_the_same_model(contest_tx, tiny_series, worker):
    submission = submit(contest=contest_tx, task_name="syllo", zip_bytes=syllogism_zip("syllo", control=True))
    wait_for(lambda: all_finished(submission.current_version))
    before = {(r.model_identity, r.file_sha256): r.updated_at for r in Result.objects.all()}

    # a fields-only edit keeps the files; then a new zip whose control file alone changed
    v2 = portal_services.edit_submission(user=submission.owner, submission=submission,
                                         data=factories.submission_data(task_name="syllo", why_it_matters="Edited."))
    wait_for(lambda: all_finished(v2))
    assert {(r.model_identity, r.file_sha256): r.updated_at for r in Result.objects.all()} == before
    assert set(Run.objects.filter(version=v2).values_list("status", "done_examples")) == {("done", 340)}

    changed = datasets.make_zip({  # the same main file, another control file
        "syllo.csv": datasets.to_csv_bytes(datasets.syllogism_classification_rows(n=300, seed=0)),
        "syllo-CONTROL1.csv": datasets.to_csv_bytes(datasets.syllogism_classification_rows(n=40, seed=555))})
    v3 = portal_services.edit_submission(user=submission.owner, submission=submission, zip_file=changed,
                                         data=factories.submission_data(task_name="syllo"))
    wait_for(lambda: all_finished(v3))
    after = {(r.model_identity, r.file_sha256): r.updated_at for r in Result.objects.all()}
    assert len(after) == 9  # the three new rows are the changed control file's
    assert {k: after[k] for k in before} == before


def test_a_new_version_cancels_the_queued_work_of_the_older_one(contest_tx, tiny_series):
    submission = submit(contest=contest_tx, task_name="syllo")
    v1 = submission.current_version
    assert set(Run.objects.filter(version=v1).values_list("status", flat=True)) == {"queued"}
    v2 = portal_services.edit_submission(user=submission.owner, submission=submission,
                                         data=factories.submission_data(task_name="syllo", why_it_matters="Again."))
    assert set(Run.objects.filter(version=v1).values_list("status", "error")) == {
        ("cancelled", "A newer version of the submission replaced this one before it was scored.")}
    assert set(Run.objects.filter(version=v2).values_list("status", flat=True)) == {"queued"}
    # a worker that meets the cancelled runs' messages skips them
    assert [execute_run(run_id=r.pk, task_id=r.task_id) for r in Run.objects.filter(version=v1)] == ["skipped"] * 3


@pytest.mark.integration
def test_a_run_that_always_fails_ends_failed_after_the_bounded_attempts(
        contest_tx, broken_model, worker, client, settings):
    submission = submit(contest=contest_tx, task_name="syllo")
    run = Run.objects.get(version=submission.current_version)
    wait_for(lambda: Run.objects.get(pk=run.pk).status == "failed")
    run.refresh_from_db()
    assert run.attempts == settings.EVALUATION_MAX_ATTEMPTS == 3
    assert run.error.splitlines()[0].startswith("attempt 1: ")
    assert [line.split(":")[0] for line in run.error.splitlines()] == ["attempt 1", "attempt 2", "attempt 3"]
    assert Result.objects.count() == 0

    client.force_login(submission.owner)
    progress = client.get(reverse("evaluation-progress", args=[submission.pk])).json()
    assert progress["runs"][0]["message"] == lifecycle.CONTESTANT_FAILURE
    assert progress["evaluation"]["status"] == "failed"
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    assert lifecycle.CONTESTANT_FAILURE in page and "attempt 1" not in page

    client.force_login(factories.organizer())
    runs_page = client.get(reverse("evaluation-runs")).content.decode()
    assert "attempt 3: " in runs_page
    assert ModelSeries.objects.get(name="broken").models.get().identity == ""


@pytest.mark.integration
def test_a_worker_scores_the_queued_runs_of_its_loaded_model_before_loading_another(
        contest_tx, tiny_model_folders, transactional_db):
    register_series(entries=[SeriesEntry(name="two", visibility="public", x_axis="params", models=tuple(
        ModelEntry(name=n, spec=str(tiny_model_folders[n].folder), params=tiny_model_folders[n].params,
                   flops=None, queue="cpu") for n in ("tiny-1", "tiny-2")))])
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("cpu")
    # three submissions queue their runs alternately: tiny-1, tiny-2, tiny-1, tiny-2, ...
    versions = [submit(contest=contest_tx, task_name=f"task{i}", zip_bytes=syllogism_zip(f"task{i}", seed=i))
                .current_version for i in range(3)]
    release_model()  # this process may have a model loaded from an earlier test
    with start_worker(app, pool="solo", queues=["cpu"], perform_ping_check=False, shutdown_timeout=60):
        wait_for(lambda: all(all_finished(v) for v in versions))
    assert Run.objects.filter(status="done").count() == 6
    assert sorted(Run.objects.filter(loaded_model=True).values_list("model__name", flat=True)) == ["tiny-1", "tiny-2"]
    assert Result.objects.count() == 6
