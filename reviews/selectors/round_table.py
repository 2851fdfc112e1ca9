"""The organizers' overview of a round: one row per submission of the round with its trend label on every
series (public and private), its evaluation eligibility, its reviews against the contest's N, its combined
levels, the human agreement of its latest validation, its eligible tier and its award; sorted and filtered by
the page's query parameters (`OverviewQuery`), the same for the page and its CSV. Beside it, the mean scaling
curves of the round's accepted tasks (Wei et al.'s Figure 1): per series and model, the mean accuracy over
the tasks that have one, and the mean loss over the tasks whose metric is a loss.

Fixed queries whatever the number of submissions (the trends come from the trend cache once computed).
The caller is an organizer (portal.access.organizer_required): every series and every username is theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from evaluation import selectors as evaluation_selectors
from evaluation.engine.metrics import get_metric
from evaluation.models import ModelSeries
from portal.models import Round, Submission

from .. import prizes
from ..models import Award
from .reviews import criterion_keys, submitted_levels_of_each
from .rounds import review_settings
from .validation import ValidationSummary, agreement_of_each

READ = ("number", "task_name", "round_id", "contest_id", "owner__username", "current_version__submission_id",
        "current_version__number", "current_version__metric", "current_version__files")  # what the overview reads
ELIGIBILITY = {True: "eligible", False: "not eligible", None: "not known"}
SORTS = ("number", "task", "metric", "eligibility", "reviews", "tier", "award", "agreement")


@dataclass
class OverviewRow:
    submission: Submission
    trends: dict[str, str]  # series name -> the whole task's trend label ("" without one)
    eligibility: str  # ELIGIBILITY's words
    eligibility_reason: str
    reviews: int  # submitted
    required: int  # the contest's reviewers per submission
    levels: dict[str, str]  # criterion key -> the combined level ({} with no review)
    tier: str  # eligible by the combined levels (prizes.NONE: none)
    award: str  # the tier decided for the round ("" none), "(announced)" once announced
    validation: ValidationSummary | None
    accepted: bool  # an Accepted Task: eligible for a tier, or awarded
    task: evaluation_selectors.FileResults | None = field(repr=False, default=None)

    @property
    def review_status(self) -> str:
        return f"{self.reviews} of {self.required}" + (" (complete)" if self.reviews >= self.required else "")

    @property
    def agreement(self) -> float | None:
        return self.validation.agreement.human_agreement if self.validation else None


@dataclass(frozen=True)
class OverviewQuery:
    """The page's sort and filters, from its query string; an unknown value is ignored (the whole table)."""

    sort: str = "number"
    descending: bool = False
    q: str = ""  # part of the task's name
    eligibility: str = ""  # one of ELIGIBILITY's words
    tier: str = ""  # a tier, or "none"
    trend: str = ""  # a trend label on any series
    series: str = ""  # ... on this series only

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> OverviewQuery:
        sort = params.get("sort", "number")
        return cls(sort=sort if sort in SORTS or sort.startswith("trend:") else "number",
                   descending=params.get("order") == "desc", q=params.get("q", "").strip(),
                   eligibility=params.get("eligibility", "") if params.get("eligibility") in ELIGIBILITY.values() else "",
                   tier=params.get("tier", "") if params.get("tier") in (*prizes.TIERS, prizes.NONE) else "",
                   trend=params.get("trend", "").strip(), series=params.get("series", "").strip())

    def keeps(self, row: OverviewRow) -> bool:
        if self.q and self.q.lower() not in row.submission.task_name.lower():
            return False
        if self.eligibility and row.eligibility != self.eligibility:
            return False
        if self.tier and row.tier != self.tier:
            return False
        if self.trend:
            labels = [label for name, label in row.trends.items() if not self.series or name == self.series]
            return self.trend in labels
        return True

    def key(self, row: OverviewRow):
        """The sort key; rows without a value go last either way (by number among themselves)."""
        if self.sort.startswith("trend:"):
            value = row.trends.get(self.sort[len("trend:"):]) or None
        else:
            value = {"number": row.submission.number, "task": row.submission.task_name.lower(),
                     "metric": row.submission.current_version.metric, "eligibility": row.eligibility,
                     "reviews": row.reviews, "tier": prizes.TIER_RANK[row.tier],
                     "award": prizes.TIER_RANK.get(row.award.split(" ")[0], 0) if row.award else None,
                     "agreement": row.agreement}[self.sort]
        return value

    def _filters(self) -> dict[str, str]:
        kept = {"q": self.q, "eligibility": self.eligibility, "tier": self.tier, "trend": self.trend,
                "series": self.series}
        return {k: v for k, v in kept.items() if v}

    def link(self, key: str) -> str:
        """The query string that sorts by `key` (the other way round when it is the sort already), keeping the
        filters (from the first page)."""
        order = "desc" if self.sort == key and not self.descending else "asc"
        return "?" + urlencode({"sort": key, "order": order, **self._filters()})

    def page_link(self, number: int) -> str:
        """The query string of page `number` of the same sort and filters."""
        return "?" + urlencode({"sort": self.sort, "order": "desc" if self.descending else "asc", **self._filters(),
                                "page": number})

    def apply(self, rows: list[OverviewRow]) -> list[OverviewRow]:
        """The rows kept by the filters (`rows` by number), sorted; ties stay by number."""
        kept = [r for r in rows if self.keeps(r)]
        valued = sorted((r for r in kept if self.key(r) is not None), key=self.key, reverse=self.descending)
        return valued + [r for r in kept if self.key(r) is None]


@dataclass
class CurvePoint:
    model: str
    size: float
    mean: float  # over `tasks`
    tasks: int


@dataclass
class Curve:
    series: ModelSeries
    points: list[CurvePoint]


@dataclass
class RoundOverview:
    round: Round
    series: list[ModelSeries]
    criteria: list[str]
    rows: list[OverviewRow]  # every submission of the round, by number
    accuracy: list[Curve]  # the accepted tasks' mean accuracy per series
    loss: list[Curve]  # the accepted tasks' mean loss per series (tasks whose metric is a loss)
    accepted: int
    with_accuracy: int  # accepted tasks that have an accuracy
    with_loss: int


def mean_curves(tasks: list[evaluation_selectors.FileResults], series: list[ModelSeries], value) -> list[Curve]:
    """Per series, per model with a size: the mean of `value(result)` over the tasks whose whole task that model
    scored (Wei et al.'s average over tasks), in order of size; a series no task has a point on is left out."""
    out = []
    for s in series:
        sums: dict[str, list] = {}
        for task in tasks:
            row = next((r for r in task.series if r.series.pk == s.pk), None)
            for p in row.points if row else []:
                v = value(p.result)
                if p.size and v is not None:
                    entry = sums.setdefault(p.model.name, [p.size, 0.0, 0])
                    entry[1] += v
                    entry[2] += 1
        if sums:
            out.append(Curve(s, sorted((CurvePoint(model=name, size=size, mean=total / n, tasks=n)
                                        for name, (size, total, n) in sums.items()), key=lambda c: (c.size, c.model))))
    return out


def round_overview(round: Round) -> RoundOverview:
    submissions = list(Submission.objects.filter(round=round, current_version__isnull=False)
                       .select_related("current_version", "owner").order_by("number", "pk")
                       .only(*READ))
    series = list(ModelSeries.objects.all())
    levels_of = submitted_levels_of_each(submissions)
    results = evaluation_selectors.task_results_of_each(versions=[s.current_version for s in submissions])
    validations = agreement_of_each(submissions)
    announced = Round.objects.filter(pk=round.pk, review_round__awards_announced_at__isnull=False).exists()
    awards = {a.submission_id: a.tier for a in Award.objects.filter(round=round)}
    required = review_settings(round.contest).reviewers_per_submission
    criteria = criterion_keys()
    rows = []
    for s in submissions:
        reviews = levels_of[s.pk]
        combined = prizes.combine(reviews)
        tier = prizes.eligible_tier(combined)
        found = results[s.current_version_id]
        task = found.task
        trends = {row.series.name: (row.trend.label if row.trend else "") for row in (task.series if task else [])}
        award = awards.get(s.pk, "")
        rows.append(OverviewRow(
            submission=s, trends={x.name: trends.get(x.name, "") for x in series},
            eligibility=ELIGIBILITY[found.verdict.eligible], eligibility_reason=found.verdict.eligibility_reason,
            reviews=len(reviews), required=required, levels={c: combined.get(c, '') for c in criteria}, tier=tier,
            award=f"{award} (announced)" if award and announced else award, validation=validations[s.pk],
            accepted=tier != prizes.NONE or bool(award), task=task))
    tasks = [(r.submission.current_version.metric, r.task) for r in rows
             if r.accepted and r.task is not None and any(row.points for row in r.task.series)]
    with_accuracy = [t for m, t in tasks if get_metric(m).has_accuracy]
    with_loss = [t for m, t in tasks if get_metric(m).axis_label == "loss"]
    return RoundOverview(
        round=round, series=series, criteria=criteria, rows=rows,
        accuracy=mean_curves(with_accuracy, series, lambda r: r.accuracy),
        loss=mean_curves(with_loss, series, lambda r: r.mean),
        accepted=sum(1 for r in rows if r.accepted), with_accuracy=len(with_accuracy), with_loss=len(with_loss))
