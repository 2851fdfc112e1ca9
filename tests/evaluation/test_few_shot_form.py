"""The k-shot form shows exactly where a request would be accepted (one rule,
services.few_shot_refusal): the owner (or an organizer) on a zero-shot task; never on a few-shot task,
where the request is refused with its reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluation.models import LanguageModel, ModelSeries
from tests.evaluation.conftest import submit

pytestmark = pytest.mark.django_db


def has_form(client, submission) -> bool:
    return 'id="few-shot-form"' in client.get(reverse("submission-detail", args=[submission.pk])).content.decode()


def test_the_form_follows_the_rule(contest, client):
    series = ModelSeries.objects.create(name="tiny")  # a panel needs a series to show
    LanguageModel.objects.create(series=series, name="tiny-1", spec="tiny", params=1_000_000)
    zero = submit(contest=contest, task_name="zero")
    few = submit(contest=contest, task_name="few", shot_setting="few-shot")
    client.force_login(zero.owner)
    assert has_form(client, zero)
    client.force_login(few.owner)
    assert not has_form(client, few)
    assert 'id="evaluation"' in client.get(reverse("submission-detail", args=[few.pk])).content.decode()
    refused = client.post(reverse("evaluation-few-shot", args=[few.pk]), {"k": 2}, follow=True)
    assert "Few-shot variants are made from zero-shot tasks; this task is already few-shot." in refused.content.decode()
