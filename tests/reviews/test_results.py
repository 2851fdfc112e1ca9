"""The evaluation's results on the review side, after a real evaluation (tiny models, a Celery worker): an
assigned reviewer reads every series under anonymous file names, with the suggested Strength and
Generality beside the rubric; the API payloads and the benchmark export hold the same numbers as the
evaluation's own results endpoint."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import zipfile

import pytest

from evaluation.engine.plots import figure_title
from reviews.suggestions import RULE
from tests.reviews.conftest import each, submit

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("seeded_rubric")]

NAMES_OF_A = {"syllogism-test-PART1.csv": "task-PART1.csv", "syllogism-test-PART2.csv": "task-PART2.csv",
              "syllogism-test-CONTROL1.csv": "task-CONTROL1.csv"}


def without_csv_links(payload: dict, names: dict[str, str] | None = None, *, hashes: bool = True) -> dict:
    """The evaluation's results payload as the review side gives it: no per-example CSV links, each file
    renamed by `names` when given, and without `hashes` (a reviewer's payload) no file's sha256."""
    payload = copy.deepcopy(payload)
    for file in payload["files"]:
        file["name"] = (names or {}).get(file["name"], file["name"])
        if not hashes:
            del file["sha256"]
        for row in file["series"]:
            for model in row["models"]:
                del model["csv"]
    return payload


def _texts(page: str, pattern: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(pattern, page, flags=re.S)]


def test_the_assigned_reviewer_reads_every_series_anonymously_with_suggestions(evaluated, client):
    s = evaluated
    client.force_login(s.organizer)
    own_results = client.get(f"/api/submissions/{s.a.pk}/results/").json()
    assert [row["series"] for row in own_results["files"][0]["series"]] == ["tiny", "held-out"]

    client.force_login(s.rita)
    detail = client.get(f"/api/reviews/assignments/{s.rita_a.pk}/").json()
    assert detail["results"] == without_csv_links(own_results, NAMES_OF_A, hashes=False)
    assert [(f["name"], f["kind"], f["rows"]) for f in detail["results"]["files"]] == [
        ("task-PART1.csv", "part", 150), ("task-PART2.csv", "part", 150), ("task-CONTROL1.csv", "control", 20)]
    task = detail["results"]["task"]
    assert [(row["series"], row["visibility"], [m["model"] for m in row["models"]], row["trend"]["label"],
             row["trend"]["monotonic"], row["trend"]["headline"]) for row in task["series"]] == [
        ("tiny", "public", ["tiny-1", "tiny-2", "tiny-3"], "U-shaped", False, "U-shaped"),
        # two models: a comparison, never "strictly monotonic"
        ("held-out", "private", ["held-1", "held-2"], "inverse", False, "two models: the larger is worse")]
    assert detail["results"]["verdict"] == {
        "inverse_series": ["held-out"], "strictly_inverse_series": [], "series_with_trend": 2,
        "on_two_models": ["held-out"], "eligible": True, "eligibility_reason": "No public series shows standard scaling.", "overridden": False}

    listed = {a["id"]: a["results"] for a in client.get("/api/reviews/assignments/").json()}
    assert listed[s.rita_a.pk] == detail["results"]
    b_file = listed[s.rita_b.pk]["files"][0]  # b was evaluated on the public series only
    assert (b_file["name"], [(row["series"], len(row["models"]), row["trend"] is None) for row in b_file["series"]]) == (
        "task.csv", [("tiny", 3, False), ("held-out", 0, True)])

    page = client.get(f"/reviews/assignments/{s.rita_a.pk}/").content.decode()
    assert _texts(page, r'<div class="[^"]*suggestion" id="suggestion-\w+">.*?</div>') == [
        "Suggested: accepted — on held-out (private) the larger of two models is worse (two points show no "
        "monotonicity)",
        "Suggested: no prize — inverse scaling on 1 of 2 series (0 of 1 public, 1 of 1 private); held-out (private) "
        "rests on two models (the larger is worse)"]
    assert _texts(page, r'<p class="form-text" id="suggestion-rule">.*?</p>') == [
        "How the suggestions beside Strength and Generality are made from the trend labels of the whole task: " + RULE]
    assert re.findall(r'class="card mb-3 evaluation-file" data-file="([^"]+)"', page) == [
        "whole task", "task-PART1.csv", "task-PART2.csv", "task-CONTROL1.csv"]
    assert _texts(page, r'<li id="verdict-generality">.*?</li>') == ["Inverse scaling on 1 of 2 series (held-out (two models))."]
    held_out = _texts(page, r'<li data-series="held-out">.*?</li>')
    task_line = held_out[0]  # the whole task's: the payload's own numbers, per doubling (3M and 9M parameters)
    trend = detail["results"]["task"]["series"][1]["trend"]
    assert task_line == (f"held-out: two models: the larger is worse — the larger model's mean minus the smaller's "
                         f"{trend['difference']:.4f} (paired 95% CI {trend['difference_ci'][0]:.4f} to "
                         f"{trend['difference_ci'][1]:.4f}), slope {trend['slope']:.4f} per doubling of size.")
    assert not any("monotonic" in line or "Spearman" in line for line in held_out)
    figures = [json.loads(m) for m in re.findall(r'<script type="application/json">(.*?)</script>', page, flags=re.S)]
    assert [f["layout"]["title"]["text"] for f in figures] == [
        figure_title(f"{name}: {label}")["text"]
        for name in ("whole task", "task-PART1.csv", "task-PART2.csv", "task-CONTROL1.csv")
        for label in ("loss (−log p of the answer, normalised over classes)",
                      "accuracy (the answer gets the highest probability among the classes)")]
    assert [trace["name"] for trace in figures[0]["data"]] == ["tiny", "held-out (private)"]
    assert "syllogism-test" not in page + json.dumps(detail)  # the task name is hidden from reviewers here


def test_the_benchmark_export_holds_each_tasks_results_on_every_series(evaluated, client):
    s = evaluated
    submit(s.rita_a, s.rita, each("grand"))
    submit(s.remy_a, s.remy, each("accepted"))
    client.force_login(s.organizer)
    own_results = client.get(f"/api/submissions/{s.a.pk}/results/").json()
    response = client.get("/reviews/contests/isp/export/benchmark.zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert [n for n in archive.namelist() if n.endswith("results.json")] == ["tasks/syllogism-test/results.json"]
    exported = json.loads(archive.read("tasks/syllogism-test/results.json"))
    assert exported == without_csv_links(own_results)  # the names as submitted, like the CSVs beside it
    assert [row["series"] for row in exported["task"]["series"]] == ["tiny", "held-out"]
    sums = dict(reversed(line.split("  ", 1)) for line in archive.read("SHA256SUMS").decode().splitlines())
    assert sums["tasks/syllogism-test/results.json"] == hashlib.sha256(
        archive.read("tasks/syllogism-test/results.json")).hexdigest()


def _results_tables(page: str) -> list[str]:
    return re.findall(r'<table class="table table-sm results-table">.*?</table>', page, flags=re.S)


def test_the_results_table_is_the_same_for_the_owner_the_organizers_and_the_reviewers(evaluated, client):
    """One partial draws the table on the submission page and the assignment page: for b (scored on the public
    series only, so everyone sees the same results) the tables are identical, but for the per-example CSV
    links, which the owner and the organizers have and a reviewer never does."""
    s = evaluated
    pages = {}
    for who, url in (("owner", f"/submissions/{s.b.pk}/"), ("organizer", f"/submissions/{s.b.pk}/"),
                     ("reviewer", f"/reviews/assignments/{s.rita_b.pk}/")):
        client.force_login({"owner": s.bob, "organizer": s.organizer, "reviewer": s.rita}[who])
        pages[who] = _results_tables(client.get(url).content.decode())
    csv_links = re.compile(r'<td><a href="/submissions/\d+/results/[0-9a-f]{64}/tiny-\d\.csv">CSV</a></td>')
    assert len(pages["owner"]) == 1  # negation-task.csv, once: a task in one file is not shown again as the whole task
    assert pages["organizer"] == pages["owner"]
    assert [len(csv_links.findall(table)) for table in pages["owner"]] == [3]
    assert pages["reviewer"] == [csv_links.sub("", t.replace("<th>Examples</th>", "")) for t in pages["owner"]]
    rows = [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>.*?</td>", row, flags=re.S)]
            for row in re.findall(r"<tr>.*?</tr>", pages["reviewer"][0].split("<tbody>")[1], flags=re.S)]
    assert re.findall(r'<th class="text-end accuracy-heading" title="([^"]*)">(.*?)</th>', pages["reviewer"][0]) == [
        ("accuracy (the answer gets the highest probability among the classes)", "Accuracy")]
    assert [r[:4] for r in rows] == [["tiny", "tiny-1", "1M", "300"], ["tiny", "tiny-2", "2M", "300"],
                                     ["tiny", "tiny-3", "4M", "300"]]
