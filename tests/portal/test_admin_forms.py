"""The admin's round form labels every time with its zone (UTC) and shows each AoE beside it, and a
reviewer is made on one page: the role is on the account's own page (an inline of the profile)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from portal.models import Profile
from portal.roles import REVIEWER, role_of
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(factories.organizer(is_superuser=True))
    return client


def test_the_round_form_says_utc_and_shows_aoe_beside(admin_client):
    round = factories.RoundFactory(number=1, opens_at=datetime(2026, 1, 1, tzinfo=UTC),
                                   closes_at=datetime(2026, 3, 1, 11, 59, tzinfo=UTC))
    page = admin_client.get(reverse("admin:portal_round_change", args=[round.pk])).content.decode()
    for label in ("Opens (UTC):", "Deadline (UTC):", "Feedback released (UTC):", "Opens (AoE):", "Deadline (AoE):"):
        assert f">{label}</label>" in page, label
    assert "2026-02-28 23:59 AoE" in page
    assert ("Entered in UTC, as are all times here; contestants see it Anywhere on Earth (AoE, UTC−12), 12 hours "
            "earlier: 2026-03-01 11:59 UTC is 2026-02-28 23:59 AoE.") in page
    contest_page = admin_client.get(reverse("admin:portal_contest_change", args=[round.contest.pk])).content.decode()
    assert "Deadline (UTC)" in contest_page and "Deadline (AoE)" in contest_page


def test_a_reviewer_is_made_on_the_accounts_own_page(admin_client):
    added = admin_client.post(reverse("admin:auth_user_add"), {
        "username": "rev_new", "password1": "a-long-test-password-1", "password2": "a-long-test-password-1",
        "usable_password": "true",
        "profile-TOTAL_FORMS": "1", "profile-INITIAL_FORMS": "0", "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1", "profile-0-role": REVIEWER, "profile-0-email_confirmed": "on"})
    assert added.status_code == 302, added.content.decode()[:3000]
    user = User.objects.get(username="rev_new")
    assert role_of(user) == REVIEWER
    page = admin_client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    assert "Role in the contest" in page
    assert '<option value="reviewer" selected>Reviewer</option>' in page
    assert Profile.objects.filter(user=user).count() == 1
