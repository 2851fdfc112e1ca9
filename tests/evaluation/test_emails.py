"""The contestant's emails: validated (when a version is saved) and evaluated (once every public model
has finished with it), through a real worker on tiny real models."""

from __future__ import annotations

import pytest
from django.core import mail

from evaluation import notifications
from evaluation.models import EvaluatedEmail, Run
from tests.evaluation.conftest import submit
from tests.evaluation.test_jobs import all_finished, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def with_broken_model(tiny_series, broken_model):
    """The tiny public series and a model that always fails."""


@pytest.mark.integration
def test_the_owner_is_emailed_once_when_validated_and_once_when_every_public_model_finished(
        contest_tx, with_broken_model, worker, settings):
    settings.PORTAL_URL = "https://portal.example.org/"
    submission = submit(contest=contest_tx, task_name="syllo")
    version = submission.current_version
    link = f"https://portal.example.org/submissions/{submission.pk}/"
    wait_for(lambda: all_finished(version))
    wait_for(lambda: len(mail.outbox) == 2, what="the evaluated email")

    validated, evaluated = mail.outbox
    assert (validated.subject, validated.to) == (
        "Your task syllo (version 1) passed validation", [submission.owner.email])
    assert validated.body.splitlines() == [
        f"Hello {submission.owner.username},", "",
        "Version 1 of your task syllo passed validation and is saved.", "",
        "Files:", "  syllo.csv: 300 rows", "",
        "Worth fixing before the deadline:",
        "  - The task has 300 examples; aim for about 1000 so that the scaling trend is measured precisely.", "",
        "Once the models have scored it, the scaling plots appear on the submission's page:", link]
    assert (evaluated.subject, evaluated.to) == (
        "Your task syllo (version 1) has been evaluated", [submission.owner.email])
    assert evaluated.body.splitlines() == [
        f"Hello {submission.owner.username},", "",
        "Every public model has finished with version 1 of your task syllo.", "",
        "Scored by: tiny-1, tiny-2, tiny-3.",
        "Could not be scored by broken-1: This model could not score the task after several attempts; the "
        "organizers have been told and will look into it.", "",
        "The scaling plots, trends and per-example results of what was scored are on the submission's page:",
        link, "",
        "Results on the held-out (private) models are shared when the organizers release the round's feedback."]
    assert "held-1" not in evaluated.body  # the private series is never named

    # the last runs finishing again (a retry, a second worker) never sends it twice
    assert notifications.notify_if_evaluated(version_id=version.pk) is False
    assert (len(mail.outbox), EvaluatedEmail.objects.filter(version=version).count()) == (2, 1)


def test_no_evaluated_email_while_a_public_run_is_unfinished_or_for_a_replaced_version(contest_tx, tiny_series):
    submission = submit(contest=contest_tx, task_name="syllo")  # no worker: the runs stay queued
    version = submission.current_version
    assert notifications.notify_if_evaluated(version_id=version.pk) is False
    Run.objects.filter(version=version).update(status=Run.DONE)
    submission.current_version = None
    submission.save(update_fields=["current_version"])
    assert notifications.notify_if_evaluated(version_id=version.pk) is False
    assert [m.subject for m in mail.outbox] == ["Your task syllo (version 1) passed validation"]
