"""What the evaluation app hooks into the contest side (connected in apps.py)."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def evaluate_new_version(sender, version, **kwargs) -> None:
    """A new valid version (create or edit), after its commit: runs on every enabled public model."""
    from .services import start_version_evaluation

    runs = start_version_evaluation(version=version)
    log.info("version %s: %d run(s) started", version.pk, len(runs))


def evaluation_panel(request, submission):
    """The submission page's evaluation section: progress, plots, tables, trends (views.py)."""
    from .views import render_panel

    return render_panel(request, submission)


def run_deleted(sender, instance, **kwargs) -> None:
    """A run deleted (an organizer in the admin; a model or a version deleted with its runs): once committed, its
    version's whole-task results may read differently (lifecycle.run_deleted)."""
    from django.db import transaction

    from .lifecycle import run_deleted

    version_id = instance.version_id
    transaction.on_commit(lambda: run_deleted(version_id=version_id))
