"""The organizers' overview of a round: one row per submission of the round with its trend label on every
series (public and private), its evaluation eligibility, its reviews against the contest's N, its combined
levels, the human agreement of its latest validation, its eligible tier and its award; sorted and filtered by
the page's query parameters (`OverviewQuery`), the same for the page and its CSV. Beside it, the mean scaling
curves of the round's accepted tasks (Wei et al.'s Figure 1): per series and model, the mean accuracy over
the tasks that have one, and the mean loss over the tasks whose metric is a loss.

Fixed queries whatever the number of submissions: the whole tasks come from their kept summaries
(evaluation.summaries), computed once per change of a task's results.
The caller is an organizer (portal.access.organizer_required): every series and every username is theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db.models import Case, Value, When

from evaluation import summaries, verdicts
from evaluation.engine.metrics import get_metric
from evaluation.models import EligibilityOverride, ModelSeries
from portal.models import Round, Submission

from .. import prizes
from ..models import Award
from .reviews import criterion_keys, submitted_levels_of_each
from .rounds import review_settings
from .validation import ValidationSummary, agreement_of_each

ELIGIBILITY = {True: "eligible", False: "not eligible", None: "not known"}
NO_SERIES: frozenset[str] = frozenset()
SORTS = ("number", "task", "metric", "eligibility", "reviews", "tier", "award", "agreement")


class OverviewSubmission(NamedTuple):
    """What the overview reads of a submission (read as a row, not a Submission: 10,000 are read at once)."""

    pk: int
    number: int
    task_name: str
    owner: str  # the owner's username
    version_id: int  # the current version's
    metric: str


@dataclass
class Reviewed:
    """What the review side says of a round's submissions, read for those that have any (a round of 10,000
    submissions has few reviewed, awarded or validated): every other row reads the defaults."""

    levels: dict[int, list[dict[str, str]]]  # submission id -> its submitted reviews' levels
    awards: dict[int, str]  # submission id -> the tier decided for the round
    validations: dict[int, ValidationSummary | None]  # submission id -> its latest validation's summary
    announced: bool
    required: int  # the contest's reviewers per submission
    criteria: list[str]
    no_levels: dict[str, str] = field(init=False)

    def __post_init__(self):
        self.no_levels = dict.fromkeys(self.criteria, "")  # shared by the rows without a review (not changed)

    @property
    def candidates(self) -> set[int]:
        """The submissions that can be accepted: reviewed or awarded."""
        return self.levels.keys() | self.awards.keys()

    def tier_of(self, pk: int) -> str:
        """The submission's eligible tier by its combined levels (prizes.NONE without a review)."""
        return prizes.eligible_tier(prizes.combine(self.levels.get(pk, [])))

    @property
    def tiers(self) -> dict[int, str]:
        """Submission id -> tier_of, for those reviewed (every other one is at prizes.NONE)."""
        return {pk: self.tier_of(pk) for pk in self.levels}


class OverviewRow:
    """One submission of the overview: its whole task's trends and eligibility as read, and what the review side
    says of it (`Reviewed`), read when asked for (only the rows a page shows, and those sorted or filtered by it)."""

    def __init__(self, submission: OverviewSubmission, trends: dict[str, str], eligibility: str,
                 eligibility_reason: str, reviewed: Reviewed, two_models: frozenset[str] | set[str] = frozenset()):
        self.submission = submission
        self.trends = trends  # series name -> the whole task's trend label ("" without one), in the series' order
        self.two_models = two_models  # the series whose trend rests on two models (a comparison, not a shape)
        self.eligibility = eligibility  # ELIGIBILITY's words
        self.eligibility_reason = eligibility_reason
        self._reviewed = reviewed

    @property
    def trends_shown(self) -> dict[str, str]:
        """Series name -> the label as the page and the CSV write it: "inverse (two models)" for a trend that
        rests on two models, "" without one."""
        return {name: f"{label} (two models)" if label and name in self.two_models else label
                for name, label in self.trends.items()}

    @cached_property
    def reviews(self) -> int:
        """Submitted."""
        return len(self._reviewed.levels.get(self.submission.pk, ()))

    @property
    def required(self) -> int:
        return self._reviewed.required

    @cached_property
    def levels(self) -> dict[str, str]:
        """Criterion key -> the combined level ("" for each with no review)."""
        combined = prizes.combine(self._reviewed.levels.get(self.submission.pk, []))
        return {c: combined.get(c, "") for c in self._reviewed.criteria} if combined else self._reviewed.no_levels

    @cached_property
    def tier(self) -> str:
        """Eligible by the combined levels (prizes.NONE: none)."""
        return self._reviewed.tier_of(self.submission.pk)

    @cached_property
    def award(self) -> str:
        """The tier decided for the round ("" none), "(announced)" once announced."""
        award = self._reviewed.awards.get(self.submission.pk, "")
        return f"{award} (announced)" if award and self._reviewed.announced else award

    @property
    def validation(self) -> ValidationSummary | None:
        return self._reviewed.validations.get(self.submission.pk)

    @property
    def accepted(self) -> bool:
        """An Accepted Task: eligible for a tier, or awarded."""
        return self.tier != prizes.NONE or bool(self.award)

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

    def _key(self):
        """The sort key of a row; rows without a value (None) go last either way (by number among themselves)."""
        if self.sort.startswith("trend:"):
            series = self.sort[len("trend:"):]
            return lambda row: row.trends.get(series) or None
        return {"number": lambda row: row.submission.number, "task": lambda row: row.submission.task_name.lower(),
                "metric": lambda row: row.submission.metric, "eligibility": lambda row: row.eligibility,
                "reviews": lambda row: row.reviews, "tier": lambda row: prizes.TIER_RANK[row.tier],
                "award": lambda row: prizes.TIER_RANK.get(row.award.split(" ")[0], 0) if row.award else None,
                "agreement": lambda row: row.agreement}[self.sort]

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
        key = self._key()
        filtered = self.q or self.eligibility or self.tier or self.trend
        keyed = [(key(r), r) for r in rows if not filtered or self.keeps(r)]
        valued = sorted((pair for pair in keyed if pair[0] is not None), key=lambda pair: pair[0],
                        reverse=self.descending)
        return [r for _, r in valued] + [r for value, r in keyed if value is None]


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
    rows: list[OverviewRow]  # every submission of the round, by number (round_overview_page: the page's)
    total: int  # submissions in the round
    accuracy: list[Curve]  # the accepted tasks' mean accuracy per series
    loss: list[Curve]  # the accepted tasks' mean loss per series (tasks whose metric is a loss)
    accepted: int
    with_accuracy: int  # accepted tasks that have an accuracy
    with_loss: int


def mean_curves(points: list[dict], read: summaries.Registry, value) -> list[Curve]:
    """Per series, per model with a size: the mean of `value((accuracy, mean))` over the tasks (their whole task's
    points, {series id: [(model id, accuracy, mean)]}) that model scored (Wei et al.'s average over tasks), in
    order of size; a series no task has a point on is left out."""
    out = []
    for s in read.series:
        sums: dict[str, list] = {}
        for task in points:
            for model_id, accuracy, mean in task.get(s.pk, []):
                model, v = read.models[model_id], value((accuracy, mean))
                if model.size and v is not None:
                    entry = sums.setdefault(model.name, [model.size, 0.0, 0])
                    entry[1] += v
                    entry[2] += 1
        if sums:
            out.append(Curve(s, sorted((CurvePoint(model=name, size=size, mean=total / n, tasks=n)
                                        for name, (size, total, n) in sums.items()), key=lambda c: (c.size, c.model))))
    return out


def reviewed_in(round: Round, of_round) -> Reviewed:
    """The review side's facts on the round's submissions that have any (submitted_levels_of_each and
    agreement_of_each of those only)."""
    with_assignments = of_round.filter(review_assignments__isnull=False).order_by().distinct()
    with_validations = of_round.filter(label_validations__isnull=False).order_by().distinct()
    return Reviewed(levels={pk: levels for pk, levels in submitted_levels_of_each(with_assignments).items() if levels},
                    awards={a.submission_id: a.tier for a in Award.objects.filter(round=round)},
                    validations=agreement_of_each(with_validations),
                    announced=Round.objects.filter(pk=round.pk, review_round__awards_announced_at__isnull=False).exists(),
                    required=review_settings(round.contest).reviewers_per_submission, criteria=criterion_keys())


COLUMNS = ("pk", "number", "task_name", "owner__username", "current_version_id", "current_version__metric",
           "summary_eligible", "summary_reason", "eligibility_override__reason", "summary_trends",
           "summary_two_models")  # what a row reads
SQL_SORTS = ("number", "eligibility")  # a page sorted so (and filtered by anything but a trend) is read in SQL


def _rows(values, read: summaries.Registry, reviewed: Reviewed) -> list[OverviewRow]:
    """The rows of COLUMNS' values. A version whose summary was not valid when read (its results changed since it
    was kept) is read again through summaries.of_each, which computes it."""
    values = list(values)
    again = summaries.of_each([v[4] for v in values if v[9] is None], read=read)
    keys = [(s.name, str(s.pk)) for s in read.series]  # summary_trends is keyed by the series id as a string
    names = {s.pk: s.name for s in read.series}
    rows = []
    for pk, number, task_name, owner, version_id, metric, eligible, reason, decided, trends, two in values:
        if version_id in again:
            summary = again[version_id]
            trends, two = {str(k): label for k, label in summary.trends.items()}, summary.two_models
            eligible, reason = summary.eligible, summary.eligibility_reason
        elif decided is not None:  # the organizers' decision (summary_eligible is theirs), worded as everywhere else
            eligible, reason = verdicts.decided(None, reason, EligibilityOverride(eligible=eligible, reason=decided))
        rows.append(OverviewRow(OverviewSubmission(pk, number, task_name, owner, version_id, metric),
                                {name: trends.get(key, "") for name, key in keys}, ELIGIBILITY[eligible], reason,
                                reviewed, two_models={names[s] for s in two if s in names} if two else NO_SERIES))
    return rows


def _read(round: Round):
    """The round's submissions (a QuerySet), the registry, the review side's facts and the submissions with their
    kept summaries (a QuerySet: summaries.annotate; call `_keep` on those read first)."""
    of_round = Submission.objects.filter(round=round, current_version__isnull=False)
    read = summaries.registry()
    return of_round, read, reviewed_in(round, of_round), summaries.annotate(of_round, version="current_version",
                                                                           read=read)


def _keep(submissions, read: summaries.Registry) -> None:
    """Their current versions' summaries kept (computed now where the workers have not yet)."""
    summaries.keep(submissions.values("current_version_id"), read=read)


def _overview(round: Round, read: summaries.Registry, reviewed: Reviewed, rows: list[OverviewRow], total: int,
              accepted: list[OverviewRow]) -> RoundOverview:
    points = summaries.of_each([r.submission.version_id for r in accepted], read=read, points=True)
    scored = [(r.submission.metric, points[r.submission.version_id].points) for r in accepted
              if points[r.submission.version_id].points]
    with_accuracy = [p for m, p in scored if get_metric(m).has_accuracy]
    with_loss = [p for m, p in scored if get_metric(m).axis_label == "loss"]
    return RoundOverview(
        round=round, series=read.series, criteria=reviewed.criteria, rows=rows, total=total,
        accuracy=mean_curves(with_accuracy, read, lambda v: v[0]),
        loss=mean_curves(with_loss, read, lambda v: v[1]),
        accepted=len(accepted), with_accuracy=len(with_accuracy), with_loss=len(with_loss))


def round_overview(round: Round) -> RoundOverview:
    """Every submission's row, by number: one query for all of them (their whole tasks' kept summaries joined,
    evaluation.summaries), the review side's for the few it has facts on, and the accepted tasks' points."""
    of_round, read, reviewed, annotated = _read(round)
    _keep(of_round, read)
    rows = _rows(annotated.order_by("number", "pk").values_list(*COLUMNS), read, reviewed)
    candidates = reviewed.candidates
    return _overview(round, read, reviewed, rows, len(rows),
                     [r for r in rows if r.submission.pk in candidates and r.accepted])


def round_overview_page(round: Round, query: OverviewQuery, page: str | int | None, *, per_page: int,
                        ) -> tuple[RoundOverview, Page]:
    """One page of the overview as `query` sorts and filters it (its `rows` are the page's; the rest as
    round_overview). Sorted by number or eligibility, and not filtered by a trend, it is read in SQL: the page's
    rows only, whatever the number of submissions; otherwise every row is read and sorted as for the CSV
    (OverviewQuery.apply). Both give the same rows in the same order (tests/reviews/test_round_overview.py)."""
    if query.sort not in SQL_SORTS or query.trend:
        overview = round_overview(round)
        shown = Paginator(query.apply(overview.rows), per_page).get_page(page)
        overview.rows = list(shown.object_list)
        return overview, shown
    of_round, read, reviewed, annotated = _read(round)
    by_number = query.sort == "number" and not query.eligibility  # the submissions alone, then the page's rows
    candidates = of_round.filter(pk__in=list(reviewed.candidates))
    if not by_number:
        _keep(of_round, read)
    selected = of_round if by_number else annotated
    if query.q:
        selected = selected.filter(task_name__icontains=query.q)
    if query.eligibility:
        value = {word: v for v, word in ELIGIBILITY.items()}[query.eligibility]
        selected = selected.filter(summary_eligible__isnull=True) if value is None else selected.filter(
            summary_eligible=value)
    tiers = reviewed.tiers  # a submission with no review and no award is at prizes.NONE
    if query.tier == prizes.NONE:
        selected = selected.exclude(pk__in=[pk for pk, tier in tiers.items() if tier != prizes.NONE])
    elif query.tier:
        selected = selected.filter(pk__in=[pk for pk, tier in tiers.items() if tier == query.tier])
    order = ["-number" if query.descending else "number", "pk"]
    if query.sort == "eligibility":  # by its word, as OverviewQuery.apply sorts it; ties by number
        words = sorted(ELIGIBILITY.items(), key=lambda item: item[1])
        rank = Case(*(When(summary_eligible__isnull=True, then=Value(i)) if v is None else When(
            summary_eligible=v, then=Value(i)) for i, (v, _) in enumerate(words)))
        order = [rank.desc() if query.descending else rank.asc(), "number", "pk"]
    if by_number:
        shown = Paginator(selected.order_by(*order).values_list("pk", flat=True), per_page).get_page(page)
        ids = list(shown.object_list)
        _keep(of_round.filter(pk__in=ids), read)
        found = {values[0]: values for values in annotated.filter(pk__in=ids).values_list(*COLUMNS)}
        rows = _rows([found[pk] for pk in ids], read, reviewed)
        _keep(candidates, read)
    else:
        shown = Paginator(selected.order_by(*order).values_list(*COLUMNS), per_page).get_page(page)
        rows = _rows(shown.object_list, read, reviewed)
    accepted = [r for r in _rows(annotated.filter(pk__in=list(reviewed.candidates)).order_by("number", "pk")
                                 .values_list(*COLUMNS), read, reviewed) if r.accepted]
    return _overview(round, read, reviewed, rows, of_round.count(), accepted), shown
