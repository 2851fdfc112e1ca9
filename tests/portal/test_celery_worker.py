"""A task goes through the real Redis broker to a real Celery worker started by the test."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker

from portal import services
from portal.celery import app
from portal.tasks import revalidate_version
from tests import datasets, factories


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_revalidation_runs_on_a_worker_through_redis(contest_tx):
    user = factories.contestant()
    rows = datasets.syllogism_classification_rows(n=310, seed=11)
    data = datasets.make_zip({"worker-task.csv": datasets.to_csv_bytes(rows)})
    submission = services.create_submission(
        user=user, contest=contest_tx, zip_file=data,
        data=services.SubmissionData(
            task_name="worker-task", metric="classification",
            authors=(services.AuthorData("Grace Hopper", "grace@example.org"),),
            what_it_tests="x", correct_behaviour="x", why_it_matters="x",
            shot_setting="few-shot", data_generation="x"))
    assert app.conf.broker_url.startswith("redis://127.0.0.1:6379")
    with app.connection_for_write() as connection:
        assert connection.transport.driver_type == "redis"

    app.loader.import_module("celery.contrib.testing.tasks")  # the worker's ping check
    with start_worker(app, pool="solo", queues=["cpu"], perform_ping_check=True, shutdown_timeout=30):
        result = revalidate_version.apply_async(args=[submission.current_version_id], queue="cpu")
        report = result.get(timeout=60)

    assert report["valid"] is True
    assert report["files"] == [{"name": "worker-task.csv", "kind": "main", "index": None, "rows": 310,
                                "columns": ["prompt", "classes", "answer_index"]}]
    assert report["warnings"] == submission.current_version.warnings
