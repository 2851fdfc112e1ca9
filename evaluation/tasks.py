"""Celery tasks of the evaluation side: one task per (version, model), and the periodic sweep."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import jobs


@shared_task(bind=True, name="evaluation.evaluate_run", acks_late=True, reject_on_worker_lost=True, ignore_result=True,
             time_limit=settings.EVALUATION_TASK_TIME_LIMIT_SECONDS)
def evaluate_run(self, run_id: int) -> str:
    """Score every file of the run's version on the run's model (see jobs.execute_run)."""
    return jobs.execute_run(run_id=run_id, task_id=self.request.id)


@shared_task(name="evaluation.sweep")
def sweep() -> dict:
    """Send unsent runs, re-queue those whose worker stopped, start missing and private runs."""
    return jobs.sweep().as_dict()
