"""The evaluation's REST endpoints, included under /api/ by portal/urls.py. The same selectors as the
pages decide what each user sees."""

from __future__ import annotations

from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluation.engine.trends import LABELS
from portal import selectors as portal_selectors
from portal.roles import ORGANIZER, role_of

from . import selectors
from .progress import RunProgress, evaluation_status, progress_of


def _trend(trend) -> dict | None:
    return trend.as_dict() if trend else None


def _series_rows(request, submission, file_results, *, with_csv: bool) -> list[dict]:
    rows = []
    for row in file_results.series:
        models = []
        for point in row.points:
            entry = point.as_dict()
            if with_csv and request is not None:
                entry["csv"] = request.build_absolute_uri(reverse(
                    "api-example-csv", args=[submission.pk, file_results.sha256, point.model.name]))
            models.append(entry)
        rows.append({"series": row.series.name, "visibility": row.series.visibility, "models": models,
                     "trend": _trend(row.trend), "errors": row.errors})
    return rows


def results_payload(request, submission, results: selectors.SubmissionResults, *, hashes: bool = True) -> dict:
    """The results JSON: per file, per series, per model; plus the whole task and the verdict. With no
    request (the reviewers' payload, an exported benchmark) the per-example `csv` links are left out;
    without `hashes` (the reviewers' payload) each file's sha256 too."""
    files = [{"name": f.name, "kind": f.kind, "index": f.index, "rows": f.rows,
              **({"sha256": f.sha256} if hashes else {}), "shots": f.shots, "source": f.source,
              "series": _series_rows(request, submission, f, with_csv=True)} for f in results.files]
    verdict = results.verdict
    return {
        "metric": results.metric, "version": results.version.number, "files": files,
        "task": {"rows": results.task.rows, "series": _series_rows(request, submission, results.task, with_csv=False)}
        if results.task else None,
        "verdict": {"inverse_series": verdict.inverse, "strictly_inverse_series": verdict.strictly_inverse,
                    "series_with_trend": verdict.series_with_trend, "on_two_models": verdict.on_two_models,
                    "eligible": verdict.eligible,
                    "eligibility_reason": verdict.eligibility_reason,
                    "overridden": verdict.override is not None},
    }


class ModelResultSerializer(serializers.Serializer):
    model = serializers.CharField(help_text="The model's registered name.")
    params = serializers.IntegerField(allow_null=True)
    n = serializers.IntegerField(help_text="Examples scored.")
    mean = serializers.FloatField(allow_null=True)
    sem = serializers.FloatField(allow_null=True, help_text="Standard error of the mean over examples.")
    accuracy = serializers.FloatField(allow_null=True)
    class_mass = serializers.FloatField(allow_null=True)
    baseline = serializers.FloatField(allow_null=True)
    csv = serializers.URLField(required=False, help_text="The per-example results (line, value, correct, ...).")


class TrendSerializer(serializers.Serializer):
    label = serializers.ChoiceField(choices=list(LABELS), help_text=(
        "The shape with three or more models; with two, the comparison's direction (see `comparison`)."))
    slope = serializers.FloatField(help_text="Change of the mean per `slope_unit` of size.")
    slope_ci = serializers.ListField(child=serializers.FloatField(), help_text="Its 95% interval.")
    spearman = serializers.FloatField(allow_null=True, help_text="Null with two models.")
    monotonic = serializers.BooleanField(help_text="Strictly monotonic over three or more models; false with two.")
    models = serializers.IntegerField(help_text="How many models the trend rests on.")
    shape = serializers.ChoiceField(choices=list(LABELS), allow_null=True,
                                    help_text="Null with two models.")
    comparison = serializers.ChoiceField(choices=["worse", "better", "no different"], allow_null=True,
                                         help_text="Two models: the larger against the smaller; null with more.")
    difference = serializers.FloatField(help_text="The largest model's mean minus the smallest's, same examples.")
    difference_ci = serializers.ListField(child=serializers.FloatField(allow_null=True),
                                          help_text="Its paired 95% interval.")
    slope_unit = serializers.ChoiceField(choices=["per decade of size", "per doubling of size"])
    headline = serializers.CharField(help_text='The shape, or "two models: the larger is worse|better|no different".')


class ModelErrorSerializer(serializers.Serializer):
    model = serializers.CharField(help_text="The model's registered name.")
    message = serializers.CharField(help_text="Why this model has no result on this file.")


class SeriesResultSerializer(serializers.Serializer):
    series = serializers.CharField()
    visibility = serializers.CharField()
    models = ModelResultSerializer(many=True)
    trend = TrendSerializer(allow_null=True)
    errors = ModelErrorSerializer(many=True, help_text=(
        "The series' models whose run ended failed without a result on this file, each with the reason "
        "(empty for the whole task)."))


class FileResultSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField(help_text="main, part or control")
    index = serializers.IntegerField(allow_null=True)
    rows = serializers.IntegerField()
    sha256 = serializers.CharField(required=False, help_text="The file's SHA-256 as uploaded. Absent where "
                                   "reviewers read the results: it would confirm a guess of a redacted file's source.")
    shots = serializers.IntegerField(help_text="k of a few-shot variant; 0 for the file as uploaded.")
    source = serializers.CharField(allow_null=True, help_text="The file a few-shot variant was made from.")
    series = SeriesResultSerializer(many=True)


class TaskResultSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    series = SeriesResultSerializer(many=True)


class VerdictSerializer(serializers.Serializer):
    inverse_series = serializers.ListField(child=serializers.CharField())
    strictly_inverse_series = serializers.ListField(child=serializers.CharField())
    series_with_trend = serializers.IntegerField()
    on_two_models = serializers.ListField(child=serializers.CharField(), help_text=(
        "The series whose trend rests on two models: a comparison of the two, no shape, never strictly monotonic."))
    eligible = serializers.BooleanField(allow_null=True)
    eligibility_reason = serializers.CharField()
    overridden = serializers.BooleanField()


class ResultsSerializer(serializers.Serializer):
    metric = serializers.CharField()
    version = serializers.IntegerField()
    files = FileResultSerializer(many=True)
    task = TaskResultSerializer(allow_null=True, help_text="Every non-control file pooled (the task's parts).")
    verdict = VerdictSerializer()


class SubmissionResults(APIView):
    """GET /api/submissions/<id>/results/: the current version's results on the series you may see."""

    @extend_schema(responses=ResultsSerializer)
    def get(self, request, pk: int):
        submission = portal_selectors.get_submission_for(user=request.user, pk=pk)
        return Response(results_payload(request, submission, selectors.results_for(user=request.user,
                                                                                   submission=submission)))


class ExampleCsv(APIView):
    """GET /api/submissions/<id>/results/<sha256>/<model>.csv: one model's per-example results on one
    file (the `csv` links of the results), answered by the submission page's own download view, for a
    token as for a session."""

    @extend_schema(operation_id="submissions_results_csv_retrieve", responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request, pk: int, sha256: str, model_name: str):
        from .views import example_csv  # as in receivers.py: the pages load only when one is asked for

        return example_csv(request._request, pk=pk, sha256=sha256, model_name=model_name)


class ModelSerializer(serializers.Serializer):
    name = serializers.CharField()
    params = serializers.IntegerField(allow_null=True)
    flops = serializers.FloatField(allow_null=True)
    enabled = serializers.BooleanField()


class SeriesSerializer(serializers.Serializer):
    name = serializers.CharField()
    visibility = serializers.CharField()
    x_axis = serializers.CharField()
    enabled = serializers.BooleanField()
    models = ModelSerializer(many=True, source="models.all")


class SeriesList(APIView):
    """GET /api/series/: the model series (contestants see only the public ones)."""

    serializer_class = SeriesSerializer

    def get(self, request):
        return Response(SeriesSerializer(selectors.series_listed_to(request.user), many=True).data)


class EvaluationSerializer(serializers.Serializer):
    """The `evaluation` of GET /api/submissions/<id>/, over the current version's runs on the series
    you may see. "queued" with a total of 0: no run has started yet (and none starts while no public
    series is registered)."""

    status = serializers.ChoiceField(
        choices=["queued", "running", "done", "failed", "cancelled"],
        help_text="queued: no run has started; running: some have; done: every run finished and none failed; "
                  "failed: every run finished and one or more failed; cancelled: every run was cancelled. "
                  "done, failed and cancelled are final.")
    done = serializers.IntegerField(help_text="Examples scored so far, over every model (files already scored "
                                              "count while new work, such as a few-shot variant, is queued).")
    total = serializers.IntegerField(help_text="Examples to score, over every model; total - done is what is left.")


class FileErrorSerializer(serializers.Serializer):
    file = serializers.CharField()
    message = serializers.CharField(help_text="Why the model could not score this file.")


class RunSerializer(serializers.Serializer):
    series = serializers.CharField()
    model = serializers.CharField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed", "cancelled"])
    phase = serializers.CharField(help_text='While running: "loading model" or "scoring"; empty otherwise.')
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    message = serializers.CharField(help_text="Why a failed or cancelled run ended; empty otherwise.")
    file_errors = FileErrorSerializer(many=True, help_text="Files this model could not score, with the reason.")


def _progress(request, submission) -> list[RunProgress]:
    """The current version's runs on the series this user may see, read once per request for both fields."""
    read = getattr(request, "_evaluation_progress", None)
    if read is None or read[0] != submission.pk:
        series = selectors.visible_series(user=request.user, submission=submission)
        read = (submission.pk, progress_of(version=submission.current_version, series=series))
        request._evaluation_progress = read
    return read[1]


def evaluation_field(request, submission) -> dict:
    """The `evaluation` of GET /api/submissions/<id>/: {"status", "done", "total"} (portal.api_hooks)."""
    return evaluation_status(_progress(request, submission))


def evaluation_runs_field(request, submission) -> list[dict]:
    """The `evaluation_runs` of GET /api/submissions/<id>/: each model's run on the series you may see, with
    its status, phase, progress and, when it ended failed or cancelled, why (per file too)."""
    for_organizer = role_of(request.user) == ORGANIZER
    return [p.as_dict(for_organizer=for_organizer) for p in _progress(request, submission)]


def evaluation_runs_schema():
    return RunSerializer(many=True)


urlpatterns = [
    path("submissions/<int:pk>/results/", SubmissionResults.as_view(), name="api-submission-results"),
    path("submissions/<int:pk>/results/<str:sha256>/<str:model_name>.csv", ExampleCsv.as_view(),
         name="api-example-csv"),
    path("series/", SeriesList.as_view(), name="api-series"),
]
