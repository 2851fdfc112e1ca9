"""Every organizer URL of every app, found from the URL conf, answers a user who is not an organizer the
same way: 403 with the portal's refused page (pages) or `{"detail": ...}` (the API), and changes nothing.
Anyone not logged in is sent to the login page (pages) or answered 401 (the API); an organizer is served.
The URL conf is read whole, so a new URL fails here until it is listed as for organizers or not."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from evaluation.models import EligibilityOverride, LanguageModel, ModelSeries, PrivateEvaluation, Run
from portal.access import IsOrganizer
from reviews import validation
from reviews.models import (
    Assignment,
    AuditEntry,
    Award,
    CauseTag,
    Conflict,
    ContestReviewer,
    LabelValidation,
    MetaReview,
    PublishedExample,
    ReleaseSettings,
    Validator,
)
from tests.api.conftest import token_client
from tests.reviews.conftest import Scene, scene  # noqa: F401 (the fixture)

PAGE_REFUSAL = "Only organizers can open this page."
API_REFUSAL = {"detail": "Only organizers may use this endpoint."}

# URL name -> (method, its arguments in a scene, the organizer's status). `s` is tests.reviews.conftest's
# scene (contest "isp", round 1, submissions a and b, rita assigned to a) with one run of a on a model.
ORGANIZER_PAGES = {
    "evaluation-eligibility": ("post", lambda s: [s.a.pk], 302),
    "evaluation-start-private": ("post", lambda s: [s.a.pk], 302),
    "evaluation-runs": ("get", lambda s: [], 200),
    "evaluation-run-action": ("post", lambda s: [s.run.pk, "retry"], 302),
    "evaluation-start-private-round": ("post", lambda s: [s.round.pk], 302),
    "reviews-contest": ("get", lambda s: ["isp"], 200),
    "reviews-add-reviewer": ("post", lambda s: ["isp"], 302),
    "reviews-assign": ("post", lambda s: ["isp"], 302),
    "reviews-organizer-conflict": ("post", lambda s: ["isp"], 302),
    "reviews-auto-assign": ("post", lambda s: ["isp", 1], 302),
    "reviews-unassign": ("post", lambda s: [s.rita_a.pk], 302),
    "reviews-submission": ("get", lambda s: [s.a.pk], 200),
    "reviews-awards": ("get", lambda s: ["isp", 1], 200),
    "reviews-confirm-awards": ("post", lambda s: ["isp", 1], 302),
    "reviews-override-award": ("post", lambda s: ["isp", 1], 302),
    "reviews-announce-awards": ("post", lambda s: ["isp", 1], 302),
    "reviews-release-feedback": ("post", lambda s: ["isp", 1], 302),
    "reviews-audit": ("get", lambda s: ["isp"], 200),
    "reviews-export-benchmark": ("get", lambda s: ["isp"], 200),
    "reviews-export-release": ("get", lambda s: ["isp"], 409),  # no round announced yet: refused, as the command is
    "reviews-export-reviews": ("get", lambda s: ["isp"], 200),
    "reviews-export-awards": ("get", lambda s: ["isp"], 200),
    "reviews-validation-contest": ("get", lambda s: ["isp"], 200),
    "reviews-validation-start": ("post", lambda s: ["isp"], 302),
    "reviews-validation-start-round": ("post", lambda s: ["isp", 1], 302),
    "reviews-validation-round-validators": ("post", lambda s: ["isp", 1], 302),
    "reviews-validation": ("get", lambda s: [s.validation.pk], 200),
    "reviews-validation-validators": ("post", lambda s: [s.validation.pk], 302),
    "reviews-meta-review": ("post", lambda s: [s.a.pk], 302),
    "reviews-causes": ("post", lambda s: [s.a.pk], 302),
    "reviews-publish-example": ("post", lambda s: [s.a.pk], 302),
    "reviews-licence": ("post", lambda s: ["isp"], 302),
    "reviews-round-overview": ("get", lambda s: ["isp", 1], 200),
    "reviews-round-overview-csv": ("get", lambda s: ["isp", 1], 200),
}
ORGANIZER_API = {
    "api-assign": ("post", lambda s: [s.a.pk], 201),
    "api-contest-awards": ("get", lambda s: ["isp"], 200),
}

# Every other URL, and whom it serves (each decides by its own selector who sees which object).
NOT_ORGANIZERS_ONLY = {
    "home": "everyone", "favicon": "everyone", "signup": "everyone", "confirm-email": "everyone", "confirmation-status": "accounts",
    "login": "everyone", "logout": "accounts", "password_change": "accounts", "password_change_done": "accounts",
    "password_reset": "everyone", "password_reset_done": "everyone", "password_reset_confirm": "everyone",
    "password_reset_complete": "everyone",
    "submission-list": "accounts", "submission-create": "contestants", "submission-detail": "owner, organizers",
    "submission-edit": "owner", "version-download": "owner, organizers",
    "evaluation-progress": "owner, organizers", "evaluation-example-csv": "owner, organizers",
    "evaluation-few-shot": "owner, organizers",
    "reviews-home": "reviewers, organizers", "reviews-assignment": "its reviewer, organizers",
    "reviews-assignment-zip": "its reviewer, organizers", "reviews-assignment-conflict": "its reviewer",
    "reviews-domain-conflict": "reviewers", "reviews-ranking": "reviewers", "reviews-nonprofit": "the winner",
    "reviews-validate-home": "reviewers, validators", "reviews-validate": "its validator",
    "api-token": "everyone", "api-schema": "everyone", "api-contests": "everyone",
    "api-submission-create": "contestants", "api-submission": "owner, organizers",
    "api-submission-edit": "owner", "api-version-download": "owner, organizers",
    "api-submission-results": "owner, organizers", "api-example-csv": "owner, organizers",
    "results-index": "everyone", "results-round": "everyone",
    "api-series": "accounts", "api-assignments": "reviewers, organizers", "api-assignment": "its reviewer, organizers",
    "api-assignment-review": "its reviewer", "api-rubric": "accounts",
    # a partner's token (partners/api.py), on the runs of its own series only (tests/partners/test_api.py)
    "partner-runs": "partners", "partner-claim": "partners", "partner-heartbeat": "partners",
    "partner-file": "partners", "partner-results": "partners", "partner-fail": "partners",
}
# Django's admin (under admin/) is its own site for staff accounts, with its own login page.


def url_patterns(patterns=None, prefix: str = ""):
    """(route, pattern) for every URL of the project but the admin's."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route != "admin/":
                yield from url_patterns(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def organizers_only(pattern: URLPattern) -> bool:
    """Whether the view uses the one organizer check: portal.access.organizer_required or IsOrganizer."""
    view_class = getattr(pattern.callback, "cls", None)
    if view_class is not None:
        return IsOrganizer in view_class.permission_classes
    return getattr(pattern.callback, "organizers_only", False)


def test_every_organizer_url_is_checked_here_and_every_other_url_is_listed():
    found = {pattern.name: organizers_only(pattern) for _, pattern in url_patterns()}
    assert None not in found  # every URL has a name to be listed by
    assert {name for name, only in found.items() if only} == {*ORGANIZER_PAGES, *ORGANIZER_API}
    assert {name for name, only in found.items() if not only} == set(NOT_ORGANIZERS_ONLY)


def test_the_check_of_the_url_conf_can_fail():
    found = {pattern.name: pattern for _, pattern in url_patterns()}
    assert not organizers_only(found["reviews-home"])  # reviewers' too: its own check
    assert not organizers_only(found["api-rubric"])
    assert organizers_only(found["reviews-contest"]) and organizers_only(found["api-contest-awards"])


@pytest.fixture
def with_run(scene: Scene) -> Scene:  # noqa: F811 (the imported fixture)
    """The scene with one queued run of submission a, on a model of a public series, and a validation of a's labels
    (2 examples)."""
    model = LanguageModel.objects.create(series=ModelSeries.objects.create(name="tiny"), name="tiny-1", spec="hf:x")
    scene.run = Run.objects.create(version=scene.a.current_version, model=model)
    scene.validation = validation.start_validation(submission=scene.a, by=scene.organizer,
                                                   settings=validation.Settings(sample_size=2))
    return scene


def state() -> tuple:
    """What an organizer's action could change."""
    return (AuditEntry.objects.count(), ContestReviewer.objects.count(), Conflict.objects.count(),
            sorted(Assignment.objects.filter(removed_at=None).values_list("pk", flat=True)),
            sorted(Run.objects.values_list("pk", "status", "attempts")), EligibilityOverride.objects.count(),
            PrivateEvaluation.objects.count(), Award.objects.count(), LabelValidation.objects.count(),
            Validator.objects.count(), MetaReview.objects.count(), CauseTag.objects.count(),
            PublishedExample.objects.count(), ReleaseSettings.objects.count())


def page_body(s: Scene, name: str) -> dict:
    """A valid form for the organizer's request (the others are refused before any form is read)."""
    return {"reviews-add-reviewer": {"reviewer": s.uma.username},
            "reviews-assign": {"submission": s.b.pk, "reviewer": s.remy.username},
            "reviews-organizer-conflict": {"reviewer": s.uma.username, "domain": "uma-lab.test", "reason": "former lab"},
            "reviews-unassign": {"reason": "on leave"},
            "reviews-override-award": {"submission": s.a.pk, "tier": "none", "reason": "not yet"},
            "evaluation-eligibility": {"decision": "eligible", "reason": "checked by hand"},
            "reviews-validation-start": {"submission": s.b.pk, "sample_size": 2, "seed": 0, "answers_per_example": 2},
            "reviews-validation-start-round": {"round-sample_size": 2, "round-seed": 0, "round-answers_per_example": 2},
            "reviews-validation-round-validators": {"round-validators": [s.uma.username]},
            "reviews-validation-validators": {"validators": [s.uma.username]},
            "reviews-meta-review": {"summary": "A summary."},
            "reviews-publish-example": {"file_name": "syllogism-test-PART1.csv", "row": 0},
            "reviews-licence": {"licence": "CC0-1.0"}}.get(name, {})


@pytest.mark.parametrize("name", sorted(ORGANIZER_PAGES))
def test_an_organizer_page_refuses_everyone_but_organizers_the_same_way(with_run, client, name):
    s = with_run
    method, args, organizer_status = ORGANIZER_PAGES[name]
    url = reverse(name, args=args(s))
    send = getattr(client, method)
    before = state()

    response = send(url, page_body(s, name))
    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={url}")
    for user in (s.alice, s.rita):  # the owner of submission a, and a reviewer assigned to it
        client.force_login(user)
        response = send(url, page_body(s, name))
        assert (response.status_code, [t.name for t in response.templates][:1], response.context["message"]) == (
            403, ["portal/refused.html"], PAGE_REFUSAL), user.username
        assert f'<div class="alert alert-danger" role="alert" id="refusal">{PAGE_REFUSAL}</div>' in response.content.decode()
    assert state() == before

    client.force_login(s.organizer)
    assert send(url, page_body(s, name)).status_code == organizer_status


@pytest.mark.parametrize("name", sorted(ORGANIZER_API))
def test_an_organizer_endpoint_refuses_everyone_but_organizers_the_same_way(with_run, name):
    s = with_run
    method, args, organizer_status = ORGANIZER_API[name]
    url = reverse(name, args=args(s))
    body = {"reviewer": s.uma.username} if name == "api-assign" else None
    before = state()

    anonymous = getattr(APIClient(), method)(url, body, format="json")
    assert (anonymous.status_code, anonymous.json()) == (401, {"detail": "Authentication credentials were not provided."})
    for user in (s.alice, s.rita):
        response = getattr(token_client(user), method)(url, body, format="json")
        assert (response.status_code, response.json()) == (403, API_REFUSAL), user.username
    assert state() == before

    assert getattr(token_client(s.organizer), method)(url, body, format="json").status_code == organizer_status


def test_an_object_nobody_may_know_of_stays_404_for_an_organizer_as_for_its_owner(with_run, client):
    s = with_run
    client.force_login(s.organizer)
    assert client.get(reverse("reviews-submission", args=[999999])).status_code == 404
    assert client.get(reverse("reviews-contest", args=["nope"])).status_code == 404
    client.force_login(s.bob)  # b's owner: a is not his, so it is not there at all
    assert client.get(reverse("submission-detail", args=[s.a.pk])).status_code == 404
    assert client.post(reverse("evaluation-few-shot", args=[s.a.pk]), {"k": "2"}).status_code == 404
