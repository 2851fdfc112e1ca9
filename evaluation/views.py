"""Evaluation pages: the submission page's panel, its live progress, per-example downloads, and
the organizers' runs page. Thin: services decide, selectors say who sees what."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from evaluation.engine.safecsv import csv_text
from evaluation.engine.trends import RULE
from portal import selectors as portal_selectors
from portal.access import organizer_required
from portal.models import Round
from portal.refusals import Refused, act
from portal.roles import ORGANIZER, role_of

from . import figures, selectors, services
from .models import Result, Run
from .progress import evaluation_status, progress_of


def render_panel(request, submission) -> str | None:
    """The evaluation section of the submission page (portal.panels)."""
    series = selectors.visible_series(user=request.user, submission=submission)
    if not series or submission.current_version is None:
        return None
    results = selectors.results_of(version=submission.current_version, series=series)
    progress = progress_of(version=submission.current_version, series=series)
    is_organizer = role_of(request.user) == ORGANIZER
    files = [figures.file_view(f, metric=results.metric, submission=submission) for f in results.shown]
    return render_to_string("evaluation/_panel.html", {
        "submission": submission, "results": results, "files": files,
        "progress": [p.as_dict(for_organizer=is_organizer) for p in progress],
        "unfinished": any(p.run.status in (Run.QUEUED, Run.RUNNING) for p in progress),
        "rule": RULE, "is_organizer": is_organizer,
        "may_request_shots": services.few_shot_refusal(user=request.user, submission=submission) is None,
        "shots": selectors.few_shot_requests(submission=submission),
    }, request=request)


@login_required
def progress(request, pk: int):
    """Live progress of the current version's runs, polled by the submission page."""
    submission = portal_selectors.get_submission_for(user=request.user, pk=pk)
    series = selectors.visible_series(user=request.user, submission=submission)
    runs = progress_of(version=submission.current_version, series=series)
    is_organizer = role_of(request.user) == ORGANIZER
    return JsonResponse({"evaluation": evaluation_status(runs),
                         "runs": [p.as_dict(for_organizer=is_organizer) for p in runs]})


def example_rows(result: Result) -> str:
    """The per-example CSV: line, value, correct, predicted, total_logprob (as evaluate_submission writes,
    through the same safecsv writer: a predicted class is the contestant's text)."""
    columns = ["line", "value", "correct", "predicted", "total_logprob"]
    return csv_text(header=columns, rows=zip(*(result.examples[c] for c in columns)))


@login_required
def example_csv(request, pk: int, sha256: str, model_name: str):
    """One model's per-example results on one file of the current version, if its series is visible."""
    submission = portal_selectors.get_submission_for(user=request.user, pk=pk)
    series = selectors.visible_series(user=request.user, submission=submission)
    found = selectors.example_result(version=submission.current_version, series=series, sha256=sha256,
                                     model_name=model_name)
    if found is None:
        raise Http404("No such result.")
    file_name, result = found
    response = HttpResponse(example_rows(result), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{PurePath(file_name).stem}__{model_name}.csv"'
    return response


class FewShotForm(forms.Form):
    k = forms.IntegerField(min_value=1, max_value=services.MAX_SHOTS, label="k (examples per prompt)")


@login_required
@require_POST
def request_few_shot(request, pk: int):
    submission = portal_selectors.get_submission_for(user=request.user, pk=pk)
    form = FewShotForm(request.POST)

    def ask():
        if not form.is_valid():
            raise Refused(f"Give k as a whole number from 1 to {services.MAX_SHOTS}.", field="k")
        services.request_few_shot(user=request.user, submission=submission, k=form.cleaned_data["k"])
        return f"{form.cleaned_data['k']}-shot variants requested; they are scored next."
    return act(request, ask, back=reverse("submission-detail", args=[pk]))


@organizer_required
@require_POST
def override_eligibility(request, pk: int):
    submission = portal_selectors.get_submission_for(user=request.user, pk=pk)

    def decide():
        if request.POST.get("decision") == "clear":
            services.clear_eligibility_override(submission=submission, by=request.user)
        else:
            services.override_eligibility(submission=submission, eligible=request.POST.get("decision") == "eligible",
                                          reason=request.POST.get("reason", ""), by=request.user)
    return act(request, decide, back=reverse("submission-detail", args=[pk]))


@organizer_required
@require_POST
def start_private(request, pk: int):
    submission = portal_selectors.get_submission_for(user=request.user, pk=pk)
    runs = services.start_private_evaluation(submission=submission, by=request.user)
    messages.success(request, f"Started {len(runs)} run(s) on the private series.")
    return redirect("submission-detail", pk=pk)


RUNS_PER_PAGE = 100


@organizer_required
def runs_page(request):
    """Every run, newest first, with its status, queue, attempts and error; retry and cancel."""
    runs = selectors.runs_for_organizers()
    status = request.GET.get("status", "")
    if status:
        runs = runs.filter(status=status)
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "evaluation/runs.html", {
        "runs": page, "status": status, "statuses": Run.STATUS_CHOICES,
        "rounds": Round.objects.select_related("contest", "private_evaluation"),
    })


@organizer_required
@require_POST
def run_action(request, run_id: int, action: str):
    run = get_object_or_404(Run, pk=run_id)
    steps = {"retry": services.retry_run, "cancel": services.cancel_run}
    if action not in steps:
        raise Http404("No such action.")

    def do():
        steps[action](run=run, by=request.user)
        return f"Run {run.pk}: {action} done."
    return act(request, do, back=reverse("evaluation-runs"))


@organizer_required
@require_POST
def start_private_round(request, round_id: int):
    round = get_object_or_404(Round, pk=round_id)
    runs = services.start_private_evaluation_for_round(round=round, by=request.user)
    messages.success(request, f"{round.contest} {round}: started {len(runs)} run(s) on the private series.")
    return redirect("evaluation-runs")
