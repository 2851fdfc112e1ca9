"""Fixtures of the API tests: clients holding a real token, and the evaluation tests' worker."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests import factories
from tests.evaluation.conftest import worker  # noqa: F401  (a real Celery worker on the cpu queue)


def token_client(user) -> APIClient:
    """A client that authenticates with the token POST /api/auth/token/ gives this user."""
    client = APIClient()
    response = client.post("/api/auth/token/", {"username": user.username, "password": factories.PASSWORD},
                           format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


@pytest.fixture
def ada(db):
    return factories.contestant(username="ada", email="ada@example.org")


@pytest.fixture
def ada_api(ada) -> APIClient:
    return token_client(ada)
