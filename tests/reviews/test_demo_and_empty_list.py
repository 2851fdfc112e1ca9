"""The demo works for the reviewer: seed_demo (the real command) puts its reviewer, on an email domain of its
own, on the demo contest's panel, so the organizer can assign them every sample. A reviewer with nothing
assigned reads why on their page: the conflicts of interest that keep submissions from them (never an
author's address), nothing assigned yet, or no panel."""

from __future__ import annotations

import html
import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from portal.models import Contest, Submission
from reviews import selectors, services
from reviews.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def _seed(settings) -> Contest:
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    return Contest.objects.get(slug="demo")


def _why(client, user) -> list[str]:
    client.force_login(user)
    page = client.get("/reviews/").content.decode()
    section = re.search(r'<section id="nothing-assigned".*?</section>', page, flags=re.S)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line))).strip()
            for line in re.findall(r"<(?:p|li)[^>]*>.*?</(?:p|li)>", section.group(0), flags=re.S)] if section else []


def test_the_seeded_reviewer_can_be_assigned_every_demo_submission(client, settings, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    contest = _seed(settings)
    reviewer, organizer = User.objects.get(username="reviewer"), User.objects.get(username="organizer")
    samples = list(Submission.objects.filter(contest=contest).order_by("number"))
    assert (reviewer.email, [s.owner.email for s in samples]) == (
        "reviewer@reviewers.example.net", ["contestant@example.org"] * 3)
    assert [u.username for u in selectors.panel(contest)] == ["reviewer"]
    assert AuditEntry.objects.get(action="reviewer_added").message == "reviewer joined the panel."
    assert selectors.conflict_pairs(reviewers=[reviewer], submissions=samples) == {}
    assert _why(client, reviewer) == [
        "Nothing is assigned to you yet; you will get an email when something is.",
        "Inverse Scaling Prize (demo): 3 submissions open to review, none of them kept from you by a conflict of "
        "interest: the organizers have not assigned you any yet."]

    with django_capture_on_commit_callbacks(execute=True):
        assigned = services.auto_assign(round=contest.rounds.get(number=1), by=organizer)
    assert sorted((a.submission.task_name, a.reviewer.username) for a in assigned.created) == [
        ("premise-sensitivity", "reviewer"), ("repeated-word-recall", "reviewer"), ("syllogism-validity", "reviewer")]
    assert [m.to for m in mailoutbox] == [["reviewer@reviewers.example.net"]]
    client.force_login(reviewer)
    page = client.get("/reviews/").content.decode()
    assert re.findall(r">(Submission \d)</a>", page) == ["Submission 1", "Submission 2", "Submission 3"]
    assert _why(client, reviewer) == []


def test_a_demo_seeded_before_moves_its_reviewer_off_the_authors_domain(client, settings):
    settings.DEBUG = True
    call_command("seed_demo", "--no-samples", stdout=StringIO())
    reviewer = User.objects.get(username="reviewer")
    User.objects.filter(pk=reviewer.pk).update(email="reviewer@example.org")  # as seed_demo made it before
    contest = _seed(settings)  # again, now with the samples
    reviewer.refresh_from_db()
    assert reviewer.email == "reviewer@reviewers.example.net"
    assert User.objects.get(username="contestant").email == "contestant@example.org"
    assert selectors.conflict_pairs(reviewers=[reviewer], submissions=contest.submissions.all()) == {}


def test_a_reviewer_with_nothing_assigned_reads_which_conflicts_keep_submissions_from_them(client, scene):
    s = scene  # cora's domain is Ada's (an author of a); uma is on the panel, unassigned
    assert _why(client, s.cora) == [
        "Nothing is assigned to you yet; you will get an email when something is.",
        "Inverse Scaling Prize: 2 submissions open to review; a conflict of interest keeps 1 of them from you:",
        "your email domain matches an author's (1 submission)"]
    services.declare_conflict(reviewer=s.uma, by=s.uma, domain="cobol-navy.org", reason="")
    services.declare_conflict(reviewer=s.uma, by=s.organizer, submission=s.a, reason="Co-authored a paper.",
                              contest=s.contest)
    assert _why(client, s.uma) == [
        "Nothing is assigned to you yet; you will get an email when something is.",
        "Inverse Scaling Prize: 2 submissions open to review; a conflict of interest keeps 2 of them from you:",
        "you declared a conflict with the domain cobol-navy.org (1 submission)",
        "you declared a conflict with the submission (1 submission)"]
    client.force_login(s.cora)
    page = client.get("/reviews/").content.decode().lower()
    assert [secret for secret in s.secrets_of_a + s.secrets_of_b if secret.lower() in page] == []
    assert _why(client, factories.reviewer(username="rev_new_x9", email="new@reviewers-nine.test")) == [
        "Nothing is assigned to you yet; you will get an email when something is.",
        "You are on no contest's reviewer panel yet: the organizers put you on one, then assign you submissions."]
    assert _why(client, s.rita) == []  # she has assignments
