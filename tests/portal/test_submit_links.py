"""A "Submit a task" link only where it would be accepted: for contestants (and, to sign up, visitors),
into a contest with a round open now; never for reviewers or organizers, never into a closed round."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def contests():
    now = timezone.now()
    open_contest = factories.RoundFactory(number=1, contest__slug="open-c").contest
    closed_contest = factories.RoundFactory(number=1, contest__slug="closed-c", opens_at=now - timedelta(days=30),
                                            closes_at=now - timedelta(days=1)).contest
    return open_contest, closed_contest


def links(client, path: str) -> dict[str, int]:
    page = client.get(path).content.decode()
    return {name: page.count(text) for name, text in (
        ("submit open", f'href="{reverse("submission-create", args=["open-c"])}"'),
        ("submit closed", f'href="{reverse("submission-create", args=["closed-c"])}"'),
        ("sign up", f'href="{reverse("signup")}">Sign up to submit a task'))}


def test_the_links_follow_the_role_and_the_round(client, contests):
    assert links(client, "/") == {"submit open": 0, "submit closed": 0, "sign up": 1}
    assert 'id="closed-closed-c">No round is accepting submissions now.' in client.get("/").content.decode()
    client.force_login(factories.contestant())
    assert links(client, "/") == {"submit open": 1, "submit closed": 0, "sign up": 0}
    assert links(client, "/submissions/") == {"submit open": 1, "submit closed": 0, "sign up": 0}
    for other in (factories.reviewer(), factories.organizer(is_superuser=True)):
        client.force_login(other)
        assert links(client, "/") == {"submit open": 0, "submit closed": 0, "sign up": 0}
        assert links(client, "/submissions/") == {"submit open": 0, "submit closed": 0, "sign up": 0}
