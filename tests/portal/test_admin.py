"""Organizers configure contests and rounds in the Django admin; deadlines are shown AoE."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.deadlines import format_aoe
from portal.models import Contest, Profile, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer_client(client):
    user = User.objects.create_superuser("boss", "boss@example.org", "a-long-test-password")
    Profile.objects.create(user=user, role="organizer")
    client.force_login(user)
    return client


def test_an_organizer_creates_a_contest_with_two_rounds_in_utc(organizer_client):
    response = organizer_client.post(reverse("admin:portal_contest_add"), {
        "name": "Inverse Scaling Prize 2022", "slug": "isp-2022", "description": "",
        "rounds-TOTAL_FORMS": "2", "rounds-INITIAL_FORMS": "0",
        "rounds-MIN_NUM_FORMS": "0", "rounds-MAX_NUM_FORMS": "1000",
        "rounds-0-number": "1", "rounds-0-name": "Round 1",
        "rounds-0-opens_at_0": "2022-05-27", "rounds-0-opens_at_1": "12:00:00",
        "rounds-0-closes_at_0": "2022-08-28", "rounds-0-closes_at_1": "11:59:00",
        "rounds-1-number": "2", "rounds-1-name": "Round 2",
        "rounds-1-opens_at_0": "2022-08-28", "rounds-1-opens_at_1": "12:00:00",
        "rounds-1-closes_at_0": "2022-10-28", "rounds-1-closes_at_1": "11:59:00",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    contest = Contest.objects.get(slug="isp-2022")
    assert [(r.number, r.closes_at) for r in contest.rounds.all()] == [
        (1, datetime(2022, 8, 28, 11, 59, tzinfo=UTC)),
        (2, datetime(2022, 10, 28, 11, 59, tzinfo=UTC))]
    listing = organizer_client.get(reverse("admin:portal_round_changelist")).content.decode()
    assert "2022-08-27 23:59 AoE" in listing and "2022-10-27 23:59 AoE" in listing


def test_a_round_must_close_after_it_opens(organizer_client, contest):
    response = organizer_client.post(reverse("admin:portal_round_add"), {
        "contest": contest.pk, "number": "2", "name": "Round 2",
        "opens_at_0": "2022-08-28", "opens_at_1": "12:00:00",
        "closes_at_0": "2022-08-01", "closes_at_1": "12:00:00",
    })
    assert response.status_code == 200
    assert "A round must close after it opens: set its deadline later than its opening time." in response.content.decode()


def test_the_demo_seed_makes_two_rounds_closing_at_2359_aoe_three_logins_and_three_samples(db, settings):
    settings.DEBUG = True
    out, again = StringIO(), StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=again)  # idempotent
    contest = Contest.objects.get(slug="demo")
    assert [r.number for r in contest.rounds.all()] == [1, 2]
    assert {format_aoe(r.closes_at)[-9:] for r in contest.rounds.all()} == {"23:59 AoE"}
    assert {format_aoe(r.opens_at)[-9:] for r in contest.rounds.all()} == {"00:00 AoE"}
    assert out.getvalue().splitlines()[1:] == [
        "  contestant  login: contestant  password: contestant-demo-pass",
        "  reviewer    login: reviewer    password: reviewer-demo-pass",
        "  organizer   login: organizer   password: organizer-demo-pass",
        "  sample syllogism-validity: submitted (classification)",
        "  sample repeated-word-recall: submitted (sequence_prob)",
        "  sample premise-sensitivity: submitted (logodds)"]
    assert again.getvalue().splitlines()[-3:] == [
        "  sample syllogism-validity: already there",
        "  sample repeated-word-recall: already there",
        "  sample premise-sensitivity: already there"]
    samples = Submission.objects.filter(contest=contest).order_by("pk")
    assert [(s.owner.username, s.task_name, s.current_version.metric, s.current_version.number,
             [(f["name"], f["rows"]) for f in s.current_version.files],
             [w["message"] for w in s.current_version.warnings]) for s in samples] == [
        ("contestant", name, metric, 1, [(f"{name}.csv", 300)],
         ["The task has 300 examples; aim for about 1000 so that the scaling trend is measured precisely."])
        for name, metric in (("syllogism-validity", "classification"), ("repeated-word-recall", "sequence_prob"),
                             ("premise-sensitivity", "logodds"))]
    for username, role in (("contestant", "contestant"), ("reviewer", "reviewer"), ("organizer", "organizer")):
        user = User.objects.get(username=username)
        assert (user.profile.role, user.check_password(f"{username}-demo-pass")) == (role, True)
    assert all(user.profile.email_confirmed for user in User.objects.all())


def test_the_demo_seed_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError) as refused:
        call_command("seed_demo", stdout=StringIO())
    assert str(refused.value) == (
        "seed_demo makes accounts whose passwords are published (contestant-demo-pass, ...), so it runs only "
        "with DEBUG on, never on a public site. Make real accounts with: python manage.py create_account "
        "USERNAME --role organizer --email EMAIL")
    assert (User.objects.count(), Contest.objects.count()) == (0, 0)
