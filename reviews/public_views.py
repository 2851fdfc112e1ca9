"""The public results pages: /results/ (the rounds whose awards are announced) and one page per such round.
Open to anyone, logged in or not; a round whose awards are not announced is a 404, as if it did not exist
(selectors.public_round decides). Thin: what a task shows, and its redaction, is the selector's."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from evaluation import figures
from evaluation.engine.trends import RULE as TREND_RULE

from . import selectors


def results_index(request):
    return render(request, "reviews/public/index.html", {"rounds": selectors.announced_rounds_everywhere()})


def _task_view(task: selectors.PublicTask, card: str) -> dict:
    whole = task.results.task
    return {"task": task, "card": card,
            "file": figures.file_view(whole, metric=task.version.metric)
            if whole is not None and any(s.points for s in whole.series) else None}


def results_round(request, slug: str, number: int):
    found = selectors.public_round(contest_slug=slug, number=number)
    if found is None:
        raise Http404("No results are published for this round.")
    winners = [_task_view(t, f"w{i}") for i, t in enumerate(found.winners, start=1)]
    return render(request, "reviews/public/round.html", {
        "public": found, "winners": winners, "has_plots": any(w["file"] for w in winners), "trend_rule": TREND_RULE})
