"""End to end in real Chromium, the review side: an organizer assigns a reviewer on the contest's review page;
the reviewer fills the rubric and submits; the organizer confirms the proposed prize, releases the feedback
and announces the awards; the contestant reads the comments to the authors and the award."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from evaluation.services import override_eligibility
from portal import services as portal_services
from reviews import services
from reviews.models import ReviewSettings
from tests import factories
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_FLAGS
from tests.reviews.conftest import GRACE, seeded_rubric, task_b_zip  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_rubric")]

RUBRIC = {"strength": "grand", "generality": "accepted", "importance": "accepted", "novelty": "grand",
          "coverage": "accepted", "reproducibility": "accepted"}  # eligible for second prize


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; as in test_browser.py, the database is
    # written before the browser starts and only the pages are read after.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def logged_in(browser, base_url: str, username: str, *, viewport: dict | None = None):
    """A page in a browser context of its own (of the given viewport size), logged in through the login form."""
    context = browser.new_context(**({"viewport": viewport} if viewport else {}))
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the release and the announcement ask to confirm
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("form button[type=submit]:has-text('Log in')")
    expect(page.locator("#whoami")).to_contain_text(username)
    return page


@pytest.fixture
def contest_in_review(transactional_db):
    round = factories.RoundFactory(number=1, contest__slug="isp", contest__name="Inverse Scaling Prize")
    organizer = factories.organizer(username="olga_e2e")
    reviewer = factories.reviewer(username="rita_e2e", email="rita@reviewers.test")
    alice = factories.contestant(username="alice_e2e", email="alice@contestants.test")
    submission = portal_services.create_submission(
        user=alice, contest=round.contest, zip_file=task_b_zip(),
        data=factories.submission_data(task_name="negation-task", authors=(GRACE,)))
    services.add_reviewer(contest=round.contest, user=reviewer, by=organizer)
    # The evidence an award needs beside this flow's one review (tests/e2e/test_awards_evidence.py is about it):
    # N = 1, and the organizers' decision on the eligibility, since no model series is registered here.
    ReviewSettings.objects.create(contest=round.contest, reviewers_per_submission=1)
    override_eligibility(submission=submission, eligible=True, by=organizer,
                         reason="Scored on the organizers' own models.")
    return submission


def test_assign_review_award_release_and_read(live_server, contest_in_review, browser, mailoutbox):
    submission = contest_in_review
    url = live_server.url
    mailoutbox.clear()  # the portal's own mail about the upload; this test follows the review side's

    olga = logged_in(browser, url, "olga_e2e")
    olga.goto(f"{url}/reviews/contests/isp/")
    assign = olga.locator("form[action$='/assign/']")
    assign.locator("select[name=submission]").select_option(label="negation-task")
    assign.locator("select[name=reviewer]").select_option("rita_e2e")
    assign.locator("button[type=submit]").click()
    expect(olga.locator(".alert-success")).to_have_text("Assigned rita_e2e to negation-task.")
    expect(olga.locator("#submissions-1 tbody tr td").nth(1)).to_contain_text("Reviewer 1: rita_e2e · not started")

    rita = logged_in(browser, url, "rita_e2e")
    rita.goto(f"{url}/reviews/")
    rita.click(f"a:has-text('Submission {submission.number}')")
    expect(rita.locator("h1")).to_have_text(f"Submission {submission.number}")
    expect(rita.locator("#results-none")).to_have_text("No evaluation results yet.")
    expect(rita.locator("#suggestion-strength")).to_have_text("No evaluation results yet")
    expect(rita.locator("#suggestion-generality")).to_have_text("No evaluation results yet")
    for key, level in RUBRIC.items():
        rita.check(f"#id_level_{key}_{level}")
    rita.fill("#id_to_authors", "A clean negation task; add more phrasings.")
    rita.fill("#id_to_organizers", "Worth a second prize.")
    rita.click("button[name=action][value=submit]")
    expect(rita.locator(".alert-success")).to_have_text("Review submitted.")
    expect(rita.locator("#reviews tbody tr td").first).to_have_text("Reviewer 1 (you)")

    olga.goto(f"{url}/reviews/contests/isp/rounds/1/awards/")
    row = olga.locator(f"#candidate-{submission.pk}")
    expect(row.locator(".proposed")).to_have_text("second")
    olga.click("button:has-text('Confirm the proposal')")
    expect(olga.locator(".alert-success")).to_have_text("Confirmed 1 award(s) of Round 1.")
    expect(row.locator(".decided")).to_have_text("second ($20,000)")
    olga.click("button:has-text('Release the feedback of Round 1')")
    expect(olga.locator(".alert-success")).to_have_text(
        "Released the feedback of Round 1; each contestant was emailed.")
    olga.click("button:has-text('Announce the awards')")
    expect(olga.locator(".alert-success")).to_have_text("Announced 1 award(s) of Round 1; the winners were emailed.")

    alice = logged_in(browser, url, "alice_e2e")
    alice.goto(f"{url}/submissions/{submission.pk}/")
    feedback = alice.locator("#review-feedback")
    expect(feedback.locator(".award")).to_have_text("Round 1: your task wins a second prize of $20,000.")
    cells = feedback.locator("#reviews tbody tr").first.locator("td")
    expect(cells).to_have_text(["Reviewer 1", re.compile(r"^submitted \d{4}-\d\d-\d\d \d\d:\d\d AoE$"), "Grand prize", "Accepted", "Accepted", "Grand prize",
                                "Accepted", "Accepted", "A clean negation task; add more phrasings."], use_inner_text=True)
    expect(feedback).not_to_contain_text("Worth a second prize.")
    expect(feedback).not_to_contain_text("rita_e2e")
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["rita@reviewers.test"], "Inverse Scaling Prize: 1 new submission to review"),
        (["alice@contestants.test"], "Inverse Scaling Prize: the reviews of negation-task are ready"),
        (["alice@contestants.test", "grace@cobol-navy.org"], "Inverse Scaling Prize: Second prize for negation-task")]
