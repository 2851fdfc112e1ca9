"""The organizers' exports: the benchmark zip (page and command) and the CSVs of reviews and awards."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from reviews import outcome
from reviews.models import AuditEntry
from tests.reviews.conftest import acknowledging_every_gap, each, open_round_two, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(scene):
    """a: grand-eligible, awarded second (round 1 has no grand prize) and announced; b: third."""
    s = scene
    submit(s.rita_a, s.rita, each("grand"), to_authors="Striking.", to_organizers="Top of my pile.")
    submit(s.remy_a, s.remy, each("grand"), to_authors="Convincing.")
    submit(s.rita_b, s.rita, each("accepted"), to_authors="Solid.")
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    outcome.release_feedback(round=s.round, by=s.organizer)
    outcome.announce_awards(round=s.round, by=s.organizer)
    return s


def _originals(submission) -> dict[str, bytes]:
    with submission.current_version.zip_file.open("rb") as stored, zipfile.ZipFile(stored) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_benchmark_zip_holds_each_accepted_task_as_submitted_with_jsonl_metadata_and_checksums(client, decided):
    s = decided
    client.force_login(s.organizer)
    response = client.get("/reviews/contests/isp/export/benchmark.zip")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="isp-benchmark-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert archive.namelist() == [
        "README.md",
        "tasks/negation-task/negation-task.csv", "tasks/negation-task/negation-task.jsonl",
        "tasks/negation-task/metadata.json", "tasks/negation-task/results.json",
        "tasks/syllogism-test/syllogism-test-PART1.csv", "tasks/syllogism-test/syllogism-test-PART2.csv",
        "tasks/syllogism-test/syllogism-test-CONTROL1.csv", "tasks/syllogism-test/syllogism-test.jsonl",
        "tasks/syllogism-test/metadata.json", "tasks/syllogism-test/results.json", "SHA256SUMS"]
    for name, data in _originals(s.a).items():
        assert archive.read(f"tasks/syllogism-test/{name}") == data  # as submitted, author's name and all

    lines = archive.read("tasks/syllogism-test/syllogism-test.jsonl").decode().splitlines()
    assert len(lines) == 300  # both parts; the control file is not in the jsonl
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    assert list(first) == ["prompt", "classes", "answer_index", "part", "round"]
    assert first["prompt"].startswith("As Ada Lovelace (ada.lovelace@analytical-engines.org) noted:\n")
    assert (first["classes"], first["part"], first["round"], last["part"]) == ([" Yes", " No"], 1, 1, 2)
    assert json.loads(archive.read("tasks/negation-task/negation-task.jsonl").decode().splitlines()[0])["part"] is None

    metadata = json.loads(archive.read("tasks/syllogism-test/metadata.json"))
    assert metadata["authors"] == [
        {"name": "Ada Lovelace", "email": "ada.lovelace@analytical-engines.org", "affiliation": "Analytical Engines Society"},
        {"name": "Charles Babbage", "email": "charles@difference-engines.org", "affiliation": ""}]
    assert (metadata["task_name"], metadata["metric"], metadata["shot_setting"], metadata["eligible_tier"]) == (
        "syllogism-test", "classification", "zero-shot", "grand")
    assert metadata["award"] == {"tier": "second", "amount_usd": 20000, "round": 1, "upgraded_from": None,
                                 "nonprofit": None}
    assert metadata["description"]["generation_code_url"] == "https://github.com/adalovelace/syllogisms"

    sha = s.b.current_version.files[0]["sha256"]
    assert json.loads(archive.read("tasks/negation-task/results.json")) == {  # no model series registered
        "metric": "classification", "version": 1,
        "files": [{"name": "negation-task.csv", "kind": "main", "index": None, "rows": 300, "sha256": sha, "shots": 0,
                   "source": None, "series": []}],
        "task": {"rows": 300, "series": []},
        "verdict": {"inverse_series": [], "strictly_inverse_series": [], "series_with_trend": 0, "on_two_models": [],
                    "eligible": None,
                    "eligibility_reason": "Not known yet: no public series has results on two or more models.",
                    "overridden": False}}

    sums = archive.read("SHA256SUMS").decode().splitlines()
    assert len(sums) == len(archive.namelist()) - 1
    for line in sums:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest
    readme = archive.read("README.md").decode()
    assert "2 tasks, exported" in readme
    assert "    tasks/<task>/results.json      the evaluation's results on every model series, public and private\n" in readme
    assert AuditEntry.objects.filter(action="exported").get().message == "Exported the benchmark (2 tasks)."


def test_the_reviews_csv_names_reviewers_only_when_asked(client, decided):
    client.force_login(decided.organizer)
    anonymous = list(csv.DictReader(io.StringIO(client.get("/reviews/contests/isp/export/reviews.csv").content.decode())))
    assert [(r["task_name"], r["reviewer"], r["status"], r["novelty"], r["to_authors"], r["to_organizers"])
            for r in anonymous] == [
        ("syllogism-test", "Reviewer 1", "submitted", "grand", "Striking.", "Top of my pile."),
        ("syllogism-test", "Reviewer 2", "submitted", "grand", "Convincing.", ""),
        ("negation-task", "Reviewer 1", "submitted", "accepted", "Solid.", "")]
    assert [(r["submission_id"], r["submission_number"]) for r in anonymous] == [
        (str(decided.a.pk), "1"), (str(decided.a.pk), "1"), (str(decided.b.pk), "2")]
    body = client.get("/reviews/contests/isp/export/reviews.csv").content.decode()
    assert "rev_rita_x1" not in body and "rev_remy_x2" not in body
    named = list(csv.DictReader(io.StringIO(
        client.get("/reviews/contests/isp/export/reviews.csv?identities=1").content.decode())))
    assert [r["reviewer"] for r in named] == ["rev_rita_x1", "rev_remy_x2", "rev_rita_x1"]
    assert [e.message for e in AuditEntry.objects.filter(action="exported").order_by("pk")] == [
        "Exported the reviews CSV (without reviewer identities).",
        "Exported the reviews CSV (without reviewer identities).",
        "Exported the reviews CSV (with reviewer identities)."]


def test_the_awards_csv(client, decided):
    client.force_login(decided.organizer)
    rows = list(csv.DictReader(io.StringIO(client.get("/reviews/contests/isp/export/awards.csv").content.decode())))
    assert [(r["round"], r["task_name"], r["owner"], r["tier"], r["upgraded_from"], r["amount_paid_usd"],
             r["total_paid_usd"], r["proposed_tier"], r["announced"]) for r in rows] == [
        ("1", "syllogism-test", "owner_alice_q7", "second", "", "20000", "20000", "second", "yes"),
        ("1", "negation-task", "owner_bob_q8", "third", "", "5000", "5000", "third", "yes")]
    assert rows[0]["authors"] == ("Ada Lovelace <ada.lovelace@analytical-engines.org>; Charles Babbage "
                                  "<charles@difference-engines.org>")


def test_round_two_pays_an_upgrade_once_in_the_csv_and_the_benchmark(client, decided):
    """a (second in round 1) is upgraded to grand in round 2; b keeps its round-1 third: no round-2 row."""
    s = decided
    round2 = open_round_two(s)
    outcome.confirm_awards(round=round2, by=s.organizer, acknowledged=acknowledging_every_gap(round2))
    outcome.release_feedback(round=round2, by=s.organizer)
    outcome.announce_awards(round=round2, by=s.organizer)
    client.force_login(s.organizer)
    body = client.get("/reviews/contests/isp/export/awards.csv").content.decode()
    assert body.splitlines()[0] == ("round,submission_id,task_name,owner,authors,tier,upgraded_from,amount_paid_usd,"
                                    "total_paid_usd,proposed_tier,override_reason,nonprofit,decided_by,decided_at,"
                                    "announced")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["round"], r["task_name"], r["tier"], r["upgraded_from"], r["amount_paid_usd"], r["total_paid_usd"])
            for r in rows] == [("1", "syllogism-test", "second", "", "20000", "20000"),
                               ("1", "negation-task", "third", "", "5000", "5000"),
                               ("2", "syllogism-test", "grand", "second", "80000", "100000")]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(client.get("/reviews/contests/isp/export/benchmark.zip")
                                                  .streaming_content)))
    assert json.loads(archive.read("tasks/syllogism-test/metadata.json"))["award"] == {
        "tier": "grand", "amount_usd": 100000, "round": 2,
        "upgraded_from": {"tier": "second", "round": 1, "amount_usd": 20000}, "nonprofit": None}
    assert json.loads(archive.read("tasks/negation-task/metadata.json"))["award"] == {
        "tier": "third", "amount_usd": 5000, "round": 1, "upgraded_from": None, "nonprofit": None}
    readme = archive.read("README.md").decode()
    assert readme.endswith("- negation-task (classification, round 1): third prize\n"
                           "- syllogism-test (classification, round 1): grand prize\n\n")


def test_the_command_writes_the_same_zip_and_refuses_what_it_cannot_do(decided, tmp_path):
    out = tmp_path / "benchmark.zip"
    stdout = io.StringIO()
    call_command("export_benchmark", "--contest", "isp", "--out", str(out), "--by", "org_olga_q1", stdout=stdout)
    assert stdout.getvalue().strip() == f"Wrote {out}: 2 accepted tasks: negation-task, syllogism-test."
    assert len(zipfile.ZipFile(out).namelist()) == 12
    entry = AuditEntry.objects.get(action="exported")
    assert (entry.actor.username, entry.message) == (
        "org_olga_q1", "Exported the benchmark (2 tasks) to benchmark.zip from the command line.")
    with pytest.raises(CommandError, match=r"^No contest has the slug 'nope' \(contests: isp\)\.$"):
        call_command("export_benchmark", "--contest", "nope", "--out", str(out))
    with pytest.raises(CommandError, match=r"^'rev_rita_x1' is not an organizer's username\.$"):
        call_command("export_benchmark", "--contest", "isp", "--out", str(out), "--by", "rev_rita_x1")
    with pytest.raises(CommandError, match="does not exist; create it or choose another --out"):
        call_command("export_benchmark", "--contest", "isp", "--out", str(tmp_path / "no" / "b.zip"))


def test_a_damaged_stored_task_fails_the_export_by_name_and_leaves_no_file(decided, tmp_path, _private_storage):
    stored = _private_storage / decided.b.current_version.zip_file.name
    stored.write_bytes(stored.read_bytes()[:-40])  # truncated on disk
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "benchmark.zip"
    with pytest.raises(CommandError, match="^The stored zip of negation-task \\(version 1\\) could not be read"):
        call_command("export_benchmark", "--contest", "isp", "--out", str(out))
    assert list(out.parent.iterdir()) == []
