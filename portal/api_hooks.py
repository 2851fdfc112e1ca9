"""Fields that other apps add to GET /api/submissions/<id>/, so the portal imports none of those apps.

An app registers each field in its AppConfig.ready(): a function that computes the value for a
submission the user may see, and the serializer that documents it in /api/schema/:

    api_hooks.register_submission_field("evaluation", evaluation_field, schema=EvaluationSerializer)
    # def evaluation_field(request, submission) -> dict
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from rest_framework import serializers

from .models import Submission

FieldValue = Callable[[HttpRequest, Submission], Any]
FieldSchema = Callable[[], serializers.Field]

_fields: dict[str, tuple[FieldValue, FieldSchema]] = {}


def register_submission_field(name: str, value: FieldValue, *, schema: FieldSchema) -> None:
    """Add `name` to the submission's API payload; registering a name again replaces it."""
    _fields[name] = (value, schema)


def submission_fields(*, request: HttpRequest, submission: Submission) -> dict[str, Any]:
    """Every registered field's value for this submission, by name."""
    return {name: value(request, submission) for name, (value, _) in _fields.items()}


def schema_fields() -> dict[str, serializers.Field]:
    """A new serializer field per registered name (a field belongs to one serializer)."""
    return {name: schema() for name, (_, schema) in _fields.items()}
