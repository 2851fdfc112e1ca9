"""Each version's whole-task summary, kept, so that the organizers' overview of a round of 10,000 submissions
reads one row per version instead of computing every whole task's results (selectors.task_results_of_each) at
every view.

What a summary holds (a TaskSummary row), all from selectors.task_results_of_each and verdicts.verdict:
`trends`, {series id: trend label} for the series that have a trend on the whole task, and `two_models`, those
whose trend rests on two models (a comparison, not a shape: pages say so); `eligible` and `reason`,
the rules' eligibility before any organizer's decision; `points`, {series id: [[model id, accuracy, mean], ...]},
each model's pooled result on the whole task (read only when asked for: the mean curves of accepted tasks).

When it is read. A summary rests on (1) the version's runs and their results and (2) the model registry: the
series (name, visibility, x axis, order), their models (sizes, order) and the trend rule's version.
- (1) changes only where a run's result identities change: lifecycle.record_scored (a file stored),
  lifecycle.finish (the run's model identity) and a run deleted. Each bumps the version's generation
  (TaskResultsGeneration, lifecycle.results_changed) in its own transaction.
- (2) is fingerprinted at every read (`Registry.fingerprint`).
A stored summary is used only under the generation and the fingerprint it was computed under; otherwise it is
computed again and stored. A result's numbers are fixed by its key (the model identity names the weights), which
the trend cache relies on too. The organizers' decision on eligibility (EligibilityOverride) is not stored: it
is applied as the summary is read (verdicts.decided), so an override shows at once.

No race: the generation is read before the inputs. A change committed meanwhile bumps it, so what was computed
from the older state is stored under the older generation and never read (the next bump deletes it).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Case, F, FilteredRelation, Q, QuerySet, When
from django.db.models.functions import Coalesce

from evaluation.engine.trends import VERSION as TREND_VERSION
from portal.models import SubmissionVersion

from . import selectors, verdicts
from .models import EligibilityOverride, LanguageModel, ModelSeries, TaskSummary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Registry:
    """Every series (in their order) and model, as read once, and the fingerprint of what a summary rests on."""

    series: list[ModelSeries]
    models: dict[int, LanguageModel]
    fingerprint: str


def registry() -> Registry:
    """Two queries."""
    series = list(ModelSeries.objects.all())
    models = {m.pk: m for m in LanguageModel.objects.select_related("series").order_by("pk")}
    read = [TREND_VERSION, [[s.pk, s.name, s.visibility, s.x_axis] for s in series],
            [[m.pk, m.series_id, m.name, m.params, m.flops, m.position] for m in models.values()]]
    return Registry(series, models, hashlib.sha256(json.dumps(read).encode()).hexdigest())


@dataclass(frozen=True)
class Summary:
    """A version's whole task as the overview reads it, with the organizers' decision applied."""

    trends: dict[int, str]  # series id -> the whole task's trend label (series with a trend only)
    two_models: set[int]  # the series of `trends` whose trend rests on two models
    eligible: bool | None
    eligibility_reason: str
    points: dict[int, list[tuple[int, float | None, float | None]]] | None  # series id -> [(model id, accuracy,
    # mean)]; None unless asked for


def _computed(versions: Sequence[SubmissionVersion]) -> dict[int, dict]:
    """Version id -> its summary's fields, from the whole task's results (the trend cache's trends)."""
    found = selectors.task_results_of_each(versions=versions)
    out = {}
    for version in versions:
        task = found[version.pk].task
        rows = task.series if task else []
        rules = verdicts.verdict(trends=selectors.task_trends(task), override=None)
        out[version.pk] = {
            "trends": {str(r.series.pk): r.trend.label for r in rows if r.trend},
            "two_models": [r.series.pk for r in rows if r.trend and r.trend.shape is None],
            "eligible": rules.eligible, "reason": rules.eligibility_reason,
            "points": {str(r.series.pk): [[p.model.pk, p.result.accuracy, p.result.mean] for p in r.points]
                       for r in rows if r.points}}
    return out


def _afresh(version_id: int) -> dict:
    """A summary computed and not stored: for a version whose results changed between `keep` and the read."""
    return _computed(list(SubmissionVersion.objects.filter(pk=version_id).only("id", "submission_id", "files",
                                                                                 "metric")))[version_id]


def _kept(read: Registry, path: str = "") -> FilteredRelation:
    """The valid kept summary, joined from a version (`path` "") or through the relation `path` to one."""
    p = f"{path}__" if path else ""
    return FilteredRelation(f"{p}task_summaries", condition=Q(**{
        f"{p}task_summaries__registry": read.fingerprint,
        f"{p}task_summaries__generation": Coalesce(f"{p}results_generation__generation", 0)}))


def keep(versions: Sequence[int] | QuerySet, *, read: Registry) -> dict[int, dict]:
    """Compute and store the summaries of these versions that are missing or no longer valid (normally none: the
    workers keep them as runs finish, `keep_after_scoring`); version id -> the fields computed. One query when
    none is missing."""
    missing = dict(SubmissionVersion.objects.filter(pk__in=versions).order_by().annotate(kept=_kept(read))
                   .filter(kept__pk__isnull=True).values_list("pk", Coalesce("results_generation__generation", 0)))
    if not missing:
        return {}
    computed = _computed(list(SubmissionVersion.objects.filter(pk__in=list(missing))
                              .only("id", "submission_id", "files", "metric")))
    TaskSummary.objects.bulk_create(
        [TaskSummary(version_id=v, generation=missing[v], registry=read.fingerprint, **d)
         for v, d in computed.items()], batch_size=1000, update_conflicts=True,
        unique_fields=["version", "generation"], update_fields=["registry", "trends", "two_models", "eligible", "reason", "points"])
    return computed


def annotate(queryset: QuerySet, *, version: str, read: Registry) -> QuerySet:
    """`queryset` (of a model with a relation `version` to a SubmissionVersion, such as Submission's
    "current_version") with its version's kept summary, for sorting and filtering in SQL: `summary_trends`
    ({series id as a string: label}), `summary_two_models` ([series id]), `summary_eligible` as it stands (the organizers' decision when there is one),
    `summary_reason` (the rules'). Call `keep` first: a version without a valid summary (its results changed since)
    has NULLs, which the caller reads with `of_each`."""
    decision = f"{version}__submission__eligibility_override__eligible"
    return queryset.annotate(kept_summary=_kept(read, version)).annotate(
        summary_trends=F("kept_summary__trends"), summary_two_models=F("kept_summary__two_models"),
        summary_reason=F("kept_summary__reason"),
        summary_eligible=Case(When(**{f"{decision}__isnull": False}, then=F(decision)),
                              default=F("kept_summary__eligible")))


def of_each(versions: Sequence[int] | QuerySet, *, read: Registry | None = None, points: bool = False,
            ) -> dict[int, Summary]:
    """Version id -> its Summary (with its points when `points`), for version ids or a QuerySet of them
    (`.values("pk")` or the like, used as a subquery); those not kept are computed and stored first (`keep`). Two
    queries and the registry's two when every summary is kept (none for an empty list); for a version whose
    results changed meanwhile, what this reader computed from what it read (stored under the older generation).
    A submission the organizers decided on carries their decision."""
    if isinstance(versions, Sequence) and not versions:
        return {}
    read = read or registry()
    computed = keep(versions, read=read)
    fields = ["trends", "two_models", "eligible", "reason", *(["points"] if points else [])]
    rows = (SubmissionVersion.objects.filter(pk__in=versions).order_by().annotate(kept=_kept(read))
            .values_list("pk", *(f"kept__{f}" for f in fields),
                         "submission__eligibility_override__eligible", "submission__eligibility_override__reason"))
    out = {}
    for pk, *values, decided, decided_reason in rows:
        d = dict(zip(fields, values)) if values[0] is not None else computed.get(pk) or _afresh(pk)
        override = EligibilityOverride(eligible=decided, reason=decided_reason) if decided is not None else None
        eligible, reason = verdicts.decided(d["eligible"], d["reason"], override)
        out[pk] = Summary(trends={int(k): label for k, label in d["trends"].items()},
                          two_models=set(d["two_models"]), eligible=eligible,
                          eligibility_reason=reason,
                          points={int(k): [tuple(p) for p in ps] for k, ps in d["points"].items()} if points else None)
    return out


def keep_after_scoring(version_id: int) -> None:
    """What a worker (or a partner's upload) does once a run of this version finished: keep its summary now, so
    that the organizers' overview reads it rather than computing it. Never fails the run: on any error the
    summary is computed when first read instead."""
    try:
        keep([version_id], read=registry())
    except Exception:
        log.exception("could not keep the whole-task summary of version %s; it is computed when read", version_id)
