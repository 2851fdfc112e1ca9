"""What writes in the human validation of labels: an organizer starts a validation of a task (or of every eligible
task of a round) and names its validators; a validator answers or skips the examples given to them.

The sample and who answers what are plain rules (reviews/sampling.py), the agreement too (reviews/agreement.py).
As in services.py, each function checks who acts and validates everything before it stores anything, records
starts and namings in the audit log, and raises ReviewsRefused (or a subclass) with the message the page shows.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from evaluation import selectors as evaluation_selectors
from evaluation.engine.taskfile import read_task_csv
from evaluation.engine.types import TaskFile
from portal.deadlines import format_aoe
from portal.models import Round, Submission, SubmissionVersion
from portal.roles import REVIEWER, VALIDATOR, role_of

from . import sampling, selectors, taskzip
from .models import LabelValidation, ValidationAnswer, ValidationExample, Validator
from .selectors import validation as validation_selectors
from .services import ConflictRefused, NotAllowed, ReviewsRefused, _require_organizer, audit

DEFAULT_SAMPLE = 50
MAX_SAMPLE = 1000
MIN_ANSWERS, MAX_ANSWERS = 2, 10
SKIP_NOTE_MAX = 500


@dataclass(frozen=True)
class Settings:
    """How a validation samples: N examples, the seed, the answers each example needs."""

    sample_size: int = DEFAULT_SAMPLE
    seed: int = 0
    answers_per_example: int = MIN_ANSWERS


def _check_settings(settings: Settings) -> None:
    if not 1 <= settings.sample_size <= MAX_SAMPLE:
        raise ReviewsRefused(f"Sample between 1 and {MAX_SAMPLE} examples.", field="sample_size")
    if settings.seed < 0:
        raise ReviewsRefused("The seed is a whole number, 0 or more.", field="seed")
    if not MIN_ANSWERS <= settings.answers_per_example <= MAX_ANSWERS:
        raise ReviewsRefused(f"Each example needs between {MIN_ANSWERS} and {MAX_ANSWERS} validators' answers.",
                             field="answers_per_example")


def _task_files(version: SubmissionVersion) -> list[TaskFile]:
    """The version's non-control files as the engine reads them (exactly as the upload was validated)."""
    listed = [f for f in version.files if f["kind"] != "control"]
    try:
        with version.zip_file.open("rb") as stored:
            found = taskzip.read_csvs(stored, listed)
    except (OSError, zipfile.BadZipFile, taskzip.DamagedZip) as exc:
        raise ReviewsRefused(f"The stored zip of {version.task_name} (version {version.number}) could not be read: "
                             f"{exc}", status=500) from exc
    files = []
    for file, data in found:
        task_file, errors, _ = read_task_csv(file["name"], data, metric=version.metric, kind=file["kind"],
                                             index=file["index"])
        if task_file is None or errors:
            raise ReviewsRefused(f"{file['name']} of {version.task_name} no longer reads as a valid file.", status=500)
        files.append(task_file)
    return files


def start_validation(*, submission: Submission, by, settings: Settings = Settings()) -> LabelValidation:
    """Sample the current version's non-control files (sampling.sample) and store the examples, each with what a
    validator is shown and its label. One validation per version."""
    _require_organizer(by, "start a validation of labels")
    _check_settings(settings)
    version = submission.current_version
    if version is None:
        raise ReviewsRefused(f"{submission.task_name} has no valid version to validate.", field="submission")
    existing = LabelValidation.objects.filter(submission=submission, version=version).first()
    if existing is not None:
        raise ConflictRefused(f"The labels of {version.task_name} (version {version.number}) are being validated "
                              f"since {format_aoe(existing.started_at)}; a version is validated once.")
    drawn, population = sampling.sample(_task_files(version), size=settings.sample_size, seed=settings.seed)
    if not drawn:
        raise ReviewsRefused(f"{version.task_name} has no example outside its control files to validate.")
    try:
        with transaction.atomic():
            validation = LabelValidation.objects.create(
                submission=submission, version=version, sample_size=settings.sample_size, population=population,
                seed=settings.seed, answers_per_example=settings.answers_per_example, started_by=by)
            ValidationExample.objects.bulk_create(
                ValidationExample(validation=validation, position=i, file_name=s.file_name, file_kind=s.file_kind,
                                  file_index=s.file_index, row=s.row, line=s.line, prompt=s.shown.prompt,
                                  completion=s.shown.completion, choices=list(s.shown.choices), label=s.shown.label)
                for i, s in enumerate(drawn, start=1))
            audit(actor=by, action="validation_started", contest=submission.contest, submission=submission,
                  message=f"Started the validation of the labels of {version.task_name} (version {version.number}): "
                          f"{len(drawn)} of {population} examples (seed {settings.seed}), "
                          f"{settings.answers_per_example} answers each.",
                  validation=validation.pk, sample_size=settings.sample_size, examples=len(drawn),
                  population=population, seed=settings.seed, answers_per_example=settings.answers_per_example)
    except IntegrityError:  # the same version started at the same moment
        raise ConflictRefused(f"The labels of {version.task_name} (version {version.number}) are being validated "
                              "already; a version is validated once.") from None
    return validation


@dataclass
class RoundStarted:
    started: list[LabelValidation] = field(default_factory=list)
    left: dict[str, str] = field(default_factory=dict)  # task name -> why no validation was started


def start_round_validations(*, round: Round, by, settings: Settings = Settings()) -> RoundStarted:
    """Start a validation for every task of the round that the evaluation finds eligible (the rules' evaluation
    eligibility, an organizer's override included) and whose current version has none; say why each other task
    was left."""
    _require_organizer(by, "start a validation of labels")
    _check_settings(settings)
    result = RoundStarted()
    submissions = (Submission.objects.filter(round=round, current_version__isnull=False)
                   .select_related("contest", "current_version").order_by("task_name"))
    validated = set(LabelValidation.objects.filter(submission__round=round).values_list("version_id", flat=True))
    for submission in submissions:
        name = submission.task_name
        if submission.current_version_id in validated:
            result.left[name] = f"version {submission.current_version.number} is being validated already"
            continue
        verdict = evaluation_selectors.results_on_every_series(version=submission.current_version).verdict
        if verdict.eligible is not True:
            result.left[name] = ("not eligible: " if verdict.eligible is False else "") + verdict.eligibility_reason
            continue
        try:
            result.started.append(start_validation(submission=submission, by=by, settings=settings))
        except ReviewsRefused as refused:
            result.left[name] = refused.message
    return result


# --- validators -------------------------------------------------------------------------------------------------


def _check_validator(*, validation: LabelValidation, user) -> None:
    submission = validation.submission
    if role_of(user) not in (REVIEWER, VALIDATOR):
        raise ReviewsRefused(f"{user.username} is neither a reviewer nor a validator account; make a validator "
                             "account with `manage.py create_account NAME --role validator`.", field="validators")
    if submission.owner_id == user.pk:
        raise ReviewsRefused(f"{user.username} owns {submission.task_name}.", field="validators")
    if any(a.reviewer_id == user.pk for a in selectors.active_assignments_of(submission)):
        raise ReviewsRefused(f"{user.username} reviews {submission.task_name} and has read its labels; name a "
                             "validator who has not.", field="validators")
    reason = selectors.conflict_reason(user, submission)
    if reason is not None:
        raise ConflictRefused(f"No validation across a conflict of interest: {reason}")


def _give(validation: LabelValidation) -> dict[int, int]:
    """Give the examples that lack answers to validators (sampling.plan); returns validator id -> examples given."""
    seats = list(Validator.objects.filter(validation=validation).order_by("number"))
    examples = list(ValidationExample.objects.filter(validation=validation).order_by("position"))
    rows: dict[int, list[tuple]] = {e.pk: [] for e in examples}
    for row in ValidationAnswer.objects.filter(example__validation=validation).values_list(
            "example_id", "validator_id", "choice", "answered_at"):
        rows[row[0]].append(row)
    number_of = {s.pk: s.number for s in seats}
    state = {}
    for e in examples:
        mine = rows[e.pk]
        state[e.position] = sampling.Given(answered=sum(r[2] is not None for r in mine),
                                           waiting=sum(r[3] is None for r in mine),
                                           validators=frozenset(number_of[r[1]] for r in mine))
    planned = sampling.plan(examples=state, validators=[s.number for s in seats],
                            per_example=validation.answers_per_example)
    by_position = {e.position: e for e in examples}
    by_number = {s.number: s for s in seats}
    ValidationAnswer.objects.bulk_create(ValidationAnswer(example=by_position[p], validator=by_number[n])
                                         for p, n in planned.given)
    given: dict[int, int] = {}
    for _, n in planned.given:
        given[by_number[n].pk] = given.get(by_number[n].pk, 0) + 1
    return given


def name_validators(*, validation: LabelValidation, users: list, by) -> list[Validator]:
    """Name validators (reviewer or validator accounts; not the owner, not a reviewer of the task, not across a
    conflict of interest), numbered after those named before, and give them the examples that lack answers."""
    _require_organizer(by, "name validators")
    if not users:
        raise ReviewsRefused("Choose at least one validator.", field="validators")
    for user in users:
        _check_validator(validation=validation, user=user)
    task = validation.version.task_name
    with transaction.atomic():
        LabelValidation.objects.select_for_update().filter(pk=validation.pk).first()  # one naming at a time
        named = set(Validator.objects.filter(validation=validation).values_list("user_id", flat=True))
        again = [u.username for u in users if u.pk in named]
        if again:
            raise ConflictRefused(f"{', '.join(again)} {'is' if len(again) == 1 else 'are'} named to this validation "
                                  "already.")
        number = Validator.objects.filter(validation=validation).aggregate(n=Max("number"))["n"] or 0
        seats = [Validator.objects.create(validation=validation, user=user, number=number + i, named_by=by)
                 for i, user in enumerate(users, start=1)]
        given = _give(validation)
        said = ", ".join(f"{s.user.username} ({validation_selectors.numbered_validator(s.number)}, "
                         f"{given.get(s.pk, 0)} examples)" for s in seats)
        short = _short_note(validation)
        audit(actor=by, action="validators_named", contest=validation.submission.contest,
              submission=validation.submission,
              message=f"Named to the validation of {task}: {said}.{short}",
              validation=validation.pk, validators={s.user.username: s.number for s in seats},
              given={s.user.username: given.get(s.pk, 0) for s in seats})
    return seats


@dataclass
class RoundNamed:
    named: dict[str, list[Validator]] = field(default_factory=dict)  # task name -> the validators named to it
    left: dict[str, str] = field(default_factory=dict)  # task name -> why none of them was named to it


def name_validators_in_round(*, round: Round, users: list, by) -> RoundNamed:
    """Name these validators to the latest validation of every task of the round, each where they may validate
    (not its owner, not its reviewer, not across a conflict) and are not named already; say why for each task
    none of them was named to."""
    _require_organizer(by, "name validators")
    if not users:
        raise ReviewsRefused("Choose at least one validator.", field="validators")
    result = RoundNamed()
    submissions = list(Submission.objects.filter(round=round).order_by("task_name"))
    latest = validation_selectors.latest_validations_of_each(submissions)
    for submission in submissions:
        found = latest[submission.pk]
        if found is None:
            continue
        named = set(Validator.objects.filter(validation=found).values_list("user_id", flat=True))
        fitting, why = [], []
        for user in users:
            if user.pk in named:
                why.append(f"{user.username} is named already")
                continue
            try:
                _check_validator(validation=found, user=user)
            except ReviewsRefused as refused:
                why.append(refused.message)
            else:
                fitting.append(user)
        if fitting:
            result.named[submission.task_name] = name_validators(validation=found, users=fitting, by=by)
        else:
            result.left[submission.task_name] = " ".join(why)
    return result


def _short_note(validation: LabelValidation) -> str:
    short = _examples_short_of_validators(validation)
    return (f" {short} example{'s' if short != 1 else ''} still lack{'s' if short == 1 else ''} a validator; name "
            "more." if short else "")


def _examples_short_of_validators(validation: LabelValidation) -> int:
    """Examples whose answers and waiting validators stay below what they need."""
    need = validation.answers_per_example
    counts: dict[int, int] = {}
    for example_id in (ValidationAnswer.objects.filter(example__validation=validation, skip_reason="")
                       .values_list("example_id", flat=True)):
        counts[example_id] = counts.get(example_id, 0) + 1
    examples = ValidationExample.objects.filter(validation=validation).values_list("pk", flat=True)
    return sum(1 for pk in examples if counts.get(pk, 0) < need)


# --- answers ------------------------------------------------------------------------------------------------------


def answer(*, seat: Validator, user, answer_id: int, choice: int | None = None, skip_reason: str = "",
           skip_note: str = "") -> ValidationAnswer:
    """The validator answers the example given to them (`answer_id`): a choice, or a skip with its reason ("other"
    needs a note). An answer is final. A skip gives the example to one more validator, when one is named who has not
    had it."""
    if seat.user_id != user.pk:
        raise NotAllowed("Only the validator given this example answers it.")
    skip_note = skip_note.strip()
    if (choice is None) == (not skip_reason):
        raise ReviewsRefused("Choose an answer, or skip the example with a reason.", field="choice")
    if skip_reason and skip_reason not in dict(ValidationAnswer.SKIP_REASONS):
        raise ReviewsRefused(f"Skip with one of the reasons: {', '.join(t for _, t in ValidationAnswer.SKIP_REASONS)}.",
                             field="skip_reason")
    if skip_reason == ValidationAnswer.OTHER and not skip_note:
        raise ReviewsRefused("Say why you skip this example.", field="skip_note")
    if len(skip_note) > SKIP_NOTE_MAX:
        raise ReviewsRefused(f"Shorten the note to {SKIP_NOTE_MAX} characters.", field="skip_note")
    with transaction.atomic():
        LabelValidation.objects.select_for_update().filter(pk=seat.validation_id).first()  # one plan at a time
        given = (ValidationAnswer.objects.select_for_update().select_related("example")
                 .filter(pk=answer_id, validator=seat).first())
        if given is None:
            raise ReviewsRefused("This example is not one given to you.", status=404)
        if given.answered_at is not None:
            raise ConflictRefused("You answered this example already; an answer is final.")
        if choice is not None and not 0 <= choice < len(given.example.choices):
            raise ReviewsRefused(f"Choose one of the {len(given.example.choices)} answers.", field="choice")
        given.choice, given.skip_reason = choice, skip_reason
        given.skip_note = skip_note if skip_reason else ""
        given.answered_at = timezone.now()
        given.save(update_fields=["choice", "skip_reason", "skip_note", "answered_at"])
        if skip_reason:
            _give(seat.validation)
    return given
