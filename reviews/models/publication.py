"""What the contest publishes of its outcome: meta-reviews, causes, the published example of a task, the
release's licence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from portal.models import Contest, Submission, SubmissionVersion

from .. import licences


class MetaReview(models.Model):
    """The organizers' summary of a submission's reviews, for its authors, and for a winner optionally a short
    "why it won" (the public page's). Released with the round's feedback, never before."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="meta_review")
    summary = models.TextField("Summary for the authors")
    why_it_won = models.TextField('Why it won', blank=True, help_text="A few sentences for a winner's public page.")
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Meta-review of {self.submission}"


class Cause(models.Model):
    """A kind of cause of inverse scaling: the paper's four (seeded, `from_paper`) or one an organizer names."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    from_paper = models.BooleanField(default=False, help_text="One of the four of the Inverse Scaling paper.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-from_paper", "name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="unique_cause_name")]

    def __str__(self) -> str:
        return self.name


class CauseTag(models.Model):
    """A cause an organizer tagged an accepted task with (one or more per task)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="cause_tags")
    cause = models.ForeignKey(Cause, on_delete=models.PROTECT, related_name="tags")
    tagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    tagged_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "cause__name"]
        constraints = [models.UniqueConstraint(fields=["submission", "cause"], name="unique_cause_tag")]

    def __str__(self) -> str:
        return f"{self.submission}: {self.cause}"


class PublishedExample(models.Model):
    """The one example of a winning task an organizer chose to publish: its file and row in a version, and
    the example as the engine reads it (its metric's fields, `classes` a list), kept so pages need not read
    the zip."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="published_example")
    version = models.ForeignKey(SubmissionVersion, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(max_length=255)
    file_kind = models.CharField(max_length=16)
    file_index = models.PositiveSmallIntegerField(null=True, blank=True)
    row = models.PositiveIntegerField(help_text="The example's row in its file, from 0 (pandas' index).")
    line = models.PositiveIntegerField(help_text="Its line in the CSV (header = line 1).")
    example = models.JSONField(help_text="The metric's fields of the example, e.g. prompt, classes, answer_index.")
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    chosen_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.submission}: {self.file_name} row {self.row}"


class ReleaseSettings(models.Model):
    """Per-contest settings of the public release. A contest without a row releases under licences.DEFAULT."""

    contest = models.OneToOneField(Contest, on_delete=models.CASCADE, related_name="release_settings")
    licence = models.CharField(max_length=32, choices=licences.CHOICES, default=licences.DEFAULT,
                               help_text="The licence of the released benchmark (its SPDX identifier).")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "release settings"
        verbose_name_plural = "release settings"

    def __str__(self) -> str:
        return f"Release settings of {self.contest}"
