"""The owner of a run's life (evaluation/lifecycle.py): holders, and the one reset of a requeue.

No worker here: the tests claim, beat, finish and fail as a worker would, under holder ids of
their own, and move the sweep's clock with `now`.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from evaluation import lifecycle, services, sweep
from evaluation.models import Run
from tests import factories
from tests.evaluation.conftest import submit

pytestmark = pytest.mark.django_db(transaction=True)
FILES = [{"name": "syllo.csv", "kind": "main", "index": None, "rows": 300, "sha256": "f" * 64, "shots": 0,
          "source": None}]


def first_run(contest) -> Run:
    submission = submit(contest=contest, task_name="syllo")
    return Run.objects.filter(version=submission.current_version).order_by("pk").first()


def reset_fields(run: Run) -> tuple:
    run.refresh_from_db()
    return (run.status, run.started_at, run.heartbeat_at, run.finished_at, run.done_examples, run.total_examples,
            run.phase)


def test_a_holder_given_up_on_cannot_touch_the_run_once_another_holds_it(contest_tx, tiny_series, settings):
    run = first_run(contest_tx)
    assert lifecycle.claim(run_id=run.pk, holder="first").attempts == 1
    assert lifecycle.record_files(run_id=run.pk, holder="first", files=FILES, total=300)
    assert lifecycle.heartbeat(run_id=run.pk, holder="first", done=120)
    assert lifecycle.claim(run_id=run.pk, holder="second") is None  # its holder beats: not taken

    later = timezone.now() + timedelta(seconds=settings.EVALUATION_STALE_AFTER_SECONDS + 5)
    assert sweep.sweep(now=later).as_dict() == {"sent": 0, "requeued": 1, "failed": 0, "started": 0, "rounds": 0}
    assert lifecycle.claim(run_id=run.pk, holder="second").attempts == 2

    # the first holder wakes up: nothing it says changes the run
    assert lifecycle.heartbeat(run_id=run.pk, holder="first", done=300) is False
    assert lifecycle.record_files(run_id=run.pk, holder="first", files=[], total=1) is False
    assert lifecycle.fail_or_retry(run_id=run.pk, holder="first", reason="ValueError: late") == "running"
    assert lifecycle.finish(run_id=run.pk, holder="first", model_identity="x", loaded_model=True,
                            file_errors=[]) == "running"
    run.refresh_from_db()
    assert (run.status, run.task_id, run.attempts, run.done_examples, run.total_examples, run.model_identity) == (
        "running", "second", 2, 0, 0, "")

    assert lifecycle.record_files(run_id=run.pk, holder="second", files=FILES, total=300)
    assert lifecycle.finish(run_id=run.pk, holder="second", model_identity="m@1", loaded_model=True,
                            file_errors=[]) == "done"
    run.refresh_from_db()
    assert (run.status, run.done_examples, run.total_examples, run.model_identity, run.loaded_model,
            run.file_errors) == ("done", 300, 300, "m@1", True, [])
    assert run.finished_at is not None and run.error.startswith("attempt 1: the worker stopped answering")


def test_a_run_that_could_not_score_a_file_ends_failed_with_the_reason_and_is_not_retried(contest_tx, tiny_series):
    run = first_run(contest_tx)
    lifecycle.claim(run_id=run.pk, holder="a")
    assert lifecycle.set_phase(run_id=run.pk, holder="a", phase=lifecycle.SCORING)
    assert lifecycle.record_files(run_id=run.pk, holder="a", files=FILES, total=300)
    assert lifecycle.finish(run_id=run.pk, holder="a", model_identity="m@1", loaded_model=True, file_errors=[
        {"file": "syllo.csv", "message": "a continuation of 300 tokens does not fit the model's window of 256 tokens"}]
    ) == "failed"
    run.refresh_from_db()
    assert (run.status, run.attempts, run.phase, run.done_examples, run.error) == (
        "failed", 1, "", 0,
        "attempt 1: could not score syllo.csv: a continuation of 300 tokens does not fit the model's window of 256 tokens")
    assert lifecycle.claim(run_id=run.pk, holder="b") is None  # final: no retry


def test_scored_files_and_the_phase_belong_to_the_holder_and_survive_a_requeue(contest_tx, tiny_series):
    run = first_run(contest_tx)
    lifecycle.claim(run_id=run.pk, holder="a")
    assert lifecycle.set_phase(run_id=run.pk, holder="a", phase=lifecycle.LOADING)
    with pytest.raises(ValueError, match="unknown phase 'napping'"):
        lifecycle.set_phase(run_id=run.pk, holder="a", phase="napping")
    assert lifecycle.record_scored(run_id=run.pk, holder="a", identity="m@1", shas=["f" * 64])
    assert lifecycle.record_scored(run_id=run.pk, holder="b", identity="m@2", shas=["e" * 64]) is False
    assert lifecycle.set_phase(run_id=run.pk, holder="b", phase=lifecycle.SCORING) is False
    run.refresh_from_db()
    assert (run.phase, run.scored) == ("loading model", {"f" * 64: "m@1"})
    lifecycle.finish(run_id=run.pk, holder="a", model_identity="m@1", loaded_model=True, file_errors=[])
    lifecycle.requeue(run=run)  # new work: the reset clears the phase, never what is scored
    assert (run.status, run.phase, run.scored) == ("queued", "", {"f" * 64: "m@1"})


def test_every_requeue_resets_the_same_fields(contest_tx, tiny_series, settings):
    settings.EVALUATION_RETRY_DELAY_SECONDS = 0
    run = first_run(contest_tx)
    reset = ("queued", None, None, None, 0, 0, "")

    # a failed attempt with attempts left: the count is kept and the reason logged
    lifecycle.claim(run_id=run.pk, holder="a")
    lifecycle.set_phase(run_id=run.pk, holder="a", phase=lifecycle.SCORING)
    lifecycle.record_files(run_id=run.pk, holder="a", files=FILES, total=300)
    lifecycle.heartbeat(run_id=run.pk, holder="a", done=100)
    assert lifecycle.fail_or_retry(run_id=run.pk, holder="a", reason="ValueError: bad weights") == "queued"
    assert reset_fields(run) == reset
    assert (run.attempts, run.error, run.files) == (1, "attempt 1: ValueError: bad weights", FILES)
    assert run.sent_at is not None and run.task_id not in ("", "a")  # sent again at once (no delay here)

    # a holder that stopped beating: the same reset
    lifecycle.claim(run_id=run.pk, holder="b")
    lifecycle.set_phase(run_id=run.pk, holder="b", phase=lifecycle.LOADING)
    lifecycle.heartbeat(run_id=run.pk, holder="b", done=50, total=300)
    later = timezone.now() + timedelta(seconds=settings.EVALUATION_STALE_AFTER_SECONDS + 5)
    assert sweep.sweep(now=later).requeued == 1
    assert reset_fields(run) == reset
    assert run.attempts == 2 and run.error.splitlines()[1].startswith("attempt 2: the worker stopped answering")

    # new work (an organizer's retry of a done run): the same reset, and the count starts again
    lifecycle.claim(run_id=run.pk, holder="c")
    lifecycle.record_files(run_id=run.pk, holder="c", files=FILES, total=300)
    assert lifecycle.finish(run_id=run.pk, holder="c", model_identity="m@1", loaded_model=True,
                            file_errors=[]) == "done"
    services.retry_run(run=run, by=factories.organizer())
    assert reset_fields(run) == reset
    assert (run.attempts, run.error, run.files, run.model_identity) == (0, "", FILES, "m@1")

    # the last attempt fails for good, with every line of the log kept
    for holder in ("d", "e", "f"):
        lifecycle.claim(run_id=run.pk, holder=holder)
        status = lifecycle.fail_or_retry(run_id=run.pk, holder=holder, reason=f"OSError: {holder}")
    run.refresh_from_db()
    assert (status, run.status, run.attempts) == ("failed", "failed", settings.EVALUATION_MAX_ATTEMPTS)
    assert run.error.splitlines() == ["attempt 1: OSError: d", "attempt 2: OSError: e", "attempt 3: OSError: f"]


def test_an_organizer_cannot_retry_a_run_being_scored_nor_cancel_a_finished_one(contest_tx, tiny_series):
    run = first_run(contest_tx)
    organizer = factories.organizer()
    lifecycle.claim(run_id=run.pk, holder="a")
    with pytest.raises(services.EvaluationRefused, match="^This run is being scored right now"):
        services.retry_run(run=run, by=organizer)
    services.cancel_run(run=run, by=organizer)
    assert (run.status, run.error) == ("cancelled", f"Cancelled by {organizer.username}.")
    assert lifecycle.finish(run_id=run.pk, holder="a", model_identity="m", loaded_model=True,
                            file_errors=[]) == "cancelled"
    with pytest.raises(services.EvaluationRefused, match="^This run is already cancelled."):
        services.cancel_run(run=run, by=organizer)
