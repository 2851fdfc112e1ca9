"""What each user may read of the evaluation: series, runs, results, trends, verdicts.

One rule decides which series' results a user sees for a submission (`visible_series`); every page,
JSON response and download asks it. The review side, which decides on its own who may read a
submission, reads results through `results_of` with the series it may show, and what an award would rest on
(eligibility, runs not finished) through `standing_of_each`. How files pool into the
whole task and what the verdict says are plain rules in verdicts.py.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import QuerySet

from evaluation.engine.metrics import get_metric
from evaluation.engine.trends import VERSION as TREND_VERSION
from evaluation.engine.trends import Trend, trend
from portal.models import Submission, SubmissionVersion
from portal.roles import CONTESTANT, ORGANIZER, role_of
from portal.selectors import feedback_released

from . import results_cache, verdicts
from .lifecycle import CONTESTANT_FAILURE
from .models import EligibilityOverride, FewShotRequest, LanguageModel, ModelSeries, Result, Run

TASK = "task"  # the pseudo-file that pools every non-control file of a task (its parts)


# --- visibility --------------------------------------------------------------------------------


def visible_series(*, user, submission: Submission) -> list[ModelSeries]:
    """The series whose results this user may see for this submission (which they may already see).

    Organizers see every series. The owner sees the public series, and the private ones once the
    organizers have released the feedback of the submission's round. Anyone else sees none here.
    """
    role = role_of(user)
    series = ModelSeries.objects.all()
    if role == ORGANIZER:
        return list(series)
    if role == CONTESTANT and submission.owner_id == user.pk:
        if feedback_released(round=submission.round):
            return list(series)
        return list(series.filter(visibility=ModelSeries.PUBLIC))
    return []


def series_listed_to(user) -> QuerySet[ModelSeries]:
    """The series a user may know exist (GET /api/series/): organizers all, everyone else the public ones."""
    series = ModelSeries.objects.prefetch_related("models")
    if role_of(user) == ORGANIZER:
        return series
    return series.filter(visibility=ModelSeries.PUBLIC)


def runs_for_organizers() -> QuerySet[Run]:
    return Run.objects.select_related("model__series", "version__submission__contest")


# --- results ---------------------------------------------------------------------------------------


@dataclass
class ModelPoint:
    """One model's numbers on one file."""

    model: LanguageModel
    result: Result

    @property
    def size(self) -> float | None:
        return self.model.size

    def as_dict(self) -> dict:
        r = self.result
        return {"model": self.model.name, "params": self.model.params, "n": r.n, "mean": r.mean, "sem": r.sem,
                "accuracy": r.accuracy, "class_mass": r.class_mass, "baseline": r.baseline}


@dataclass
class SeriesResults:
    series: ModelSeries
    points: list[ModelPoint]
    trend: Trend | None
    errors: list[dict] = field(default_factory=list)  # [{model, message}]: models that could not score the file


@dataclass
class FileResults:
    name: str
    kind: str
    index: int | None
    rows: int
    sha256: str
    shots: int = 0
    source: str | None = None
    series: list[SeriesResults] = field(default_factory=list)
    pooled: int = 1  # the files taken together: the whole task's parts, 1 for a file

    @property
    def label(self) -> str:
        return "whole task" if self.kind == TASK else self.name


@dataclass
class SubmissionResults:
    version: SubmissionVersion
    metric: str
    files: list[FileResults]
    task: FileResults | None
    verdict: verdicts.Verdict

    @property
    def shown(self) -> list[FileResults]:
        """What a page shows, each once: the whole task first when it pools two or more files, then every file.
        A task in one file is that file (the same examples, the same trends), so it is not shown twice."""
        task = [self.task] if self.task and self.task.pooled > 1 else []
        return task + self.files


def _version_files(version: SubmissionVersion, runs: Sequence[Run]) -> list[dict]:
    """The zip's files, each followed by the few-shot variants of it that some run scored, each once."""
    files = [dict(f, shots=0, source=None) for f in version.files]
    seen = {f["sha256"] for f in files}
    for run in runs:
        for f in run.files:
            if f.get("shots") and f["sha256"] not in seen:
                seen.add(f["sha256"])
                files.append(f)
    return beside_their_sources(files)


def beside_their_sources(files: list[dict]) -> list[dict]:
    """Uploaded files in their order, each followed by its few-shot variants (fewest shots first)."""
    variants: dict[str | None, list[dict]] = {}
    for f in files:
        if f.get("shots"):
            variants.setdefault(f.get("source"), []).append(f)
    ordered = []
    for f in (f for f in files if not f.get("shots")):
        ordered += [f, *sorted(variants.pop(f["name"], []), key=lambda v: v["shots"])]
    return ordered + [v for group in variants.values() for v in group]  # a variant of no listed file


def identity_for(run: Run, sha: str) -> str:
    """The model identity the run's result on this file is stored under: as recorded when it was stored
    (`Run.scored`), whatever the run's status now (new work queued on it hides nothing); for a run
    finished before files were recorded one by one, the identity its last scoring recorded."""
    return run.scored.get(sha) or run.model_identity


def _identities(runs: Sequence[Run]) -> set[str]:
    return {i for run in runs for i in (run.model_identity, *run.scored.values()) if i}


def _results_by_key(runs: Sequence[Run], shas: set[str], metric: str) -> dict[tuple[str, str], Result]:
    rows = Result.objects.filter(model_identity__in=_identities(runs), file_sha256__in=shas,
                                 metric=metric).defer("examples")
    return {(r.model_identity, r.file_sha256): r for r in rows}


def _points(sha: str, runs: Sequence[Run], results: dict) -> list[ModelPoint]:
    points = [ModelPoint(run.model, results[(identity_for(run, sha), sha)]) for run in runs
              if (identity_for(run, sha), sha) in results]
    return sorted(points, key=lambda p: (p.size is None, p.size or 0, p.model.position))


def _cached_trend(metric: str, shas: Sequence[str], points: Sequence[ModelPoint], memo: dict | None = None,
                  ) -> Trend | None:
    """The trend of a series over some files' pooled examples; computed once per exact input. `memo` keeps what
    one read of many tasks found, so tasks that share their files ask the cache once."""
    sized = [p for p in points if p.size]
    if len(sized) < 2:
        return None
    key = "trend:" + hashlib.sha256(json.dumps(
        [TREND_VERSION, metric, list(shas), [[p.result.model_identity, p.size] for p in sized]]).encode()).hexdigest()
    if memo is not None:
        if key not in memo:
            memo[key] = _cached_trend(metric, shas, points)
        return memo[key]
    hit = results_cache.get(key)
    if hit is not None:
        return Trend(**hit) if hit else None
    values = _pooled_values(metric, shas, [p.result.model_identity for p in sized])
    means = [sum(v) / len(v) if v else math.nan for v in values]
    computed = None
    if values and all(v and None not in v and len(v) == len(values[0]) for v in values):
        computed = trend([p.size for p in sized], values, worse=get_metric(metric).worse_direction(means))
    results_cache.put(key, dataclasses.asdict(computed) if computed else {})
    return computed


def _pooled_values(metric: str, shas: Sequence[str], identities: Sequence[str]) -> list[list[float]]:
    rows = Result.objects.filter(metric=metric, file_sha256__in=shas, model_identity__in=identities)
    by_key = {(r.model_identity, r.file_sha256): r.examples["value"] for r in rows.only(
        "model_identity", "file_sha256", "examples")}
    return [[v for sha in shas for v in by_key.get((identity, sha), [])] for identity in identities]


def _series_results(series_list, runs_by_series, shas, results, metric, *, name: str = "",
                    trends: dict | None = None) -> list[SeriesResults]:
    out = []
    for series in series_list:
        runs = runs_by_series.get(series.pk, [])
        points = _pooled_points(shas, runs, results)
        errors = _file_errors(name, runs, {p.model.pk for p in points}) if name else []
        out.append(SeriesResults(series, points, _cached_trend(metric, shas, points, memo=trends), errors))
    return out


def _file_errors(name: str, runs: Sequence[Run], with_result: set[int]) -> list[dict]:
    """[{model, message}] for the runs that ended without a result on the file named `name`: the engine's
    reason when the model could not score that file, or the plain sentence of a run that failed."""
    errors = []
    for run in sorted(runs, key=lambda r: (r.model.position, r.model.name)):
        if run.model_id in with_result or run.status != Run.FAILED:
            continue
        reasons = [e["message"] for e in run.file_errors if e.get("file") == name]
        message = "; ".join(reasons) if reasons else (None if run.file_errors else CONTESTANT_FAILURE)
        if message:
            errors.append({"model": run.model.name, "message": message})
    return errors


def _pooled_points(shas: Sequence[str], runs: Sequence[Run], results: dict) -> list[ModelPoint]:
    """Per model: its result if it scored one file, or a pooled mean over every file it scored."""
    if len(shas) == 1:
        return _points(shas[0], runs, results)
    points = []
    for run in runs:
        parts = [results.get((identity_for(run, sha), sha)) for sha in shas]
        if all(parts):
            points.append(ModelPoint(run.model, _pool(parts)))
    return sorted(points, key=lambda p: (p.size is None, p.size or 0, p.model.position))


def _pool(parts: Sequence[Result]) -> Result:
    """A Result-shaped summary of several files' examples together (verdicts.pooled: means weighted by rows)."""
    return Result(model_identity=parts[0].model_identity, file_sha256="", metric=parts[0].metric,
                  **dataclasses.asdict(verdicts.pooled(parts)))


def task_trends(task: FileResults | None) -> list[verdicts.SeriesTrend]:
    """The whole task's trend on each series that has one, in the series' order: what the verdict, and the
    reviewers' suggestions, read."""
    rows = task.series if task else []
    return [verdicts.SeriesTrend(s.series.name, private=s.series.is_private, trend=s.trend) for s in rows if s.trend]


def _verdict(task: FileResults | None, override: EligibilityOverride | None) -> verdicts.Verdict:
    """The verdict (verdicts.verdict) over the whole task's series that have a trend."""
    return verdicts.verdict(trends=task_trends(task), override=override)


def results_of(*, version: SubmissionVersion, series: Sequence[ModelSeries]) -> SubmissionResults:
    """Every file's results on `series` (the caller has decided the reader may see them)."""
    ids = [s.pk for s in series]
    runs = list(Run.objects.filter(version=version, model__series_id__in=ids).select_related("model__series"))
    files = _version_files(version, runs)
    results = _results_by_key(runs, {f["sha256"] for f in files}, version.metric)
    runs_by_series: dict[int, list[Run]] = {}
    for run in runs:
        runs_by_series.setdefault(run.model.series_id, []).append(run)
    out = []
    for f in files:
        row = FileResults(f["name"], f["kind"], f["index"], f["rows"], f["sha256"], f.get("shots", 0), f.get("source"))
        row.series = _series_results(series, runs_by_series, [f["sha256"]], results, version.metric, name=f["name"])
        out.append(row)
    task = _task_results(version, files, series, runs_by_series, results)
    override = EligibilityOverride.objects.filter(submission_id=version.submission_id).first()
    return SubmissionResults(version=version, metric=version.metric, files=out, task=task,
                             verdict=_verdict(task, override))


@dataclass
class Standing:
    """What the evaluation says of a version as the organizers decide its award: the eligibility as it stands
    (an organizer's decision when there is one), what the rules alone say, and its runs not finished yet
    (queued or running, on the public and on the private series) or failed."""

    verdict: verdicts.Verdict  # as it stands: eligible, eligibility_reason, override
    rules: verdicts.Verdict  # without the organizers' decision
    unfinished_public: int
    unfinished_private: int
    failed: int


@dataclass(frozen=True)
class _RunRow:
    """What a whole task's results need of a run (read as a row, not a Run: thousands are read at once)."""

    model: LanguageModel
    model_identity: str
    scored: dict  # file sha256 -> the identity its result is stored under (Run.scored)
    status: str


def _task_results_loaded(versions: Sequence[SubmissionVersion], *, rows: bool = False):
    """Every series, and per version its whole task's results on them (three queries); with `rows`, the runs
    are read as _RunRows (one more query: the models), which is faster for thousands of versions."""
    series = list(ModelSeries.objects.all())
    runs_of: dict[int, list] = {v.pk: [] for v in versions}
    if rows:
        models = {m.pk: m for m in LanguageModel.objects.select_related("series")}
        for version_id, model_id, identity, scored, status in Run.objects.filter(
                version_id__in=list(runs_of)).values_list("version_id", "model_id", "model_identity", "scored", "status"):
            runs_of[version_id].append(_RunRow(models[model_id], identity, scored, status))
    else:
        # what the whole task needs of a run (not its files, errors or per-file errors)
        for run in (Run.objects.filter(version__in=versions).select_related("model__series")
                    .defer("files", "file_errors", "error")):
            runs_of[run.version_id].append(run)
    identities = _identities([run for runs in runs_of.values() for run in runs])
    shas = {f["sha256"] for v in versions for f in v.files}
    results: dict[str, dict[tuple[str, str], Result]] = {}
    for row in Result.objects.filter(model_identity__in=identities, file_sha256__in=shas).defer("examples"):
        results.setdefault(row.metric, {})[(row.model_identity, row.file_sha256)] = row
    tasks, trends = {}, {}  # trends: read from the cache once per key in this call (tasks that share files)
    for version in versions:
        runs_by_series: dict[int, list[Run]] = {}
        for run in runs_of[version.pk]:
            runs_by_series.setdefault(run.model.series_id, []).append(run)
        tasks[version.pk] = _task_results(version, version.files, series, runs_by_series,
                                          results.get(version.metric, {}), trends=trends)
    return series, runs_of, tasks


@dataclass
class TaskResults:
    """A version's whole task (its non-control files pooled) on every series, and the verdict over it."""

    task: FileResults | None
    verdict: verdicts.Verdict  # as it stands: an organizers' decision when there is one


# used by reviews
def task_results_of_each(*, versions: Sequence[SubmissionVersion]) -> dict[int, TaskResults]:
    """Version id -> its whole task's results on every series, public and private, with their trends (the trend
    cache's), and its verdict; five queries whatever the number of versions. For a reader the caller has cleared
    to see private results (the organizers' overview; the public page of an announced round)."""
    if not versions:
        return {}
    _, _, tasks = _task_results_loaded(versions, rows=True)
    overrides = {o.submission_id: o for o in EligibilityOverride.objects.filter(
        submission_id__in=[v.submission_id for v in versions])}
    return {v.pk: TaskResults(task=tasks[v.pk], verdict=_verdict(tasks[v.pk], overrides.get(v.submission_id)))
            for v in versions}


def standing_of_each(*, versions: Sequence[SubmissionVersion]) -> dict[int, Standing]:
    """Version id -> its Standing, on every series, in four queries whatever the number of versions (the
    whole task's trends come from the trend cache, as on the results pages, once computed)."""
    if not versions:
        return {}
    _, runs_of, tasks = _task_results_loaded(versions)
    overrides = {o.submission_id: o for o in EligibilityOverride.objects.filter(
        submission_id__in=[v.submission_id for v in versions])}
    out = {}
    for version in versions:
        runs = runs_of[version.pk]
        task = tasks[version.pk]
        unfinished = [run for run in runs if run.status not in Run.FINISHED]
        private = sum(1 for run in unfinished if run.model.series.is_private)
        out[version.pk] = Standing(verdict=_verdict(task, overrides.get(version.submission_id)),
                                   rules=_verdict(task, None), unfinished_public=len(unfinished) - private,
                                   unfinished_private=private,
                                   failed=sum(1 for run in runs if run.status == Run.FAILED))
    return out


def _task_results(version, files, series, runs_by_series, results, trends: dict | None = None) -> FileResults | None:
    task_files = [f for f in files if f["kind"] != "control" and not f.get("shots")]
    if not task_files:
        return None
    shas = [f["sha256"] for f in task_files]
    row = FileResults(name="", kind=TASK, index=None, rows=sum(f["rows"] for f in task_files), sha256="",
                      pooled=len(task_files))
    row.series = _series_results(series, runs_by_series, shas, results, version.metric, trends=trends)
    return row


def results_for(*, user, submission: Submission) -> SubmissionResults:
    """The current version's results on the series this user may see."""
    return results_of(version=submission.current_version, series=visible_series(user=user, submission=submission))


def few_shot_requests(*, submission: Submission) -> list[int]:
    return list(FewShotRequest.objects.filter(submission=submission).values_list("k", flat=True))


def example_result(*, version: SubmissionVersion, series: Sequence[ModelSeries], sha256: str,
                   model_name: str) -> tuple[str, Result] | None:
    """(file name, result with its per-example columns) of one model on one file of the version, if
    the model's series is among `series`; None otherwise."""
    run = (Run.objects.filter(version=version, model__name=model_name, model__series__in=series)
           .select_related("model").first())
    if run is None:
        return None
    names = {f["sha256"]: f["name"] for f in _version_files(version, [run])}
    if sha256 not in names or not identity_for(run, sha256):
        return None
    result = Result.objects.filter(model_identity=identity_for(run, sha256), file_sha256=sha256,
                                   metric=version.metric).first()
    return (names[sha256], result) if result else None


# used by reviews
def results_on_every_series(*, version: SubmissionVersion) -> SubmissionResults:
    """The version's results on every series, public and private, for a reader the caller has cleared to
    see private results (a reviewer assigned to the submission; the organizers' benchmark export)."""
    return results_of(version=version, series=list(ModelSeries.objects.all()))
