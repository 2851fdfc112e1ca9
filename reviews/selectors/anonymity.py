"""What a reviewer may read of a submission, and nothing that names its authors.

`anonymous_submission` (the description and a preview of the files), `anonymised_zip` (task.zip) and
`results_for_assignment` (the evaluation's results on every series) all go through `redactor_for`: every
author's name, email and affiliation and the owner's username are removed (reviews/redaction.py), and files
take anonymous names (task.csv, task-PART<n>.csv, task-CONTROL<n>.csv: reviews/taskzip.py).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from evaluation import selectors as evaluation_selectors
from portal.models import Submission, SubmissionVersion

from .. import conflicts, suggestions, taskzip
from ..models import Assignment
from ..redaction import Redactor
from .assignments import People, people_of, people_of_each
from .rounds import review_settings, review_settings_of_each

PREVIEW_ROWS = 3


# The description fields a reviewer reads (redacted). The two link fields are left out: they point
# to the authors' own repositories as a rule, which no redaction of names can anonymise.
REVIEWER_FIELDS = ("what_it_tests", "correct_behaviour", "why_it_matters", "data_generation",
                   "persists_few_shot", "persists_finetuning", "persists_rlhf")


def redactor_of(people: People) -> Redactor:
    """What removes these people from a text or a file (public mail domains stay: they name nobody)."""
    return Redactor.for_people(names=people.names, emails=people.emails, usernames=people.usernames,
                               affiliations=people.affiliations, public_domains=conflicts.PUBLIC_MAIL_DOMAINS)


def redactor_for(submission: Submission) -> Redactor:
    return redactor_of(people_of(submission))


@dataclass
class AnonymousSubmission:
    label: str
    task_name: str | None
    metric: str
    shot_setting: str
    has_control_data: bool
    fields: list[tuple[str, str, str]]  # (key, label, redacted text)
    files: list[dict]  # anonymous name, kind, index, rows, columns, preview (redacted rows)


def _label(submission: Submission, *, shows_name: bool, redactor: Redactor | None) -> str:
    if shows_name:
        return (redactor or redactor_for(submission)).text(submission.task_name)
    return f"Submission {submission.number}"


def submission_label(assignment: Assignment, redactor: Redactor | None = None) -> str:
    """What a reviewer calls the submission: its task name (redacted) if the contest allows it, else its number
    in the contest ("Submission 3"; never the id, which would tell how many submissions came before)."""
    submission = assignment.submission
    return _label(submission, shows_name=review_settings(submission.contest).reviewers_see_task_name,
                  redactor=redactor)


def submission_labels(assignments: Iterable[Assignment]) -> dict[int, str]:
    """Submission id -> submission_label, for any number of assignments in two queries (the contests'
    settings; the authors of the submissions whose contest shows task names)."""
    submissions = {a.submission_id: a.submission for a in assignments}
    settings = review_settings_of_each(s.contest_id for s in submissions.values())
    named = [s for s in submissions.values() if settings[s.contest_id].reviewers_see_task_name]
    redactors = {pk: redactor_of(people) for pk, people in people_of_each(named).items()}
    return {pk: _label(s, shows_name=pk in redactors, redactor=redactors.get(pk)) for pk, s in submissions.items()}


def anonymous_submission(assignment: Assignment, *, preview: bool = False) -> AnonymousSubmission:
    """The submission's current version as a reviewer may read it; with `preview`, a few redacted rows."""
    submission = assignment.submission
    version: SubmissionVersion = submission.current_version
    redactor = redactor_for(submission)
    shows_name = review_settings(submission.contest).reviewers_see_task_name
    files = [{"name": taskzip.anonymous_name(f), "kind": f["kind"], "index": f["index"], "rows": f["rows"],
              "columns": list(f["columns"])} for f in version.files]
    if preview:
        with version.zip_file.open("rb") as stored:
            members = taskzip.anonymised_members(stored, version.files, redactor.csv_bytes)
        for file, (_, data) in zip(files, members):
            file["preview"] = pd.read_csv(io.BytesIO(data), nrows=PREVIEW_ROWS, dtype=str,
                                          keep_default_na=False).to_dict("records")
    return AnonymousSubmission(
        label=_label(submission, shows_name=shows_name, redactor=redactor),
        task_name=redactor.text(version.task_name) if shows_name else None,
        metric=version.metric, shot_setting=version.shot_setting, has_control_data=version.has_control_data,
        fields=[(name, str(SubmissionVersion._meta.get_field(name).verbose_name), redactor.text(getattr(version, name)))
                for name in REVIEWER_FIELDS],
        files=files)


def anonymised_zip(assignment: Assignment) -> bytes:
    """The current version's CSVs, redacted, as task.csv / task-PART<n>.csv / task-CONTROL<n>.csv."""
    version = assignment.submission.current_version
    redactor = redactor_for(assignment.submission)
    with version.zip_file.open("rb") as stored:
        members = taskzip.anonymised_members(stored, version.files, redactor.csv_bytes)
    buffer = io.BytesIO()
    taskzip.write_zip(buffer, members)
    return buffer.getvalue()


@dataclass
class ReviewerResults:
    """The results of the submission's current version on every series, files under anonymous names, and
    the suggested Strength and Generality levels ({} while no series has a trend)."""

    results: evaluation_selectors.SubmissionResults
    suggestions: dict[str, suggestions.Suggestion]


def results_for_assignment(assignment: Assignment) -> ReviewerResults:
    """What the evaluation found, for a reader of this assignment (the caller got it through
    get_assignment_for or assignments_visible_to: its reviewer while no conflict stands, or an organizer).

    Every series, public and private: the reviewers judge generality on the private models. The
    evaluation's own rule (visible_series) is for contestants and is not asked here.
    """
    submission = assignment.submission
    results = evaluation_selectors.results_on_every_series(version=submission.current_version)
    anonymous = anonymised_results(results, redactor_for(submission))
    return ReviewerResults(results=anonymous, suggestions=suggestions.suggest(evaluation_selectors.task_trends(anonymous.task)))


def anonymised_results(results: evaluation_selectors.SubmissionResults,
                       redactor: Redactor) -> evaluation_selectors.SubmissionResults:
    """The same results with each file (few-shot variants and their sources too) under its anonymous name,
    without its sha256 (the hash of the file as uploaded would confirm a guess of its source), and the
    eligibility reason (an organizer's words when overridden) redacted."""
    files = [dataclasses.replace(
        f, name=taskzip.anonymous_name({"kind": f.kind, "index": f.index, "shots": f.shots}), sha256="",
        source=taskzip.anonymous_name({"kind": f.kind, "index": f.index}) if f.source else None)
        for f in results.files]
    verdict = dataclasses.replace(results.verdict, eligibility_reason=redactor.text(results.verdict.eligibility_reason))
    return dataclasses.replace(results, files=files, verdict=verdict)

