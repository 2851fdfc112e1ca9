"""Model series and their models, evaluation runs, and the results they produce.

Rules live elsewhere: who starts what in services.py, every change of a run's status in
lifecycle.py, who sees what in selectors.py; these are the records.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from portal.models import Round, Submission, SubmissionVersion


class Partner(models.Model):
    """An organisation that scores the runs of its series on its own hardware, over the partner API
    (partners/): it pulls the work and pushes the results, and no Celery worker touches its series."""

    name = models.CharField(max_length=100, unique=True, help_text="How the audit log and the series files name it.")
    contact = models.CharField(max_length=300, blank=True, help_text="Who to write to (a name and an email).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ModelSeries(models.Model):
    """Models of one family in increasing size: a line on every scaling plot."""

    PUBLIC, PRIVATE = "public", "private"
    VISIBILITY_CHOICES = [(PUBLIC, "Public"), (PRIVATE, "Private (held out until feedback is released)")]
    PARAMS, FLOPS = "params", "flops"
    X_AXIS_CHOICES = [(PARAMS, "Parameters"), (FLOPS, "Training FLOPs")]

    name = models.CharField(max_length=100, unique=True)
    visibility = models.CharField(max_length=8, choices=VISIBILITY_CHOICES, default=PUBLIC)
    x_axis = models.CharField(max_length=8, choices=X_AXIS_CHOICES, default=PARAMS)
    enabled = models.BooleanField(default=True, help_text="Only enabled series evaluate new versions.")
    position = models.PositiveIntegerField(default=0, help_text="Order on pages and plots.")
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="series",
        help_text="The partner that scores this series over its API (empty: the portal's Celery workers).")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "model series"

    def __str__(self) -> str:
        return self.name

    @property
    def is_private(self) -> bool:
        return self.visibility == self.PRIVATE


class LanguageModel(models.Model):
    """One model of a series: what the workers load (`spec`) and where it sits on the size axis."""

    series = models.ForeignKey(ModelSeries, on_delete=models.CASCADE, related_name="models")
    name = models.CharField(max_length=100, unique=True, help_text="The registered name shown on pages and in the API.")
    spec = models.CharField(max_length=500, help_text="Exactly what evaluate_submission --model accepts.")
    params = models.BigIntegerField(null=True, blank=True)
    flops = models.FloatField(null=True, blank=True)
    queue = models.CharField(max_length=50, default="cpu", help_text="The Celery queue whose workers load this model.")
    enabled = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    identity = models.CharField(
        max_length=300, blank=True,
        help_text="The model's identity as the last worker that loaded it reported it (the result cache's key).")

    class Meta:
        ordering = ["series", "position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def size(self) -> float | None:
        """Where the model sits on its series' x axis: parameters or training FLOPs."""
        return self.flops if self.series.x_axis == ModelSeries.FLOPS else self.params


class Run(models.Model):
    """One model scoring every file of one version: one Celery task, sent to the model's queue."""

    QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
    STATUS_CHOICES = [(QUEUED, "Queued"), (RUNNING, "Running"), (DONE, "Done"), (FAILED, "Failed"),
                      (CANCELLED, "Cancelled")]
    FINISHED = (DONE, FAILED, CANCELLED)

    version = models.ForeignKey(SubmissionVersion, on_delete=models.CASCADE, related_name="evaluation_runs")
    model = models.ForeignKey(LanguageModel, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=QUEUED, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    done_examples = models.PositiveIntegerField(default=0)
    total_examples = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="What went wrong, for organizers.")
    file_errors = models.JSONField(
        default=list, blank=True, help_text="Files this model cannot score: [{file, message}] (shown to the contestant).")
    files = models.JSONField(
        default=list, blank=True,
        help_text="The files this run scored: [{name, kind, index, rows, sha256, shots, source}] (few-shot variants included).")
    model_identity = models.CharField(max_length=300, blank=True, help_text="The identity the results were stored under.")
    scored = models.JSONField(
        default=dict, blank=True,
        help_text="{file sha256: model identity} of every file whose result on this model is stored: what pages show, "
                  "kept while the run is queued again for new work.")
    phase = models.CharField(max_length=20, blank=True,
                             help_text='What a running run is doing: "loading model", "scoring" (empty otherwise).')
    loaded_model = models.BooleanField(
        default=False, help_text="Whether this run loaded the model (False: the worker had it loaded, or every file was cached).")
    task_id = models.CharField(max_length=64, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the task was handed to the broker.")
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "model"], name="one_run_per_version_and_model")]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.version} on {self.model}"


class Result(models.Model):
    """The scores of one task file on one model for one metric; also the cache of scored files.

    Keyed by what determines the numbers (model identity, the file's sha256, the metric), so an
    unchanged file is scored once per model, whichever versions or submissions share it.
    """

    model_identity = models.CharField(max_length=300)
    file_sha256 = models.CharField(max_length=64)
    metric = models.CharField(max_length=32)
    n = models.PositiveIntegerField()
    mean = models.FloatField(null=True)
    sem = models.FloatField(null=True)
    accuracy = models.FloatField(null=True)
    class_mass = models.FloatField(null=True)
    baseline = models.FloatField(null=True)
    baseline_accuracy = models.FloatField(null=True)
    examples = models.JSONField(
        help_text="Per-example results as columns: {line, value, correct, predicted, total_logprob}.")
    warnings = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model_identity", "file_sha256", "metric"],
                                               name="one_result_per_model_file_and_metric")]

    def __str__(self) -> str:
        return f"{self.metric} {self.file_sha256[:12]} on {self.model_identity}"


class FewShotRequest(models.Model):
    """A k-shot variant of every file of a zero-shot task, evaluated and plotted beside the original."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="few_shot_requests")
    k = models.PositiveSmallIntegerField()
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "k"]
        constraints = [models.UniqueConstraint(fields=["submission", "k"], name="one_request_per_k")]

    def __str__(self) -> str:
        return f"{self.submission} {self.k}-shot"


class EligibilityOverride(models.Model):
    """An organizer's decision on the rules' evaluation eligibility, replacing the computed one."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="eligibility_override")
    eligible = models.BooleanField()
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.submission}: {'eligible' if self.eligible else 'not eligible'}"


class PrivateEvaluation(models.Model):
    """When the final versions of a round's submissions were sent to the private series."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="private_evaluation")
    started_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="Empty when the sweep started it as the round closed.")

    def __str__(self) -> str:
        return f"{self.round} private evaluation"


class EvaluatedEmail(models.Model):
    """The "your task was evaluated" email sent for a version: one row, so it is sent once however many
    workers finish its last runs at the same moment."""

    version = models.OneToOneField(SubmissionVersion, on_delete=models.CASCADE, related_name="evaluated_email")
    sent_at = models.DateTimeField(auto_now_add=True)


class TaskResultsGeneration(models.Model):
    """How many times a version's whole-task results have changed (a run recorded a file scored, finished under
    a model identity, or was deleted): the stamp a stored TaskSummary is valid for. Bumped by lifecycle.py
    through summaries.results_changed; a version without a row is at generation 0."""

    version = models.OneToOneField(SubmissionVersion, on_delete=models.CASCADE, primary_key=True,
                                   related_name="results_generation")
    generation = models.PositiveIntegerField(default=0)


class TaskSummary(models.Model):
    """What the organizers' overview needs of a version's whole task, computed once from its results and kept
    (summaries.py): the trend label on each series, the rules' eligibility (before any organizer's decision) and
    each model's pooled accuracy and mean. Valid only under the generation of the version's results and the
    model registry (series and models, their sizes and order, and the trend rule's version) it was computed
    under; anything else is computed again."""

    version = models.ForeignKey(SubmissionVersion, on_delete=models.CASCADE, related_name="task_summaries")
    generation = models.PositiveIntegerField()
    registry = models.CharField(max_length=64)
    trends = models.JSONField()  # {series id: trend label}, the series with a trend on the whole task
    two_models = models.JSONField(default=list)  # [series id], those of `trends` whose trend rests on two models
    eligible = models.BooleanField(null=True)  # the rules' eligibility; None: not known yet
    reason = models.TextField()
    points = models.JSONField()  # {series id: [[model id, accuracy, mean], ...]}, in order of size

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "generation"], name="one_summary_per_generation")]
