"""What writes: creating and editing submissions. Every rule of the contest side is here.

A zip reaches these functions as a binary file object (Django's UploadedFile, spooled to a
temporary file when it is large; an open file) or as bytes, and is never read whole into memory.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import BinaryIO

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from evaluation.engine.taskfile import read_task_zip
from evaluation.engine.types import TaskReport

from . import accounts, signals, uploads
from .deadlines import format_aoe
from .models import Author, Contest, Round, Submission, SubmissionVersion
from .refusals import Refused
from .roles import CONTESTANT, REVIEWER, VALIDATOR, role_of
from .selectors import edits_open, next_round, open_round

logger = logging.getLogger(__name__)

# A fields-only edit keeps the zip that is current when the version is saved; if another edit
# changes it meanwhile, the fields are checked again against the new zip, this many times at most.
KEEP_ZIP_ATTEMPTS = 5


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
    def from_version(cls, version: SubmissionVersion) -> SubmissionData:
        values = {f.name: getattr(version, f.name) for f in fields(cls) if f.name != "authors"}
        authors = tuple(AuthorData(a.name, a.email, a.affiliation) for a in version.authors.all())
        return cls(authors=authors, **values)


class SubmissionRefused(Refused):
    """The server refuses this action (role, deadline, task name); the message says why and what to do."""


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
            "Sign up with a separate contestant account if you are not reviewing.", status=403)
    if role == VALIDATOR:
        raise SubmissionRefused(
            "Validators may not submit tasks: a validator answers other tasks' examples blind. "
            "Sign up with a separate contestant account to submit.", status=403)
    if role != CONTESTANT:
        raise SubmissionRefused("Only contestant accounts can create submissions.", status=403)
    if not accounts.email_confirmed(user):
        raise SubmissionRefused(
            f"Confirm your email address before submitting: follow the link we sent to {user.email}. "
            "No email? Send yourself a new link from the confirmation page.", status=403)


def ensure_round_open(*, contest: Contest, now=None) -> Round:
    """The round accepting submissions now; if none, the refusal says when the next one opens."""
    now = now or timezone.now()
    current = open_round(contest=contest, now=now)
    if current is not None:
        return current
    upcoming = next_round(contest=contest, now=now)
    when = (f"{upcoming} opens on {format_aoe(upcoming.opens_at)}." if upcoming is not None
            else "No further round is scheduled.")
    raise SubmissionRefused(f"{contest.name} is not accepting submissions now: no round is open. {when}")


def ensure_may_edit(*, user, submission: Submission, now=None) -> None:
    """Only the owner, a contestant with a confirmed email, until the round closes (or is reopened)."""
    if submission.owner_id != user.pk:
        raise SubmissionRefused("Only the contestant who created a submission can edit it.", status=403)
    ensure_may_submit(user=user)
    if not edits_open(submission=submission, now=now):
        raise SubmissionRefused(
            f"{submission.round} closed on {format_aoe(submission.round.closes_at)}; "
            "edits are no longer accepted. Ask the organizers to reopen the submission if you need to change it.",
            status=403)


def validate_upload(*, source: str | bytes | BinaryIO, submission_data: SubmissionData) -> TaskReport:
    """Read the zip (a path, bytes or a binary file object) exactly as the workers will, with the
    configured limits and the authors' names. Its size is checked before any of it is read."""
    return read_task_zip(
        source,
        metric=submission_data.metric,
        task_name=submission_data.task_name,
        limits=uploads.limits_from_settings(),
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


@dataclass(frozen=True)
class CheckedZip:
    """A valid zip in storage, not yet pointed to by a saved version unless `kept`."""

    report: TaskReport
    name: str
    sha256: str
    size: int
    kept: bool  # the current version's zip, kept by a fields-only edit (never removed here)


def _check_and_store(*, zip_file: bytes | BinaryIO, data: SubmissionData) -> CheckedZip:
    """Validate the upload from its file; store it only if it is valid."""
    fileobj = uploads.as_binary_file(zip_file)
    report = validate_upload(source=fileobj, submission_data=data)
    if not report.valid:
        raise UploadRejected(report)
    sha, size = uploads.digest(fileobj)
    return CheckedZip(report, uploads.store_zip(fileobj, sha256=sha), sha, size, kept=False)


def _check_kept(*, version: SubmissionVersion, data: SubmissionData) -> CheckedZip:
    """Check a version's stored zip against the new fields (the task name and authors may change)."""
    with version.zip_file.open("rb") as stored:
        report = validate_upload(source=stored, submission_data=data)
    if not report.valid:
        raise UploadRejected(report)
    return CheckedZip(report, version.zip_file.name, version.zip_sha256, version.zip_size, kept=True)


@contextlib.contextmanager
def _removed_unless_saved(checked: CheckedZip) -> Iterator[None]:
    """Remove a newly stored zip again if the version that points to it is not saved."""
    try:
        yield
    except BaseException:
        if not checked.kept:
            uploads.discard_zip(checked.name)
        raise


def _add_version(*, submission: Submission, user, data: SubmissionData, checked: CheckedZip) -> SubmissionVersion:
    last = submission.versions.aggregate(n=Max("number"))["n"] or 0
    values = {f.name: getattr(data, f.name) for f in fields(SubmissionData) if f.name != "authors"}
    report = checked.report
    version = SubmissionVersion.objects.create(
        submission=submission, number=last + 1, created_by=user, zip_file=checked.name,
        zip_sha256=checked.sha256, zip_size=checked.size,
        files=[{**f.as_dict(), "sha256": f.sha256} for f in report.files],
        warnings=[w.as_dict() for w in report.warnings], **values)
    Author.objects.bulk_create(
        Author(version=version, order=i, name=a.name, email=a.email, affiliation=a.affiliation)
        for i, a in enumerate(data.authors, start=1))
    submission.current_version = version
    submission.task_name = data.task_name
    submission.save(update_fields=["current_version", "task_name", "updated_at"])
    transaction.on_commit(lambda: signals.version_saved.send_robust(sender=SubmissionVersion, version=version),
                          robust=True)
    return version


def create_submission(*, user, contest: Contest, data: SubmissionData,
                      zip_file: bytes | BinaryIO) -> Submission:
    """A new submission with its first version. Raises SubmissionRefused or UploadRejected; stores nothing then."""
    ensure_may_submit(user=user)
    current_round = ensure_round_open(contest=contest)
    _ensure_task_name_free(contest=contest, task_name=data.task_name)
    checked = _check_and_store(zip_file=zip_file, data=data)
    with _removed_unless_saved(checked):
        try:
            with transaction.atomic():
                submission = Submission.objects.create(
                    contest=contest, round=current_round, owner=user, task_name=data.task_name,
                    number=_next_number(contest))
                _add_version(submission=submission, user=user, data=data, checked=checked)
        except IntegrityError:  # the same name was taken between the check and the insert
            raise _task_name_taken(data.task_name) from None
    return submission


def _next_number(contest: Contest) -> int:
    """The next submission's number in the contest (1, 2, ...), given one at a time: the contest's row is
    locked until the caller's transaction ends."""
    Contest.objects.select_for_update().filter(pk=contest.pk).first()
    return (Submission.objects.filter(contest=contest).aggregate(n=Max("number"))["n"] or 0) + 1


def edit_submission(*, user, submission: Submission, data: SubmissionData,
                    zip_file: bytes | BinaryIO | None = None) -> SubmissionVersion:
    """A new version of the submission. Without a new zip, the zip current when the version is saved
    is kept (and checked against the new fields). Nothing changes if anything is refused; edits
    made at the same moment each become a version, numbered one after the other."""
    ensure_may_edit(user=user, submission=submission)
    _ensure_task_name_free(contest=submission.contest, task_name=data.task_name, exclude_pk=submission.pk)
    for _ in range(KEEP_ZIP_ATTEMPTS):
        base = _current_version(submission)
        checked = (_check_and_store(zip_file=zip_file, data=data) if zip_file is not None
                   else _check_kept(version=base, data=data))
        with _removed_unless_saved(checked):
            version = _save_edit(submission=submission, user=user, data=data, checked=checked, base=base)
        if version is not None:
            submission.refresh_from_db()
            return version
    raise SubmissionRefused("The submission's files kept changing while you saved (another edit was being "
                            "saved at the same moment); check the current version and save again.", status=403)


def _current_version(submission: Submission) -> SubmissionVersion:
    fresh = Submission.objects.select_related("current_version").filter(pk=submission.pk).first()
    if fresh is None:
        raise SubmissionRefused("This submission no longer exists.", status=403)
    return fresh.current_version


def _save_edit(*, submission: Submission, user, data: SubmissionData, checked: CheckedZip,
               base: SubmissionVersion) -> SubmissionVersion | None:
    """Save the version, or None when a kept zip is no longer the current one (try again). An edit saved meanwhile
    that kept the same zip does not count: the fields were checked against that very zip."""
    try:
        with transaction.atomic():
            locked = Submission.objects.select_for_update().filter(pk=submission.pk).first()
            if locked is None:
                raise SubmissionRefused("This submission no longer exists.", status=403)
            if checked.kept and locked.current_version_id != base.pk and not SubmissionVersion.objects.filter(
                    pk=locked.current_version_id, zip_file=base.zip_file.name, zip_sha256=base.zip_sha256).exists():
                return None  # another edit changed the zip meanwhile: check the fields against the new one
            return _add_version(submission=locked, user=user, data=data, checked=checked)
    except IntegrityError:  # the same name was taken between the check and the update
        raise _task_name_taken(data.task_name) from None


def reopen_edits(*, submission: Submission, until) -> None:
    """An organizer accepts edits to one submission after its round's deadline, until `until`."""
    submission.edits_reopened_until = until
    submission.save(update_fields=["edits_reopened_until", "updated_at"])


def sweep_orphan_uploads(*, now=None) -> list[str]:
    """Remove stored zips that no version points to and that are older than UPLOAD_ORPHAN_MAX_AGE
    (left by a crash between storing and saving). Returns the names removed."""
    now = now or timezone.now()
    removed = []
    for name in uploads.stored_zips_older_than(now - settings.UPLOAD_ORPHAN_MAX_AGE):
        if not SubmissionVersion.objects.filter(zip_file=name).exists():
            uploads.discard_zip(name)
            removed.append(name)
    if removed:
        logger.info("Removed %d stored zip(s) that no version points to: %s", len(removed), ", ".join(removed))
    return removed
