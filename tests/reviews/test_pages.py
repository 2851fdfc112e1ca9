"""The review side's pages driven through their forms, as reviewers, organizers and contestants use them."""

from __future__ import annotations

import html
import re

import pytest

from portal import panels
from reviews import outcome, views
from reviews.models import Assignment, Award, Ranking, Review, ReviewSettings
from tests.reviews.conftest import acknowledging_every_gap, each, open_round_two, submit

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    """The messages the page that a POST redirected to showed (so they are not shown again)."""
    return [str(m) for m in response.context["messages"]]


def _rubric_form(level: str, **extra) -> dict:
    return {**{f"level_{k}": level for k in ("strength", "generality", "importance", "novelty", "coverage",
                                              "reproducibility")}, **extra}


def test_the_feedback_panel_is_registered_after_the_evaluations(scene):
    assert (30, views.feedback_panel) in panels._panels


def test_a_reviewer_fills_the_rubric_on_the_page(client, scene):
    client.force_login(scene.rita)
    url = f"/reviews/assignments/{scene.rita_a.pk}/"
    page = client.get(url).content.decode()
    assert "Accepted</strong>: Approximately monotonic inverse scaling" in page
    assert 'id="others-hidden"' in page
    incomplete = client.post(url, {"level_novelty": "grand", "action": "submit"})
    assert incomplete.status_code == 400
    assert "Rate every criterion before submitting; missing: strength, generality" in incomplete.content.decode()
    assert not Review.objects.filter(status="submitted").exists()
    draft = client.post(url, {"level_novelty": "grand", "to_authors": "First thoughts.", "action": "draft"}, follow=True)
    assert (draft.status_code, _messages(draft)) == (200, ["Draft saved."])
    submitted = client.post(url, _rubric_form("accepted", to_authors="Clear.", action="submit"), follow=True)
    assert "Review submitted." in _messages(submitted)
    review = Review.objects.get(assignment=scene.rita_a)
    assert (review.status, review.levels["novelty"], review.to_authors) == ("submitted", "accepted", "Clear.")
    assert "Submit revision" in submitted.content.decode()


def test_a_reviewer_ranks_and_declares_conflicts_on_their_page(client, scene):
    submit(scene.rita_a, scene.rita, each("accepted"))
    submit(scene.rita_b, scene.rita, each("grand"))
    client.force_login(scene.rita)
    page = client.get("/reviews/").content.decode()
    assert f"Submission {scene.a.number}" in page and f"Submission {scene.b.number}" in page
    duplicate = client.post(f"/reviews/rounds/{scene.round.pk}/ranking/",
                            {f"rank_{scene.a.number}": 1, f"rank_{scene.b.number}": 1}, follow=True)
    assert _messages(duplicate) == ["Give each submission a different position from 1 to 2."]
    saved = client.post(f"/reviews/rounds/{scene.round.pk}/ranking/", {f"rank_{scene.a.number}": 2, f"rank_{scene.b.number}": 1}, follow=True)
    assert _messages(saved) == ["Ranking of Round 1 saved."]
    assert Ranking.objects.get(reviewer=scene.rita).submission_ids == [scene.b.pk, scene.a.pk]
    public = client.post("/reviews/conflicts/", {"domain": "gmail.com"}, follow=True)
    assert _messages(public)[0].startswith("gmail.com is a public mail domain")
    client.post(f"/reviews/assignments/{scene.rita_b.pk}/conflict/", follow=True)
    assert client.get(f"/reviews/assignments/{scene.rita_b.pk}/").status_code == 404


def test_an_organizer_builds_the_panel_and_assigns_on_the_contest_page(client, scene):
    ReviewSettings.objects.create(contest=scene.contest, reviewers_per_submission=4)
    client.force_login(scene.organizer)
    page = client.get("/reviews/contests/isp/").content.decode()
    assert "2 author name(s) found in the files" in page
    assert "it has 3 of 4 reviewers; already reviewing it: rev_remy_x2, rev_rita_x1, rev_uma_x4; conflict of " \
           "interest: rev_cora_x3." in page  # what stays short even after automatic assignment
    refused = client.post("/reviews/contests/isp/assign/", {"submission": scene.a.pk, "reviewer": "rev_cora_x3"}, follow=True)
    assert _messages(refused)[0].startswith("No assignment across a conflict of interest: rev_cora_x3's email")
    done = client.post("/reviews/contests/isp/rounds/1/auto-assign/", {"auto-due_at": "2030-01-02T03:04"}, follow=True)
    assert _messages(done) == ["Made 4 assignment(s) in Round 1; 1 submission(s) stay short of N (see why below)."]
    assert Assignment.objects.filter(removed_at__isnull=True).count() == 7
    assert {a.due_at.isoformat() for a in Assignment.objects.filter(automatic=True)} == {"2030-01-02T03:04:00+00:00"}
    removed = client.post(f"/reviews/assignments/{scene.remy_a.pk}/remove/", {"reason": "on leave"}, follow=True)
    assert _messages(removed) == ["Removed rev_remy_x2 from syllogism-test."]
    audit = client.get("/reviews/contests/isp/audit/").content.decode()
    assert "Removed rev_remy_x2 (Reviewer 2) from syllogism-test: on leave" in audit


def _acknowledging_form(round) -> dict:
    """The confirm form with every gap of every task's evidence ticked and a reason (the page's ack_ fields)."""
    form = {}
    for pk, acknowledgement in acknowledging_every_gap(round).items():
        form[f"ack_{pk}"] = sorted(acknowledgement.gaps)
        form[f"ack_reason_{pk}"] = acknowledgement.reason
    return form


def _cells(page: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}".*?</tr>', page, flags=re.S).group(0)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell))).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]


def test_an_organizer_awards_releases_and_announces_on_the_awards_page(client, scene, mailoutbox):
    submit(scene.rita_a, scene.rita, each("grand"))
    submit(scene.remy_a, scene.remy, each("grand"))
    submit(scene.rita_b, scene.rita, each("accepted"))
    client.force_login(scene.organizer)
    url = "/reviews/contests/isp/rounds/1/awards/"
    page = client.get(url).content.decode()
    # The task, reviews against N, levels, the tier, the tie-break keys, the evidence, earlier, proposed, decided.
    assert _cells(page, f"candidate-{scene.a.pk}") == [
        "syllogism-test no. 1", "2 of 3", "G G G G G G", "grand", "6", "0.500",
        "eligibility not known : Not known yet: no public series has results on two or more models. "
        "no run left to finish", "—", "second", "—"]
    assert "<th><abbr title=\"The reviewers' rankings combined by a normalised Borda count within each eligible " \
           "tier (see below the table)\">Borda score within tier</abbr></th>" in page
    refused = client.post(url + "confirm/", follow=True)
    assert _messages(refused) == [
        "Not awarded: the evidence is incomplete and not acknowledged for syllogism-test (second): eligibility not "
        "known (Not known yet: no public series has results on two or more models), 2 of 3 reviews submitted; "
        "negation-task (third): eligibility not known (Not known yet: no public series has results on two or more "
        "models), 1 of 3 reviews submitted. Tick each gap to award anyway, and give the reason."]
    confirmed = client.post(url + "confirm/", _acknowledging_form(scene.round), follow=True)
    assert _messages(confirmed) == ["Confirmed 2 award(s) of Round 1."]
    no_reason = client.post(url + "override/", {"submission": scene.b.pk, "tier": "none", "reason": ""}, follow=True)
    assert _messages(no_reason) == ["Give the reason for overriding the rules' proposal."]
    client.post(url + "override/", {"submission": scene.b.pk, "tier": "none", "reason": "Duplicate of a known task."}, follow=True)
    assert list(Award.objects.values_list("submission__task_name", "tier")) == [("syllogism-test", "second")]
    early = client.post(url + "announce/", follow=True)
    assert _messages(early)[0].startswith("Release the feedback of Round 1 first")
    assert _messages(client.post("/reviews/contests/isp/rounds/1/release/", follow=True)) == ["Released the feedback of Round 1; each contestant was emailed."]
    assert _messages(client.post(url + "announce/", follow=True)) == [
        "Announced 1 award(s) of Round 1; the winners were emailed."]
    assert "The awards of this round are announced" in client.get(url).content.decode()


def test_the_organizers_panel_on_the_submission_page_links_to_the_reviews(client, scene):
    client.force_login(scene.organizer)
    page = client.get(f"/submissions/{scene.a.pk}/").content.decode()
    assert f'href="/reviews/submissions/{scene.a.pk}/"' in page
    assert "2 reviewers assigned" in page


def test_round_two_shows_a_kept_prize_and_an_upgrade_once(client, scene):
    s = scene
    submit(s.rita_a, s.rita, each("grand"), to_authors="Striking.")
    submit(s.remy_a, s.remy, each("grand"))
    submit(s.rita_b, s.rita, each("accepted"), to_authors="Solid.")
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))  # a second ($20,000), b third ($5,000)
    outcome.release_feedback(round=s.round, by=s.organizer)
    outcome.announce_awards(round=s.round, by=s.organizer)
    open_round_two(s)
    client.force_login(s.organizer)
    url = "/reviews/contests/isp/rounds/2/awards/"
    round_two = s.contest.rounds.get(number=2)
    assert _messages(client.post(url + "confirm/", _acknowledging_form(round_two), follow=True)) == [
        "Confirmed 1 award(s) of Round 2."]
    page = client.get(url).content.decode()
    assert ('<td class="decided">grand ($80,000)<div class="small upgrade">upgraded from second: pays the '
            'difference, $100,000 in all</div><div class="small acknowledged">awarded despite: eligibility not known, '
            '2 of 3 reviews; reason: Awarded on the reviews alone (what this test is about).</div></td>') in page
    assert ('<td class="decided">third kept<div class="small">won in an earlier round and paid then ($5,000); '
            'nothing more is paid or announced</div></td>') in page
    assert "decided so far in the contest (earlier rounds' winners included, each submission once, at its highest " \
           "tier): grand 1, second 0, third 1" in page
    assert _messages(client.post("/reviews/contests/isp/rounds/2/release/", follow=True)) == [
        "Released the feedback of Round 2; each contestant was emailed."]
    assert _messages(client.post(url + "announce/", follow=True)) == [
        "Announced 1 award(s) of Round 2; the winners were emailed."]

    client.force_login(s.alice)
    page = client.get(f"/submissions/{s.a.pk}/").content.decode()
    assert page.count('class="alert alert-success award"') == 1
    assert ("Round 2: your task wins a <strong>grand prize</strong> of $100,000, upgraded from the second prize it "
            "won in Round 1 ($20,000 paid then, $80,000 now).</div>") in page
    client.force_login(s.bob)
    page = client.get(f"/submissions/{s.b.pk}/").content.decode()
    assert page.count('class="alert alert-success award"') == 1
    assert "Round 1: your task wins a <strong>third prize</strong> of $5,000.</div>" in page


def test_a_domain_conflict_a_reviewer_declares_is_in_the_contests_audit_log(client, scene):
    client.force_login(scene.uma)
    declared = client.post("/reviews/conflicts/", {"domain": "example.edu", "reason": "My university."}, follow=True)
    assert _messages(declared) == ["Conflict with example.edu declared."]
    client.force_login(scene.organizer)
    recorded = client.post("/reviews/contests/isp/conflicts/", {"reviewer": "rev_rita_x1", "domain": "gauss.test"},
                           follow=True)
    assert _messages(recorded) == ["Conflict of rev_rita_x1 recorded."]
    audit = client.get("/reviews/contests/isp/audit/").content.decode()
    assert "<td>rev_uma_x4</td><td>Conflict declared</td><td>Conflict of rev_uma_x4 with the domain example.edu.</td>" in audit
    assert ("<td>org_olga_q1</td><td>Conflict declared</td><td>Conflict of rev_rita_x1 with the domain "
            "gauss.test.</td>") in audit
