"""A new password revokes the account's API tokens: after a password reset or a password change, a
token taken with the old password is refused, and logging in to the API again gives a new one."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://testserver(/\S+)")
NEW = "another-long-password"
NEWER = "yet-another-long-password"


def api_token(client, username: str, password: str) -> str:
    answer = client.post("/api/auth/token/", {"username": username, "password": password})
    assert answer.status_code == 200, answer.content
    return answer.json()["token"]


def api_status(client, token: str) -> int:
    return client.get("/api/contests/", HTTP_AUTHORIZATION=f"Token {token}").status_code


def test_a_password_reset_revokes_the_api_token(client, mailoutbox):
    user = factories.contestant(email="ada@example.org")
    old = api_token(client, user.username, factories.PASSWORD)
    assert api_token(client, user.username, factories.PASSWORD) == old  # the same token while nothing changes
    assert api_status(client, old) == 200

    assert client.post(reverse("password_reset"), {"email": "ada@example.org"}).status_code == 302
    form_page = client.get(LINK.search(mailoutbox[-1].body).group(1), follow=True)
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert (done.status_code, done["Location"]) == (302, reverse("password_reset_complete"))

    assert api_status(client, old) == 401
    new = api_token(client, user.username, NEW)
    assert new != old
    assert api_status(client, new) == 200


def test_a_password_change_revokes_the_api_token(client):
    user = factories.contestant()
    old = api_token(client, user.username, factories.PASSWORD)
    client.force_login(user)
    changed = client.post(reverse("password_change"), {
        "old_password": factories.PASSWORD, "new_password1": NEWER, "new_password2": NEWER})
    assert (changed.status_code, changed["Location"]) == (302, reverse("password_change_done"))
    client.logout()

    assert api_status(client, old) == 401
    new = api_token(client, user.username, NEWER)
    assert new != old
    assert api_status(client, new) == 200


def test_the_password_forms_say_so(client):
    client.force_login(factories.contestant())
    page = client.get(reverse("password_change")).content.decode()
    assert "revokes its API tokens (log in to the API again for a new one)" in page
