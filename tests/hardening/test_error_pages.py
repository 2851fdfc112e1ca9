"""Every 4xx and 5xx answer is the portal's own page (JSON under /api/); an unexpected error shows
a reference id, logged with its traceback, and never the traceback, whatever DEBUG says."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from portal import errors

pytestmark = pytest.mark.django_db

FAILING_URLS = "tests.hardening.failing_urls"


def portal_page(response) -> bool:
    return ("error.html" in [t.name for t in response.templates]
            and 'id="error-page"' in response.content.decode())


def test_400_403_404_405_and_the_csrf_failure_are_the_portals_own_pages(client):
    bad_host = client.get("/", HTTP_HOST="attacker.example")
    assert (bad_host.status_code, portal_page(bad_host)) == (400, True)
    assert errors.DETAILS[400] in bad_host.content.decode()

    missing = client.get("/no-such-page/")
    assert (missing.status_code, portal_page(missing)) == (404, True)
    assert errors.DETAILS[404] in missing.content.decode()

    wrong_method = client.put(reverse("signup"))
    assert (wrong_method.status_code, portal_page(wrong_method)) == (405, True)
    assert errors.DETAILS[405] in wrong_method.content.decode()

    strict = Client(enforce_csrf_checks=True)
    forged = strict.post(reverse("login"), {"username": "x", "password": "y"})
    assert (forged.status_code, portal_page(forged)) == (403, True)
    assert escape(errors.CSRF_DETAIL) in forged.content.decode()


def test_under_api_errors_are_json_with_the_same_status(client):
    missing = client.get("/api/no-such-endpoint/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": errors.DETAILS[404]}
    wrong_method = client.delete("/api/contests/")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"detail": 'Method "DELETE" not allowed.'}  # DRF's own answer, kept


@pytest.mark.urls(FAILING_URLS)
@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("path", ["/broken/", "/submissions/broken-middleware/"])
def test_an_unexpected_error_shows_a_logged_reference_never_a_traceback(settings, caplog, debug, path):
    settings.DEBUG = debug
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.hardening.failing_urls.BrokenMiddleware"]
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
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.hardening.failing_urls.BrokenMiddleware"]
    client = Client(raise_request_exception=False)
    response = client.get(path)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": errors.DETAILS[500], "reference": response.wsgi_request.error_reference}
