"""The sweep (runs never sent, workers that stopped, versions without runs, rounds that closed),
few-shot variants, and the organizers' eligibility override."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation import lifecycle, selectors, services, sweep
from evaluation.models import FewShotRequest, ModelSeries, PrivateEvaluation, Result, Run
from evaluation.services import register_series
from evaluation.worker import execute_run
from portal.celery import app
from tests import factories
from tests.evaluation.conftest import series_entries, submit
from tests.evaluation.test_jobs import all_finished, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_runs_the_sweep_every_minute_on_a_queue_no_scoring_worker_serves():
    entry = app.conf.beat_schedule["evaluation-sweep"]
    assert (entry["task"], entry["schedule"]) == ("evaluation.sweep", 60.0)
    assert app.amqp.router.route({}, "evaluation.sweep")["queue"].name == "sweep"
    assert app.amqp.router.route({}, "portal.tasks.sweep_orphan_uploads")["queue"].name == "sweep"
    assert app.amqp.router.route({}, "evaluation.evaluate_run")["queue"].name == "cpu"
    app.loader.import_default_modules()  # what a worker or beat does at start: autodiscover tasks.py
    assert "evaluation.sweep" in app.tasks and "evaluation.evaluate_run" in app.tasks


def test_the_sweep_sends_runs_that_were_never_sent(contest_tx, tiny_series):
    submission = submit(contest=contest_tx, task_name="syllo")
    runs = Run.objects.filter(version=submission.current_version)
    runs.update(sent_at=None, task_id="")
    assert sweep.sweep().sent == 0  # saved a moment ago: its own request is still sending it
    runs.update(queued_at=timezone.now() - timedelta(seconds=10))
    assert sweep.sweep().as_dict() == {"sent": 3, "requeued": 0, "failed": 0, "started": 0, "rounds": 0}
    assert all(run.sent_at and run.task_id for run in runs)


def test_the_sweep_requeues_a_run_whose_worker_stopped_and_fails_it_after_the_last_attempt(
        contest_tx, tiny_series, settings):
    submission = submit(contest=contest_tx, task_name="syllo")
    run = Run.objects.filter(version=submission.current_version).first()
    long_ago = timezone.now() - timedelta(seconds=settings.EVALUATION_STALE_AFTER_SECONDS + 5)
    Run.objects.filter(pk=run.pk).update(status=Run.RUNNING, attempts=1, heartbeat_at=long_ago)
    assert sweep.sweep().requeued == 1
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("queued", 1)
    assert run.error == f"attempt 1: the worker stopped answering (no heartbeat since {long_ago:%Y-%m-%d %H:%M:%S} UTC)."

    Run.objects.filter(pk=run.pk).update(status=Run.RUNNING, attempts=3, heartbeat_at=long_ago)
    assert sweep.sweep().failed == 1
    run.refresh_from_db()
    assert run.status == "failed" and run.error.count("the worker stopped answering") == 2


def test_a_run_claimed_more_than_the_bounded_times_fails_instead_of_running(contest_tx, tiny_series):
    submission = submit(contest=contest_tx, task_name="syllo")
    run = Run.objects.filter(version=submission.current_version).first()
    Run.objects.filter(pk=run.pk).update(attempts=3)
    assert execute_run(run_id=run.pk, task_id="redelivered") == "skipped"
    run.refresh_from_db()
    assert run.status == "failed" and run.error.endswith("Gave up after 3 attempts: the worker stopped each time.")


def test_a_run_drained_by_the_worker_with_its_model_is_not_taken_over_by_its_own_message(contest_tx, tiny_series):
    submission = submit(contest=contest_tx, task_name="syllo")
    run = Run.objects.filter(version=submission.current_version).order_by("pk").first()
    message_id = run.task_id
    assert message_id  # sent to the queue when the version was saved

    drained = lifecycle.claim_for_drain(run.pk)
    assert drained.task_id.startswith("drained-") and drained.task_id != message_id
    # its message reaches another worker process while the drain scores it: skipped, not claimed again
    assert execute_run(run_id=run.pk, task_id=message_id) == "skipped"
    run.refresh_from_db()
    assert (run.status, run.attempts, run.task_id) == ("running", 1, drained.task_id)


def test_the_evaluation_total_is_known_before_any_model_starts(contest_tx, tiny_series):
    submission = submit(contest=contest_tx, task_name="syllo")  # 300 rows; no worker: nothing starts
    client = APIClient()
    client.force_login(submission.owner)
    assert client.get(f"/api/submissions/{submission.pk}/").json()["evaluation"] == {
        "status": "queued", "done": 0, "total": 900}  # three public models x 300 examples
    FewShotRequest.objects.create(submission=submission, k=4, requested_by=submission.owner)
    progress = client.get(reverse("evaluation-progress", args=[submission.pk])).json()
    assert progress["evaluation"] == {"status": "queued", "done": 0, "total": 1800}  # and the 4-shot variant
    assert [(r["model"], r["done"], r["total"]) for r in progress["runs"]] == [
        ("tiny-1", 0, 600), ("tiny-2", 0, 600), ("tiny-3", 0, 600)]


def test_the_sweep_starts_runs_for_current_versions_that_have_none(contest_tx, tiny_model_folders):
    submission = submit(contest=contest_tx, task_name="syllo")  # no series yet: no run
    assert not Run.objects.exists()
    register_series(entries=series_entries(tiny_model_folders))
    assert sweep.sweep().started == 3
    assert sorted(Run.objects.values_list("version__number", "model__name")) == [
        (1, "tiny-1"), (1, "tiny-2"), (1, "tiny-3")]
    assert sweep.sweep().started == 0
    assert submission.current_version.number == 1


def test_a_closed_round_sends_its_final_versions_to_the_private_series_once(contest_tx, tiny_series):
    submission = submit(contest=contest_tx, task_name="syllo")
    round = submission.round
    assert sweep.sweep().rounds == 0
    round.closes_at = timezone.now() - timedelta(minutes=1)
    round.save()
    assert sweep.sweep().rounds == 1
    assert sorted(Run.objects.filter(model__series__visibility=ModelSeries.PRIVATE)
                  .values_list("version__number", "model__name")) == [(1, "held-1"), (1, "held-2")]
    assert PrivateEvaluation.objects.get(round=round).started_by is None
    assert sweep.sweep().rounds == 0

    # an edit after the close (reopened by the organizers) is evaluated on the private series too
    from portal import services as portal_services

    portal_services.reopen_edits(submission=submission, until=timezone.now() + timedelta(days=1))
    v2 = portal_services.edit_submission(user=submission.owner, submission=submission,
                                         data=factories.submission_data(task_name="syllo", why_it_matters="v2"))
    assert sorted(Run.objects.filter(version=v2).values_list("model__name", flat=True)) == [
        "held-1", "held-2", "tiny-1", "tiny-2", "tiny-3"]
    assert set(Run.objects.filter(version__number=1, model__series__visibility="private")
               .values_list("status", flat=True)) == {"cancelled"}


@pytest.mark.integration
def test_few_shot_variants_are_scored_beside_the_original(contest_tx, tiny_series, worker, client):
    submission = submit(contest=contest_tx, task_name="syllo", shot_setting="zero-shot")
    wait_for(lambda: all_finished(submission.current_version))
    assert Result.objects.count() == 3
    client.force_login(submission.owner)
    response = client.post(reverse("evaluation-few-shot", args=[submission.pk]), {"k": "2"})
    assert response.status_code == 302
    assert FewShotRequest.objects.get().k == 2
    wait_for(lambda: all_finished(submission.current_version) and Result.objects.count() == 6)

    results = selectors.results_for(user=submission.owner, submission=submission)
    assert [(f.name, f.kind, f.shots, f.source, f.rows) for f in results.files] == [
        ("syllo.csv", "main", 0, None, 300), ("syllo-2shot.csv", "main", 2, "syllo.csv", 300)]
    assert [len(s.points) for f in results.files for s in f.series] == [3, 3]
    assert results.task.rows == 300  # the whole task pools the files as uploaded, not the variants
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    assert "syllo-2shot.csv" in page and "2-shot variant of syllo.csv" in page

    again = client.post(reverse("evaluation-few-shot", args=[submission.pk]), {"k": "2"}, follow=True)
    assert "2-shot variants were already requested." in again.content.decode()


def test_few_shot_variants_are_listed_right_after_their_original():
    def f(name, shots=0, source=None):
        return {"name": name, "sha256": name, "shots": shots, "source": source}

    files = [f("t-PART1.csv"), f("t-PART2.csv"), f("t-CONTROL1.csv"), f("t-PART1-4shot.csv", 4, "t-PART1.csv"),
             f("t-PART2-1shot.csv", 1, "t-PART2.csv"), f("t-PART1-1shot.csv", 1, "t-PART1.csv"),
             f("gone-1shot.csv", 1, "gone.csv")]
    assert [x["name"] for x in selectors.beside_their_sources(files)] == [
        "t-PART1.csv", "t-PART1-1shot.csv", "t-PART1-4shot.csv", "t-PART2.csv", "t-PART2-1shot.csv",
        "t-CONTROL1.csv", "gone-1shot.csv"]


def test_few_shot_variants_are_refused_for_few_shot_tasks_and_too_large_k(contest_tx, tiny_series):
    few = submit(contest=contest_tx, task_name="fewshot", shot_setting="few-shot")
    with pytest.raises(services.EvaluationRefused, match="^Few-shot variants are made from zero-shot tasks"):
        services.request_few_shot(user=few.owner, submission=few, k=1)
    zero = submit(contest=contest_tx, task_name="zero", shot_setting="zero-shot")
    with pytest.raises(services.EvaluationRefused, match=r"^Choose k from 1 to 64: each prompt gets k other examples"):
        services.request_few_shot(user=zero.owner, submission=zero, k=65)
    with pytest.raises(services.EvaluationRefused, match="^Only the submission's owner or an organizer"):
        services.request_few_shot(user=factories.contestant(), submission=zero, k=1)


@pytest.mark.integration
def test_organizers_override_the_eligibility_with_a_reason(contest_tx, tiny_series, worker, client):
    submission = submit(contest=contest_tx, task_name="syllo")
    wait_for(lambda: all_finished(submission.current_version))
    results = selectors.results_for(user=submission.owner, submission=submission)
    label = results.task.series[0].trend.label  # the public series "tiny", three models
    assert results.verdict.eligible is (label != "standard")
    organizer = factories.organizer()
    with pytest.raises(services.EvaluationRefused, match="^Give the reason"):
        services.override_eligibility(submission=submission, eligible=False, reason=" ", by=organizer)
    with pytest.raises(services.EvaluationRefused, match="^Only organizers can do this."):
        services.override_eligibility(submission=submission, eligible=False, reason="x", by=submission.owner)

    client.force_login(organizer)
    client.post(reverse("evaluation-eligibility", args=[submission.pk]),
                {"decision": "not-eligible", "reason": "The control file scales the same way."})
    verdict = selectors.results_for(user=submission.owner, submission=submission).verdict
    assert (verdict.eligible, verdict.eligibility_reason) == (
        False, "Decided by the organizers: The control file scales the same way.")
    client.force_login(submission.owner)
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    assert "not eligible</strong>. Decided by the organizers: The control file scales the same way." in page
    assert 'id="eligibility-form"' not in page
