"""End to end in real Chromium: sign up, log in, confirm the email through the link the portal sent, submit
a valid zip, see it listed; submit a broken zip, see the row-level errors."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect, sync_playwright

from tests import datasets

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.fixture
def page():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        context = browser.new_context()
        context.set_default_timeout(20_000)
        yield context.new_page()
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def fill_submission(page, *, task_name: str, zip_path) -> None:
    page.fill("#id_task_name", task_name)
    page.select_option("#id_metric", "classification")
    page.select_option("#id_shot_setting", "few-shot")
    page.set_input_files("#id_zip_file", str(zip_path))
    page.fill("#id_what_it_tests", "Whether models follow logic over belief.")
    page.fill("#id_correct_behaviour", "Answer Yes exactly when the conclusion follows.")
    page.fill("#id_why_it_matters", "Plausibility is not validity.")
    page.fill("#id_data_generation", "Templates over noun triples.")
    page.fill("#id_authors-0-name", "Ada Lovelace")
    page.fill("#id_authors-0-email", "ada@example.org")
    page.click("button[type=submit]:has-text('Submit')")


def test_sign_up_submit_and_see_errors(live_server, contest_tx, page, tmp_path, mailoutbox):
    # The contest is made before the browser starts: Playwright's sync API runs the test body in a
    # greenlet, where the ORM would open a second connection that outlives the test.
    contest = contest_tx
    good = tmp_path / "good.zip"
    good.write_bytes(datasets.make_zip({"syllogism-e2e.csv": datasets.to_csv_bytes(
        datasets.syllogism_classification_rows(n=300, seed=21))}))
    rows = datasets.syllogism_classification_rows(n=300, seed=22)
    rows[0]["answer_index"] = 5
    bad = tmp_path / "bad.zip"
    bad.write_bytes(datasets.make_zip({"broken-e2e.csv": datasets.to_csv_bytes(rows)}))

    page.goto(f"{live_server.url}/accounts/signup/")
    page.fill("#id_username", "alice")
    page.fill("#id_email", "alice@example.org")
    page.fill("#id_password1", "a-long-test-password")
    page.fill("#id_password2", "a-long-test-password")
    page.click("button[type=submit]")
    expect(page.locator(".alert-success")).to_have_text(
        "Thank you. We sent a message to alice@example.org: follow the link in it to confirm the address, "
        "then log in here.")
    page.fill("#id_username", "alice")
    page.fill("#id_password", "a-long-test-password")
    page.click("button[type=submit]")
    expect(page.locator("#whoami")).to_have_text("alice (contestant)")

    # Submitting waits for the email address to be confirmed through the link the portal sent.
    page.goto(f"{live_server.url}/contests/{contest.slug}/submit/")
    expect(page.locator("#refusal")).to_contain_text("Confirm your email address before submitting")
    assert [m.to for m in mailoutbox] == [["alice@example.org"]]
    link = re.search(r"http://\S+/accounts/confirm-email/\S+", mailoutbox[0].body).group(0)
    assert link.startswith(live_server.url)
    page.goto(link)
    expect(page.locator("#confirmation-result")).to_have_text(
        "Thank you: alice@example.org is confirmed. You can now submit tasks.")

    page.goto(f"{live_server.url}/contests/{contest.slug}/submit/")
    fill_submission(page, task_name="syllogism-e2e", zip_path=good)
    expect(page.locator("h1")).to_contain_text("syllogism-e2e")
    expect(page.locator("#files tbody tr")).to_have_text("syllogism-e2e.csvmain300prompt, classes, answer_index")

    page.goto(f"{live_server.url}/submissions/")
    expect(page.locator("#submissions tbody tr td").first).to_have_text("syllogism-e2e")

    page.goto(f"{live_server.url}/contests/{contest.slug}/submit/")
    fill_submission(page, task_name="broken-e2e", zip_path=bad)
    expect(page.locator("#upload-errors-summary")).to_contain_text("The zip has 1 error; nothing was stored.")
    cells = page.locator("#upload-errors tbody tr").first.locator("td")
    expect(cells).to_have_text(["broken-e2e.csv", "2", "answer_index",
                                "Example 1: answer_index is 5 but classes has 2 classes (positions 0 to 1); give the position of the correct class, counting from 0."])
    expect(page.locator("#id_task_name")).to_have_value("broken-e2e")
