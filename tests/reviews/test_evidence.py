"""Awards with the evidence in view: the awards page and API show each task's evaluation eligibility (and the
organizers' decision on it), its runs not finished (public and private) and its reviews against N; an award
against a gap needs each gap acknowledged with a reason, kept in the audit log with the evidence as it stood;
the awards are not announced while an awarded task's runs are not finished; the rank column says it is a Borda
score within the tier.

The evaluation's rows are written here as a worker leaves them (finished runs with per-example results, and runs
still queued or running), so the trends and the eligibility are computed by the portal's own code."""

from __future__ import annotations

import html
import math
import re

import pytest

from evaluation import services as evaluation_services
from evaluation.models import LanguageModel, ModelSeries, Result, Run
from reviews import outcome, selectors, services
from reviews.evidence import Acknowledgement
from reviews.models import AuditEntry, Award, ReviewSettings
from tests.reviews.conftest import (
    ADA,
    another_submission,
    each,
    submit,
)

pytestmark = pytest.mark.django_db

NOT_ELIGIBLE = ("not eligible (Standard scaling on open-models: the rules require that the plot does not show a "
                "standard scaling law)")
NOT_KNOWN = "eligibility not known (Not known yet: no public series has results on two or more models)"


def model(series: str, name: str, params: int, *, private: bool = False) -> LanguageModel:
    s, _ = ModelSeries.objects.get_or_create(
        name=series, defaults={"visibility": ModelSeries.PRIVATE if private else ModelSeries.PUBLIC})
    return LanguageModel.objects.create(series=s, name=name, spec=f"/models/{name}", params=params,
                                        position=s.models.count())


def finished(version, model: LanguageModel, *, loss: float) -> Run:
    """A done run of `model` with per-example results on every file of `version`, near `loss` each."""
    identity = f"{model.name}@evidence-test"
    for f in version.files:
        values = [loss + 0.01 * math.sin(k) for k in range(f["rows"])]
        Result.objects.create(model_identity=identity, file_sha256=f["sha256"], metric=version.metric, n=f["rows"],
                              mean=sum(values) / f["rows"], sem=0.001, accuracy=0.5, class_mass=0.9, baseline=0.69,
                              baseline_accuracy=0.5,
                              examples={"line": list(range(2, f["rows"] + 2)), "value": values,
                                        "correct": [True] * f["rows"], "predicted": [0] * f["rows"],
                                        "total_logprob": [-1.0] * f["rows"]})
    rows = sum(f["rows"] for f in version.files)
    return Run.objects.create(version=version, model=model, status=Run.DONE, attempts=1, done_examples=rows,
                              total_examples=rows, model_identity=identity, files=version.files)


@pytest.fixture
def weighed(scene):
    """a: reviewed grand by both its reviewers (2 of N = 3), scored on the public series open-models with standard
    scaling (the loss falls with size: not eligible), one public run still queued and one private run running.
    b: reviewed accepted (1 of 3), never scored (eligibility not known)."""
    s = scene
    submit(s.rita_a, s.rita, each("grand"))
    submit(s.remy_a, s.remy, each("grand"))
    submit(s.rita_b, s.rita, each("accepted"))
    version = s.a.current_version
    for i, params in enumerate((10_000_000, 100_000_000, 1_000_000_000)):
        finished(version, model("open-models", f"open-{i}", params), loss=2.0 - 0.4 * i)
    s.queued = Run.objects.create(version=version, model=model("open-models", "open-3", 10_000_000_000))
    s.running = Run.objects.create(version=version, model=model("held-out", "held-1", 10_000_000, private=True),
                                   status=Run.RUNNING, attempts=1, done_examples=40, total_examples=320)
    return s


def _cells(page: str, row_id: str) -> list[str]:
    row = re.search(rf'<tr id="{row_id}".*?</tr>', page, flags=re.S).group(0)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell))).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_awards_page_and_api_show_each_tasks_evidence(client, weighed):
    s = weighed
    client.force_login(s.organizer)
    url = "/reviews/contests/isp/rounds/1/awards/"
    page = client.get(url).content.decode()
    assert _cells(page, f"candidate-{s.a.pk}")[1:] == [
        "2 of 3", "G G G G G G", "grand", "6", "0.500",
        "not eligible : Standard scaling on open-models: the rules require that the plot does not show a standard "
        "scaling law. runs not finished: 1 public, 1 private", "—", "second", "—"]
    assert _cells(page, f"candidate-{s.b.pk}")[1:7] == [
        "1 of 3", "A A A A A A", "third", "0", "0.500",
        "eligibility not known : Not known yet: no public series has results on two or more models. no run left to "
        "finish"]
    # The gaps of each proposed award, to tick on the confirm form and beside each override.
    assert re.findall(rf'<label class="form-check-label" for="ack-{s.a.pk}-(\w+)">([^<]*)</label>', page) == [
        ("eligibility", html.escape(NOT_ELIGIBLE, quote=True)), ("runs", "2 runs not finished (1 public, 1 private)"),
        ("reviews", "2 of 3 reviews submitted")]

    evaluation_services.override_eligibility(submission=s.b, eligible=True, by=s.organizer,
                                             reason="Scored by hand on the held-out models.")
    evaluation_services.cancel_run(run=s.running, by=s.organizer)
    page = client.get(url).content.decode()
    assert _cells(page, f"candidate-{s.b.pk}")[6] == (
        "eligible : Decided by the organizers: Scored by hand on the held-out models. (the rules alone: not known) "
        "no run left to finish")
    assert _cells(page, f"candidate-{s.a.pk}")[6].endswith("runs not finished: 1 public, 0 private")

    candidates = {c["task_name"]: c for c in client.get("/api/contests/isp/awards/").json()["rounds"][0]["candidates"]}
    assert candidates["syllogism-test"]["evidence"] == {
        "eligible": False, "eligibility_reason": "Standard scaling on open-models: the rules require that the plot "
                                                 "does not show a standard scaling law.",
        "overridden": False, "rules_eligible": False, "unfinished_public": 1, "unfinished_private": 0, "failed": 0,
        "reviews": 2, "required_reviews": 3,
        "gaps": {"eligibility": NOT_ELIGIBLE, "runs": "1 run not finished (1 public, 0 private)",
                 "reviews": "2 of 3 reviews submitted"}}
    assert candidates["negation-task"]["evidence"]["gaps"] == {"reviews": "1 of 3 reviews submitted"}
    assert (candidates["negation-task"]["evidence"]["eligible"], candidates["negation-task"]["evidence"]["overridden"],
            candidates["negation-task"]["evidence"]["rules_eligible"]) == (True, True, None)


def test_confirming_against_incomplete_evidence_needs_each_gap_acknowledged_with_a_reason(weighed):
    s = weighed
    with pytest.raises(services.ReviewsRefused) as refused:
        outcome.confirm_awards(round=s.round, by=s.organizer)
    assert (refused.value.message, refused.value.field) == (
        f"Not awarded: the evidence is incomplete and not acknowledged for syllogism-test (second): {NOT_ELIGIBLE}, "
        f"2 runs not finished (1 public, 1 private), 2 of 3 reviews submitted; negation-task (third): {NOT_KNOWN}, "
        "1 of 3 reviews submitted. Tick each gap to award anyway, and give the reason.", "acknowledge")
    partly = {s.a.pk: Acknowledgement(gaps=frozenset({"runs", "reviews"}), reason="The trend is clear already."),
              s.b.pk: Acknowledgement(gaps=frozenset({"eligibility", "reviews"}), reason="")}
    with pytest.raises(services.ReviewsRefused) as refused:
        outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=partly)
    assert refused.value.message == (
        f"Not awarded: the evidence is incomplete and not acknowledged for syllogism-test (second): {NOT_ELIGIBLE}. "
        "Tick each gap to award anyway, and give the reason.")
    every = {**partly, s.a.pk: Acknowledgement(gaps=frozenset({"eligibility", "runs", "reviews"}),
                                               reason="The standard trend is on the control-like part only.")}
    with pytest.raises(services.ReviewsRefused) as refused:
        outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=every)
    assert refused.value.message == ("Give the reason for awarding negation-task on incomplete evidence (it goes into "
                                     "the audit log).")
    assert not Award.objects.exists() and not AuditEntry.objects.filter(action__startswith="award").exists()

    every[s.b.pk] = Acknowledgement(gaps=frozenset({"eligibility", "reviews"}), reason=" A third reviewer fell ill. ")
    a_award, b_award = outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=every)
    assert (a_award.tier, b_award.tier) == ("second", "third")
    entries = list(AuditEntry.objects.filter(action="evidence_acknowledged").order_by("pk"))
    assert [(e.submission, e.message) for e in entries] == [
        (s.a, f"syllogism-test (second) in Round 1 awarded on incomplete evidence, acknowledged: {NOT_ELIGIBLE}, "
              "2 runs not finished (1 public, 1 private), 2 of 3 reviews submitted. Reason: The standard trend is on "
              "the control-like part only."),
        (s.b, f"negation-task (third) in Round 1 awarded on incomplete evidence, acknowledged: {NOT_KNOWN}, 1 of 3 "
              "reviews submitted. Reason: A third reviewer fell ill.")]
    as_it_stood = {"eligible": False, "eligibility_reason": "Standard scaling on open-models: the rules require that "
                                                            "the plot does not show a standard scaling law.",
                   "overridden": False, "unfinished_public": 1, "unfinished_private": 1, "reviews": 2,
                   "required_reviews": 3, "failed": 0}
    assert entries[0].data == {"round": 1, "tier": "second", "reason": "The standard trend is on the control-like part "
                                                                       "only.",
                               "gaps": [["eligibility", NOT_ELIGIBLE], ["runs", "2 runs not finished (1 public, 1 "
                                                                                "private)"],
                                        ["reviews", "2 of 3 reviews submitted"]],
                               "evidence": as_it_stood}
    a_award.refresh_from_db()
    assert a_award.acknowledgement == {key: entries[0].data[key] for key in ("gaps", "reason", "evidence")}
    assert AuditEntry.objects.order_by("pk").last().action == "awards_confirmed"  # after what it rests on


def test_an_override_against_incomplete_evidence_needs_each_gap_acknowledged(weighed):
    s = weighed
    with pytest.raises(services.ReviewsRefused) as refused:
        outcome.override_award(round=s.round, submission=s.a, tier="third", reason="A strong task.", by=s.organizer,
                               acknowledgement=Acknowledgement(gaps=frozenset({"runs"}), reason="A strong task."))
    assert refused.value.message == (
        f"Not awarded: the evidence is incomplete and not acknowledged for syllogism-test (third): {NOT_ELIGIBLE}, "
        "2 of 3 reviews submitted. Tick each gap to award anyway, and give the reason.")
    assert outcome.override_award(round=s.round, submission=s.a, tier="none", reason="Not eligible.",
                                  by=s.organizer) is None  # taking an award away needs no acknowledgement
    award = outcome.override_award(round=s.round, submission=s.a, tier="third", reason="Eligible on the parts.",
                                   by=s.organizer, acknowledgement=Acknowledgement(
                                       gaps=frozenset({"eligibility", "runs", "reviews"}), reason="Eligible on the parts."))
    assert [g for _, g in award.acknowledgement["gaps"]] == [
        NOT_ELIGIBLE, "2 runs not finished (1 public, 1 private)", "2 of 3 reviews submitted"]
    assert [e.action for e in AuditEntry.objects.filter(submission=s.a).order_by("pk")][-3:] == [
        "award_overridden", "evidence_acknowledged", "award_overridden"]


def test_the_override_form_acknowledges_the_gaps_it_ticks(client, weighed):
    s = weighed
    client.force_login(s.organizer)
    url = "/reviews/contests/isp/rounds/1/awards/override/"
    form = {"submission": s.b.pk, "tier": "second", "reason": "Reviews enough for a second."}
    assert _messages(client.post(url, form, follow=True)) == [
        f"Not awarded: the evidence is incomplete and not acknowledged for negation-task (second): {NOT_KNOWN}, 1 of 3 "
        "reviews submitted. Tick each gap to award anyway, and give the reason."]
    assert _messages(client.post(url, {**form, "acknowledge": ["eligibility", "reviews"]}, follow=True)) == [
        "negation-task: second."]
    award = Award.objects.get(submission=s.b)
    assert (award.acknowledged_gaps, award.acknowledged_labels) == (
        [NOT_KNOWN, "1 of 3 reviews submitted"], ["eligibility not known", "1 of 3 reviews"])


def test_the_awards_are_not_announced_while_an_awarded_tasks_runs_are_not_finished(weighed):
    s = weighed
    every = {row.submission.pk: Acknowledgement(gaps=frozenset(row.gaps), reason="Decided.")
             for row in selectors.award_proposal(s.round).rows}
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=every)
    outcome.override_award(round=s.round, submission=s.b, tier="none", reason="Withdrawn.", by=s.organizer)
    Run.objects.create(version=s.b.current_version, model=LanguageModel.objects.get(name="open-3"))  # not awarded
    outcome.release_feedback(round=s.round, by=s.organizer)
    with pytest.raises(services.ReviewsRefused) as refused:
        outcome.announce_awards(round=s.round, by=s.organizer)
    assert refused.value.message == (
        "The awards of Round 1 are not announced while runs of awarded tasks are not finished: syllogism-test has 2 "
        "(1 public, 1 private). Announce them once those runs have finished.")
    evaluation_services.cancel_run(run=s.queued, by=s.organizer)
    with pytest.raises(services.ReviewsRefused, match=r"syllogism-test has 1 \(0 public, 1 private\)\. Announce"):
        outcome.announce_awards(round=s.round, by=s.organizer)
    evaluation_services.cancel_run(run=s.running, by=s.organizer)
    assert [a.submission for a in outcome.announce_awards(round=s.round, by=s.organizer)] == [s.a]


def test_complete_evidence_needs_no_acknowledgement(weighed):
    s = weighed
    ReviewSettings.objects.create(contest=s.contest, reviewers_per_submission=1)
    evaluation_services.override_eligibility(submission=s.a, eligible=True, by=s.organizer,
                                             reason="The standard trend is an artefact of the control file.")
    evaluation_services.override_eligibility(submission=s.b, eligible=True, by=s.organizer, reason="Checked by hand.")
    for run in (s.queued, s.running):
        evaluation_services.cancel_run(run=run, by=s.organizer)
    assert [row.gaps for row in selectors.award_proposal(s.round).rows] == [{}, {}]
    awards = outcome.confirm_awards(round=s.round, by=s.organizer)
    assert [(a.tier, a.acknowledgement) for a in awards] == [("second", {}), ("third", {})]
    assert not AuditEntry.objects.filter(action="evidence_acknowledged").exists()


def test_the_rank_column_is_a_borda_score_within_the_tier_and_blank_without_one(client, weighed):
    s = weighed
    c = another_submission(s, task_name="third-task", owner="owner_carl_q9", seed=7, author=ADA)
    submit(services.assign(submission=c, reviewer=s.uma, by=s.organizer), s.uma, each("no_prize"))
    services.save_ranking(reviewer=s.rita, round=s.round, submission_ids=[s.b.pk, s.a.pk])  # b first, but alone in its tier
    client.force_login(s.organizer)
    page = client.get("/reviews/contests/isp/rounds/1/awards/").content.decode()
    assert [(_cells(page, f"candidate-{x.pk}")[3], _cells(page, f"candidate-{x.pk}")[5]) for x in (s.a, s.b, c)] == [
        ("grand", "0.500"), ("third", "0.500"), ("none", "—")]
    explained = re.search(r'<p class="small text-muted" id="rank-explained">(.*?)</p>', page, flags=re.S).group(1)
    assert re.sub(r"\s+", " ", html.unescape(explained)).startswith(
        "Borda score within tier: each reviewer's ranking of the tasks they reviewed is cut to the tasks of one "
        "eligible tier; in that cut, the first gets 1, the last 0 and the rest evenly between. A task's score is the "
        "mean over the rankings that place it, ½ when none does. It compares tasks of the same tier only, and a task "
        "with no tier has none (—).")
    candidates = {x["task_name"]: x for x in client.get("/api/contests/isp/awards/").json()["rounds"][0]["candidates"]}
    assert [(candidates[t]["rank_score"], candidates[t]["rank_score_exact"]) for t in
            ("syllogism-test", "negation-task", "third-task")] == [(0.5, "1/2"), (0.5, "1/2"), (None, None)]
