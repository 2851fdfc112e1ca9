"""The human validation of labels: a validation of a task's sampled examples, its validators and their blind
answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from portal.models import Submission, SubmissionVersion


class LabelValidation(models.Model):
    """A human validation of a task's labels: examples sampled with a fixed seed from the non-control files of
    one version of a submission, each to be answered blind by at least `answers_per_example` validators."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="label_validations")
    version = models.ForeignKey(SubmissionVersion, on_delete=models.CASCADE, related_name="+",
                                help_text="The version whose files were sampled.")
    sample_size = models.PositiveSmallIntegerField(
        default=50, help_text="Examples asked for; a task with fewer non-control examples gives them all.")
    population = models.PositiveIntegerField(help_text="The examples the version's non-control files hold.")
    seed = models.PositiveIntegerField(default=0, help_text="The seed of the sample, so it can be drawn again.")
    answers_per_example = models.PositiveSmallIntegerField(
        default=2, help_text="Validators who answer each example (skips excepted); at least 2.")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "version"], name="one_label_validation_per_version"),
            models.CheckConstraint(condition=models.Q(answers_per_example__gte=2), name="validation_two_answers",
                                   violation_error_message="Each example needs at least 2 validators' answers."),
            models.CheckConstraint(condition=models.Q(sample_size__gte=1), name="validation_samples_something",
                                   violation_error_message="Sample at least one example."),
        ]

    def __str__(self) -> str:
        return f"Validation of {self.version}"


class ValidationExample(models.Model):
    """One sampled example: where it is (file, row and line) and what a validator is shown (the prompt, a
    completion for sequence_prob, the choices). `label` is the index of the right choice: it is never shown
    to a validator."""

    validation = models.ForeignKey(LabelValidation, on_delete=models.CASCADE, related_name="examples")
    position = models.PositiveSmallIntegerField(help_text="1, 2, ... in the order of the sample.")
    file_name = models.CharField(max_length=255, help_text="The CSV's name as uploaded (organizers only).")
    file_kind = models.CharField(max_length=16, help_text="main or part (control files are not sampled)")
    file_index = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The N of a PART<N> file.")
    row = models.PositiveIntegerField(help_text="The example's row in its file, from 0 (pandas' index).")
    line = models.PositiveIntegerField(help_text="Its line in the CSV as an editor counts it (header = line 1).")
    prompt = models.TextField()
    completion = models.TextField(blank=True, help_text="sequence_prob: the completion to judge.")
    choices = models.JSONField(help_text="The texts a validator chooses between, in order.")
    label = models.PositiveSmallIntegerField(help_text="The index of the task's answer among the choices.")

    class Meta:
        ordering = ["validation", "position"]
        constraints = [
            models.UniqueConstraint(fields=["validation", "position"], name="unique_validation_position"),
            models.UniqueConstraint(fields=["validation", "file_name", "row"], name="unique_validation_row"),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} row {self.row}"


class Validator(models.Model):
    """A person named to a validation: a reviewer account or a validator account. Everyone but organizers (and
    the validator themself) knows them only as "Validator <number>"."""

    validation = models.ForeignKey(LabelValidation, on_delete=models.CASCADE, related_name="validators")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="validator_seats")
    number = models.PositiveSmallIntegerField(help_text='Shown to everyone else as "Validator <number>".')
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    named_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["validation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["validation", "number"], name="unique_validator_number"),
            models.UniqueConstraint(fields=["validation", "user"], name="unique_validator_per_validation"),
        ]

    def __str__(self) -> str:
        return f"{self.user} validates {self.validation}"


class ValidationAnswer(models.Model):
    """An example given to a validator, and what they answered: a choice, or a skip with its reason. Both empty
    (`answered_at` too): given, not answered yet. A skip is not an answer: it counts neither for nor against
    the label, and the example goes to another validator."""

    AMBIGUOUS, NEEDS_EXPERTISE, OTHER = "ambiguous", "needs_expertise", "other"
    SKIP_REASONS = [(AMBIGUOUS, "Ambiguous"), (NEEDS_EXPERTISE, "Needs expertise"), (OTHER, "Other")]

    example = models.ForeignKey(ValidationExample, on_delete=models.CASCADE, related_name="answers")
    validator = models.ForeignKey(Validator, on_delete=models.CASCADE, related_name="answers")
    assigned_at = models.DateTimeField(auto_now_add=True)
    choice = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The index of the choice made.")
    skip_reason = models.CharField(max_length=32, choices=SKIP_REASONS, blank=True)
    skip_note = models.TextField(blank=True, help_text="The validator's words on a skip.")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["example", "validator"]
        constraints = [
            models.UniqueConstraint(fields=["example", "validator"], name="one_answer_per_validator"),
            models.CheckConstraint(
                condition=(models.Q(answered_at__isnull=True, choice__isnull=True, skip_reason="")
                           | models.Q(answered_at__isnull=False, choice__isnull=False, skip_reason="")
                           | models.Q(answered_at__isnull=False, choice__isnull=True) & ~models.Q(skip_reason="")),
                name="answer_is_a_choice_or_a_skip",
                violation_error_message="An answer is a choice or a skip with its reason, not both."),
        ]

    def __str__(self) -> str:
        return f"{self.validator} on {self.example}"
