"""The REST API's entry points: token auth, the contest list and the OpenAPI schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db


def test_a_token_from_username_and_password_authenticates_later_requests():
    factories.contestant(username="ada")
    client = APIClient()
    refused = client.post("/api/auth/token/", {"username": "ada", "password": "wrong"}, format="json")
    assert refused.status_code == 400
    token = client.post("/api/auth/token/", {"username": "ada", "password": factories.PASSWORD},
                        format="json").json()["token"]
    assert len(token) == 40
    assert APIClient().get("/api/contests/", HTTP_AUTHORIZATION="Token " + "0" * 40).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/contests/").status_code == 200


def test_contests_list_their_slug_and_rounds():
    first = factories.RoundFactory(number=1, contest__slug="isp", contest__name="ISP")
    factories.RoundFactory(number=2, contest=first.contest, opens_at=first.closes_at,
                           closes_at=first.closes_at.replace(year=first.closes_at.year + 1))
    body = APIClient().get("/api/contests/").json()
    assert [c["slug"] for c in body] == ["isp"]
    assert [(r["number"], r["name"]) for r in body[0]["rounds"]] == [(1, "Round 1"), (2, "Round 2")]
    assert body[0]["rounds"][0]["closes_at"] == first.closes_at.isoformat().replace("+00:00", "Z")


def test_the_schema_is_served_and_names_the_endpoints():
    schema = APIClient().get("/api/schema/?format=json")
    assert schema.status_code == 200
    assert {"/api/auth/token/", "/api/contests/"} <= set(schema.json()["paths"])
