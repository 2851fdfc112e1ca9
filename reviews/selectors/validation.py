"""The human validation of labels: who may see which validation, what a validator reads of an example, and the
agreement of a task's labels with the validators' answers (the statistics: reviews/agreement.py).

- a validation and its answers: organizers (`validation_detail`, every answer with each validator's username),
  and the task's assigned reviewers while no conflict stands (`validation_for_assignment`: the agreement and the
  examples that disagree, validators as "Validator N"); contestants and anyone else: nothing;
- a validator's identity: `validator_label` (organizers see usernames; everyone else "Validator N"; the
  validator themself "(you)");
- what a validator reads: `validator_seats` (their validations) and `next_example` (one example at a time: the
  prompt, a completion for sequence_prob, the choices; redacted of the authors as a reviewer's reading is;
  never the label, the authors or anyone else's answer), through `get_seat_for`;
- the agreement of a submission, for any page: `agreement_of` and `agreement_of_each` (numbers that name
  nobody; the caller shows them where it shows the task).

Each read of many objects takes a fixed number of queries, whatever their number.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404

from portal.models import Contest, Submission
from portal.roles import ORGANIZER, role_of

from .. import agreement as stats
from ..models import Assignment, LabelValidation, ValidationAnswer, ValidationExample, Validator
from ..redaction import Redactor
from .anonymity import redactor_of
from .assignments import ids_and_filter, people_of_each
from .rounds import review_settings_of_each

# --- the agreement of a task's labels ------------------------------------------------------------------------


@dataclass
class ValidationSummary:
    """A validation and the agreement of its answers so far (`agreement.complete`: every example has the answers
    it needs)."""

    validation: LabelValidation
    examples: int  # sampled
    validators: int  # named
    given: int  # examples given to validators (answered, skipped or waiting)
    agreement: stats.Agreement

    @property
    def version_number(self) -> int:
        return self.validation.version.number


def _rows_of(validation_ids: list[int]) -> tuple[dict[int, list[dict]], dict[int, list[dict]]]:
    """Validation id -> its examples (id, position, label), and example id -> its answers (two queries)."""
    examples: dict[int, list[dict]] = {pk: [] for pk in validation_ids}
    for row in (ValidationExample.objects.filter(validation_id__in=validation_ids).order_by("position")
                .values("id", "validation_id", "position", "label")):
        examples[row["validation_id"]].append(row)
    answers: dict[int, list[dict]] = {}
    for row in (ValidationAnswer.objects.filter(example__validation_id__in=validation_ids)
                .values("example_id", "validator_id", "choice", "skip_reason", "answered_at")):
        answers.setdefault(row["example_id"], []).append(row)
    return examples, answers


def _example_answers(example: dict, answers: list[dict]) -> stats.ExampleAnswers:
    return stats.ExampleAnswers(label=example["label"],
                                choices=tuple(a["choice"] for a in answers if a["choice"] is not None),
                                skips=sum(1 for a in answers if a["skip_reason"]))


def summaries_of(validations: list[LabelValidation]) -> dict[int, ValidationSummary]:
    """Validation id -> its summary, for any number of validations in three queries."""
    ids = [v.pk for v in validations]
    if not ids:
        return {}
    examples, answers = _rows_of(ids)
    named: dict[int, int] = dict.fromkeys(ids, 0)
    for validation_id in Validator.objects.filter(validation_id__in=ids).values_list("validation_id", flat=True):
        named[validation_id] += 1
    out = {}
    for v in validations:
        rows = examples[v.pk]
        out[v.pk] = ValidationSummary(
            validation=v, examples=len(rows), validators=named[v.pk],
            given=sum(len(answers.get(e["id"], [])) for e in rows),
            agreement=stats.agreement([_example_answers(e, answers.get(e["id"], [])) for e in rows],
                                      needed=v.answers_per_example))
    return out


def latest_validations_of_each(submissions: Iterable[Submission] | QuerySet[Submission],
                               ) -> dict[int, LabelValidation | None]:
    """Submission id -> its latest validation (the one started last), or None; one query (two for a QuerySet:
    assignments.ids_and_filter)."""
    ids, selected = ids_and_filter(submissions)
    latest: dict[int, LabelValidation | None] = dict.fromkeys(ids)
    for v in (LabelValidation.objects.filter(submission_id__in=selected).select_related("version")
              .order_by("submission_id", "-started_at", "-pk")):
        if latest[v.submission_id] is None:
            latest[v.submission_id] = v
    return latest


def agreement_of_each(submissions: Iterable[Submission] | QuerySet[Submission]) -> dict[int, ValidationSummary | None]:
    """Submission id -> the summary of its latest validation (agreement with its Wilson interval, human agreement
    by majority, ties, the version validated, how many examples and validators), or None where no validation was
    started; four queries for any number of submissions.

    No visibility rule: these numbers name nobody (no validator, no author). The caller shows them where it shows
    the task: the organizers' pages, the reviewers of the task, the public page of an announced round. An
    unfinished validation is returned as it stands; `summary.agreement.complete` says whether every example has
    its answers, and a public page should show only a complete one (or say it is not)."""
    latest = latest_validations_of_each(submissions)
    summaries = summaries_of([v for v in latest.values() if v is not None])
    return {pk: summaries[v.pk] if v is not None else None for pk, v in latest.items()}


def agreement_of(submission: Submission) -> ValidationSummary | None:
    """The summary of the submission's latest validation, or None (agreement_of_each for one submission)."""
    return agreement_of_each([submission])[submission.pk]


def validations_of_contest(contest: Contest) -> dict[int, ValidationSummary | None]:
    """Submission id -> agreement_of for every submission of the contest that has a version."""
    return agreement_of_each(Submission.objects.filter(contest=contest, current_version__isnull=False))


# --- who may see a validation, and the validators' names ------------------------------------------------------


def numbered_validator(number: int) -> str:
    """What everyone but organizers calls a validator: "Validator N", numbered per validation."""
    return f"Validator {number}"


def validator_label(*, viewer, seat: Validator) -> str:
    """How a validator is named to `viewer`: "Validator N", with the username for organizers and "(you)" for the
    validator themself."""
    label = numbered_validator(seat.number)
    if seat.user_id == getattr(viewer, "pk", None):
        return f"{label} (you)"
    if role_of(viewer) == ORGANIZER:
        return f"{label} ({seat.user.username})"
    return label


def get_validation_for(*, user, pk: int) -> LabelValidation:
    """The validation if this user may open its page (organizers); otherwise 404."""
    if role_of(user) != ORGANIZER:
        raise Http404("No such validation.")
    found = (LabelValidation.objects.filter(pk=pk)
             .select_related("submission__contest", "submission__round", "version", "started_by").first())
    if found is None:
        raise Http404("No such validation.")
    return found


@dataclass
class ShownAnswer:
    label: str  # the validator as the viewer may name them
    choice: int | None
    choice_text: str | None
    skip_reason: str  # its display text; "" when not skipped
    skip_note: str
    answered: bool


@dataclass
class ExampleRow:
    example: ValidationExample
    prompt: str  # redacted for readers who may not know the authors
    completion: str
    choices: list[str]
    answers: list[ShownAnswer]
    counts: list[int]  # answers per choice
    majority: int | None
    disagrees: bool  # some answer differs from the label


@dataclass
class SeatRow:
    seat: Validator
    label: str
    given: int
    answered: int
    skipped: int


@dataclass
class ValidationDetail:
    summary: ValidationSummary
    rows: list[ExampleRow] = field(default_factory=list)
    seats: list[SeatRow] = field(default_factory=list)

    @property
    def disagreeing(self) -> list[ExampleRow]:
        return [row for row in self.rows if row.disagrees]


SKIP_TEXT = dict(ValidationAnswer.SKIP_REASONS)


def _detail(validation: LabelValidation, *, viewer, redactor: Redactor | None) -> ValidationDetail:
    seats = list(Validator.objects.filter(validation=validation).select_related("user").order_by("number"))
    labels = {s.pk: validator_label(viewer=viewer, seat=s) for s in seats}
    examples = list(ValidationExample.objects.filter(validation=validation).order_by("position"))
    answers: dict[int, list[ValidationAnswer]] = {e.pk: [] for e in examples}
    for a in ValidationAnswer.objects.filter(example__validation=validation).order_by("validator__number"):
        answers[a.example_id].append(a)
    text = redactor.text if redactor is not None else (lambda value: value)
    rows = []
    for e in examples:
        mine = answers[e.pk]
        choices = [text(c) for c in e.choices]
        made = [a.choice for a in mine if a.choice is not None]
        rows.append(ExampleRow(
            example=e, prompt=text(e.prompt), completion=text(e.completion), choices=choices,
            answers=[ShownAnswer(label=labels[a.validator_id], choice=a.choice,
                                 choice_text=choices[a.choice] if a.choice is not None else None,
                                 skip_reason=SKIP_TEXT.get(a.skip_reason, ""), skip_note=text(a.skip_note),
                                 answered=a.answered_at is not None) for a in mine],
            counts=[made.count(i) for i in range(len(choices))], majority=stats.majority(made),
            disagrees=any(c != e.label for c in made)))
    seat_rows = []
    for s in seats:
        theirs = [a for e in examples for a in answers[e.pk] if a.validator_id == s.pk]
        seat_rows.append(SeatRow(seat=s, label=labels[s.pk], given=len(theirs),
                                 answered=sum(a.choice is not None for a in theirs),
                                 skipped=sum(bool(a.skip_reason) for a in theirs)))
    summary = ValidationSummary(
        validation=validation, examples=len(examples), validators=len(seats), given=sum(map(len, answers.values())),
        agreement=stats.agreement([stats.ExampleAnswers(e.label, tuple(a.choice for a in answers[e.pk]
                                                                       if a.choice is not None),
                                                        sum(bool(a.skip_reason) for a in answers[e.pk]))
                                   for e in examples], needed=validation.answers_per_example))
    return ValidationDetail(summary=summary, rows=rows, seats=seat_rows)


def validation_detail(validation: LabelValidation, *, viewer) -> ValidationDetail:
    """Everything of a validation, for an organizer (get_validation_for): every example with its label and file,
    every answer with its validator's username, each validator's progress; four queries."""
    return _detail(validation, viewer=viewer, redactor=None)


def validation_for_assignment(assignment: Assignment, *, viewer) -> ValidationDetail | None:
    """The latest validation of the assignment's submission, for a reader of the assignment (its reviewer while no
    conflict stands, or an organizer: the caller got it through get_assignment_for): the agreement and every
    example with its label, the answers with the validators as "Validator N" (usernames for organizers), the
    texts redacted of the authors for a reviewer. None while no validation was started."""
    submission = assignment.submission
    validation = latest_validations_of_each([submission])[submission.pk]
    if validation is None:
        return None
    redactor = None if role_of(viewer) == ORGANIZER else redactor_of(people_of_each([submission])[submission.pk])
    return _detail(validation, viewer=viewer, redactor=redactor)


# --- what a validator reads ----------------------------------------------------------------------------------


def _seats() -> object:
    return Validator.objects.select_related("validation__submission__contest", "validation__version", "user")


def validator_seats(user) -> list[SeatRow]:
    """The validations this user is named to, each with their own progress (given, answered, skipped); two
    queries."""
    seats = list(_seats().filter(user=user).order_by("-validation__started_at", "pk"))
    counts: dict[int, list[int]] = {s.pk: [0, 0, 0] for s in seats}
    for validator_id, choice, skip in ValidationAnswer.objects.filter(validator__user=user).values_list(
            "validator_id", "choice", "skip_reason"):
        counts[validator_id][0] += 1
        counts[validator_id][1] += choice is not None
        counts[validator_id][2] += bool(skip)
    return [SeatRow(seat=s, label=numbered_validator(s.number), given=counts[s.pk][0], answered=counts[s.pk][1],
                    skipped=counts[s.pk][2]) for s in seats]


def get_seat_for(*, user, pk: int) -> Validator:
    """The user's own place on a validation; 404 for anyone else (organizers too: they read the validation)."""
    found = _seats().filter(pk=pk, user_id=getattr(user, "pk", None)).first()
    if found is None:
        raise Http404("No such validation.")
    return found


def task_labels(seats: Iterable[Validator]) -> dict[int, str]:
    """Validation id -> what a validator calls the task: its name redacted of the authors where the contest shows
    reviewers task names, otherwise "Validation <id>" (two queries for any number)."""
    validations = {s.validation_id: s.validation for s in seats}
    settings = review_settings_of_each(v.submission.contest_id for v in validations.values())
    named = [v.submission for v in validations.values() if settings[v.submission.contest_id].reviewers_see_task_name]
    people = people_of_each(named)
    return {pk: redactor_of(people[v.submission_id]).text(v.version.task_name) if v.submission_id in people
            else f"Validation {pk}" for pk, v in validations.items()}


@dataclass
class ShownExample:
    """One example as its validator reads it: never the label, the file, the authors or another answer."""

    answer_id: int  # the waiting answer this example fills
    number: int  # 1, 2, ... among the examples given to this validator
    of: int  # how many were given to them
    metric: str
    prompt: str
    completion: str
    choices: list[str]


def next_example(seat: Validator) -> ShownExample | None:
    """The validator's next example (the first given to them, in the sample's order, not answered yet), or None
    when they have answered all they were given; redacted of the authors (two queries, and one for the
    authors)."""
    mine = list(ValidationAnswer.objects.filter(validator=seat).select_related("example").order_by("example__position"))
    waiting = [(i, a) for i, a in enumerate(mine, start=1) if a.answered_at is None]
    if not waiting:
        return None
    number, answer = waiting[0]
    submission = seat.validation.submission
    redactor = redactor_of(people_of_each([submission])[submission.pk])
    example = answer.example
    return ShownExample(answer_id=answer.pk, number=number, of=len(mine), metric=seat.validation.version.metric,
                        prompt=redactor.text(example.prompt), completion=redactor.text(example.completion),
                        choices=[redactor.text(c) for c in example.choices])
