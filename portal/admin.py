"""Organizers configure contests and rounds here. Times are entered in UTC and shown AoE too."""

from __future__ import annotations

from datetime import timedelta

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


class RoundInline(admin.TabularInline):
    model = Round
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
    list_display = ("contest", "number", "name", "opens_aoe", "closes_aoe", "feedback_aoe")
    list_filter = ("contest",)

    @admin.display(description="Opens (AoE)")
    def opens_aoe(self, obj):
        return format_aoe(obj.opens_at)

    @admin.display(description="Deadline (AoE)")
    def closes_aoe(self, obj):
        return format_aoe(obj.closes_at)

    @admin.display(description="Feedback released (AoE)")
    def feedback_aoe(self, obj):
        return format_aoe(obj.feedback_released_at)


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


@admin.register(User)
class AccountAdmin(UserAdmin):
    form = AccountForm


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
