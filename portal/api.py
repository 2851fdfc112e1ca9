"""The contest side's REST endpoints (Django REST Framework), included under /api/ by portal/urls.py.

The same selectors as the pages decide what each user sees, and the same services decide what they
may do. A refused upload answers 400 `{"errors": [...], "warnings": [...]}`: the zip's problems
shaped as `validate_submission --json` prints them, or `{"field", "message"}` for a form field (a
refusal that names a field too). Any other refusal by the services answers `{"detail": message}`
with the refusal's status, as the pages give it (portal.refusals).
"""

from __future__ import annotations

import json

from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import api_hooks, selectors, services, views
from .forms import AuthorFormSet, SubmissionForm
from .models import Contest, SubmissionVersion

FORM_FIELDS = SubmissionForm.Meta.fields
AUTHORS_SHAPE = 'a JSON list of {"name", "email", "affiliation"} objects'


class RoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    feedback_released_at = serializers.DateTimeField(allow_null=True)


class ContestSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    rounds = RoundSerializer(many=True, source="rounds.all")


class ObtainTokenView(ObtainAuthToken):
    """POST /api/auth/token/: DRF's token view, giving django-axes the Django request, which it marks
    when an account or address is locked (AxesMiddleware then answers 429, as for the login page)."""

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "request": self.request._request}


class ContestList(APIView):
    """GET /api/contests/: every contest with its slug and rounds (public, as the home page)."""

    permission_classes = [AllowAny]
    serializer_class = ContestSerializer

    def get(self, request):
        return Response(ContestSerializer(selectors.contests_with_rounds(), many=True).data)


# --- submissions: what a client sends ------------------------------------------------------------


def _author_errors(formset) -> list[str]:
    errors = [f"author {i}, {field}: {message}" for i, form_errors in enumerate(formset.errors, start=1)
              for field, messages in form_errors.items() for message in messages]
    return errors + list(formset.non_form_errors())


@extend_schema_field({"type": "string", "example": '[{"name": "Ada Lovelace", "email": "ada@example.org", '
                                                   '"affiliation": "Analytical Engines"}]'})
class AuthorsField(serializers.Field):
    """The authors as a JSON list (a string in a multipart body), checked by the submission page's own
    author rules (at least one, each with a name and an email, no email twice)."""

    def to_internal_value(self, data) -> tuple[services.AuthorData, ...]:
        if isinstance(data, str):
            try:
                data = json.loads(data)
            except json.JSONDecodeError as error:
                raise serializers.ValidationError(f"Send the authors as {AUTHORS_SHAPE}; this is not JSON "
                                                  f"({error}).") from None
        if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
            raise serializers.ValidationError(f"Send the authors as {AUTHORS_SHAPE}.")
        formset_data = {"authors-TOTAL_FORMS": str(len(data)), "authors-INITIAL_FORMS": "0"}
        for i, item in enumerate(data):
            for key in ("name", "email", "affiliation"):
                value = item.get(key)
                formset_data[f"authors-{i}-{key}"] = "" if value is None else str(value)
        formset = AuthorFormSet(formset_data, prefix="authors")
        if not formset.is_valid():
            raise serializers.ValidationError(_author_errors(formset))
        return formset.authors()


def _choice_message(field: str, choices) -> dict:
    names = ", ".join(value for value, _ in choices)
    return {"error_messages": {"invalid_choice": f'"{{input}}" is not a valid {field}; use one of: {names}.'}}


class SubmissionRequestSerializer(serializers.ModelSerializer):
    """POST /api/contests/<slug>/submissions/: the submission form's fields, the authors and the zip."""

    authors = AuthorsField(help_text=f"The authors, as {AUTHORS_SHAPE}.")
    zip_file = serializers.FileField(help_text="The task's zip of CSV files (as on the submission page).")

    class Meta:
        model = SubmissionVersion
        fields = [*FORM_FIELDS, "authors", "zip_file"]
        extra_kwargs = {"metric": _choice_message("metric", SubmissionVersion.METRIC_CHOICES),
                        "shot_setting": _choice_message("shot_setting", SubmissionVersion.SHOT_CHOICES)}

    def submission_data(self) -> services.SubmissionData:
        values = {name: value for name, value in self.validated_data.items() if name in FORM_FIELDS}
        return services.SubmissionData(authors=self.validated_data["authors"], **values)


class EditRequestSerializer(SubmissionRequestSerializer):
    """POST /api/submissions/<id>/versions/: the same fields; without a zip the current one is kept."""

    zip_file = serializers.FileField(required=False, help_text="A new zip; leave it out to keep the current files.")


# --- submissions: what the API answers -------------------------------------------------------------


class IssueSerializer(serializers.Serializer):
    """One problem of an upload, as `validate_submission --json` prints it."""

    file = serializers.CharField(allow_null=True)
    line = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text="The request field to correct (null: the request as a whole).")
    message = serializers.CharField()


class UploadRejectedSerializer(serializers.Serializer):
    errors = IssueSerializer(many=True)
    warnings = IssueSerializer(many=True)


class FieldsRejectedSerializer(serializers.Serializer):
    errors = FieldErrorSerializer(many=True)
    warnings = serializers.ListField(child=serializers.DictField(), help_text="Empty: the zip is read once the fields are valid.")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SavedSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The submission's id.")
    version = serializers.IntegerField(help_text="The number of the version saved.")
    warnings = IssueSerializer(many=True)


REJECTED = PolymorphicProxySerializer(component_name="SubmissionRejected", resource_type_field_name=None,
                                      serializers=[UploadRejectedSerializer, FieldsRejectedSerializer])


def _field_errors(errors: dict) -> Response:
    items = [{"field": None if name == "non_field_errors" else name, "message": str(message)}
             for name, messages in errors.items() for message in messages]
    return Response({"errors": items, "warnings": []}, status=status.HTTP_400_BAD_REQUEST)


def _upload_rejected(rejected: services.UploadRejected) -> Response:
    report = rejected.report
    return Response({"errors": [e.as_dict() for e in report.errors], "warnings": [w.as_dict() for w in report.warnings]},
                    status=status.HTTP_400_BAD_REQUEST)


def _saved(version: SubmissionVersion) -> Response:
    return Response({"id": version.submission_id, "version": version.number, "warnings": version.warnings},
                    status=status.HTTP_201_CREATED,
                    headers={"Location": reverse("api-submission", args=[version.submission_id])})


SAVE_RESPONSES = {201: SavedSerializer, 400: REJECTED, 401: DetailSerializer, 403: DetailSerializer,
                  404: DetailSerializer}


class SubmissionCreate(APIView):
    """POST /api/contests/<slug>/submissions/: a new submission (its version 1), as the submission page."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]
    field_errors = staticmethod(_field_errors)  # a refusal about a field answers as the field's own errors

    @extend_schema(request={"multipart/form-data": SubmissionRequestSerializer}, responses=SAVE_RESPONSES)
    def post(self, request, slug: str):
        contest = get_object_or_404(Contest, slug=slug)
        services.ensure_may_submit(user=request.user)
        body = SubmissionRequestSerializer(data=request.data)
        if not body.is_valid():
            return _field_errors(body.errors)
        try:
            submission = services.create_submission(user=request.user, contest=contest, data=body.submission_data(),
                                                    zip_file=body.validated_data["zip_file"])
        except services.UploadRejected as rejected:
            return _upload_rejected(rejected)
        return _saved(submission.current_version)


class SubmissionEdit(APIView):
    """POST /api/submissions/<id>/versions/: an edit (a new version), as the edit page."""

    parser_classes = [MultiPartParser, FormParser, JSONParser]
    field_errors = staticmethod(_field_errors)

    @extend_schema(request={"multipart/form-data": EditRequestSerializer}, responses=SAVE_RESPONSES)
    def post(self, request, pk: int):
        submission = selectors.get_submission_for(user=request.user, pk=pk)
        services.ensure_may_edit(user=request.user, submission=submission)
        body = EditRequestSerializer(data=request.data)
        if not body.is_valid():
            return _field_errors(body.errors)
        try:
            version = services.edit_submission(user=request.user, submission=submission, data=body.submission_data(),
                                               zip_file=body.validated_data.get("zip_file"))
        except services.UploadRejected as rejected:
            return _upload_rejected(rejected)
        return _saved(version)


# --- submissions: reading one ----------------------------------------------------------------------


class AuthorSerializer(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.EmailField()
    affiliation = serializers.CharField(allow_blank=True)


class VersionFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField(help_text="main, part or control")
    index = serializers.IntegerField(allow_null=True, help_text="The N of PARTN or CONTROLN.")
    rows = serializers.IntegerField()
    columns = serializers.ListField(child=serializers.CharField())
    sha256 = serializers.CharField()


class CurrentVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    files = VersionFileSerializer(many=True)
    warnings = IssueSerializer(many=True)
    download = serializers.SerializerMethodField(help_text="The address of the version's zip.")

    def get_download(self, version: SubmissionVersion) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api-version-download", args=[version.submission_id, version.number]))


class SubmissionSerializer(serializers.ModelSerializer):
    """A submission as its current version states it: the form's fields, the authors and the files."""

    id = serializers.IntegerField(source="submission.pk")
    contest = serializers.SlugField(source="submission.contest.slug")
    round = serializers.IntegerField(source="submission.round.number")
    owner = serializers.CharField(source="submission.owner.username")
    created_at = serializers.DateTimeField(source="submission.created_at")
    updated_at = serializers.DateTimeField(source="submission.updated_at")
    edits_open = serializers.SerializerMethodField()
    authors = AuthorSerializer(many=True, source="authors.all")
    version = CurrentVersionSerializer(source="*")

    class Meta:
        model = SubmissionVersion
        fields = ["id", "contest", "round", "owner", "created_at", "updated_at", "edits_open", *FORM_FIELDS,
                  "authors", "version"]

    def get_edits_open(self, version: SubmissionVersion) -> bool:
        return selectors.edits_open(submission=version.submission)


@extend_schema_serializer(component_name="Submission")
class SubmissionDocumented(SubmissionSerializer):
    """GET /api/submissions/<id>/ as the schema documents it: SubmissionSerializer's fields and those that
    other apps add (portal.api_hooks)."""

    def get_fields(self):
        return {**super().get_fields(), **api_hooks.schema_fields()}


class SubmissionDetail(APIView):
    """GET /api/submissions/<id>/: the submission, its current version and its evaluation (404 for a
    submission this user may not see, as on the pages)."""

    @extend_schema(responses={200: SubmissionDocumented, 401: DetailSerializer, 404: DetailSerializer})
    def get(self, request, pk: int):
        submission = selectors.get_submission_for(user=request.user, pk=pk)
        version = submission.current_version
        version.submission = submission  # with its contest, round and owner already read
        body = SubmissionSerializer(version, context={"request": request}).data
        return Response({**body, **api_hooks.submission_fields(request=request, submission=submission)})


class VersionDownload(APIView):
    """GET /api/submissions/<id>/versions/<n>/download/: a version's zip, answered by the page's own
    download view, for a token as for a session."""

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, pk: int, number: int):
        return views.version_download(request._request, pk=pk, number=number)


urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("contests/", ContestList.as_view(), name="api-contests"),
    path("contests/<slug:slug>/submissions/", SubmissionCreate.as_view(), name="api-submission-create"),
    path("submissions/<int:pk>/", SubmissionDetail.as_view(), name="api-submission"),
    path("submissions/<int:pk>/versions/", SubmissionEdit.as_view(), name="api-submission-edit"),
    path("submissions/<int:pk>/versions/<int:number>/download/", VersionDownload.as_view(),
         name="api-version-download"),
]
