"""What writes the organizers' additions to a task for its authors and the public: the meta-review (a summary for
the authors and, for a winner, "why it won"), the causes (the paper's four or one an organizer names) of an
accepted task, the example chosen for a winning task's page, and the contest's release licence.

Who reads them is decided in selectors/annotations.py. As in services.py, each function checks who acts and
validates everything before it stores anything, records what it did in the audit log, and raises ReviewsRefused
(or a subclass) with the message the page shows.
"""

from __future__ import annotations

import dataclasses
import zipfile

from django.db import IntegrityError, transaction

from evaluation.engine.taskfile import read_task_csv
from portal.models import Contest, Submission

from . import licences, selectors, taskzip
from .models import Cause, CauseTag, MetaReview, PublishedExample, ReleaseSettings
from .selectors import annotations as annotation_selectors
from .services import ConflictRefused, ReviewsRefused, _require_organizer, audit

WHY_IT_WON_MAX = 1000
CAUSE_NAME_MAX = 100


# --- meta-reviews -----------------------------------------------------------------------------------------------


def write_meta_review(*, submission: Submission, by, summary: str, why_it_won: str = "") -> MetaReview:
    """Write (or rewrite) the submission's meta-review. The summary is for the authors, who read it once the round's
    feedback is released; "why it won" is for a winner only (an award decided), a few sentences for its public
    page."""
    _require_organizer(by, "write meta-reviews")
    summary, why_it_won = summary.strip(), why_it_won.strip()
    if not summary:
        raise ReviewsRefused("Write the summary for the authors.", field="summary")
    if len(why_it_won) > WHY_IT_WON_MAX:
        raise ReviewsRefused(f"Shorten \"why it won\" to {WHY_IT_WON_MAX} characters (it has {len(why_it_won)}).",
                             field="why_it_won")
    if why_it_won and not annotation_selectors.has_award(submission):
        raise ReviewsRefused(f"{submission.task_name} has no award: \"why it won\" is written for a winner only; "
                             "leave it empty.", field="why_it_won")
    with transaction.atomic():
        meta, created = MetaReview.objects.update_or_create(
            submission=submission, defaults={"summary": summary, "why_it_won": why_it_won, "written_by": by})
        audit(actor=by, action="meta_review_written", contest=submission.contest, submission=submission,
              message=f"{'Wrote' if created else 'Rewrote'} the meta-review of {submission.task_name}"
                      f"{' with why it won' if why_it_won else ''}.",
              summary=summary, why_it_won=why_it_won)
    return meta


# --- causes -------------------------------------------------------------------------------------------------------


def _cause_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise ReviewsRefused("Name the cause.", field="new_cause")
    if len(name) > CAUSE_NAME_MAX:
        raise ReviewsRefused(f"Shorten the cause's name to {CAUSE_NAME_MAX} characters.", field="new_cause")
    existing = Cause.objects.filter(name__iexact=name).first()
    if existing is not None:
        raise ConflictRefused(f"A cause named {existing.name} exists already; choose it.")
    return name


def _create_cause(*, name: str, by, description: str, contest: Contest | None) -> Cause:
    try:
        with transaction.atomic():
            cause = Cause.objects.create(name=name, description=description.strip(), created_by=by)
    except IntegrityError:  # named at the same moment
        raise ConflictRefused(f"A cause named {name} exists already; choose it.") from None
    audit(actor=by, action="cause_created", contest=contest, message=f"Named the cause {name}.", cause=name)
    return cause


def name_cause(*, name: str, by, description: str = "", contest: Contest | None = None) -> Cause:
    """A new cause, named by an organizer (the paper's four are there from the start); causes are shared by every
    contest, and the audit entry goes into the log of `contest` (the contest whose page it was named on)."""
    _require_organizer(by, "name causes")
    name = _cause_name(name)
    with transaction.atomic():
        return _create_cause(name=name, by=by, description=description, contest=contest)


def _ensure_accepted(submission: Submission, doing: str) -> None:
    if not any(s.pk == submission.pk for s, _, _ in selectors.accepted_submissions(submission.contest)):
        raise ReviewsRefused(f"{submission.task_name} is not an accepted task (no tier by its reviews, no award); "
                             f"only accepted tasks {doing}.", field="submission")


def tag_causes(*, submission: Submission, causes: list[Cause], by, new_cause: str = "") -> list[Cause]:
    """Tag an accepted task with exactly these causes, and with a new one named `new_cause` if given (name_cause);
    an empty list removes its tags."""
    _require_organizer(by, "tag causes")
    _ensure_accepted(submission, "are tagged with causes")
    new_name = _cause_name(new_cause) if new_cause.strip() else ""
    with transaction.atomic():
        wanted = {c.pk: c for c in causes}
        if new_name:
            created = _create_cause(name=new_name, by=by, description="", contest=submission.contest)
            wanted[created.pk] = created
        before = annotation_selectors.causes_of(submission)
        CauseTag.objects.filter(submission=submission).exclude(cause_id__in=list(wanted)).delete()
        had = {c.pk for c in before}
        CauseTag.objects.bulk_create(CauseTag(submission=submission, cause=c, tagged_by=by)
                                     for pk, c in wanted.items() if pk not in had)
        after = annotation_selectors.causes_of(submission)

        def names(items: list[Cause]) -> str:
            return ", ".join(c.name for c in items) or "none"
        audit(actor=by, action="causes_tagged", contest=submission.contest, submission=submission,
              message=f"{submission.task_name}: causes {names(after)} (were {names(before)}).",
              causes=[c.name for c in after], before=[c.name for c in before])
    return after


# --- the published example ----------------------------------------------------------------------------------------


def publish_example(*, submission: Submission, by, file_name: str, row: int) -> PublishedExample:
    """Choose the example a winning task's public page shows: a row (from 0, as pandas counts) of one of the
    current version's non-control files; the example is kept as the engine reads it."""
    _require_organizer(by, "choose the published example")
    _ensure_accepted(submission, "have a published example")
    version = submission.current_version
    listed = next((f for f in version.files if f["name"] == file_name and f["kind"] != "control"), None)
    if listed is None:
        names = ", ".join(f["name"] for f in version.files if f["kind"] != "control")
        raise ReviewsRefused(f"{version.task_name} has no file {file_name!r} to publish from; choose one of {names}.",
                             field="file_name")
    if not 0 <= row < listed["rows"]:
        raise ReviewsRefused(f"{file_name} has rows 0 to {listed['rows'] - 1} (counted from 0, as pandas counts).",
                             field="row")
    try:
        with version.zip_file.open("rb") as stored:
            [(_, data)] = taskzip.read_csvs(stored, [listed])
    except (OSError, zipfile.BadZipFile, taskzip.DamagedZip) as exc:
        raise ReviewsRefused(f"The stored zip of {version.task_name} could not be read: {exc}", status=500) from exc
    task_file, errors, _ = read_task_csv(file_name, data, metric=version.metric, kind=listed["kind"],
                                         index=listed["index"])
    if task_file is None or errors:
        raise ReviewsRefused(f"{file_name} of {version.task_name} no longer reads as a valid file.", status=500)
    example = task_file.examples[row]
    fields = {f.name: (list(value) if isinstance(value := getattr(example, f.name), tuple) else value)
              for f in dataclasses.fields(example) if f.name != "line"}
    with transaction.atomic():
        chosen, _ = PublishedExample.objects.update_or_create(submission=submission, defaults={
            "version": version, "file_name": file_name, "file_kind": listed["kind"], "file_index": listed["index"],
            "row": row, "line": example.line, "example": fields, "chosen_by": by})
        audit(actor=by, action="example_published", contest=submission.contest, submission=submission,
              message=f"{version.task_name}: the published example is {file_name} row {row} (line {example.line}).",
              file_name=file_name, row=row, line=example.line)
    return chosen


# --- the release licence -------------------------------------------------------------------------------------------


def choose_licence(*, contest: Contest, licence: str, by) -> ReleaseSettings:
    """The licence of the contest's public release (an SPDX id of reviews/licences.py)."""
    _require_organizer(by, "choose the release licence")
    try:
        chosen = licences.licence(licence)
    except KeyError as unknown:
        raise ReviewsRefused(unknown.args[0], field="licence") from None
    with transaction.atomic():
        settings, _ = ReleaseSettings.objects.update_or_create(contest=contest, defaults={
            "licence": chosen.spdx, "updated_by": by})
        audit(actor=by, action="licence_chosen", contest=contest,
              message=f"The release of {contest} is licensed {chosen.name} ({chosen.spdx}).", licence=chosen.spdx)
    return settings
