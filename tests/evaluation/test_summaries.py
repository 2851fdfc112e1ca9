"""The kept whole-task summaries (evaluation/summaries.py) read what the results say at every step of a run's
life and after every change they rest on: a file scored, a run finished or requeued, a run deleted, an
organizer's decision, a model resized, a series made private, and a change committed while one is computed.
Each step compares the kept summary with the whole task computed afresh (selectors.task_results_of_each)."""

from __future__ import annotations

import math

import pytest
from django.contrib import admin
from django.test import RequestFactory

from evaluation import lifecycle, selectors, services, summaries
from evaluation.models import LanguageModel, ModelSeries, Result, Run, TaskSummary
from portal import services as portal_services
from tests import datasets, factories

PARAMS = [1_000_000, 4_000_000, 16_000_000]
TWO_MODELS = "No public series shows standard scaling. On tiny it rests on two models (the larger is worse)."
NOT_KNOWN = "Not known yet: no public series has results on two or more models."


@pytest.fixture
def version(contest):
    owner = factories.contestant(username="ada")
    zip_bytes = datasets.make_zip({"syllogism-test.csv": datasets.to_csv_bytes(
        datasets.syllogism_classification_rows(n=300, seed=0))})
    submission = portal_services.create_submission(user=owner, contest=contest, data=factories.submission_data(),
                                                   zip_file=zip_bytes)
    return submission.current_version


@pytest.fixture
def runs(version) -> list[Run]:
    """Three queued runs on a public series whose loss rises with size (inverse scaling)."""
    series = ModelSeries.objects.create(name="tiny", visibility=ModelSeries.PUBLIC)
    models = [LanguageModel.objects.create(series=series, name=f"tiny-{i}", spec=f"/models/tiny-{i}", params=p,
                                           position=i) for i, p in enumerate(PARAMS)]
    return lifecycle.create(version=version, models=models)


def score(run: Run, *, finish: bool = True) -> None:
    """The run claimed, its one file's result stored and recorded, and (with `finish`) the run finished."""
    holder = f"test-{run.pk}"
    assert lifecycle.claim(run_id=run.pk, holder=holder) is not None
    f = run.version.files[0]
    identity = f"{run.model.name}@test"
    values = [1.0 + 0.5 * run.model.position + 0.05 * math.sin(k) for k in range(f["rows"])]
    Result.objects.create(model_identity=identity, file_sha256=f["sha256"], metric=run.version.metric, n=len(values),
                          mean=sum(values) / len(values), sem=0.01, accuracy=0.9 - 0.2 * run.model.position,
                          class_mass=0.9, baseline=0.69, baseline_accuracy=0.5,
                          examples={"line": list(range(2, len(values) + 2)), "value": values,
                                    "correct": [True] * len(values), "predicted": [0] * len(values),
                                    "total_logprob": [-1.0] * len(values)})
    assert lifecycle.record_scored(run_id=run.pk, holder=holder, identity=identity, shas=[f["sha256"]])
    if finish:
        assert lifecycle.finish(run_id=run.pk, holder=holder, model_identity=identity, loaded_model=True,
                                file_errors=[]) == Run.DONE


def kept(version) -> tuple[dict, bool | None, str]:
    s = summaries.of_each([version.pk], points=True)[version.pk]
    return ({ModelSeries.objects.get(pk=k).name: v for k, v in s.trends.items()}, s.eligible, s.eligibility_reason)


def afresh(version) -> tuple[dict, bool | None, str]:
    found = selectors.task_results_of_each(versions=[version])[version.pk]
    return ({t.series: t.label for t in selectors.task_trends(found.task)}, found.verdict.eligible,
            found.verdict.eligibility_reason)


def test_the_kept_summary_follows_a_run_through_its_life(version, runs):
    assert kept(version) == afresh(version) == ({}, None, NOT_KNOWN)
    score(runs[0], finish=False)  # one file recorded while the run is still running: one model, no trend
    assert kept(version) == afresh(version) == ({}, None, NOT_KNOWN)
    score(runs[1])
    assert kept(version) == afresh(version) == ({"tiny": "inverse"}, True, TWO_MODELS)
    series = runs[0].model.series_id
    assert summaries.of_each([version.pk])[version.pk].two_models == {series}  # a comparison, not a shape
    score(runs[2])
    three = ({"tiny": "inverse"}, True, "No public series shows standard scaling.")
    assert kept(version) == afresh(version) == three
    assert summaries.of_each([version.pk])[version.pk].two_models == set()
    points = summaries.of_each([version.pk], points=True)[version.pk].points
    assert points == {runs[0].model.series_id: [(r.model_id, pytest.approx(0.9 - 0.2 * i), pytest.approx(
        1.0 + 0.5 * i + 0.05 * sum(math.sin(k) for k in range(300)) / 300)) for i, r in enumerate(runs)]}
    stored = TaskSummary.objects.get(version=version)
    runs[2].refresh_from_db()
    assert lifecycle.requeue(run=runs[2])  # new work on a scored run hides nothing, and changes nothing kept
    assert kept(version) == three
    assert TaskSummary.objects.get(version=version) == stored


def test_a_kept_summary_is_read_in_four_queries_and_not_computed_again(version, runs,
                                                                      django_assert_num_queries):
    for run in runs:
        score(run)
    summaries.of_each([version.pk])
    # the series, the models; the versions without a valid summary (none); the versions with their summaries and
    # the organizers' decisions
    with django_assert_num_queries(4):
        assert summaries.of_each([version.pk])[version.pk].trends == {runs[0].model.series_id: "inverse"}


def test_an_organizers_decision_shows_at_once_and_its_removal_too(version, runs, django_assert_num_queries):
    for run in runs:
        score(run)
    before = kept(version)
    organizer = factories.organizer(username="olga")
    services.override_eligibility(submission=version.submission, eligible=False, reason="The labels are wrong.",
                                  by=organizer)
    with django_assert_num_queries(4):  # read, not computed again
        s = summaries.of_each([version.pk])[version.pk]
    assert (s.eligible, s.eligibility_reason) == (False, "Decided by the organizers: The labels are wrong.")
    assert kept(version) == afresh(version)
    services.clear_eligibility_override(submission=version.submission, by=organizer)
    assert kept(version) == afresh(version) == before


def test_a_model_resized_or_a_series_made_private_is_read_afresh(version, runs):
    for run in runs:
        score(run)
    largest = runs[2].model
    largest.params = 500_000  # now the smallest: the loss no longer rises with size
    largest.save()
    assert kept(version) == afresh(version)
    assert kept(version)[0] == {"tiny": "inverted-U"}
    ModelSeries.objects.filter(name="tiny").update(visibility=ModelSeries.PRIVATE)
    assert kept(version) == afresh(version) == ({"tiny": "inverted-U"}, None, NOT_KNOWN)


def test_a_run_deleted_by_an_organizer_leaves_the_summary_of_the_others(version, runs,
                                                                     django_capture_on_commit_callbacks):
    for run in runs:
        score(run)
    assert kept(version)[2] == "No public series shows standard scaling."
    request = RequestFactory().post("/admin/evaluation/run/")
    request.user = factories.organizer(username="olga")
    with django_capture_on_commit_callbacks(execute=True):
        admin.site._registry[Run].delete_queryset(request, Run.objects.filter(pk=runs[2].pk))
    assert kept(version) == afresh(version) == ({"tiny": "inverse"}, True, TWO_MODELS)


def test_a_change_committed_while_a_summary_is_computed_is_not_hidden_by_it(version, runs, monkeypatch):
    """The third model's file is recorded after the summary's inputs were read and before it is stored: what was
    computed from two models is stored under the older generation, and the next read computes it again."""
    score(runs[0])
    score(runs[1])
    compute = summaries._computed

    def meanwhile(versions):
        computed = compute(versions)
        score(runs[2])  # committed before the stale summary is stored
        return computed

    monkeypatch.setattr(summaries, "_computed", meanwhile)
    assert kept(version)[2] == TWO_MODELS  # what that reader computed, from what it read
    monkeypatch.setattr(summaries, "_computed", compute)
    assert kept(version) == afresh(version) == ({"tiny": "inverse"}, True, "No public series shows standard scaling.")


def test_a_model_deleted_with_its_runs(version, runs, django_capture_on_commit_callbacks):
    for run in runs:
        score(run)
    summaries.of_each([version.pk])
    with django_capture_on_commit_callbacks(execute=True):
        runs[0].model.delete()  # its runs go with it: the version's generation and the registry both change
    assert kept(version) == afresh(version) == ({"tiny": "inverse"}, True, TWO_MODELS)
