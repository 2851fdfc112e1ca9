"""The email a contestant gets when every public-series model has finished with a version of their task.

Private series are not mentioned: their results reach the contestant with the round's feedback release.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse

from .models import EvaluatedEmail, ModelSeries, Run

# what the contestant reads of a run that failed on every attempt (lifecycle.py shows the same sentence)
CONTESTANT_FAILURE = ("This model could not score the task after several attempts; the organizers have "
                      "been told and will look into it.")


def _public_runs(version_id: int):
    return Run.objects.filter(version_id=version_id, model__series__visibility=ModelSeries.PUBLIC)


def notify_if_evaluated(*, version_id: int) -> bool:
    """Send the owner of the version one email once its public runs have all finished (done or failed)
    and it is still the submission's current version; True when this call sent it."""
    runs = list(_public_runs(version_id).select_related("model", "version__submission__owner")
                .order_by("model__series__position", "model__series__name", "model__position", "model__name"))
    if not runs or any(run.status not in Run.FINISHED for run in runs):
        return False
    version = runs[0].version
    if version.submission.current_version_id != version.pk:
        return False
    try:
        with transaction.atomic():
            EvaluatedEmail.objects.create(version=version)
    except IntegrityError:  # another worker finished the last run at the same moment and sent it
        return False
    _message(version, runs).send()
    return True


def _message(version, runs: list[Run]) -> EmailMessage:
    submission = version.submission
    context = {
        "owner": submission.owner, "submission": submission, "version": version,
        "done": [run.model.name for run in runs if run.status == Run.DONE],
        "failed": [{"model": run.model.name, "file_errors": run.file_errors, "message": CONTESTANT_FAILURE}
                   for run in runs if run.status == Run.FAILED],
        # a plot needs a stored result: a done run has every file's, a failed one those it recorded
        "has_results": any(run.status == Run.DONE or run.scored for run in runs),
        "link": settings.PORTAL_URL.rstrip("/") + reverse("submission-detail", args=[submission.pk]),
    }
    subject = render_to_string("evaluation/email/evaluated_subject.txt", context).strip()
    return EmailMessage(subject, render_to_string("evaluation/email/evaluated.txt", context), None,
                        [submission.owner.email])
