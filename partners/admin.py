"""Organizers register partners here (or with `partner: NAME` in a series file) and issue or revoke
their tokens: a new token is shown once, in the message after the action, and stored hashed."""

from __future__ import annotations

from django.contrib import admin, messages

from evaluation.models import ModelSeries, Partner

from . import tokens
from .models import PartnerToken


class SeriesInline(admin.TabularInline):
    model = ModelSeries
    fields = ("name", "visibility", "enabled")
    readonly_fields = ("name", "visibility", "enabled")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # a series names its partner (its own page, or the series file)


class TokenInline(admin.TabularInline):
    model = PartnerToken
    fields = readonly_fields = ("prefix", "created_at", "created_by", "revoked_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # issued by the "Issue a new token" action only, so it is shown once


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name", "contact", "series_names", "active_token")
    search_fields = ("name", "contact")
    inlines = [SeriesInline, TokenInline]
    actions = ["issue_token", "revoke_tokens"]

    @admin.display(description="Series")
    def series_names(self, obj) -> str:
        return ", ".join(s.name for s in obj.series.all()) or "-"

    @admin.display(description="Active token")
    def active_token(self, obj) -> str:
        token = obj.tokens.filter(revoked_at=None).first()
        return f"{token.prefix}…" if token else "none"

    @admin.action(description="Issue a new token (revokes the old one; shown once)")
    def issue_token(self, request, queryset):
        for partner in queryset:
            key = tokens.issue(partner=partner, by=request.user)
            messages.warning(request, f"New token of {partner.name} (copy it now; it is not shown again): {key}")

    @admin.action(description="Revoke the tokens")
    def revoke_tokens(self, request, queryset):
        count = sum(tokens.revoke(partner=p, by=request.user) for p in queryset)
        messages.success(request, f"{count} token(s) revoked.")
