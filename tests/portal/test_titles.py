"""Every page's title names the page, then the site; every page links the portal's icon, and
/favicon.ico (which browsers ask for by themselves) leads to it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def title(response) -> str:
    return TITLE.search(response.content.decode()).group(1)


def test_each_page_is_named_in_its_title(client, contest, syllogism_zip):
    assert title(client.get("/")) == "Inverse Scaling Prize"
    assert title(client.get("/accounts/login/")) == "Log in · Inverse Scaling Prize"
    assert title(client.get("/accounts/signup/")) == "Sign up · Inverse Scaling Prize"
    assert title(client.get("/no-such-page/")) == "Not Found · Inverse Scaling Prize"
    owner = factories.contestant()
    client.force_login(owner)
    assert title(client.get("/submissions/")) == "Submissions · Inverse Scaling Prize"
    assert title(client.get(reverse("submission-create", args=[contest.slug]))) == "Submit a task · Inverse Scaling Prize"
    client.force_login(factories.reviewer())
    assert title(client.get(reverse("submission-create", args=[contest.slug]))) == "Not possible · Inverse Scaling Prize"
    assert title(client.get("/reviews/")) == "Your reviews · Inverse Scaling Prize"
    client.force_login(factories.organizer(is_superuser=True))
    assert title(client.get("/admin/")) == "Contests, submissions, reviews and accounts | Inverse Scaling Prize admin"


def test_the_icon(client):
    page = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/portal/favicon.svg" type="image/svg+xml">' in page
    redirect = client.get("/favicon.ico")
    assert (redirect.status_code, redirect["Location"]) == (301, "/static/portal/favicon.svg")
    icon = client.get("/static/portal/favicon.svg")
    assert icon.status_code == 200
    assert b"".join(icon.streaming_content).startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
