"""The email a contestant gets when a version of their task has passed validation and been saved."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from .models import SubmissionVersion


def version_validated(sender, version: SubmissionVersion, **kwargs) -> None:
    """Receiver of signals.version_saved: tell the owner which files were accepted and what to improve."""
    submission = version.submission
    context = {
        "owner": submission.owner, "submission": submission, "version": version,
        "files": version.files, "warnings": [w["message"] for w in version.warnings],
        "link": settings.PORTAL_URL.rstrip("/") + reverse("submission-detail", args=[submission.pk]),
    }
    subject = render_to_string("portal/email/validated_subject.txt", context).strip()
    EmailMessage(subject, render_to_string("portal/email/validated.txt", context), None,
                 [submission.owner.email]).send()
