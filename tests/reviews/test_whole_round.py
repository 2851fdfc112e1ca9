"""A whole round, for real: three tasks submitted and scored by a Celery worker on a public series of three tiny
models and a private one of two, reviewed, one task's labels validated by two validators, meta-reviews, a cause
and a published example, awards confirmed, the feedback released and the awards announced. Then the public
round page, the organizers' overview and both exports (the organizers' zip and the public release), each
asserting its exact contents, and the same numbers in each: the page's figures and trend labels are the
release's metadata.json results, which are the stored results."""

from __future__ import annotations

import importlib
import io
import json
import re
import zipfile

import pytest
from django.apps import apps
from django.contrib.auth.models import User

from evaluation.engine.intervals import wilson_interval
from evaluation.models import Run
from evaluation.registry import ModelEntry, SeriesEntry
from evaluation.services import register_series, start_private_evaluation
from portal import services as portal_services
from portal.services import AuthorData
from reviews import annotations, outcome, release, services, validation
from reviews.models import Cause, ValidationAnswer, Validator
from tests import datasets, factories
from tests.evaluation.conftest import tiny_model_folders, worker  # noqa: F401 (fixtures)
from tests.evaluation.test_jobs import all_finished, wait_for
from tests.reviews.conftest import acknowledging_every_gap, each, seeded_rubric  # noqa: F401 (fixture)
from tests.reviews.test_public_results import element, figures_in, text_of
from tests.reviews.test_release import sequence_zip

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ADA = AuthorData("Ada Lovelace", "ada@engines-w1.test", "Engines Society")
ENZO = AuthorData("Enzo Marchetti", "enzo@last-word-w2.test")
FRED = AuthorData("Fred Dropped", "fred@dropped-w3.test")
WHY = "Larger models trust a plausible conclusion more."


def parted_zip() -> bytes:
    rows = datasets.syllogism_classification_rows(n=340, seed=5)
    return datasets.make_zip({"parted-syllogisms-PART1.csv": datasets.to_csv_bytes(rows[:150]),
                              "parted-syllogisms-PART2.csv": datasets.to_csv_bytes(rows[150:300]),
                              "parted-syllogisms-CONTROL1.csv": datasets.to_csv_bytes(rows[300:])})


@pytest.fixture
def whole_round(tiny_model_folders, worker, seeded_rubric):  # noqa: F811 (the imported fixtures)
    if not Cause.objects.exists():  # a transactional test empties the table its migration seeds
        importlib.import_module("reviews.migrations.0006_paper_causes").seed(apps, None)

    def entry(name: str) -> ModelEntry:
        m = tiny_model_folders[name]
        return ModelEntry(name=name, spec=str(m.folder), params=m.params, flops=None, queue="cpu")

    register_series(entries=[
        SeriesEntry(name="tiny", visibility="public", x_axis="params", models=tuple(entry(n) for n in
                                                                                    ("tiny-1", "tiny-2", "tiny-3"))),
        SeriesEntry(name="held-out", visibility="private", x_axis="params",
                    models=(entry("held-1"), entry("held-2")))])
    round = factories.RoundFactory(number=1, contest__slug="isp", contest__name="Inverse Scaling Prize")
    organizer = factories.organizer(username="org_olga_w0", email="olga@organizers-w0.test")
    rita = factories.reviewer(username="rev_rita_w4", email="rita@reviewers-w4.test")
    services.add_reviewer(contest=round.contest, user=rita, by=organizer)
    made = {}
    for number, (task, metric, zipped, author) in enumerate((
            ("parted-syllogisms", "classification", parted_zip(), ADA),
            ("last-word", "sequence_prob", sequence_zip(), ENZO),
            ("dropped-task-w3", "classification", datasets.make_zip({"dropped-task-w3.csv": datasets.to_csv_bytes(
                datasets.syllogism_classification_rows(n=300, seed=9))}), FRED))):
        owner = factories.contestant(username=f"owner_w{number}_q", email=f"owner{number}@owners-w.test")
        made[task] = portal_services.create_submission(user=owner, contest=round.contest, zip_file=zipped,
                                                       data=factories.submission_data(task_name=task, metric=metric,
                                                                                      authors=(author,)))
        start_private_evaluation(submission=made[task], by=organizer)
    for task, level in (("parted-syllogisms", "grand"), ("last-word", "accepted"), ("dropped-task-w3", "no_prize")):
        wait_for(lambda s=made[task]: all_finished(s.current_version))
        assert Run.objects.filter(version=made[task].current_version, status=Run.DONE).count() == 5
        services.save_review(assignment=services.assign(submission=made[task], reviewer=rita, by=organizer), user=rita,
                             levels=each(level), to_authors="REVIEW-TEXT-w5", to_organizers="", submit=True)
    parted = made["parted-syllogisms"]
    started = validation.start_validation(submission=parted, by=organizer,
                                          settings=validation.Settings(sample_size=4, seed=1))
    vera = factories.validator(username="val_vera_w6", email="vera@validators-w6.test")
    vic = factories.validator(username="val_vic_w7", email="vic@validators-w7.test")
    validation.name_validators(validation=started, users=[vera, vic], by=organizer)
    for seat in Validator.objects.filter(validation=started).order_by("number"):
        for given in ValidationAnswer.objects.filter(validator=seat).select_related("example"):
            wrong = seat.user == vic and given.example.position == 1  # one answer of 8 differs: a tie
            validation.answer(seat=seat, user=seat.user, answer_id=given.pk,
                              choice=1 - given.example.label if wrong else given.example.label)
    outcome.confirm_awards(round=round, by=organizer, acknowledged=acknowledging_every_gap(round))
    outcome.override_award(round=round, submission=made["last-word"], tier="none", reason="Accepted only.",
                           by=organizer)
    annotations.write_meta_review(submission=parted, by=organizer, summary="SUMMARY-FOR-AUTHORS-w8", why_it_won=WHY)
    annotations.tag_causes(submission=parted, causes=[Cause.objects.get(name="Strong Prior")], by=organizer)
    annotations.publish_example(submission=parted, by=organizer, file_name="parted-syllogisms-PART2.csv", row=3)
    outcome.release_feedback(round=round, by=organizer)
    outcome.announce_awards(round=round, by=organizer)
    return {"round": round, "organizer": organizer, **made}


def release_metadata(contest) -> dict:
    target = io.BytesIO()
    assert release.write_release(contest, target) == ["last-word", "parted-syllogisms"]
    with zipfile.ZipFile(target) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    for name, body in members.items():
        assert not re.search(rb"[\w.]+@[\w-]+\.test", body), name  # no email address anywhere
        for secret in (b"rev_rita_w4", b"val_vera_w6", b"val_vic_w7", b"owner_w", b"SUMMARY-FOR-AUTHORS", b"REVIEW-TEXT",
                       b"dropped-task-w3"):
            assert secret not in body, (name, secret)
    return json.loads(members["isp-benchmark/metadata.json"])


def test_a_whole_round_from_submission_to_the_public_page_the_overview_and_both_exports(whole_round, client):
    contest = whole_round["round"].contest
    meta = {t["name"]: t for t in release_metadata(contest)["tasks"]}
    parted = meta["parted-syllogisms"]
    series = {s["name"]: s for s in parted["results"]["task"]["series"]}
    assert [(m["name"], m["n"]) for m in series["tiny"]["models"]] == [("tiny-1", 300), ("tiny-2", 300), ("tiny-3", 300)]
    assert [m["name"] for m in series["held-out"]["models"]] == ["held-1", "held-2"]
    assert (parted["prize"], parted["why_it_won"], parted["causes"]) == ({"tier": "second", "round": 1}, WHY,
                                                                         ["Strong Prior"])
    v = parted["human_validation"]
    assert (v["answers"], v["agreeing"], v["examples_answered"], v["majority_agreeing"], v["ties"], v["complete"]) == (
        8, 7, 4, 3, 1, True)

    # the public page: the winner as published, its plots the release's numbers
    page = client.get("/results/isp/rounds/1/").content.decode()
    winner = element(page, "article", "task-parted-syllogisms")
    low, high = wilson_interval(3, 4)
    alow, ahigh = wilson_interval(7, 8)
    example = parted["published_example"]
    assert example["file"] == "parted-syllogisms-PART2.csv" and example["line"] == 35  # row 3 (prompts span lines)
    assert text_of(winner).split(" Whole task (300 examples)")[0] == (
        f"parted-syllogisms second prize By Ada Lovelace Metric classification · zero-shot Why it won {WHY} "
        "What it tests Whether models judge syllogisms by logic rather than by belief. The correct behaviour Answer "
        "Yes exactly when the conclusion follows. Why it matters Models that reason by plausibility mislead their "
        "users. How the data was made Templates over noun triples. An example (parted-syllogisms-PART2.csv, line 35) "
        f"prompt {' '.join(example['example']['prompt'].split())} classes ' Yes', ' No' "
        f"answer_index {example['example']['answer_index']} "
        f"Human agreement: 75.0% of 4 examples (95% CI {100 * low:.1f}–{100 * high:.1f}%), 1 tie; 7 of 8 answers "
        f"equal the label, 87.5% (95% CI {100 * alow:.1f}–{100 * ahigh:.1f}%) Cause: Strong Prior")
    loss, accuracy = figures_in(winner)
    for figure, key in ((loss, "mean"), (accuracy, "accuracy")):
        assert [(t["name"], t["text"], t["x"], [round(y, 9) for y in t["y"]]) for t in figure["data"]] == [
            (f"{name}{' (private)' if name == 'held-out' else ''}", [m["name"] for m in series[name]["models"]],
             [m["params"] for m in series[name]["models"]], [round(m[key], 9) for m in series[name]["models"]])
            for name in ("tiny", "held-out")]  # in the series' order
    last = meta["last-word"]["results"]["task"]["series"]
    labels = "; ".join(f"{s['name']}{' (private)' if s['held_out'] else ''}: {s['trend']['label']}"
                       f"{' (two models)' if s['trend']['models'] == 2 else ''}" for s in last)
    assert "(two models)" in labels  # the private series of two models says so
    assert text_of(element(page, "table", "accepted-tasks")) == (
        "Task Authors What it tests Human agreement Cause Trend (whole task) last-word Enzo Marchetti Whether models "
        f"judge syllogisms by logic rather than by belief. Human agreement: not validated — {labels}")
    people = [*User.objects.values_list("username", flat=True), *User.objects.values_list("email", flat=True)]
    assert [p for p in people if p in page] == [] and "dropped-task-w3" not in page

    # the organizers' overview: the same trend labels, the reviews, tiers, awards and agreement
    client.force_login(whole_round["organizer"])
    html = client.get("/reviews/contests/isp/rounds/1/overview/").content.decode()
    rows = {row[1]: row for row in ([text_of(c) for c in re.findall(r"<td[^>]*>.*?</td>", r, flags=re.S)]
                                    for r in re.findall(r"<tr data-task=.*?</tr>", html, flags=re.S))}
    assert list(rows) == ["parted-syllogisms", "last-word", "dropped-task-w3"]
    trend_of = {name: [series[n]["trend"]["label"] + (" (two models)" if series[n]["trend"]["models"] == 2 else "")
                       for n in ("tiny", "held-out")] for name, series in (
        ("parted-syllogisms", series), ("last-word", {s["name"]: s for s in last}))}
    assert rows["parted-syllogisms"][4:7] == [*trend_of["parted-syllogisms"], "1 of 3"]
    assert rows["parted-syllogisms"][-3:] == ["grand", "second (announced)",
                                              f"75.0% ({100 * low:.1f}–{100 * high:.1f}%)"]
    assert rows["last-word"][4:7] == [*trend_of["last-word"], "1 of 3"]
    assert rows["last-word"][-3:] == ["third", "—", "—"]
    assert rows["dropped-task-w3"][6:] == ["1 of 3", *["no_prize"] * 6, "none", "—", "—"]

    # the organizers' zip: the accepted tasks, with their authors' emails (it is theirs)
    response = client.get("/reviews/contests/isp/export/benchmark.zip")
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)) as z:
        names = z.namelist()
        authors = json.loads(z.read("tasks/parted-syllogisms/metadata.json"))["authors"]
    assert sorted({n.split("/")[1] for n in names if n.startswith("tasks/")}) == ["last-word", "parted-syllogisms"]
    assert authors == [{"name": "Ada Lovelace", "email": "ada@engines-w1.test", "affiliation": "Engines Society"}]
