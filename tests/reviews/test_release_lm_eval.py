"""The same numbers everywhere: lm-eval's own command line, run offline on the unpacked public release with a tiny
model saved to a folder, gives the portal's results for that model: lm-eval's `acc` and utils.py's `loss` and
`logodds` equal, within 1e-4, the numbers the release's metadata.json carries, which are the portal's stored
results from the real job path (a Celery worker scoring each task on a registered series), per task and per
example. Both a GPT-2-style model (no BOS) and a Llama-style one (a BOS in front of every text) are run.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from evaluation.models import Result, Run
from evaluation.registry import ModelEntry, SeriesEntry
from evaluation.services import register_series, start_private_evaluation
from portal import services as portal_services
from reviews import outcome, services
from tests import datasets, factories
from tests.evaluation.conftest import tiny_model_folders, worker  # noqa: F401 (fixtures)
from tests.evaluation.test_jobs import all_finished, wait_for
from tests.reviews.conftest import acknowledging_every_gap, each, seeded_rubric  # noqa: F401 (fixture)
from tests.reviews.test_release import DINA, ENZO, logodds_zip, sequence_zip

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

LM_EVAL = str(Path(sys.executable).with_name("lm_eval"))
VALUE = {"classification": "loss", "sequence_prob": "loss", "logodds": "logodds"}


def parted_zip() -> bytes:
    """syllogisms in two parts and a control (the control is scored by the portal, never released)."""
    rows = datasets.syllogism_classification_rows(n=340, seed=5)
    return datasets.make_zip({"parted-syllogisms-PART1.csv": datasets.to_csv_bytes(rows[:150]),
                              "parted-syllogisms-PART2.csv": datasets.to_csv_bytes(rows[150:300]),
                              "parted-syllogisms-CONTROL1.csv": datasets.to_csv_bytes(rows[300:])})


@pytest.fixture
def announced_and_scored(tiny_model_folders, worker, seeded_rubric, tmp_path):  # noqa: F811 (the imported fixtures)
    """Three tasks (classification in two parts, logodds with classes of several tokens, sequence_prob) scored by
    the worker on a public GPT-2-style model and a private Llama-style one, accepted, and round 1 announced."""
    def entry(name: str) -> ModelEntry:
        return ModelEntry(name=name, spec=str(tiny_model_folders[name].folder), params=tiny_model_folders[name].params,
                          flops=None, queue="cpu")

    register_series(entries=[SeriesEntry(name="tiny", visibility="public", x_axis="params", models=(entry("tiny-1"),)),
                             SeriesEntry(name="held-out", visibility="private", x_axis="params",
                                         models=(entry("held-1"),))])
    round = factories.RoundFactory(number=1, contest__slug="isp", contest__name="Inverse Scaling Prize")
    organizer = factories.organizer(username="org_olga_q1")
    reviewer = factories.reviewer(username="rev_rita_x1")
    services.add_reviewer(contest=round.contest, user=reviewer, by=organizer)
    tasks = [("parted-syllogisms", "classification", parted_zip()), ("belief-shift", "logodds", logodds_zip()),
             ("last-word", "sequence_prob", sequence_zip())]
    submissions = []
    for number, (task_name, metric, zipped) in enumerate(tasks):
        owner = factories.contestant(username=f"owner_{number}_q", email=f"owner{number}@owners.test")
        data = factories.submission_data(task_name=task_name, metric=metric, authors=((DINA, ENZO)[number % 2],))
        submission = portal_services.create_submission(user=owner, contest=round.contest, zip_file=zipped, data=data)
        start_private_evaluation(submission=submission, by=organizer)
        submissions.append(submission)
    for submission in submissions:
        wait_for(lambda s=submission: all_finished(s.current_version))
        assert sorted(Run.objects.filter(version=submission.current_version).values_list("model__name", "status")) == [
            ("held-1", "done"), ("tiny-1", "done")]
        assignment = services.assign(submission=submission, reviewer=reviewer, by=organizer)
        services.save_review(assignment=assignment, user=reviewer, levels=each("accepted"), to_authors="",
                             to_organizers="", submit=True)
    outcome.confirm_awards(round=round, by=organizer, acknowledged=acknowledging_every_gap(round))
    outcome.release_feedback(round=round, by=organizer)
    outcome.announce_awards(round=round, by=organizer)
    out = tmp_path / "release.zip"
    call_command("export_release", "--contest", "isp", "--out", str(out))
    with zipfile.ZipFile(out) as archive:
        archive.extractall(tmp_path)
    return tmp_path / "isp-benchmark", submissions


def run_lm_eval(folder: Path, model: Path, out: Path) -> dict:
    """lm-eval's own command, as the card says to run it, offline; its results and per-sample values."""
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(out / "hf"),
           "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(
        [LM_EVAL, "--model", "hf", "--model_args", f"pretrained={model},dtype=float32", "--tasks", "isp",
         "--include_path", "lm_eval/", "--device", "cpu", "--batch_size", "32", "--output_path", str(out / "results"),
         "--log_samples"], cwd=folder, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    [results] = (out / "results").rglob("results_*.json")
    samples = {}
    for path in (out / "results").rglob("samples_*.jsonl"):
        task = path.name.removeprefix("samples_").rsplit("_", 1)[0]
        samples[task] = sorted((json.loads(line) for line in path.read_text().splitlines()), key=lambda s: s["doc_id"])
    return {"results": json.loads(results.read_text())["results"], "samples": samples}


def test_lm_evals_command_on_the_release_gives_the_portals_numbers(announced_and_scored, tiny_model_folders,  # noqa: F811
                                                                   tmp_path):
    folder, submissions = announced_and_scored
    meta = json.loads((folder / "metadata.json").read_text())
    assert [(t["name"], t["missing"]) for t in meta["tasks"]] == [
        ("belief-shift", ["human_validation", "causes", "published_example", "why_it_won"]),
        ("last-word", ["human_validation", "causes", "published_example", "why_it_won"]),
        ("parted-syllogisms", ["human_validation", "causes", "published_example", "why_it_won"])]
    by_name = {s.task_name: s for s in submissions}
    compared = 0
    for model_name, series in (("tiny-1", "tiny"), ("held-1", "held-out")):
        ran = run_lm_eval(folder, tiny_model_folders[model_name].folder, tmp_path / model_name)
        for task in meta["tasks"]:
            value = VALUE[task["metric"]]
            [point] = [s for s in task["results"]["task"]["series"] if s["name"] == series][0]["models"]
            assert (point["name"], point["n"]) == (model_name, 300)
            mine = ran["results"][task["lm_eval_task"]]
            assert math.isclose(mine[f"{value},none"], point["mean"], abs_tol=1e-4), (model_name, task["name"])
            if point["accuracy"] is not None:
                assert math.isclose(mine["acc,none"], point["accuracy"], abs_tol=1e-4), (model_name, task["name"])
            else:
                assert "acc,none" not in mine

            # per example: each released row against the portal's stored value for its file and line
            version = by_name[task["name"]].current_version
            identity = Run.objects.get(version=version, model__name=model_name).model_identity
            stored = []
            for file in version.files:
                if file["kind"] != "control":
                    examples = Result.objects.get(model_identity=identity, file_sha256=file["sha256"],
                                                  metric=task["metric"]).examples
                    stored += list(zip(examples["value"], examples["correct"] or [None] * len(examples["value"])))
            samples = ran["samples"][task["lm_eval_task"]]
            assert len(samples) == len(stored) == 300
            for sample, (stored_value, correct) in zip(samples, stored):
                assert math.isclose(sample[value], stored_value, abs_tol=1e-4), (model_name, task["name"], sample["doc_id"])
                if correct is not None:
                    assert sample["acc"] == float(correct)
                compared += 1
    assert compared == 2 * 3 * 300
