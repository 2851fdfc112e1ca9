"""Shared fixtures: a contest with an open round, accounts per role, valid task zips; the cost marks' check."""

from __future__ import annotations

import uuid

import pytest

from tests import datasets, factories

pytest_plugins = ["tests.marks"]  # the cost marks (integration, e2e, slow) and the check that keeps them true


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    """Each test stores uploads in its own private folder."""
    location = tmp_path / "uploads"
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                     "OPTIONS": {"location": str(location)}}}
    settings.STORAGE_DIR = location
    return location


@pytest.fixture(autouse=True)
def _own_cache_keys(settings):
    """Each test has its own cache key space (a throttle's counts, a trend cached by another test)."""
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{uuid.uuid4().hex}"}}


@pytest.fixture
def contest(db):
    return factories.RoundFactory(number=1).contest


@pytest.fixture
def contest_tx(transactional_db):
    return factories.RoundFactory(number=1).contest


@pytest.fixture
def contestant(db):
    return factories.contestant()


@pytest.fixture
def syllogism_zip() -> bytes:
    rows = datasets.syllogism_classification_rows(n=300, seed=0)
    return datasets.make_zip({"syllogism-test.csv": datasets.to_csv_bytes(rows)})
