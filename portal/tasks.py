"""Background jobs of the contest side."""

from __future__ import annotations

from celery import shared_task

from . import services
from .models import SubmissionVersion
from .services import SubmissionData, validate_upload


@shared_task(acks_late=True)
def revalidate_version(version_id: int) -> dict:
    """Validate a stored version's zip again (after a rule or limit changed) and return the report.

    Reads only: the stored version is never changed by this job.
    """
    version = SubmissionVersion.objects.prefetch_related("authors").get(pk=version_id)
    with version.zip_file.open("rb") as stored:
        return validate_upload(source=stored, submission_data=SubmissionData.from_version(version)).as_dict()


@shared_task(acks_late=True)
def sweep_orphan_uploads() -> list[str]:
    """Periodic (CELERY_BEAT_SCHEDULE): remove stored zips no version points to, older than a day."""
    return services.sweep_orphan_uploads()
