"""The contest side's REST endpoints (Django REST Framework), included under /api/ by portal/urls.py."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors


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


urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("contests/", ContestList.as_view(), name="api-contests"),
]
