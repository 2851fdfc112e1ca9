"""Every 4xx and 5xx answer is the portal's own page (JSON under /api/); an unexpected error shows
a reference id, logged with its traceback, and never the traceback, whatever DEBUG says."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from portal import errors
from tests import factories

pytestmark = pytest.mark.django_db

FAILING_URLS = "tests.portal.failing_urls"


def portal_page(response) -> bool:
    return ("error.html" in [t.name for t in response.templates]
            and 'id="error-page"' in response.content.decode())


def detail_shown(response, detail: str) -> bool:
    return f'<div class="alert alert-warning" role="alert" id="error-detail">{escape(detail)}</div>' in \
        response.content.decode()


@pytest.mark.urls(FAILING_URLS)
@pytest.mark.parametrize("debug", [False, True])
def test_400_403_404_405_and_the_csrf_failure_are_the_portals_own_pages_whatever_debug_says(
        settings, client, caplog, debug):
    settings.DEBUG = debug
    with caplog.at_level(logging.INFO):
        bad_host = client.get("/", HTTP_HOST="attacker.example")
        suspicious = client.get("/suspicious/")
        forbidden = client.get("/forbidden/")
        forged = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "x", "password": "y"})
        missing = client.get("/no-such-page/")
        client.force_login(factories.contestant())
        not_visible = client.get(reverse("submission-detail", args=[999999]))  # Http404 in the view
        wrong_method = client.put(reverse("signup"))

    answers = {"bad host": (bad_host, 400, errors.DETAILS[400]), "suspicious": (suspicious, 400, errors.DETAILS[400]),
               "forbidden": (forbidden, 403, errors.DETAILS[403]), "csrf": (forged, 403, errors.CSRF_DETAIL),
               "missing": (missing, 404, errors.DETAILS[404]), "not visible": (not_visible, 404, errors.DETAILS[404]),
               "wrong method": (wrong_method, 405, errors.DETAILS[405])}
    for name, (response, status, detail) in answers.items():
        page = response.content.decode()
        assert (response.status_code, portal_page(response), detail_shown(response, detail)) == (status, True, True), name
        # neither Django's technical 404 page (it lists the URL patterns) nor its debug page
        assert "URLconf" not in page and "Traceback" not in page and "Reference:" not in page, name
    # a bad request is logged by Django as a security event, never as an unexpected error of ours
    assert [r.getMessage() for r in caplog.records if r.name == "portal.errors"] == []
    assert [(r.name, r.getMessage()) for r in caplog.records if r.name.startswith("django.security")] == [
        ("django.security.DisallowedHost",
         "Invalid HTTP_HOST header: 'attacker.example'. You may need to add 'attacker.example' to ALLOWED_HOSTS."),
        ("django.security.SuspiciousOperation", "a tampered request"),
        ("django.security.csrf", "Forbidden (CSRF cookie not set.): /accounts/login/")]


@pytest.mark.parametrize("debug", [False, True])
def test_under_api_errors_are_json_with_the_same_status(settings, client, debug):
    settings.DEBUG = debug
    missing = client.get("/api/no-such-endpoint/")
    assert (missing.status_code, missing["Content-Type"]) == (404, "application/json")
    assert missing.json() == {"detail": errors.DETAILS[404]}
    bad_host = client.get("/api/contests/", HTTP_HOST="attacker.example")
    assert (bad_host.status_code, bad_host["Content-Type"]) == (400, "application/json")
    assert bad_host.json() == {"detail": errors.DETAILS[400]}
    wrong_method = client.delete("/api/contests/")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"detail": 'Method "DELETE" not allowed.'}  # DRF's own answer, kept


@pytest.mark.urls(FAILING_URLS)
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/broken/", "/submissions/broken-middleware/"])
def test_an_unexpected_error_shows_a_logged_reference_never_a_traceback(settings, caplog, debug, path):
    settings.DEBUG = debug
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.portal.failing_urls.BrokenMiddleware"]
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="portal.errors"):
        response = client.get(path)

    page = response.content.decode()
    assert response.status_code == 500
    assert "error.html" in [t.name for t in response.templates]
    assert "Traceback" not in page and "boom" not in page and "RuntimeError" not in page
    reference = response.wsgi_request.error_reference
    assert f'<code id="error-reference">{reference}</code>' in page
    logged = [r for r in caplog.records if r.name == "portal.errors"]
    assert [r.getMessage() for r in logged] == [f"Unexpected error, reference {reference}, on GET {path}"]
    assert logged[0].exc_info[0] is RuntimeError
    assert str(logged[0].exc_info[1]).startswith("boom: a bug in a")


@pytest.mark.urls(FAILING_URLS)
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/api/broken/", "/api/broken-middleware/"])
def test_an_unexpected_error_under_api_is_json_with_its_reference(settings, debug, path):
    settings.DEBUG = debug
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.portal.failing_urls.BrokenMiddleware"]
    client = Client(raise_request_exception=False)
    response = client.get(path)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": errors.DETAILS[500], "reference": response.wsgi_request.error_reference}
