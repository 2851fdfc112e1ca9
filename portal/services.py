"""What writes: creating and editing submissions. Every rule of the contest side is here."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from evaluation.engine.taskfile import read_task_zip
from evaluation.engine.types import TaskReport

from .deadlines import format_aoe
from .models import Author, Contest, Submission, SubmissionVersion
from .roles import CONTESTANT, REVIEWER, role_of
from .selectors import edits_open, open_round
from .uploads import limits_from_settings


@dataclass(frozen=True)
class AuthorData:
    name: str
    email: str
    affiliation: str = ""


@dataclass(frozen=True)
class SubmissionData:
    """Every field the contest rules ask for, as the contestant typed it."""

    task_name: str
    metric: str
    authors: tuple[AuthorData, ...]
    what_it_tests: str
    correct_behaviour: str
    why_it_matters: str
    shot_setting: str
    data_generation: str
    dataset_sources: str = ""
    generation_code_url: str = ""
    has_control_data: bool = False
    persists_few_shot: str = ""
    persists_finetuning: str = ""
    persists_rlhf: str = ""

    @classmethod
    def from_version(cls, version: SubmissionVersion) -> "SubmissionData":
        values = {f.name: getattr(version, f.name) for f in fields(cls) if f.name != "authors"}
        authors = tuple(AuthorData(a.name, a.email, a.affiliation) for a in version.authors.all())
        return cls(authors=authors, **values)


class SubmissionRefused(Exception):
    """The server refuses this action (role, deadline, task name); the message says why and what to do."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class UploadRejected(Exception):
    """The zip has errors; nothing was stored. `report` holds every error and warning."""

    def __init__(self, report: TaskReport):
        super().__init__(f"{len(report.errors)} error(s) in the upload")
        self.report = report


def ensure_may_submit(*, user) -> None:
    role = role_of(user)
    if role == REVIEWER:
        raise SubmissionRefused(
            "Reviewers may not submit tasks (the contest rules forbid it). "
            "Sign up with a separate contestant account if you are not reviewing.")
    if role != CONTESTANT:
        raise SubmissionRefused("Only contestant accounts can create submissions.")


def validate_upload(*, data: bytes, submission_data: SubmissionData) -> TaskReport:
    """Read the zip exactly as the workers will, with the configured limits and the authors' names."""
    return read_task_zip(
        data,
        metric=submission_data.metric,
        task_name=submission_data.task_name,
        limits=limits_from_settings(),
        author_names=[a.name for a in submission_data.authors],
        author_emails=[a.email for a in submission_data.authors],
    )


def _task_name_taken(task_name: str) -> SubmissionRefused:
    return SubmissionRefused(
        f"The task name '{task_name}' is already used in this contest; choose another name "
        "(and rename the CSV files to match).", field="task_name")


def _ensure_task_name_free(*, contest: Contest, task_name: str, exclude_pk: int | None = None) -> None:
    taken = Submission.objects.filter(contest=contest, task_name__iexact=task_name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _task_name_taken(task_name)


def _store_zip(data: bytes) -> tuple[str, str]:
    """Store the zip by its content hash, outside any public path. Returns (storage name, sha256)."""
    sha = hashlib.sha256(data).hexdigest()
    name = f"submissions/{sha[:2]}/{sha}.zip"
    if not default_storage.exists(name):
        stored = default_storage.save(name, ContentFile(data))
        if stored != name:  # another writer stored the same bytes at the same moment
            default_storage.delete(stored)
    return name, sha


def _validate_and_store(*, zip_bytes: bytes, data: SubmissionData) -> tuple[TaskReport, str, str]:
    """Validate the zip; store it only if it is valid. Returns (report, storage name, sha256)."""
    report = validate_upload(data=zip_bytes, submission_data=data)
    if not report.valid:
        raise UploadRejected(report)
    return (report, *_store_zip(zip_bytes))


def _add_version(*, submission: Submission, user, data: SubmissionData, zip_name: str, sha: str,
                 size: int, report: TaskReport) -> SubmissionVersion:
    last = submission.versions.aggregate(n=Max("number"))["n"] or 0
    values = {f.name: getattr(data, f.name) for f in fields(SubmissionData) if f.name != "authors"}
    version = SubmissionVersion.objects.create(
        submission=submission, number=last + 1, created_by=user, zip_file=zip_name, zip_sha256=sha,
        zip_size=size, files=[f.as_dict() for f in report.files],
        warnings=[w.as_dict() for w in report.warnings], **values)
    Author.objects.bulk_create(
        Author(version=version, order=i, name=a.name, email=a.email, affiliation=a.affiliation)
        for i, a in enumerate(data.authors, start=1))
    submission.current_version = version
    submission.task_name = data.task_name
    submission.save(update_fields=["current_version", "task_name", "updated_at"])
    return version


def create_submission(*, user, contest: Contest, data: SubmissionData, zip_bytes: bytes) -> Submission:
    """A new submission with its first version. Raises SubmissionRefused or UploadRejected; stores nothing then."""
    ensure_may_submit(user=user)
    now = timezone.now()
    current_round = open_round(contest=contest, now=now)
    if current_round is None:
        raise SubmissionRefused(f"{contest.name} is not accepting submissions now: no round is open.")
    _ensure_task_name_free(contest=contest, task_name=data.task_name)
    report, zip_name, sha = _validate_and_store(zip_bytes=zip_bytes, data=data)
    try:
        with transaction.atomic():
            submission = Submission.objects.create(
                contest=contest, round=current_round, owner=user, task_name=data.task_name)
            _add_version(submission=submission, user=user, data=data, zip_name=zip_name, sha=sha,
                         size=len(zip_bytes), report=report)
    except IntegrityError:  # the same name was taken between the check and the insert
        raise _task_name_taken(data.task_name) from None
    return submission


def edit_submission(*, user, submission: Submission, data: SubmissionData,
                    zip_bytes: bytes | None) -> SubmissionVersion:
    """A new version of the submission. Without a new zip, the current zip is kept (and re-checked
    against the new fields). The current version stays as it is if anything is refused."""
    if submission.owner_id != user.pk:
        raise SubmissionRefused("Only the contestant who created a submission can edit it.")
    ensure_may_submit(user=user)
    if not edits_open(submission=submission):
        raise SubmissionRefused(
            f"{submission.round} closed on {format_aoe(submission.round.closes_at)}; "
            "edits are no longer accepted. Ask the organizers to reopen the submission if you need to change it.")
    _ensure_task_name_free(contest=submission.contest, task_name=data.task_name, exclude_pk=submission.pk)
    if zip_bytes is None:
        with submission.current_version.zip_file.open("rb") as stored:
            zip_bytes = stored.read()
    report, zip_name, sha = _validate_and_store(zip_bytes=zip_bytes, data=data)
    try:
        with transaction.atomic():
            locked = Submission.objects.select_for_update().get(pk=submission.pk)
            version = _add_version(submission=locked, user=user, data=data, zip_name=zip_name, sha=sha,
                                   size=len(zip_bytes), report=report)
    except IntegrityError:  # the same name was taken between the check and the update
        raise _task_name_taken(data.task_name) from None
    submission.refresh_from_db()
    return version


def reopen_edits(*, submission: Submission, until) -> None:
    """An organizer accepts edits to one submission after its round's deadline, until `until`."""
    submission.edits_reopened_until = until
    submission.save(update_fields=["edits_reopened_until", "updated_at"])
