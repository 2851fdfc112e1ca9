"""Organizers configure contests and rounds here, and make accounts of every role (the role is on the
account's own page). Times are entered in UTC, labelled so, and each is shown Anywhere on Earth beside it."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

from . import accounts, services
from .deadlines import format_aoe
from .models import ApiToken, Author, Contest, Profile, Round, Submission, SubmissionVersion

admin.site.site_header = "Inverse Scaling Prize: organizers"
admin.site.site_title = "Inverse Scaling Prize admin"
admin.site.index_title = "Contests, submissions, reviews and accounts"

UTC_HELP = ("Entered in UTC, as are all times here; contestants see it Anywhere on Earth (AoE, UTC−12), "
            "12 hours earlier: 2026-03-01 11:59 UTC is 2026-02-28 23:59 AoE.")


class RoundForm(forms.ModelForm):
    """The round's times, each labelled with its time zone (UTC); the AoE equivalents are shown beside."""

    class Meta:
        model = Round
        fields = ("contest", "number", "name", "opens_at", "closes_at", "feedback_released_at")
        labels = {"opens_at": "Opens (UTC)", "closes_at": "Deadline (UTC)",
                  "feedback_released_at": "Feedback released (UTC)"}
        help_texts = dict.fromkeys(("opens_at", "closes_at", "feedback_released_at"), UTC_HELP)


class RoundInline(admin.TabularInline):
    model = Round
    form = RoundForm
    extra = 0
    fields = ("number", "name", "opens_at", "closes_at", "feedback_released_at", "deadline_aoe")
    readonly_fields = ("deadline_aoe",)

    @admin.display(description="Deadline (AoE)")
    def deadline_aoe(self, obj):
        return format_aoe(obj.closes_at) if obj.pk else ""


@admin.register(Contest)
class ContestAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [RoundInline]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    form = RoundForm
    list_display = ("contest", "number", "name", "opens_aoe", "closes_aoe", "feedback_aoe")
    list_filter = ("contest",)
    fields = ("contest", "number", "name", "opens_at", "opens_aoe", "closes_at", "closes_aoe",
              "feedback_released_at", "feedback_aoe")
    readonly_fields = ("opens_aoe", "closes_aoe", "feedback_aoe")

    @admin.display(description="Opens (AoE)")
    def opens_aoe(self, obj):
        return format_aoe(obj.opens_at) if obj and obj.pk else "—"

    @admin.display(description="Deadline (AoE)")
    def closes_aoe(self, obj):
        return format_aoe(obj.closes_at) if obj and obj.pk else "—"

    @admin.display(description="Feedback released (AoE)")
    def feedback_aoe(self, obj):
        return format_aoe(obj.feedback_released_at) if obj and obj.pk else "—"


class AuthorInline(admin.TabularInline):
    model = Author
    extra = 0
    can_delete = False
    readonly_fields = ("order", "name", "email", "affiliation")


@admin.register(SubmissionVersion)
class SubmissionVersionAdmin(admin.ModelAdmin):
    list_display = ("submission", "number", "task_name", "metric", "created_at")
    readonly_fields = [f.name for f in SubmissionVersion._meta.fields]
    inlines = [AuthorInline]

    def has_add_permission(self, request):
        return False  # versions are made by contestants' uploads only


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("task_name", "contest", "round", "owner", "current_version", "edits_reopened_until", "updated_at")
    list_filter = ("contest", "round")
    search_fields = ("task_name", "owner__username")
    readonly_fields = ("current_version", "created_at", "updated_at")
    actions = ["reopen_for_a_week"]

    @admin.action(description="Reopen edits for 7 days")
    def reopen_for_a_week(self, request, queryset):
        until = timezone.now() + timedelta(days=7)
        for submission in queryset:
            services.reopen_edits(submission=submission, until=until)
        self.message_user(request, f"Reopened {queryset.count()} submission(s) until {format_aoe(until)}.",
                          messages.SUCCESS)


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "email_confirmed")
    list_filter = ("role", "email_confirmed")
    search_fields = ("user__username", "user__email")


class AccountForm(UserChangeForm):
    """Django's user form, refusing an email that another account uses (ignoring case) with the
    message sign-up gives, rather than failing on the database's unique index."""

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        try:
            accounts.ensure_email_free(email=email, account=self.instance)
        except accounts.AccountRefused as refused:
            raise ValidationError(refused.message) from None
        return email


admin.site.unregister(User)


class ProfileInline(admin.StackedInline):
    """The account's role on the account's own page: making a reviewer is one page (add the account,
    then choose Reviewer here). An organizer also needs "Staff status" and "Superuser status" above."""

    model = Profile
    can_delete = False
    fields = ("role", "email_confirmed")
    verbose_name = verbose_name_plural = "Role in the contest"


@admin.register(User)
class AccountAdmin(UserAdmin):
    form = AccountForm
    inlines = [ProfileInline]


admin.site.unregister(TokenProxy)  # DRF's own page lists every key in full


@admin.register(ApiToken)
class ApiTokenAdmin(TokenAdmin):
    """API tokens: the first characters of each key, its account and when it was made; a token is
    revoked by deleting it (its owner logs in to the API again for a new one). Tokens are made by
    POST /api/auth/token/ only."""

    list_display = ("key_prefix", "user", "created")
    fields = readonly_fields = ("key_prefix", "user", "created")

    @admin.display(description="Key (first characters)")
    def key_prefix(self, obj) -> str:
        return f"{obj.key[:ApiToken.KEY_SHOWN]}…"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
