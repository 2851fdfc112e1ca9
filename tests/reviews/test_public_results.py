"""The public results pages (/results/ and one page per round): nothing before a round's awards are announced,
then each winning task with its tier, authors' names, description, why it won, published example, human
agreement, causes and whole-task plots on every series, and the other accepted tasks; never an email, a
username, a reviewer, a validator or a task of an unannounced round."""

from __future__ import annotations

import json
import math
import re
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from evaluation.models import LanguageModel, ModelSeries, Result, Run
from reviews import outcome
from tests.reviews.conftest import Scene, acknowledging_every_gap
from tests.reviews.test_release import announced  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

ROUND_URL = "/results/isp/rounds/1/"
SERIES = (("tiny", ModelSeries.PUBLIC, [1_000_000, 4_000_000, 16_000_000]),
          ("held-out", ModelSeries.PRIVATE, [2_000_000, 8_000_000]))


def store_results(version, *, slope: float) -> None:
    """Finished runs on a public series of three models and a private one of two, and stored results on every
    file of the version whose mean loss moves by `slope` per model (rows written directly: the page reads them)."""
    for name, visibility, sizes in SERIES:
        series, _ = ModelSeries.objects.get_or_create(name=name, defaults={"visibility": visibility})
        for i, params in enumerate(sizes):
            model, _ = LanguageModel.objects.get_or_create(name=f"{name}-{i + 1}", defaults={
                "series": series, "spec": f"/models/{name}-{i + 1}", "params": params, "position": i})
            identity = f"{name}-{i + 1}@test"
            Run.objects.create(version=version, model=model, status=Run.DONE, attempts=1, model_identity=identity,
                               files=version.files, finished_at=timezone.now())
            for f in version.files:
                rows = f["rows"]
                values = [0.7 + slope * i + 0.05 * math.sin(k) for k in range(rows)]
                Result.objects.get_or_create(model_identity=identity, file_sha256=f["sha256"], metric=version.metric,
                                             defaults={
                    "n": rows, "mean": sum(values) / rows, "sem": 0.01, "accuracy": 0.8 - 0.1 * i,
                    "class_mass": 0.9, "baseline": math.log(2), "baseline_accuracy": 0.5,
                    "examples": {"line": list(range(2, rows + 2)), "value": values, "correct": [True] * rows,
                                 "predicted": [0] * rows, "total_logprob": [-1.0] * rows}})


def text_of(html: str) -> str:
    """The page's visible text: scripts (the figures' JSON) left out, tags removed, whitespace collapsed."""
    html = re.sub(r"<script[^>]*>.*?</script>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def element(html: str, tag: str, id: str) -> str:
    found = re.search(rf'<{tag}[^>]* id="{re.escape(id)}"[^>]*>.*?</{tag}>', html, flags=re.S)
    assert found, f"no <{tag} id={id!r}>"
    return found.group(0)


def figures_in(html: str) -> list[dict]:
    """The figures embedded as JSON (json_script without an id; the shared Plotly template has one)."""
    return [json.loads(body) for body in re.findall(r'<script type="application/json">(.*?)</script>', html, flags=re.S)]


# --- before the announcement ------------------------------------------------------------------------------------


def test_before_the_announcement_the_round_page_is_a_404_and_the_index_lists_nothing(scene: Scene, client):
    store_results(scene.a.current_version, slope=0.1)
    outcome.confirm_awards(round=scene.round, by=scene.organizer, acknowledged=acknowledging_every_gap(scene.round))
    outcome.release_feedback(round=scene.round, by=scene.organizer)  # released to the authors, not announced
    for url in (ROUND_URL, "/results/isp/rounds/2/", "/results/nope/rounds/1/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "syllogism-test" not in response.content.decode()
    index = client.get("/results/").content.decode()
    assert text_of(element(index, "p", "no-results")) == "No round has announced its awards yet."
    assert 'id="announced-rounds"' not in index and "syllogism-test" not in index
    client.force_login(scene.organizer)  # an organizer sees no more of it before the announcement
    assert client.get(ROUND_URL).status_code == 404


# --- after it ------------------------------------------------------------------------------------------------------


def test_the_index_lists_the_announced_round_only(announced, client):  # noqa: F811
    html = client.get("/results/").content.decode()
    assert re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', element(html, "ul", "announced-rounds")) == [
        ("/results/isp/rounds/1/", "Inverse Scaling Prize — Round 1")]
    assert client.get("/results/isp/rounds/2/").status_code == 404  # round 2: open, its late task accepted, not announced


def test_a_winning_task_shows_its_tier_authors_description_why_example_agreement_cause_and_plots(announced, client):  # noqa: F811
    store_results(announced.a.current_version, slope=0.1)
    html = client.get(ROUND_URL).content.decode()
    a = element(html, "article", "task-syllogism-test")
    assert text_of(a).split(" Whole task (300 examples)")[0] == (
        "syllogism-test second prize By Ada Lovelace, Charles Babbage Metric classification · zero-shot "
        "Why it won Models trust a plausible conclusion ([redacted] and [redacted] agree). "
        "What it tests Whether models judge syllogisms by logic. Ada Lovelace and Charles Babbage (see lovelace's "
        "notes) built it; write to [redacted]. The correct behaviour Answer Yes exactly when the conclusion follows. "
        "Why it matters Asked on the forum by [redacted]. How the data was made Templates over noun triples. "
        "An example (syllogism-test-PART1.csv, line 2) prompt As Ada Lovelace ([redacted]) noted: Decide whether the "
        "conclusion follows logically from the premises, regardless of whether it is true. No clocks are bottles. "
        "All birds are clocks. Therefore, no birds are bottles. Does the conclusion follow? Answer: Yes No horses are "
        "oranges. All candles are horses. Therefore, no candles are oranges. Does the conclusion follow? Answer: "
        "classes ' Yes', ' No' answer_index 0 "
        "Human agreement: 50.0% of 2 examples (95% CI 9.5–90.5%), 1 tie; 3 of 4 answers equal the label, 75.0% "
        "(95% CI 30.1–95.4%) Cause: Strong Prior")
    assert text_of(a).split(" Whole task (300 examples) ")[1] == (
        "Series Model Size n Mean ± 95% Accuracy Class mass Baseline "
        "held-out (private) held-out-1 2M 300 0.7002 0.0139 0.8000 0.9000 0.6931 "
        "held-out (private) held-out-2 8M 300 0.8002 0.0139 0.7000 0.9000 0.6931 "
        "tiny tiny-1 1M 300 0.7002 0.0139 0.8000 0.9000 0.6931 "
        "tiny tiny-2 4M 300 0.8002 0.0139 0.7000 0.9000 0.6931 "
        "tiny tiny-3 16M 300 0.9002 0.0139 0.6000 0.9000 0.6931 "
        "held-out: two models: the larger is worse — the larger model's mean minus the smaller's 0.1000 (paired 95% "
        "CI 0.1000 to 0.1000), slope 0.0500 per doubling of size. "
        "tiny: inverse — slope 0.1661 per decade of size (95% CI 0.1661 to 0.1661), Spearman 1.0000, strictly "
        "monotonic.")
    loss, accuracy = figures_in(a)
    assert [(t["name"], t["text"], t["x"]) for t in loss["data"]] == [
        ("held-out (private)", ["held-out-1", "held-out-2"], [2_000_000, 8_000_000]),
        ("tiny", ["tiny-1", "tiny-2", "tiny-3"], [1_000_000, 4_000_000, 16_000_000])]
    assert [round(y, 4) for y in loss["data"][1]["y"]] == [0.7002, 0.8002, 0.9002]
    assert [round(y, 4) for y in accuracy["data"][1]["y"]] == [0.8, 0.7, 0.6]
    assert loss["layout"]["xaxis"]["type"] == "log" and accuracy["layout"]["yaxis"]["range"] == [0, 1]
    assert 'src="/static/plotly/plotly.min.js"' in html and 'id="plotly-template"' in html


def test_the_winners_in_tier_order_then_the_other_accepted_tasks(announced, client):  # noqa: F811
    store_results(announced.d.current_version, slope=-0.1)
    html = client.get(ROUND_URL).content.decode()
    assert re.findall(r'<article class="card mb-4 winner" id="task-([^"]+)">', html) == [
        "syllogism-test", "belief-shift", "negation-task"]
    assert text_of(element(html, "article", "task-belief-shift")) == (
        "belief-shift third prize By Dina Okafor Metric logodds · zero-shot What it tests Whether one changed premise "
        "moves the answer's odds (ask [redacted]). The correct behaviour Answer Yes exactly when the conclusion "
        "follows. Why it matters Models that reason by plausibility mislead their users. How the data was made "
        "Templates over noun triples. Human agreement: not validated Cause: Premise Blindness "
        "No model has scored the whole task.")
    assert text_of(element(html, "table", "accepted-tasks")) == (
        "Task Authors What it tests Human agreement Cause Trend (whole task) "
        "last-word Enzo Marchetti Whether models recall a word named earlier. Human agreement: not validated — "
        "held-out (private): standard (two models); tiny: standard")


def test_nothing_private_or_unannounced_is_anywhere_in_the_page(announced, client):  # noqa: F811
    for s in (announced.a, announced.b, announced.c, announced.d, announced.dropped, announced.late):
        store_results(s.current_version, slope=0.1)
    pages = [client.get(url).content.decode() for url in ("/results/", ROUND_URL)]
    secrets = [*User.objects.values_list("username", flat=True), *User.objects.values_list("email", flat=True),
               "ada.lovelace@analytical-engines.org", "dina.okafor@belief-lab.test", "enzo@last-word.test",
               "REVIEW-TO-AUTHORS", "ORG-ONLY", "META-SUMMARY", "WHY-OF-A-NON-WINNER", "DROPPED-SECRET", "dropped-task-z5",
               "Fred Dropped", "LATE-SECRET", "late-task-r2", "Lena Late", "Reviewer 1", "Validator 1", "Round 2",
               "Analytical Engines Society", "Belief Lab"]
    assert len(secrets) > 30
    for page in pages:
        assert [secret for secret in secrets if secret.lower() in page.lower()] == []
