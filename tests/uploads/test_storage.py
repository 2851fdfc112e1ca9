"""Stored zips: every upload is stored from its file in chunks, removed again when its version is not
saved, and the periodic sweep removes what a crash left behind (older than a day, unreferenced)."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import DataError

from portal import services, uploads
from portal.models import Submission, SubmissionVersion
from portal.tasks import sweep_orphan_uploads
from tests import factories

pytestmark = pytest.mark.django_db


def stored(storage_dir) -> list[str]:
    return sorted(str(p.relative_to(storage_dir)) for p in storage_dir.rglob("*.zip"))


def spooled(data: bytes) -> TemporaryUploadedFile:
    upload = TemporaryUploadedFile("task.zip", "application/zip", len(data), None)
    upload.write(data)
    upload.seek(0)
    return upload


def test_an_uploaded_file_is_stored_as_sent(contest, syllogism_zip, _private_storage):
    user = factories.contestant()
    submission = services.create_submission(user=user, contest=contest, zip_file=spooled(syllogism_zip),
                                            data=factories.submission_data())
    version = submission.current_version
    assert version.zip_file.read() == syllogism_zip
    assert version.zip_size == len(syllogism_zip)
    assert stored(_private_storage) == [version.zip_file.name]
    assert version.zip_file.name.startswith(f"submissions/{version.zip_sha256[:2]}/{version.zip_sha256}-")


def test_a_version_that_fails_to_save_leaves_no_file(contest, syllogism_zip, _private_storage):
    user = factories.contestant()
    too_long = factories.submission_data(authors=(services.AuthorData("A" * 300, "a@example.org"),))
    with pytest.raises(DataError):  # the database refuses the 300-character name: the transaction rolls back
        services.create_submission(user=user, contest=contest, zip_file=syllogism_zip, data=too_long)
    assert (Submission.objects.count(), stored(_private_storage)) == (0, [])

    submission = services.create_submission(user=user, contest=contest, zip_file=syllogism_zip,
                                            data=factories.submission_data())
    first = stored(_private_storage)
    with pytest.raises(DataError):
        services.edit_submission(user=user, submission=submission, zip_file=spooled(syllogism_zip), data=too_long)
    assert list(submission.versions.values_list("number", flat=True)) == [1]
    assert stored(_private_storage) == first == [submission.current_version.zip_file.name]


def test_the_sweep_removes_only_unreferenced_zips_older_than_a_day(contest, syllogism_zip, _private_storage):
    user = factories.contestant()
    kept = services.create_submission(user=user, contest=contest, zip_file=syllogism_zip,
                                      data=factories.submission_data()).current_version.zip_file.name
    old_orphan = uploads.store_zip(uploads.as_binary_file(b"left by a crash"), sha256="ab" * 32)
    new_orphan = uploads.store_zip(uploads.as_binary_file(b"being saved now"), sha256="cd" * 32)
    two_days_ago = time.time() - 2 * 24 * 3600
    for name in (kept, old_orphan):
        os.utime(_private_storage / name, (two_days_ago, two_days_ago))

    assert settings.CELERY_BEAT_SCHEDULE["portal-sweep-orphan-uploads"]["task"] == sweep_orphan_uploads.name
    removed = sweep_orphan_uploads.apply().get()

    assert removed == [old_orphan]
    assert stored(_private_storage) == sorted([kept, new_orphan])
    assert timedelta(days=1) == settings.UPLOAD_ORPHAN_MAX_AGE


def test_a_fields_only_edit_keeps_the_current_zip_without_storing_it_again(contest, syllogism_zip, _private_storage):
    user = factories.contestant()
    submission = services.create_submission(user=user, contest=contest, zip_file=syllogism_zip,
                                            data=factories.submission_data())
    version = services.edit_submission(user=user, submission=submission,
                                       data=factories.submission_data(why_it_matters="Changed."))
    assert version.zip_file.name == submission.versions.get(number=1).zip_file.name
    assert stored(_private_storage) == [version.zip_file.name]
    assert SubmissionVersion.objects.filter(zip_file=version.zip_file.name).count() == 2
