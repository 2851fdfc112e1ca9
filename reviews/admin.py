"""Organizers edit the rubric's texts, the contests' review settings, the rounds' review deadlines and the causes'
descriptions here.

Everything with a rule (assignments, conflicts, reviews, awards, releases, validations and their answers,
meta-reviews, cause tags, published examples, the release's licence) goes through the organizers' pages, which
call the services and write the audit log; here those records are read-only.
"""

from __future__ import annotations

from django.contrib import admin

from portal.deadlines import format_aoe

from .models import (
    Assignment,
    AuditEntry,
    Award,
    Cause,
    CauseTag,
    Conflict,
    ContestReviewer,
    Criterion,
    CriterionLevel,
    LabelValidation,
    MetaReview,
    PublishedExample,
    ReleaseSettings,
    Review,
    ReviewRevision,
    ReviewRound,
    ReviewSettings,
    ValidationAnswer,
    ValidationExample,
    Validator,
)


class CriterionLevelInline(admin.TabularInline):
    model = CriterionLevel
    fields = ("level", "description")
    readonly_fields = ("level",)
    extra = 0
    can_delete = False
    max_num = 3

    def has_add_permission(self, request, obj=None):
        return False  # the three levels are the rules'


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ("order", "name", "key")
    list_display_links = ("name",)
    readonly_fields = ("key",)
    inlines = [CriterionLevelInline]

    def has_add_permission(self, request):
        return False  # reviews store levels by these keys; the rules fix the six criteria

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReviewSettings)
class ReviewSettingsAdmin(admin.ModelAdmin):
    list_display = ("contest", "reviewers_per_submission", "max_assignments_per_reviewer", "reviewers_see_task_name")
    fieldsets = [
        (None, {"fields": ["contest"]}),
        ("Prize caps", {"fields": [("round1_grand_cap", "round1_second_cap", "round1_third_cap"),
                                   ("total_grand_cap", "total_second_cap", "total_third_cap")],
                        "description": "Round 1 awards within its own caps; later rounds within the contest's totals, "
                                       "earlier winners included."}),
        ("Prize amounts", {"fields": [("grand_amount", "second_amount", "third_amount")]}),
        ("Reviewing", {"fields": ["reviewers_per_submission", "max_assignments_per_reviewer",
                                  "reviewers_see_task_name"]}),
    ]


@admin.register(ReviewRound)
class ReviewRoundAdmin(admin.ModelAdmin):
    list_display = ("round", "deadline_aoe", "announced_aoe")
    readonly_fields = ("awards_announced_at",)

    @admin.display(description="Review deadline (AoE)")
    def deadline_aoe(self, obj):
        return format_aoe(obj.review_deadline)

    @admin.display(description="Awards announced (AoE)")
    def announced_aoe(self, obj):
        return format_aoe(obj.awards_announced_at)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ContestReviewer)
class ContestReviewerAdmin(ReadOnlyAdmin):
    list_display = ("contest", "user", "added_by", "added_at")
    list_filter = ("contest",)


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyAdmin):
    list_display = ("reviewer", "submission", "domain", "source", "created_at")
    list_filter = ("source",)


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ("submission", "number", "reviewer", "due_at", "automatic", "removed_at")
    list_filter = ("submission__contest", "automatic")


class ReviewRevisionInline(admin.TabularInline):
    model = ReviewRevision
    fields = ("number", "saved_at", "levels", "to_authors", "to_organizers")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ("assignment", "status", "submitted_at", "updated_at")
    list_filter = ("status",)
    inlines = [ReviewRevisionInline]


@admin.register(Award)
class AwardAdmin(ReadOnlyAdmin):
    list_display = ("submission", "round", "tier", "amount", "proposed_tier", "nonprofit")
    list_filter = ("round__contest", "tier")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "contest", "message")
    list_filter = ("action", "contest")
    search_fields = ("message",)


class ValidatorInline(admin.TabularInline):
    model = Validator
    fields = ("number", "user", "named_by", "named_at")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(LabelValidation)
class LabelValidationAdmin(ReadOnlyAdmin):
    list_display = ("submission", "version", "sample_size", "population", "seed", "answers_per_example",
                    "started_by", "started_at")
    list_filter = ("submission__contest",)
    inlines = [ValidatorInline]


@admin.register(ValidationExample)
class ValidationExampleAdmin(ReadOnlyAdmin):
    list_display = ("validation", "position", "file_name", "row", "line", "label")
    list_filter = ("validation__submission__contest",)


@admin.register(ValidationAnswer)
class ValidationAnswerAdmin(ReadOnlyAdmin):
    list_display = ("example", "validator", "choice", "skip_reason", "answered_at")
    list_filter = ("skip_reason",)


@admin.register(MetaReview)
class MetaReviewAdmin(ReadOnlyAdmin):
    list_display = ("submission", "written_by", "updated_at")


@admin.register(Cause)
class CauseAdmin(admin.ModelAdmin):
    list_display = ("name", "from_paper", "created_by", "created_at")
    fields = ("name", "description", "from_paper")
    readonly_fields = ("name", "from_paper")

    def has_add_permission(self, request):
        return False  # named on the causes page, which writes the audit log

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CauseTag)
class CauseTagAdmin(ReadOnlyAdmin):
    list_display = ("submission", "cause", "tagged_by", "tagged_at")
    list_filter = ("cause",)


@admin.register(PublishedExample)
class PublishedExampleAdmin(ReadOnlyAdmin):
    list_display = ("submission", "file_name", "row", "line", "chosen_by", "chosen_at")


@admin.register(ReleaseSettings)
class ReleaseSettingsAdmin(ReadOnlyAdmin):
    list_display = ("contest", "licence", "updated_by", "updated_at")
