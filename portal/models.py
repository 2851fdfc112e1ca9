"""Contests, rounds, submissions and their versions.

Rules (who may do what, when) live in services.py and selectors.py; these are the records.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from rest_framework.authtoken.models import TokenProxy

from evaluation.engine.metrics import METRICS

from .roles import CONTESTANT, ROLE_CHOICES

TASK_NAME_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9_-]+$",
    "Use only letters, digits, '-' and '_' in the task name (no spaces or other characters).",
)


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=16, choices=ROLE_CHOICES, default=CONTESTANT)
    email_confirmed = models.BooleanField(
        default=True, help_text="False only for an account made on the sign-up page whose email link "
                                "has not been followed yet; such an account cannot submit.")

    def __str__(self) -> str:
        return f"{self.user.username} ({self.role})"


class ApiToken(TokenProxy):
    """An API token (DRF's authtoken) as the admin shows it: named by the first characters of its key
    and its account, never the whole key (which is what logs in)."""

    KEY_SHOWN = 6

    class Meta:
        proxy = True
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.key[:self.KEY_SHOWN]}… ({self.user})"


class Contest(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Round(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100, blank=True)
    opens_at = models.DateTimeField(help_text="Stored in UTC; shown Anywhere on Earth (UTC-12).")
    closes_at = models.DateTimeField(help_text="The submission deadline, stored in UTC.")
    feedback_released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contest", "number"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "number"], name="unique_round_number"),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="round_closes_after_it_opens",
                violation_error_message="A round must close after it opens: set its deadline later "
                                        "than its opening time."),
        ]

    def __str__(self) -> str:
        return self.name or f"Round {self.number}"


class Submission(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.PROTECT, related_name="submissions")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="submissions")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="submissions")
    number = models.PositiveIntegerField(
        editable=False, help_text='The number in its contest (1, 2, ... in the order submitted): what reviewers '
                                  'and the public read as "Submission N". Never the id, which counts every '
                                  'contest\'s submissions.')
    task_name = models.CharField(max_length=100, validators=[TASK_NAME_VALIDATOR])
    current_version = models.OneToOneField(
        "SubmissionVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    edits_reopened_until = models.DateTimeField(
        null=True, blank=True,
        help_text="An organizer may accept edits after the round's deadline until this time (UTC).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(Lower("task_name"), "contest", name="unique_task_name_per_contest"),
            models.UniqueConstraint(fields=["contest", "number"], name="unique_submission_number_per_contest"),
        ]

    def __str__(self) -> str:
        return self.task_name


class SubmissionVersion(models.Model):
    """One valid state of a submission: every form field and the zip, frozen."""

    METRIC_CHOICES = [(m, m) for m in METRICS]
    SHOT_CHOICES = [("zero-shot", "Zero-shot"), ("few-shot", "Few-shot")]

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    task_name = models.CharField(max_length=100, validators=[TASK_NAME_VALIDATOR])
    metric = models.CharField(max_length=32, choices=METRIC_CHOICES)
    what_it_tests = models.TextField("What the task tests")
    correct_behaviour = models.TextField("What correct behaviour is")
    why_it_matters = models.TextField("Why it matters")
    shot_setting = models.CharField("Zero-shot or few-shot", max_length=16, choices=SHOT_CHOICES)
    data_generation = models.TextField("How the data was generated")
    dataset_sources = models.TextField("Links to dataset sources", blank=True)
    generation_code_url = models.URLField("Link to the code that generated the data", blank=True)
    has_control_data = models.BooleanField("Control data included", default=False)
    persists_few_shot = models.TextField(
        "Does inverse scaling persist with few-shot examples?", blank=True)
    persists_finetuning = models.TextField("Does inverse scaling persist after fine-tuning?", blank=True)
    persists_rlhf = models.TextField("Does inverse scaling persist on RLHF models?", blank=True)

    zip_file = models.FileField(upload_to="submissions/", max_length=255)
    zip_sha256 = models.CharField(max_length=64)
    zip_size = models.PositiveBigIntegerField()
    files = models.JSONField(default=list, help_text="The CSVs found: name, kind, index, rows, columns, sha256.")
    warnings = models.JSONField(default=list)

    class Meta:
        ordering = ["submission", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "number"], name="unique_version_number"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} v{self.number}"

    @property
    def total_examples(self) -> int:
        return sum(f["rows"] for f in self.files if f["kind"] != "control")


class Author(models.Model):
    version = models.ForeignKey(SubmissionVersion, on_delete=models.CASCADE, related_name="authors")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    email = models.EmailField()
    affiliation = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["version", "order"]
        constraints = [models.UniqueConstraint(fields=["version", "order"], name="unique_author_order")]

    def __str__(self) -> str:
        return self.name
