"""The Content-Security-Policy in real Chromium: the main pages of every role (home, the submission
page and the reviewer's assignment page with their Plotly figures, the reviews pages, the awards page,
the runs page, the admin) load with no CSP violation, the plots still draw, the progress bars get their
widths, plotly.js adds no <style> of its own and static/evaluation/plotly.css holds exactly the rules it
would add; the submission form's "Add an author" button adds a row that is saved; at phone width (375
px) the menu collapses behind its button."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from django.urls import reverse
from playwright.sync_api import expect, sync_playwright

from evaluation.models import LanguageModel, ModelSeries, Result, Run
from portal import services as portal_services
from portal.models import Submission
from reviews import services
from tests import factories
from tests.e2e.test_browser import CHROMIUM, CHROMIUM_FLAGS
from tests.reviews.conftest import GRACE, task_b_zip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""
ROOT = Path(__file__).resolve().parents[2]
MODELS = [("tiny-1", 1_000_000), ("tiny-2", 10_000_000), ("tiny-3", 100_000_000)]


def scored(submission: Submission) -> None:
    """Stored results of three models on every file of the current version (done runs), as a worker leaves them."""
    version = submission.current_version
    series = ModelSeries.objects.get_or_create(name="tiny")[0]
    rng = np.random.default_rng(5)
    for k, (name, params) in enumerate(MODELS):
        model = LanguageModel.objects.get_or_create(series=series, name=name, spec=name, params=params)[0]
        Run.objects.create(version=version, model=model, status=Run.DONE, model_identity=f"{name}@1")
        for f in version.files:
            n = f["rows"]
            values = (0.5 + 0.2 * k + 0.1 * rng.standard_normal(n)).tolist()
            correct = (rng.random(n) < 0.8 - 0.2 * k).tolist()
            Result.objects.get_or_create(
                model_identity=f"{name}@1", file_sha256=f["sha256"], metric=version.metric, defaults=dict(
                    n=n, mean=float(np.mean(values)), sem=float(np.std(values) / np.sqrt(n)),
                    accuracy=float(np.mean(correct)), class_mass=0.9, baseline=0.69, examples={
                        "line": list(range(2, n + 2)), "value": values, "correct": correct,
                        "predicted": [" Yes"] * n, "total_logprob": [-0.1] * n}))


@pytest.fixture
def scene(transactional_db):
    round = factories.RoundFactory(number=1, contest__slug="isp", contest__name="Inverse Scaling Prize")
    organizer = factories.organizer(username="olga_csp", is_superuser=True)
    reviewer = factories.reviewer(username="rita_csp", email="rita@reviewers.test")
    alice = factories.contestant(username="alice_csp", email="alice@contestants.test")
    submission = portal_services.create_submission(
        user=alice, contest=round.contest, zip_file=task_b_zip(),
        data=factories.submission_data(task_name="negation-task", authors=(GRACE,)))
    scored(submission)
    services.add_reviewer(contest=round.contest, user=reviewer, by=organizer)
    assignment = services.assign(submission=submission, reviewer=reviewer, by=organizer)
    return {"contest": round.contest, "round": round, "submission": submission, "assignment": assignment}


@pytest.fixture
def browser():
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Visitor:
    """A browser context that records every CSP violation (the page's event and Chromium's console)."""

    def __init__(self, browser, base_url: str, *, username: str | None = None, **context):
        self.context = browser.new_context(**context)
        self.context.set_default_timeout(20_000)
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.page.on("console", lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None)
        self.base_url, self.seen = base_url, {}
        if username:
            self.page.goto(f"{base_url}/accounts/login/")
            self.page.fill("#id_username", username)
            self.page.fill("#id_password", factories.PASSWORD)
            self.page.click("form button[type=submit]:has-text('Log in')")
            expect(self.page.locator("#whoami")).to_contain_text(username)

    def visit(self, path: str) -> None:
        answer = self.page.goto(self.base_url + path)
        assert answer.status == 200, path
        self.page.wait_for_load_state("load")
        self.seen[path] = self.page.evaluate("window.__csp") + self.console
        self.console = []


def plots_drawn(page) -> list[int]:
    """The number of traces drawn in each figure of the page (Plotly's own record of the plot)."""
    page.wait_for_function("document.querySelectorAll('#evaluation .plot').length > 0 && "
                           "[...document.querySelectorAll('#evaluation .plot')].every(p => p.querySelector('.main-svg'))")
    return page.evaluate("[...document.querySelectorAll('#evaluation .plot')].map(p => p._fullData.length)")


def test_the_main_pages_load_with_no_csp_violation_and_the_plots_draw(live_server, scene, browser):
    submission, assignment = scene["submission"], scene["assignment"]
    anonymous = Visitor(browser, live_server.url)
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/accounts/password_reset/"):
        anonymous.visit(path)

    owner = Visitor(browser, live_server.url, username="alice_csp")
    owner.visit("/submissions/")
    owner.visit(f"/submissions/{submission.pk}/")
    traces = plots_drawn(owner.page)
    assert traces and all(count >= 1 for count in traces), traces
    assert owner.page.evaluate("document.getElementById('plotly.js-style-global').tagName") == "LINK"
    assert owner.page.evaluate("document.querySelectorAll('style').length") == 0  # plotly.js added none
    widths = owner.page.evaluate("[...document.querySelectorAll('#evaluation-progress .progress-bar')]"
                                 ".map(b => [b.dataset.width, b.style.width])")
    assert widths and all(float(style.rstrip("%")) == float(data) for data, style in widths), widths
    owner.visit(f"/contests/{scene['contest'].slug}/submit/")

    reviewer = Visitor(browser, live_server.url, username="rita_csp")
    reviewer.visit("/reviews/")
    reviewer.visit(f"/reviews/assignments/{assignment.pk}/")
    traces = plots_drawn(reviewer.page)
    assert traces and all(count >= 1 for count in traces), traces

    organizer = Visitor(browser, live_server.url, username="olga_csp")
    for path in ("/reviews/", f"/reviews/contests/{scene['contest'].slug}/",
                 f"/reviews/contests/{scene['contest'].slug}/rounds/1/awards/",
                 f"/reviews/contests/{scene['contest'].slug}/audit/", reverse("evaluation-runs"),
                 f"/submissions/{submission.pk}/", "/admin/", "/admin/auth/user/", f"/admin/portal/round/{scene['round'].pk}/change/"):
        organizer.visit(path)

    seen = {f"{who} {path}": violations for who, visitor in (("anonymous", anonymous), ("owner", owner),
                                                             ("reviewer", reviewer), ("organizer", organizer))
            for path, violations in visitor.seen.items()}
    assert len(seen) == 18
    assert {path: violations for path, violations in seen.items() if violations} == {}


def test_plotly_css_holds_exactly_the_rules_plotly_js_adds(live_server, browser):
    """On a page without the policy, plotly.js adds its <style>; its rules, as Chromium reads them, are
    the rules of static/evaluation/plotly.css."""
    page = browser.new_page()
    page.set_content('<div id="p"></div>')
    page.add_script_tag(url=f"{live_server.url}/static/plotly/plotly.min.js")
    page.evaluate("Plotly.newPlot('p', [{x: [1, 2], y: [3, 4]}])")
    added = page.evaluate("[...document.getElementById('plotly.js-style-global').sheet.cssRules].map(r => r.cssText)")
    page.add_style_tag(content=(ROOT / "static" / "evaluation" / "plotly.css").read_text())
    ours = page.evaluate("[...document.styleSheets].filter(s => !s.ownerNode.id)"
                         ".flatMap(s => [...s.cssRules].map(r => r.cssText))")
    assert len(added) > 50
    assert ours == added


def test_add_an_author_on_the_submission_form(live_server, scene, browser, tmp_path):
    owner = Visitor(browser, live_server.url, username="alice_csp")
    page = owner.page
    page.goto(f"{live_server.url}/submissions/{scene['submission'].pk}/edit/")
    rows = page.locator("#submission-form tbody tr:not(.empty-form)")
    assert rows.count() == 4  # Grace Hopper and three empty rows (the formset's extra)
    page.click("#add-author")
    page.click("#add-author")
    assert rows.count() == 6
    assert page.locator("#id_authors-TOTAL_FORMS").input_value() == "6"
    page.fill("#id_authors-5-name", "Zebulon Quixote")
    page.fill("#id_authors-5-email", "zq@quixote-lab.test")
    page.fill("#id_authors-5-affiliation", "Quixote Lab")
    page.click("button[type=submit]:has-text('Save a new version')")
    expect(page.locator("h1")).to_contain_text("negation-task")
    version = Submission.objects.get(pk=scene["submission"].pk).current_version
    assert [(a.name, a.email) for a in version.authors.order_by("order")] == [
        ("Grace Hopper", "grace@cobol-navy.org"), ("Zebulon Quixote", "zq@quixote-lab.test")]
    assert owner.page.evaluate("window.__csp") == []


def test_at_phone_width_the_menu_collapses_behind_its_button(live_server, scene, browser, tmp_path):
    phone = Visitor(browser, live_server.url, username="olga_csp", viewport={"width": 375, "height": 740})
    page = phone.page
    page.goto(f"{live_server.url}/")
    runs = page.locator("#main-menu a:has-text('Runs')")
    expect(page.locator(".navbar-toggler")).to_be_visible()
    expect(runs).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing sticks out sideways
    page.screenshot(path=str(tmp_path / "phone-closed.png"))
    page.click(".navbar-toggler")
    expect(page.locator("#main-menu.collapse.show")).to_have_count(1)  # opened, its animation over
    expect(runs).to_be_visible()
    expect(page.locator("#whoami")).to_be_visible()
    page.screenshot(path=str(tmp_path / "phone-open.png"))
    if os.environ.get("PORTAL_SCREENSHOTS"):
        for name in ("phone-closed.png", "phone-open.png"):
            (tmp_path / name).replace(os.path.join(os.environ["PORTAL_SCREENSHOTS"], name))
    assert page.evaluate("window.__csp") == []
