"""Organizers manage model series and their models here (or with `manage.py register_series`)."""

from __future__ import annotations

from django.contrib import admin, messages

from . import services
from .models import EligibilityOverride, FewShotRequest, LanguageModel, ModelSeries, PrivateEvaluation, Run


class LanguageModelInline(admin.TabularInline):
    model = LanguageModel
    extra = 0
    fields = ("position", "name", "spec", "params", "flops", "queue", "enabled", "identity")
    readonly_fields = ("identity",)


@admin.register(ModelSeries)
class ModelSeriesAdmin(admin.ModelAdmin):
    list_display = ("name", "visibility", "x_axis", "partner", "enabled", "position")
    list_filter = ("visibility", "enabled")
    inlines = [LanguageModelInline]


@admin.register(LanguageModel)
class LanguageModelAdmin(admin.ModelAdmin):
    list_display = ("name", "series", "params", "flops", "queue", "enabled", "identity")
    list_filter = ("series", "queue", "enabled")
    readonly_fields = ("identity",)


@admin.register(Run)
class RunAdmin(admin.ModelAdmin):
    list_display = ("pk", "version", "model", "status", "attempts", "done_examples", "total_examples", "queued_at")
    list_filter = ("status", "model__series", "model__queue")
    readonly_fields = [f.name for f in Run._meta.fields]
    actions = ["retry", "cancel"]

    def has_add_permission(self, request):
        return False  # runs are started by new versions, the sweep and the organizers' actions

    @admin.action(description="Retry the selected runs")
    def retry(self, request, queryset):
        for run in queryset.exclude(status=Run.RUNNING):
            services.retry_run(run=run, by=request.user)
        self.message_user(request, "Queued again.", messages.SUCCESS)

    @admin.action(description="Cancel the selected runs")
    def cancel(self, request, queryset):
        for run in queryset.filter(status__in=[Run.QUEUED, Run.RUNNING]):
            services.cancel_run(run=run, by=request.user)
        self.message_user(request, "Cancelled.", messages.SUCCESS)


@admin.register(EligibilityOverride)
class EligibilityOverrideAdmin(admin.ModelAdmin):
    list_display = ("submission", "eligible", "reason", "decided_by", "decided_at")


admin.site.register(FewShotRequest)
admin.site.register(PrivateEvaluation)
