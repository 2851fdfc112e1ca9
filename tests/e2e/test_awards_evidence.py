"""End to end in real Chromium, at 1366 x 768: the awards page shows a task that is not eligible (standard scaling on
the public series), with a public run queued and a private run running and 1 of the 2 reviews it needs; confirming
the proposal is refused naming each gap; the organizer ticks the three, gives the reason, and the award is made,
with the acknowledgement and the evidence as it stood in the audit log. The table fits the screen and the
override's reason box is wide enough to type in.

Set E2E_SCREENSHOTS to a folder to keep the page's screenshots (before and after the confirmation)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import expect

from evaluation.models import Run
from portal import services as portal_services
from reviews import services
from reviews.models import AuditEntry, Award, ReviewSettings
from tests import factories
from tests.e2e.test_review_flow import browser, logged_in  # noqa: F401 (a fixture)
from tests.reviews.conftest import GRACE, each, seeded_rubric, submit, task_b_zip  # noqa: F401 (a fixture)
from tests.reviews.test_evidence import finished, model

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_rubric")]

SCREEN = {"width": 1366, "height": 768}
NOT_ELIGIBLE = ("not eligible (Standard scaling on open-models: the rules require that the plot does not show a "
                "standard scaling law)")


@pytest.fixture
def awaiting_award(transactional_db):
    """negation-task: reviewed grand by one reviewer of the 2 the contest asks for, scored with standard scaling on
    three public models, one public run queued and one private run running."""
    round = factories.RoundFactory(number=1, contest__slug="isp", contest__name="Inverse Scaling Prize")
    organizer = factories.organizer(username="olga_e2e")
    reviewer = factories.reviewer(username="rita_e2e", email="rita@reviewers.test")
    alice = factories.contestant(username="alice_e2e", email="alice@contestants.test")
    submission = portal_services.create_submission(
        user=alice, contest=round.contest, zip_file=task_b_zip(),
        data=factories.submission_data(task_name="negation-task", authors=(GRACE,)))
    ReviewSettings.objects.create(contest=round.contest, reviewers_per_submission=2)
    services.add_reviewer(contest=round.contest, user=reviewer, by=organizer)
    submit(services.assign(submission=submission, reviewer=reviewer, by=organizer), reviewer, each("grand"))
    version = submission.current_version
    for i, params in enumerate((10_000_000, 100_000_000, 1_000_000_000)):
        finished(version, model("open-models", f"open-{i}", params), loss=2.0 - 0.4 * i)
    Run.objects.create(version=version, model=model("open-models", "open-3", 10_000_000_000))
    Run.objects.create(version=version, model=model("held-out", "held-1", 10_000_000, private=True),
                       status=Run.RUNNING, attempts=1, done_examples=40, total_examples=300)
    return submission


def _keep(page, name: str) -> None:
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_an_award_against_missing_evidence_is_acknowledged_on_the_awards_page(live_server, awaiting_award,
                                                                             browser):  # noqa: F811 (the fixture)
    submission = awaiting_award
    olga = logged_in(browser, live_server.url, "olga_e2e", viewport=SCREEN)
    olga.goto(f"{live_server.url}/reviews/contests/isp/rounds/1/awards/")
    row = olga.locator(f"#candidate-{submission.pk}")
    expect(row.locator(".reviews")).to_have_text("1 of 2")
    expect(row.locator(".evidence .eligibility")).to_have_text(
        "not eligible: Standard scaling on open-models: the rules require that the plot does not show a standard "
        "scaling law.")
    expect(row.locator(".evidence .runs")).to_have_text("runs not finished: 1 public, 1 private")
    expect(row.locator(".rank-score")).to_have_text("0.500")
    expect(olga.locator("#candidates thead th").nth(5)).to_have_text("Borda score within tier")
    expect(row.locator(".proposed")).to_have_text("second")
    _keep(olga, "awards-before.png")

    # The table fits the screen: nothing scrolls sideways; the override's reason box is wide enough to type in.
    assert olga.evaluate("document.documentElement.scrollWidth") <= SCREEN["width"]
    assert olga.locator("#candidates").bounding_box()["width"] <= SCREEN["width"]
    override = olga.locator(f"#override-{submission.pk}")
    reason_box = override.locator("input[name=reason]").bounding_box()
    assert reason_box["width"] >= 250 and reason_box["x"] + reason_box["width"] <= SCREEN["width"]
    expect(override.locator(".form-check-label")).to_have_text(["not eligible", "2 runs not finished",
                                                                 "1 of 2 reviews"])

    olga.click("button:has-text('Confirm the proposal')")
    expect(olga.locator(".alert-danger")).to_have_text(
        f"Not awarded: the evidence is incomplete and not acknowledged for negation-task (second): {NOT_ELIGIBLE}, "
        "2 runs not finished (1 public, 1 private), 1 of 2 reviews submitted. Tick each gap to award anyway, and "
        "give the reason.")
    assert not Award.objects.exists()

    gaps = olga.locator(f"#acknowledge-{submission.pk} .form-check-label")
    expect(gaps).to_have_text([NOT_ELIGIBLE, "2 runs not finished (1 public, 1 private)", "1 of 2 reviews submitted"])
    for gap in ("eligibility", "runs", "reviews"):
        olga.check(f"#ack-{submission.pk}-{gap}")
    olga.fill(f"#ack-reason-{submission.pk}", "The standard trend comes from the control-like prompts; the panel agrees.")
    olga.click("button:has-text('Confirm the proposal')")
    expect(olga.locator(".alert-success")).to_have_text("Confirmed 1 award(s) of Round 1.")
    expect(row.locator(".decided .acknowledged")).to_have_text(
        "awarded despite: not eligible, 2 runs not finished, 1 of 2 reviews; reason: The standard trend comes from "
        "the control-like prompts; the panel agrees.")
    _keep(olga, "awards-after.png")

    entry = AuditEntry.objects.get(action="evidence_acknowledged")
    assert (entry.actor.username, entry.submission, entry.message) == (
        "olga_e2e", submission,
        f"negation-task (second) in Round 1 awarded on incomplete evidence, acknowledged: {NOT_ELIGIBLE}, 2 runs not "
        "finished (1 public, 1 private), 1 of 2 reviews submitted. Reason: The standard trend comes from the "
        "control-like prompts; the panel agrees.")
    assert {k: entry.data["evidence"][k] for k in ("eligible", "unfinished_public", "unfinished_private", "reviews",
                                                   "required_reviews")} == {
        "eligible": False, "unfinished_public": 1, "unfinished_private": 1, "reviews": 1, "required_reviews": 2}
    olga.goto(f"{live_server.url}/reviews/contests/isp/audit/")
    expect(olga.locator("body")).to_contain_text(entry.message)
    # The ORM calls above ran while Playwright's event loop runs in this thread, so on a connection of that
    # context, which the test database's teardown would otherwise find still open.
    connections.close_all()
