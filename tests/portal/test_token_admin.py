"""API tokens in the admin: organizers see the first characters of a key, never the whole key (on the
list, the token's page, the deletion pages and messages, or the admin's history), and revoke a token
by deleting it."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests import factories

pytestmark = pytest.mark.django_db


def test_the_admin_shows_a_prefix_of_each_key_and_revokes_a_token(client):
    owner = factories.contestant(username="ada")
    key = client.post("/api/auth/token/", {"username": "ada", "password": factories.PASSWORD}).json()["token"]
    client.force_login(factories.organizer(is_superuser=True))
    pages = []

    listing = client.get(reverse("admin:portal_apitoken_changelist"))
    assert listing.status_code == 200
    pages.append(listing)
    assert f"{key[:6]}…" in listing.content.decode()
    page = client.get(reverse("admin:portal_apitoken_change", args=[owner.pk]))
    assert page.status_code == 200
    pages.append(page)
    assert f"{key[:6]}… (ada)" in page.content.decode()
    assert client.get(reverse("admin:portal_apitoken_add")).status_code == 403  # tokens come from the API login
    confirm = client.get(reverse("admin:portal_apitoken_delete", args=[owner.pk]))
    pages.append(confirm)
    deleted = client.post(reverse("admin:portal_apitoken_delete", args=[owner.pk]), {"post": "yes"}, follow=True)
    pages.append(deleted)
    assert "was deleted successfully" in deleted.content.decode()

    assert not Token.objects.filter(user=owner).exists()
    assert client.get("/api/contests/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert [p.status_code for p in pages] == [200, 200, 200, 200]
    assert not [p.request["PATH_INFO"] for p in pages if key in p.content.decode()]
    assert [e.object_repr for e in LogEntry.objects.all()] == [f"{key[:6]}… (ada)"]
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 404  # DRF's page, with every key, is gone
