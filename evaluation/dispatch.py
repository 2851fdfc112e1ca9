"""Sending and revoking the Celery messages that carry runs to the workers.

The messages are sent by the task's name through the Celery app, so this module needs neither the
task definitions (tasks.py) nor anything about runs beyond an id and a queue; lifecycle.py decides
when a run is sent and stores what a send gives back. A broker that cannot be reached is logged,
never raised: the run stays unsent and the sweep sends it later, so nothing here ever makes a
contestant's save fail.
"""

from __future__ import annotations

import logging

from portal.celery import app

log = logging.getLogger(__name__)

EVALUATE_RUN = "evaluation.evaluate_run"  # the task that scores one run (tasks.evaluate_run)


def send(*, run_id: int, queue: str, countdown: float | None = None) -> str | None:
    """Put the run's message on `queue`: its task id, or None if the broker is unreachable."""
    try:
        result = app.send_task(EVALUATE_RUN, args=[run_id], queue=queue, countdown=countdown, retry=False,
                               ignore_result=True)
    except Exception as exc:  # the broker is unreachable: the sweep sends it once it is back
        log.warning("run %s not sent (%s: %s); the sweep will send it", run_id, type(exc).__name__, exc)
        return None
    return result.id


def revoke(*, task_ids: list[str]) -> None:
    """Tell workers to drop these messages if they are still queued (a claim checks the run anyway,
    so a revoke that does not arrive is harmless)."""
    task_ids = [t for t in task_ids if t]
    if not task_ids:
        return
    try:
        app.control.revoke(task_ids)
    except Exception as exc:  # the claim check makes a missed revoke harmless
        log.warning("could not revoke %d task(s): %s", len(task_ids), exc)
