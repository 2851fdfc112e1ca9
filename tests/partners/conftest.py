"""Fixtures of the partner tests: two partners (Acme, Beta) each with a private series of its own, a
public series, and a contestant's submission whose private runs have started."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from evaluation import services as evaluation_services
from evaluation.engine.taskfile import read_task_zip
from evaluation.models import Partner, Run
from evaluation.registry import ModelEntry, SeriesEntry
from partners import tokens
from portal.models import Submission
from tests import datasets, factories
from tests.evaluation.conftest import submit, tiny_model_folders, worker  # noqa: F401 (fixtures of the partner tests too)

TASK = "quokka-reversal"  # appears in no row of the task's files, so a leak of it is visible
OWNER = "wombat_owner"


def task_zip(*, n: int = 300, seed: int = 0, control: bool = True, task: str = TASK) -> bytes:
    files = {f"{task}.csv": datasets.to_csv_bytes(datasets.syllogism_classification_rows(n=n, seed=seed))}
    if control:
        files[f"{task}-CONTROL1.csv"] = datasets.to_csv_bytes(datasets.syllogism_classification_rows(n=40, seed=seed + 100))
    return datasets.make_zip(files)


def partner_series(*, acme_spec: str = "acme-local-weights", beta_spec: str = "beta-local-weights",
                   public_spec: str = "/nonexistent/public-model") -> list[SeriesEntry]:
    def model(name: str, spec: str, params: int) -> ModelEntry:
        return ModelEntry(name=name, spec=spec, params=params, flops=None, queue="cpu")

    return [SeriesEntry(name="pub", visibility="public", x_axis="params", models=(model("pub-1", public_spec, 10),)),
            SeriesEntry(name="acme-held", visibility="private", x_axis="params", partner="Acme",
                        models=(model("acme-1", acme_spec, 3_000_000),)),
            SeriesEntry(name="beta-held", visibility="private", x_axis="params", partner="Beta",
                        models=(model("beta-1", beta_spec, 9_000_000),))]


@dataclass
class World:
    submission: Submission
    acme: Partner
    beta: Partner
    acme_token: str
    beta_token: str
    zip_bytes: bytes

    def run(self, model: str, submission: Submission | None = None) -> Run:
        return Run.objects.get(version=(submission or self.submission).current_version, model__name=model)

    def files(self, zip_bytes: bytes | None = None, task: str = TASK):
        report = read_task_zip(zip_bytes or self.zip_bytes, metric="classification", task_name=task)
        return {("task.csv" if f.kind == "main" else f"task-CONTROL{f.index}.csv"): f for f in report.files}


def make_world(contest, *, entries: list[SeriesEntry] | None = None, start_private: bool = True,
               rows: int = 300) -> World:
    evaluation_services.register_series(entries=entries or partner_series())
    zip_bytes = task_zip(n=rows)
    owner = factories.contestant(username=OWNER, email="wombat@example.org")
    submission = submit(contest=contest, owner=owner, task_name=TASK, zip_bytes=zip_bytes)
    evaluation_services.start_version_evaluation(version=submission.current_version)  # the hook runs after a commit
    if start_private:  # as an organizer may before the round closes (the sweep does once it has)
        evaluation_services.start_private_evaluation(submission=submission)
    acme, beta = Partner.objects.get(name="Acme"), Partner.objects.get(name="Beta")
    return World(submission=submission, acme=acme, beta=beta, acme_token=tokens.issue(partner=acme),
                 beta_token=tokens.issue(partner=beta), zip_bytes=zip_bytes)


@pytest.fixture
def world(contest) -> World:
    return make_world(contest)
