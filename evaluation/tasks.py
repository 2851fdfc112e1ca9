"""Celery tasks of the evaluation side: one task per (version, model), and the periodic sweep. Thin:
the work is in worker.py and sweep.py; messages are sent by dispatch.py."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from . import dispatch, worker
from . import sweep as sweeping


@shared_task(bind=True, name=dispatch.EVALUATE_RUN, acks_late=True, reject_on_worker_lost=True, ignore_result=True,
             time_limit=settings.EVALUATION_TASK_TIME_LIMIT_SECONDS)
def evaluate_run(self, run_id: int) -> str:
    """Score every file of the run's version on the run's model (see worker.execute_run)."""
    return worker.execute_run(run_id=run_id, task_id=self.request.id)


@shared_task(name="evaluation.sweep")
def sweep() -> dict:
    """Re-queue runs whose worker stopped, send unsent runs, start missing and private runs."""
    return sweeping.sweep().as_dict()
