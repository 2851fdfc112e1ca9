"""The organizers' overview of a round: one page (sortable and filterable by its query string) and its CSV
(the same rows, sorted and filtered the same way, through the project's safe CSV writer). Thin: the rows and
the mean curves are selectors.round_overview's."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from evaluation import figures, plots
from evaluation.engine.trends import LABELS as TREND_LABELS
from portal.access import organizer_required
from portal.models import Round

from . import export, prizes, selectors
from .selectors.round_table import ELIGIBILITY, SORTS, OverviewQuery, RoundOverview

ROWS_PER_PAGE = 100  # the CSV holds every row


def _round(slug: str, number: int) -> Round:
    return get_object_or_404(Round.objects.select_related("contest"), contest__slug=slug, number=number)


def _curves_inputs(curves) -> list:
    return [[c.series.name, c.series.is_private, c.series.x_axis, [[p.model, p.size, p.mean, p.tasks] for p in c.points]]
            for c in curves]


def _mean_figures(overview: RoundOverview) -> list[dict]:
    """The accepted tasks' mean accuracy and mean loss against size, one line per series (cached as every figure)."""
    def draw():
        drawn = [plots.mean_figure(overview.accuracy, y_range=[0, 1], y_title="mean accuracy",
                                   title=f"Mean accuracy of the accepted tasks ({overview.with_accuracy} with an "
                                         "accuracy)"),
                 plots.mean_figure(overview.loss, y_title="mean loss (higher is worse)",
                                   title=f"Mean loss of the accepted tasks ({overview.with_loss} with a loss)")]
        return [f for f in drawn if f]
    return figures.cached(["mean-curves", overview.with_accuracy, overview.with_loss,
                           _curves_inputs(overview.accuracy), _curves_inputs(overview.loss)], draw)


@organizer_required
def round_overview(request, slug: str, number: int):
    round = _round(slug, number)
    query = OverviewQuery.from_params(request.GET)
    overview, page = selectors.round_overview_page(round, query, request.GET.get("page"), per_page=ROWS_PER_PAGE)
    labels = {"number": "#", "task": "Task", "metric": "Metric", "eligibility": "Eligibility", "reviews": "Reviews",
              "tier": "Eligible tier", "award": "Award", "agreement": "Human agreement"}
    columns = [(key, labels[key]) for key in SORTS[:4]] + [
        (f"trend:{s.name}", f"{s.name}{' (private)' if s.is_private else ''}") for s in overview.series] + [
        (key, labels[key]) for key in SORTS[4:]]
    headers = [{"key": key, "label": label, "link": query.link(key),
                "arrow": (" ▼" if query.descending else " ▲") if query.sort == key else ""} for key, label in columns]
    return render(request, "reviews/round_overview.html", {
        "round": round, "overview": overview, "page": page, "query": query,
        "pages": {"first": query.page_link(1), "last": query.page_link(page.paginator.num_pages),
                  "previous": query.page_link(page.number - 1), "next": query.page_link(page.number + 1)}, "headers": headers,
        "figures": _mean_figures(overview), "eligibility_words": list(ELIGIBILITY.values()),
        "tiers": [*prizes.TIERS, prizes.NONE], "trend_labels": TREND_LABELS,
        "csv_url": reverse("reviews-round-overview-csv", args=[slug, number]) + (
            f"?{request.GET.urlencode()}" if request.GET else "")})


@organizer_required
def round_overview_csv(request, slug: str, number: int):
    round = _round(slug, number)
    overview = selectors.round_overview(round)
    body = export.overview_csv(overview, OverviewQuery.from_params(request.GET).apply(overview.rows))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{round.contest.slug}-round-{round.number}-overview.csv"'
    return response
