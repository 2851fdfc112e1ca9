"""The public results page of an announced round in real Chromium, not logged in: the winning task's figures draw
(one trace per series, the private series named as such), with no Content-Security-Policy violation; before the
announcement the same address is the portal's 404 page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reviews import outcome
from tests.e2e.test_csp import Visitor, browser, plots_drawn  # noqa: F401 (a fixture)
from tests.reviews.conftest import Scene, acknowledging_every_gap, each, scene, seeded_rubric, submit  # noqa: F401
from tests.reviews.test_public_results import store_results

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_rubric")]

URL = "/results/isp/rounds/1/"


def test_a_round_page_draws_its_winners_plots_once_announced(live_server, scene: Scene, browser):  # noqa: F811
    store_results(scene.a.current_version, slope=0.1)
    store_results(scene.b.current_version, slope=-0.1)
    submit(scene.rita_a, scene.rita, each("grand"))
    submit(scene.remy_a, scene.remy, each("grand"))
    submit(scene.rita_b, scene.rita, each("accepted"))
    outcome.confirm_awards(round=scene.round, by=scene.organizer, acknowledged=acknowledging_every_gap(scene.round))
    outcome.release_feedback(round=scene.round, by=scene.organizer)

    public = Visitor(browser, live_server.url, viewport={"width": 1366, "height": 768})
    answer = public.page.goto(live_server.url + URL)
    assert answer.status == 404
    expect(public.page.locator("h1 small")).to_have_text("404")

    outcome.announce_awards(round=scene.round, by=scene.organizer)
    public.visit(URL)
    page = public.page
    expect(page.locator("article.winner h3.h4")).to_have_text(["syllogism-test second prize", "negation-task third prize"])
    assert plots_drawn(page) == [2, 2, 2, 2]  # two figures per winner, a trace per series
    legends = page.evaluate("[...document.querySelectorAll('#evaluation .plot')].map("
                            "p => p._fullData.map(t => t.name))")
    assert legends == [["held-out (private)", "tiny"]] * 4
    expect(page.locator("#task-syllogism-test .plot .gtitle").first).to_have_text(
        "whole task: loss (−log p of the answer,normalised over classes)")
    assert public.seen[URL] == []  # no CSP violation
    public.visit("/results/")
    expect(page.locator("#announced-rounds a")).to_have_text(["Inverse Scaling Prize — Round 1"])
