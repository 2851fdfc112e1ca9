"""The partner API, under /api/partner/ (portal/urls.py): token auth (`Authorization: Bearer TOKEN`),
the runs of the partner's own series only. Thin: the rules are in services.py.

    GET  runs/                      the runs that wait: id, model, metric, files (anonymised name,
                                    sha256, rows, download URL)
    POST runs/ID/claim/             lease the run; keep it with heartbeats
    POST runs/ID/heartbeat/         {"done", "total"}: examples scored so far (the progress bars)
    GET  runs/ID/files/NAME         the file exactly as submitted, under its anonymised name
    POST runs/ID/results/           {"files": [{"name", "sha256", "examples": [...]}]}
    POST runs/ID/fail/              {"message"}
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.urls import path, reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import authentication, exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from . import services, tokens


class PartnerPrincipal:
    """request.user of a partner's request: the partner, authenticated by its token."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = is_superuser = False
    pk = id = None

    def __init__(self, partner):
        self.partner = partner

    def __str__(self) -> str:
        return f"partner {self.partner.name}"


class PartnerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] not in ("Bearer", "Token"):
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Give the token as 'Authorization: Bearer TOKEN'.")
        try:
            partner = tokens.partner_for(header[1])
        except tokens.BadToken as bad:
            raise exceptions.AuthenticationFailed(str(bad)) from None
        return PartnerPrincipal(partner), header[1]

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="partner"'


class PartnerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "partners.api.PartnerTokenAuthentication"
    name = "partnerToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A partner token (manage.py partner_token NAME)."}


class IsPartner(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, PartnerPrincipal)


class LenientJSONParser(JSONParser):
    """JSON that may hold NaN or Infinity, so the upload's check can say which value is not finite."""

    strict = False


class PartnerView(APIView):
    authentication_classes = [PartnerTokenAuthentication]
    permission_classes = [IsPartner]
    parser_classes = [LenientJSONParser]

    @property
    def partner(self):
        return self.request.user.partner


# --- serializers (the schema, and what each endpoint answers) ------------------------------------


class PartnerFileSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Anonymised: task.csv, task-PART1.csv, task-CONTROL1.csv, task-4shot.csv.")
    kind = serializers.ChoiceField(choices=["main", "part", "control"])
    index = serializers.IntegerField(allow_null=True)
    rows = serializers.IntegerField()
    sha256 = serializers.CharField()
    shots = serializers.IntegerField(help_text="k of a few-shot variant (0: the file as submitted).")
    source = serializers.CharField(allow_null=True, help_text="A variant's file it is made from.")
    url = serializers.URLField(help_text="GET: the file's bytes.")


class PartnerRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    model = serializers.CharField(help_text="The model's registered name (map it to a local model).")
    metric = serializers.CharField()
    files = PartnerFileSerializer(many=True)


class PartnerClaimSerializer(PartnerRunSerializer):
    lease = serializers.CharField(help_text="This claim's id (optional in heartbeat, results and fail).")
    attempt = serializers.IntegerField()
    heartbeat_seconds = serializers.IntegerField(help_text="Beat at least this often.")
    lease_seconds = serializers.IntegerField(help_text="The lease ends after this long without a beat.")


class PartnerHeartbeatSerializer(serializers.Serializer):
    done = serializers.IntegerField(min_value=0)
    total = serializers.IntegerField(min_value=0)
    lease = serializers.CharField(required=False)


class PartnerRunStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class PartnerExampleSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    value = serializers.FloatField()
    correct = serializers.BooleanField(allow_null=True)
    predicted = serializers.CharField(allow_null=True)
    total_logprob = serializers.FloatField(allow_null=True)


class PartnerResultFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    sha256 = serializers.CharField()
    examples = PartnerExampleSerializer(many=True, required=False)
    warnings = serializers.ListField(child=serializers.CharField(), required=False)
    error = serializers.CharField(required=False, help_text="The model cannot score this file (no examples then).")


class PartnerResultsSerializer(serializers.Serializer):
    files = PartnerResultFileSerializer(many=True)
    model_identity = serializers.CharField(required=False, help_text="The engine's identity of your weights.")
    lease = serializers.CharField(required=False)


class PartnerFailSerializer(serializers.Serializer):
    message = serializers.CharField()
    lease = serializers.CharField(required=False)


def _files(request, run, files: list[dict]) -> list[dict]:
    return [{**f, "url": request.build_absolute_uri(reverse("partner-file", args=[run.pk, f["name"]]))} for f in files]


def _run(request, run, files: list[dict]) -> dict:
    return {"id": run.pk, "model": run.model.name, "metric": run.version.metric, "files": _files(request, run, files)}


def _status(run) -> dict:
    return {"id": run.pk, "status": run.status, "done": run.done_examples, "total": run.total_examples}


def _lease(request) -> str | None:
    lease = request.data.get("lease") if isinstance(request.data, dict) else None
    return lease if isinstance(lease, str) and lease else None


# --- views ---------------------------------------------------------------------------------------


class RunList(PartnerView):
    @extend_schema(responses=PartnerRunSerializer(many=True), summary="The runs of your series that wait to be claimed")
    def get(self, request):
        return Response([_run(request, run, services.listed_files(run)) for run in services.waiting(partner=self.partner)])


class Claim(PartnerView):
    @extend_schema(request=None, responses=PartnerClaimSerializer, summary="Lease a waiting run")
    def post(self, request, pk: int):
        claimed = services.claim(partner=self.partner, run_id=pk)
        return Response({**_run(request, claimed.run, claimed.files), "lease": claimed.lease,
                         "attempt": claimed.run.attempts, "heartbeat_seconds": settings.EVALUATION_HEARTBEAT_SECONDS,
                         "lease_seconds": settings.EVALUATION_STALE_AFTER_SECONDS})


class Heartbeat(PartnerView):
    @extend_schema(request=PartnerHeartbeatSerializer, responses=PartnerRunStatusSerializer, summary="Keep the lease; report progress")
    def post(self, request, pk: int):
        body = PartnerHeartbeatSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run = services.heartbeat(partner=self.partner, run_id=pk, done=body.validated_data["done"],
                                 total=body.validated_data["total"], lease=_lease(request))
        return Response(_status(run))


class FileDownload(PartnerView):
    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY}, summary="A run's file, as submitted")
    def get(self, request, pk: int, name: str):
        data = services.file_bytes(partner=self.partner, run_id=pk, name=name)
        response = HttpResponse(data, content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class Results(PartnerView):
    @extend_schema(request=PartnerResultsSerializer, responses=PartnerRunStatusSerializer, summary="Upload a leased run's results")
    def post(self, request, pk: int):
        return Response(_status(services.upload(partner=self.partner, run_id=pk, payload=request.data,
                                                lease=_lease(request))))


class Fail(PartnerView):
    @extend_schema(request=PartnerFailSerializer, responses=PartnerRunStatusSerializer, summary="Report that a leased run failed")
    def post(self, request, pk: int):
        message = request.data.get("message") if isinstance(request.data, dict) else None
        return Response(_status(services.fail(partner=self.partner, run_id=pk, message=message, lease=_lease(request))))


urlpatterns = [
    path("runs/", RunList.as_view(), name="partner-runs"),
    path("runs/<int:pk>/claim/", Claim.as_view(), name="partner-claim"),
    path("runs/<int:pk>/heartbeat/", Heartbeat.as_view(), name="partner-heartbeat"),
    path("runs/<int:pk>/files/<str:name>", FileDownload.as_view(), name="partner-file"),
    path("runs/<int:pk>/results/", Results.as_view(), name="partner-results"),
    path("runs/<int:pk>/fail/", Fail.as_view(), name="partner-fail"),
]
