"""The periodic sweep (tasks.sweep, sent by beat every minute to the `sweep` queue, whose worker never scores,
so it runs on time while models score): what keeps the evaluation moving when a
message, a worker or a broker was lost, and what starts work that no request starts.

It re-queues runs whose holder stopped beating (up to EVALUATION_MAX_ATTEMPTS claims, then the run
fails with its error kept), sends what was never sent and re-sends what the broker lost (both through
lifecycle.py), starts runs for current versions that have none on an enabled public model, and starts
the private evaluation of rounds that have closed. `now` moves its clock (tests drive time with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q
from django.utils import timezone

from portal.models import Submission

from . import lifecycle, services
from .models import ModelSeries


@dataclass
class SweepReport:
    sent: int = 0
    requeued: int = 0
    failed: int = 0
    started: int = 0
    rounds: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _start_missing() -> int:
    """Runs for current versions short of a run on an enabled public model; how many were started."""
    wanted = len(services.enabled_models(visibility=ModelSeries.PUBLIC))
    if not wanted:
        return 0
    on_public = Count("current_version__evaluation_runs", filter=Q(
        current_version__evaluation_runs__model__enabled=True,
        current_version__evaluation_runs__model__series__enabled=True,
        current_version__evaluation_runs__model__series__visibility=ModelSeries.PUBLIC))
    short = (Submission.objects.exclude(current_version=None).annotate(on_public=on_public)
             .filter(on_public__lt=wanted).select_related("current_version__submission"))
    return sum(len(services.start_version_evaluation(version=s.current_version)) for s in short)


def sweep(*, now: datetime | None = None) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport()
    report.requeued, report.failed = lifecycle.requeue_stale(now=now)
    report.sent = lifecycle.send_unsent(now=now)
    report.started = _start_missing()
    report.rounds = len(services.start_private_evaluation_of_closed_rounds(now=now))
    return report
