"""Honest trends on every page that reads them: a series of two models shows "two models: the larger is worse"
with the paired 95% interval, never a shape, a Spearman or "strictly monotonic" (the owner's and the organizers'
submission page, the API, the reviewer's page and its suggestions, the awards' evidence); the eligibility from it
says it rests on two models; a slope over less than a decade of size is per doubling; a task in one file shows
its plots once.

The evaluation's rows are written as a worker leaves them (tests/reviews/test_evidence.py `finished`): every
example of a model is its loss plus the same small wave, so the paired differences and the slopes are exact."""

from __future__ import annotations

import html
import re

import pytest

from tests.reviews.test_evidence import finished, model

pytestmark = pytest.mark.django_db

OPEN_LINE = ("open-models: two models: the larger is worse — the larger model's mean minus the smaller's 0.3000 "
             "(paired 95% CI 0.3000 to 0.3000), slope 0.1500 per decade of size.")  # 10M to 1B: two decades
HELD_LINE = ("held-out: inverse — slope 0.1000 per doubling of size (95% CI 0.1000 to 0.1000), Spearman 1.0000, "
             "strictly monotonic.")  # 10M, 20M, 40M: 0.6 of a decade, so per doubling
ELIGIBLE = "No public series shows standard scaling. On open-models it rests on two models (the larger is worse)."


@pytest.fixture
def two_and_three(scene):
    """a and b on the public series open-models, two models (10M: loss 1.5, 1B: 1.8); a also on the private
    series held-out, three models within a decade (10M, 20M, 40M: 1.0, 1.1, 1.2)."""
    s = scene
    small, large = model("open-models", "open-s", 10_000_000), model("open-models", "open-l", 1_000_000_000)
    held = [model("held-out", f"held-{k}", 10_000_000 * 2 ** k, private=True) for k in range(3)]
    for submission in (s.a, s.b):
        finished(submission.current_version, small, loss=1.5)
        finished(submission.current_version, large, loss=1.8)
    for k, m in enumerate(held):
        finished(s.a.current_version, m, loss=1.0 + 0.1 * k)
    return s


def _texts(page: str, pattern: str) -> list[str]:
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m))).strip()
            for m in re.findall(pattern, page, flags=re.S)]


def _cards(page: str) -> list[str]:
    return re.findall(r'class="card mb-3 evaluation-file" data-file="([^"]+)"', page)


def test_the_reviewer_reads_two_models_as_a_comparison_and_the_suggestions_say_so(client, two_and_three):
    s = two_and_three
    client.force_login(s.rita)
    page = client.get(f"/reviews/assignments/{s.rita_a.pk}/").content.decode()
    assert _cards(page) == ["whole task", "task-PART1.csv", "task-PART2.csv", "task-CONTROL1.csv"]
    assert _texts(page, r'<li data-series="open-models">.*?</li>') == [OPEN_LINE] * 4
    assert _texts(page, r'<li data-series="held-out">.*?</li>') == [HELD_LINE] * 4
    assert _texts(page, r'<ul id="results-verdict">.*?</ul>') == [
        "Inverse scaling on 2 of 2 series (held-out, open-models (two models)). "
        "Strictly monotonic inverse scaling on 1 series (held-out). "
        f"Evaluation eligibility: eligible. {ELIGIBLE}"]
    assert _texts(page, r'<div class="[^"]*suggestion" id="suggestion-\w+">.*?</div>') == [
        "Suggested: grand — strictly monotonic inverse scaling on held-out (private)",
        "Suggested: grand — inverse scaling on 2 of 2 series (1 of 1 public, 1 of 1 private); open-models (public) "
        "rests on two models (the larger is worse)"]

    task = client.get(f"/api/reviews/assignments/{s.rita_a.pk}/").json()["results"]["task"]
    held_trend, open_trend = (row["trend"] for row in task["series"])  # the series' order: by name
    assert {k: open_trend[k] for k in ("label", "shape", "comparison", "monotonic", "spearman", "models", "headline",
                                       "slope_unit")} == {
        "label": "inverse", "shape": None, "comparison": "worse", "monotonic": False, "spearman": None, "models": 2,
        "headline": "two models: the larger is worse", "slope_unit": "per decade of size"}
    assert open_trend["difference"] == pytest.approx(0.3, abs=1e-12)
    assert open_trend["difference_ci"] == pytest.approx([0.3, 0.3], abs=1e-12)
    assert open_trend["slope"] == pytest.approx(0.15, abs=1e-12)
    assert (held_trend["shape"], held_trend["monotonic"], held_trend["slope_unit"], held_trend["models"]) == (
        "inverse", True, "per doubling of size", 3)
    assert held_trend["slope"] == pytest.approx(0.1, abs=1e-12)


def test_the_owner_and_the_api_see_the_two_model_comparison_and_its_eligibility(client, two_and_three):
    s = two_and_three
    client.force_login(s.alice)  # the private series stay hidden from the owner until the feedback release
    page = client.get(f"/submissions/{s.a.pk}/").content.decode()
    assert _cards(page) == ["whole task", "syllogism-test-PART1.csv", "syllogism-test-PART2.csv",
                            "syllogism-test-CONTROL1.csv"]
    assert _texts(page, r'<li data-series="open-models">.*?</li>') == [OPEN_LINE] * 4
    assert _texts(page, r'<li id="verdict-generality">.*?</li>') == [
        "Inverse scaling on 1 of 1 series (open-models (two models)) — the rubric's generality."]
    assert _texts(page, r'<li id="verdict-eligibility">.*?</li>') == [f"Evaluation eligibility: eligible. {ELIGIBLE}"]
    verdict = client.get(f"/api/submissions/{s.a.pk}/results/").json()["verdict"]
    assert verdict == {"inverse_series": ["open-models"], "strictly_inverse_series": [], "series_with_trend": 1,
                       "on_two_models": ["open-models"], "eligible": True, "eligibility_reason": ELIGIBLE,
                       "overridden": False}


def test_a_task_in_one_file_shows_its_plots_once(client, two_and_three):
    s = two_and_three
    for who, url in ((s.bob, f"/submissions/{s.b.pk}/"), (s.organizer, f"/submissions/{s.b.pk}/"),
                     (s.rita, f"/reviews/assignments/{s.rita_b.pk}/")):
        client.force_login(who)
        page = client.get(url).content.decode()
        name = "task.csv" if who == s.rita else "negation-task.csv"
        assert _cards(page) == [name]
        figures = re.findall(r'<script type="application/json">(.*?)</script>', page, flags=re.S)
        assert len(figures) == 2  # the loss and the accuracy, once each
        assert _texts(page, r'<li data-series="open-models">.*?</li>') == [OPEN_LINE]
    # the API keeps the whole task beside the file: the same examples
    client.force_login(s.bob)
    results = client.get(f"/api/submissions/{s.b.pk}/results/").json()
    assert results["task"]["rows"] == results["files"][0]["rows"] == 300


def test_the_awards_evidence_says_the_eligibility_rests_on_two_models(client, two_and_three):
    s = two_and_three
    client.force_login(s.organizer)
    page = client.get("/reviews/contests/isp/rounds/1/awards/").content.decode()
    row = re.search(rf'<tr id="candidate-{s.a.pk}".*?</tr>', page, flags=re.S).group(0)
    assert _texts(row, r'<div class="eligibility[^"]*">.*?</div>') == [f"eligible: {ELIGIBLE}"]
    assert "monotonic" not in row
    evidence = {c["task_name"]: c["evidence"]
                for c in client.get("/api/contests/isp/awards/").json()["rounds"][0]["candidates"]}
    assert evidence["syllogism-test"]["eligibility_reason"] == ELIGIBLE
    assert evidence["negation-task"]["eligibility_reason"] == ELIGIBLE
