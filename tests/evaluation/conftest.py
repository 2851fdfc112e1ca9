"""Fixtures of the evaluation tests: tiny real models saved to folders and registered as series,
submissions made through the contest side's own service, and a Celery worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from evaluation.models import LanguageModel
from evaluation.registry import ModelEntry, SeriesEntry
from evaluation.services import register_series
from portal import services as portal_services
from portal.celery import app
from tests import datasets, factories
from tests.engine.tiny_models import save

WINDOW = 256  # the syllogism prompts (about 220 tokens) fit


@dataclass(frozen=True)
class TinyModel:
    name: str
    folder: Path
    params: int


@pytest.fixture(scope="session")
def tiny_model_folders(tmp_path_factory) -> dict[str, TinyModel]:
    """Five tiny real models: three GPT-2-style (public series), two Llama-style (private series)."""
    root = tmp_path_factory.mktemp("tiny-models")
    specs = [("tiny-1", "gpt2", "xs", 0, 1_000_000), ("tiny-2", "gpt2", "s", 1, 2_000_000),
             ("tiny-3", "gpt2", "s", 2, 4_000_000), ("held-1", "llama", "xs", 3, 3_000_000),
             ("held-2", "llama", "s", 4, 9_000_000)]
    return {name: TinyModel(name, save(kind, size, root / name, window=WINDOW, seed=seed), params)
            for name, kind, size, seed, params in specs}


def series_entries(models: dict[str, TinyModel], *, private: bool = True, broken: bool = False) -> list[SeriesEntry]:
    def entry(name: str) -> ModelEntry:
        m = models[name]
        return ModelEntry(name=m.name, spec=str(m.folder), params=m.params, flops=None, queue="cpu")

    entries = [SeriesEntry(name="tiny", visibility="public", x_axis="params",
                           models=tuple(entry(n) for n in ("tiny-1", "tiny-2", "tiny-3")))]
    if private:
        entries.append(SeriesEntry(name="held-out", visibility="private", x_axis="params",
                                   models=tuple(entry(n) for n in ("held-1", "held-2"))))
    return entries


@pytest.fixture
def tiny_series(tiny_model_folders, transactional_db):
    register_series(entries=series_entries(tiny_model_folders))
    return tiny_model_folders


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker (solo pool, in a thread) consuming the cpu queue through Redis."""
    app.loader.import_module("celery.contrib.testing.tasks")
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("cpu")  # no message left over from another test
    with start_worker(app, pool="solo", queues=["cpu"], perform_ping_check=True, shutdown_timeout=60) as w:
        yield w


def syllogism_zip(task_name: str, *, n: int = 300, seed: int = 0, control: bool = False) -> bytes:
    files = {f"{task_name}.csv": datasets.to_csv_bytes(datasets.syllogism_classification_rows(n=n, seed=seed))}
    if control:
        files[f"{task_name}-CONTROL1.csv"] = datasets.to_csv_bytes(
            datasets.syllogism_classification_rows(n=40, seed=seed + 100))
    return datasets.make_zip(files)


def submit(*, contest, owner=None, task_name: str = "syllo", zip_bytes: bytes | None = None, **fields):
    """A real submission through the contest side's service (its version_saved starts the runs)."""
    owner = owner or factories.contestant()
    data = factories.submission_data(task_name=task_name, **fields)
    return portal_services.create_submission(user=owner, contest=contest, data=data,
                                             zip_file=zip_bytes or syllogism_zip(task_name))


@pytest.fixture
def broken_model(tmp_path, transactional_db, settings):
    """A model whose folder holds no loadable model: every attempt fails."""
    settings.EVALUATION_RETRY_DELAY_SECONDS = 0
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "no-such-architecture"}')
    register_series(entries=[SeriesEntry(name="broken", visibility="public", x_axis="params", models=(
        ModelEntry(name="broken-1", spec=str(folder), params=10, flops=None, queue="cpu"),))])
    return LanguageModel.objects.get(name="broken-1")
