"""No invalid form answers 5xx: every organizer and reviewer form, posted with a field missing or wrong, goes
back to its page saying exactly what to fix (each error after its field's label), and changes nothing."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from reviews.models import (
    Assignment,
    AuditEntry,
    CauseTag,
    Conflict,
    ContestReviewer,
    LabelValidation,
    MetaReview,
    PublishedExample,
    Ranking,
    ReleaseSettings,
    Review,
    Validator,
)
from tests.reviews.conftest import Scene, each, scene, submit  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

# name -> (who posts, URL name, its arguments, the body, the page it goes back to, the errors said there)
FORMS = {
    "domain conflict, no domain": (
        "rita", "reviews-domain-conflict", lambda s: [], {"reason": "my lab"}, lambda s: reverse("reviews-home"),
        ["Email domain: This field is required."]),
    "ranking, not a number": (
        "rita", "reviews-ranking", lambda s: [s.round.pk], lambda s: {f"rank_{s.a.number}": "first", f"rank_{s.b.number}": "2"},
        lambda s: reverse("reviews-home"), ["{label_a}: Enter a whole number."]),
    "ranking, the same place twice": (
        "rita", "reviews-ranking", lambda s: [s.round.pk], lambda s: {f"rank_{s.a.number}": "1", f"rank_{s.b.number}": "1"},
        lambda s: reverse("reviews-home"), ["Give each submission a different position from 1 to 2."]),
    "add reviewer, no account": (
        "organizer", "reviews-add-reviewer", lambda s: ["isp"], {}, lambda s: reverse("reviews-contest", args=["isp"]),
        ["Reviewer account: This field is required."]),
    "add reviewer, unknown account": (
        "organizer", "reviews-add-reviewer", lambda s: ["isp"], {"reviewer": "nobody_here"},
        lambda s: reverse("reviews-contest", args=["isp"]),
        ["Reviewer account: Select a valid choice. That choice is not one of the available choices."]),
    "assign, nothing chosen": (
        "organizer", "reviews-assign", lambda s: ["isp"], {}, lambda s: reverse("reviews-contest", args=["isp"]),
        ["Submission: This field is required. Reviewer: This field is required."]),
    "auto-assign, a date that is not one": (
        "organizer", "reviews-auto-assign", lambda s: ["isp", 1], {"auto-due_at": "next week"},
        lambda s: reverse("reviews-contest", args=["isp"]), ["Due (UTC): Enter a valid date/time."]),
    "organizer conflict, no reviewer": (
        "organizer", "reviews-organizer-conflict", lambda s: ["isp"], {"domain": "x.test"},
        lambda s: reverse("reviews-contest", args=["isp"]), ["Reviewer: This field is required."]),
    "unassign, no reason": (
        "organizer", "reviews-unassign", lambda s: [s.remy_a.pk], {}, lambda s: reverse("reviews-contest", args=["isp"]),
        ["Reason: This field is required."]),
    "override award, nothing chosen": (
        "organizer", "reviews-override-award", lambda s: ["isp", 1], {},
        lambda s: reverse("reviews-awards", args=["isp", 1]),
        ["Submission: This field is required. Tier: This field is required."]),
    "override award, a tier that is not one": (
        "organizer", "reviews-override-award", lambda s: ["isp", 1], lambda s: {"submission": s.a.pk, "tier": "gold"},
        lambda s: reverse("reviews-awards", args=["isp", 1]),
        ["Tier: Select a valid choice. gold is not one of the available choices."]),
    "eligibility, no reason": (
        "organizer", "evaluation-eligibility", lambda s: [s.a.pk], {"decision": "eligible"},
        lambda s: reverse("submission-detail", args=[s.a.pk]),
        ["Give the reason for overriding the computed eligibility."]),
    "few-shot, k not a number": (
        "organizer", "evaluation-few-shot", lambda s: [s.a.pk], {"k": "four"},
        lambda s: reverse("submission-detail", args=[s.a.pk]), ["Give k as a whole number from 1 to 64."]),
    "start a validation, nothing chosen": (
        "organizer", "reviews-validation-start", lambda s: ["isp"], {"sample_size": "fifty"},
        lambda s: reverse("reviews-validation-contest", args=["isp"]),
        ["Submission: This field is required. Examples (N): Enter a whole number. Seed: This field is required. "
         "Answers per example: This field is required."]),
    "start a round's validations, one answer per example": (
        "organizer", "reviews-validation-start-round", lambda s: ["isp", 1],
        {"round-sample_size": "50", "round-seed": "0", "round-answers_per_example": "1"},
        lambda s: reverse("reviews-validation-contest", args=["isp"]),
        ["Answers per example: Ensure this value is greater than or equal to 2."]),
    "name validators, an account that is not one": (
        "organizer", "reviews-validation-round-validators", lambda s: ["isp", 1], {"round-validators": ["nobody_here"]},
        lambda s: reverse("reviews-validation-contest", args=["isp"]),
        ["Validators: Select a valid choice. nobody_here is not one of the available choices."]),
    "meta-review, no summary": (
        "organizer", "reviews-meta-review", lambda s: [s.a.pk], {"why_it_won": "Clear."},
        lambda s: reverse("reviews-submission", args=[s.a.pk]), ["Summary for the authors: This field is required."]),
    "causes, a cause that is not one": (
        "organizer", "reviews-causes", lambda s: [s.a.pk], {"causes": ["999999"]},
        lambda s: reverse("reviews-submission", args=[s.a.pk]),
        ["Causes: Select a valid choice. 999999 is not one of the available choices."]),
    "published example, a control file": (
        "organizer", "reviews-publish-example", lambda s: [s.a.pk],
        {"file_name": "syllogism-test-CONTROL1.csv", "row": "0"}, lambda s: reverse("reviews-submission", args=[s.a.pk]),
        ["File: Select a valid choice. syllogism-test-CONTROL1.csv is not one of the available choices."]),
    "licence, one that is not offered": (
        "organizer", "reviews-licence", lambda s: ["isp"], {"licence": "GPL-3.0"},
        lambda s: reverse("reviews-contest", args=["isp"]),
        ["Release licence: Select a valid choice. GPL-3.0 is not one of the available choices."]),
}


def shown_errors(response) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<div class="alert alert-danger" role="alert">(.*?)</div>',
                                                 response.content.decode(), flags=re.S)]


def state() -> tuple:
    return (AuditEntry.objects.count(), ContestReviewer.objects.count(), Conflict.objects.count(),
            Assignment.objects.filter(removed_at=None).count(), Ranking.objects.count(),
            LabelValidation.objects.count(), Validator.objects.count(), MetaReview.objects.count(),
            CauseTag.objects.count(), PublishedExample.objects.count(), ReleaseSettings.objects.count())


@pytest.fixture
def reviewed(scene: Scene) -> Scene:  # noqa: F811 (the imported fixture)
    """The scene with rita's reviews of a and b submitted, so that she ranks them."""
    submit(scene.rita_a, scene.rita, each("accepted"))
    submit(scene.rita_b, scene.rita, each("accepted"))
    return scene


@pytest.mark.parametrize("case", sorted(FORMS))
def test_an_invalid_form_goes_back_to_its_page_saying_what_to_fix(reviewed, client, case):
    s = reviewed
    who, name, args, body, page, errors = FORMS[case]
    client.force_login(getattr(s, who))
    before = state()
    response = client.post(reverse(name, args=args(s)), body(s) if callable(body) else body)
    assert (response.status_code, response["Location"]) == (302, page(s))
    shown = client.get(response["Location"])
    label_a = next(label for pk, _, label in shown.context["rounds"][0][0].ranked if pk == s.a.pk) if who == "rita" else ""
    assert (shown.status_code, shown_errors(shown)) == (200, [e.format(label_a=label_a) for e in errors])
    assert state() == before


def test_an_invalid_review_is_shown_again_with_what_to_fix(reviewed, client):
    s = reviewed
    client.force_login(s.remy)
    response = client.post(reverse("reviews-assignment", args=[s.remy_a.pk]),
                           {"level_strength": "huge", "to_authors": "Clear task.", "action": "submit"})
    assert (response.status_code, shown_errors(response)) == (400, [
        "Inverse Scaling Strength: Select a valid choice. huge is not one of the available choices."])
    assert not Review.objects.filter(assignment=s.remy_a).exists()
    assert 'Clear task.</textarea>' in response.content.decode()  # what was typed is kept
