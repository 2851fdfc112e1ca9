"""The review side's records: rubric, settings, reviewers, conflicts, assignments, reviews, rankings, awards and
the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from portal.models import Contest, Round, Submission

from .. import evidence, prizes

LEVEL_CHOICES = [(prizes.NO_PRIZE, "No prize"), (prizes.ACCEPTED, "Accepted"), (prizes.GRAND, "Grand prize")]
TIER_CHOICES = [(prizes.GRAND, "Grand prize"), (prizes.SECOND, "Second prize"), (prizes.THIRD, "Third prize")]


class Criterion(models.Model):
    """One criterion of the rubric; its key is what reviews store, its texts are the organizers' to edit."""

    key = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["order"]
        verbose_name_plural = "criteria"

    def __str__(self) -> str:
        return self.name


class CriterionLevel(models.Model):
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="levels")
    level = models.CharField(max_length=16, choices=LEVEL_CHOICES)
    description = models.TextField(help_text="The rules' description, shown beside this choice.")

    class Meta:
        ordering = ["criterion", "level"]
        constraints = [models.UniqueConstraint(fields=["criterion", "level"], name="unique_criterion_level")]

    def __str__(self) -> str:
        return f"{self.criterion.key}: {self.level}"


class ReviewSettings(models.Model):
    """Per-contest settings of the review side. A contest without a row uses these defaults."""

    contest = models.OneToOneField(Contest, on_delete=models.CASCADE, related_name="review_settings")
    round1_grand_cap = models.PositiveSmallIntegerField("Round 1: grand prizes at most", default=0)
    round1_second_cap = models.PositiveSmallIntegerField("Round 1: second prizes at most", default=2)
    round1_third_cap = models.PositiveSmallIntegerField("Round 1: third prizes at most", default=5)
    total_grand_cap = models.PositiveSmallIntegerField("Contest total: grand prizes", default=1)
    total_second_cap = models.PositiveSmallIntegerField("Contest total: second prizes", default=5)
    total_third_cap = models.PositiveSmallIntegerField("Contest total: third prizes", default=10)
    grand_amount = models.PositiveIntegerField("Grand prize (USD)", default=100_000)
    second_amount = models.PositiveIntegerField("Second prize (USD)", default=20_000)
    third_amount = models.PositiveIntegerField("Third prize (USD)", default=5_000)
    reviewers_see_task_name = models.BooleanField(
        default=False, help_text="Show reviewers the task's name (redacted of author names). Off: a number.")
    reviewers_per_submission = models.PositiveSmallIntegerField(default=3)
    max_assignments_per_reviewer = models.PositiveSmallIntegerField(
        default=10, help_text="The most submissions of this contest one reviewer is assigned.")

    class Meta:
        verbose_name = "review settings"
        verbose_name_plural = "review settings"

    def __str__(self) -> str:
        return f"Review settings of {self.contest}"


class ReviewRound(models.Model):
    """The review side of one round: its review deadline and when its awards were announced."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="review_round")
    review_deadline = models.DateTimeField(
        null=True, blank=True, help_text="Reviews can be saved and revised until then (UTC). Empty: until "
                                         "the round's feedback is released.")
    awards_announced_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"Reviews of {self.round.contest} {self.round}"


class ContestReviewer(models.Model):
    """A reviewer on a contest's panel: the people automatic assignment draws from."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_panels")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["contest", "user__username"]
        constraints = [models.UniqueConstraint(fields=["contest", "user"], name="unique_contest_reviewer")]

    def __str__(self) -> str:
        return f"{self.user} reviews {self.contest}"


class Conflict(models.Model):
    """A declared conflict of a reviewer: with one submission, or with every author of an email domain."""

    REVIEWER, ORGANIZER = "reviewer", "organizer"
    SOURCE_CHOICES = [(REVIEWER, "Declared by the reviewer"), (ORGANIZER, "Added by an organizer")]

    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_conflicts")
    submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    domain = models.CharField(max_length=253, blank=True, help_text="e.g. example.edu (its subdomains too)")
    source = models.CharField(max_length=16, choices=SOURCE_CHOICES)
    reason = models.TextField(blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["reviewer", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(submission__isnull=False, domain="")
                           | models.Q(submission__isnull=True) & ~models.Q(domain="")),
                name="conflict_with_a_submission_or_a_domain",
                violation_error_message="A conflict names either a submission or an email domain."),
            models.UniqueConstraint(fields=["reviewer", "submission"], condition=models.Q(submission__isnull=False),
                                    name="unique_submission_conflict"),
            models.UniqueConstraint(fields=["reviewer", "domain"], condition=~models.Q(domain=""),
                                    name="unique_domain_conflict"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer}: {self.domain or f'submission {self.submission_id}'}"


class Assignment(models.Model):
    """A reviewer assigned to a submission. Removed assignments stay (with why), so numbers stay stable."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="review_assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments")
    number = models.PositiveSmallIntegerField(help_text='Shown to everyone else as "Reviewer <number>".')
    due_at = models.DateTimeField(null=True, blank=True)
    automatic = models.BooleanField(default=False)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["submission", "number"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "number"], name="unique_reviewer_number"),
            models.UniqueConstraint(fields=["submission", "reviewer"], condition=models.Q(removed_at__isnull=True),
                                    name="one_active_assignment_per_reviewer"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.submission}"


class Review(models.Model):
    DRAFT, SUBMITTED = "draft", "submitted"
    STATUS_CHOICES = [(DRAFT, "Draft"), (SUBMITTED, "Submitted")]

    assignment = models.OneToOneField(Assignment, on_delete=models.CASCADE, related_name="review")
    levels = models.JSONField(default=dict, help_text="criterion key -> level")
    to_authors = models.TextField("Comments to the authors", blank=True)
    to_organizers = models.TextField("Comments to the organizers", blank=True)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=DRAFT)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Review of {self.assignment}"


class ReviewRevision(models.Model):
    """What a review said each time it was submitted (number 1) or revised (2, 3, ...)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveSmallIntegerField()
    levels = models.JSONField()
    to_authors = models.TextField(blank=True)
    to_organizers = models.TextField(blank=True)
    saved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["review", "number"]
        constraints = [models.UniqueConstraint(fields=["review", "number"], name="unique_revision_number")]


class Ranking(models.Model):
    """A reviewer's ranking (best first) of the submissions of one round they reviewed."""

    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_rankings")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="review_rankings")
    submission_ids = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reviewer", "round"], name="unique_ranking_per_round")]


class Award(models.Model):
    """A prize decided in a round: what is paid, and announced, in that round.

    A submission's prize over the contest is its highest tier, and its money is paid once. An earlier
    winner kept at its tier in a later round gets no award in that round (nothing more is paid or
    announced); one upgraded gets an award of the higher tier, `upgraded_from` the tier it held, whose
    `amount` is the difference, so the amounts of its awards add up to the highest tier's amount.
    """

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="awards")
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="awards")
    tier = models.CharField(max_length=16, choices=TIER_CHOICES)
    amount = models.PositiveIntegerField(
        help_text="USD paid in this round: the tier's amount (the contest's settings when decided), less what "
                  "earlier rounds paid for an upgrade")
    upgraded_from = models.CharField(max_length=16, choices=TIER_CHOICES, blank=True,
                                     help_text="The tier the submission won in an earlier round; empty: a new prize")
    proposed_tier = models.CharField(max_length=16, blank=True, help_text="What the rules proposed; empty: none")
    override_reason = models.TextField(blank=True)
    acknowledgement = models.JSONField(
        default=dict, blank=True,
        help_text="The gaps of its evidence the organizers acknowledged in deciding it, and why: {gaps: [[gap, what "
                  "it lacked], ...], reason, evidence: as it stood}; empty when its evidence was complete "
                  "(reviews/evidence.py)")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)
    nonprofit = models.CharField("Non-profit to receive the money", max_length=300, blank=True)

    class Meta:
        ordering = ["round", "submission"]
        constraints = [models.UniqueConstraint(fields=["submission", "round"], name="one_award_per_round")]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} for {self.submission} ({self.round})"

    @property
    def acknowledged_gaps(self) -> list[str]:
        """What its evidence lacked when it was decided, as the organizers acknowledged it."""
        return [text for _, text in self.acknowledgement.get("gaps", [])]

    @property
    def acknowledged_labels(self) -> list[str]:
        """The same in a few words ("not eligible", "2 runs not finished"), from the evidence as it stood."""
        if not self.acknowledgement:
            return []
        labels = evidence.Evidence(**self.acknowledgement["evidence"]).gap_labels()
        return [labels[code] for code, _ in self.acknowledgement["gaps"] if code in labels]


class AuditEntry(models.Model):
    """Who did what, when. `actor` empty: the portal itself (an assignment removed by a new conflict)."""

    ACTIONS = [
        ("reviewer_added", "Reviewer added"),
        ("assigned", "Assigned"),
        ("unassigned", "Assignment removed"),
        ("conflict", "Conflict declared"),
        ("review_submitted", "Review submitted"),
        ("review_revised", "Review revised"),
        ("ranking_saved", "Ranking saved"),
        ("awards_confirmed", "Awards confirmed"),
        ("award_overridden", "Award overridden"),
        ("evidence_acknowledged", "Award on incomplete evidence"),
        ("awards_announced", "Awards announced"),
        ("nonprofit_named", "Non-profit named"),
        ("feedback_released", "Feedback released"),
        ("exported", "Exported"),
        ("validation_started", "Validation started"),
        ("validators_named", "Validators named"),
        ("meta_review_written", "Meta-review written"),
        ("cause_created", "Cause named"),
        ("causes_tagged", "Causes tagged"),
        ("example_published", "Example chosen for publication"),
        ("licence_chosen", "Release licence chosen"),
        ("partner_token_issued", "Partner token issued"),
        ("partner_token_revoked", "Partner token revoked"),
        ("partner_claimed", "Partner claimed a run"),
        ("partner_uploaded", "Partner uploaded results"),
        ("partner_failed", "Partner reported a failure"),
    ]

    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=32, choices=ACTIONS)
    contest = models.ForeignKey(Contest, null=True, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, null=True, on_delete=models.SET_NULL, related_name="+")
    message = models.TextField()
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}: {self.message}"
