"""New weights saved in place into a model's folder are scored anew through the real job path (a
real Celery worker that keeps its model loaded), not served from the result cache of the old ones."""

from __future__ import annotations

import pytest

from evaluation.engine.backends import load_backend, model_identity
from evaluation.engine.metrics import score_examples
from evaluation.engine.taskfile import read_task_zip
from evaluation.models import LanguageModel, Result, Run
from evaluation.registry import ModelEntry, SeriesEntry
from evaluation.services import register_series
from tests.engine.tiny_models import save
from tests.evaluation.conftest import WINDOW, submit, syllogism_zip
from tests.evaluation.test_jobs import all_finished, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_weights_saved_anew_in_the_models_folder_are_scored_anew(contest_tx, worker, tmp_path):
    folder = save("gpt2", "xs", tmp_path / "retrained", window=WINDOW, seed=0)
    register_series(entries=[SeriesEntry(name="retrained", visibility="public", x_axis="params", models=(
        ModelEntry(name="retrained-1", spec=str(folder), params=1000, flops=None, queue="cpu"),))])
    zip_bytes = syllogism_zip("syllo")

    first = submit(contest=contest_tx, task_name="syllo", zip_bytes=zip_bytes).current_version
    wait_for(lambda: all_finished(first))
    old_identity = model_identity(str(folder))
    assert Run.objects.get(version=first).model_identity == old_identity

    save("gpt2", "xs", folder, window=WINDOW, seed=1)  # the same shape, new numbers, in place
    new_identity = model_identity(str(folder))
    assert new_identity != old_identity
    # another task holding the very same file (task names are unique in a contest)
    second = submit(contest=contest_tx, task_name="again", zip_bytes=syllogism_zip("again")).current_version
    wait_for(lambda: all_finished(second))

    run = Run.objects.get(version=second)
    assert (run.status, run.model_identity) == ("done", new_identity)
    assert LanguageModel.objects.get(name="retrained-1").identity == new_identity
    sha = first.files[0]["sha256"]
    assert second.files[0]["sha256"] == sha
    old, new = (Result.objects.get(model_identity=i, file_sha256=sha) for i in (old_identity, new_identity))
    assert new.mean != pytest.approx(old.mean, rel=1e-3)
    # the new result holds the new weights' numbers, as the engine scores them directly
    report = read_task_zip(zip_bytes, metric="classification", task_name="syllo")
    backend = load_backend(str(folder), device="cpu")
    want = score_examples(report.files[0].examples, metric="classification", backend=backend)
    assert new.mean == pytest.approx(want.aggregate.mean, rel=1e-9)
    assert new.examples["value"] == pytest.approx([e.value for e in want.examples], rel=1e-9)
