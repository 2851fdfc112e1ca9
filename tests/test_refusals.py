"""One way to refuse (portal.refusals): every service's refusal is a `Refused` carrying its message, the field
at fault and the status; the API answers any refusal through one exception handler, pages through one
helper, and a refusal that a view lets escape is still answered with its message and status, never a 500.
This module is also the URL conf of its tests: views that refuse, beside the portal's URLs."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from evaluation.services import EvaluationRefused
from portal.accounts import AccountRefused
from portal.refusals import FormInvalid, Refused, add_to_form, form_errors
from portal.services import SubmissionRefused
from portal.urls import handler400, handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns
from reviews.services import ConflictRefused, NotAllowed, ReviewsRefused
from tests import factories

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


@pytest.mark.parametrize(("refusal", "status"), [
    (SubmissionRefused, 400), (AccountRefused, 400), (EvaluationRefused, 400), (ReviewsRefused, 400),
    (NotAllowed, 403), (ConflictRefused, 409)])
def test_every_refusal_is_one_kind_carrying_its_message_field_and_status(refusal, status):
    refused = refusal("Say why.", field="domain")
    assert isinstance(refused, Refused)
    assert (str(refused), refused.message, refused.field, refused.status) == ("Say why.", "Say why.", "domain", status)
    assert (refusal("Not you.", status=403).status, refusal("Not you.").field) == (403, None)


class ConflictForm(forms.Form):
    domain = forms.CharField()  # no label of its own: the form calls it "Domain"
    due_at = forms.DateTimeField(label="Due (UTC)", required=False)

    def clean(self):
        raise forms.ValidationError("Name a reviewer or a domain.")


def test_an_invalid_form_says_each_error_after_its_fields_label():
    form = ConflictForm({"due_at": "soon"})
    expected = "Domain: This field is required. Due (UTC): Enter a valid date/time. Name a reviewer or a domain."
    assert form_errors(form) == expected
    assert (FormInvalid(form).message, FormInvalid(form).status) == (expected, 400)


def test_a_refusal_goes_beside_its_field_or_above_a_form_that_has_no_such_field():
    form = ConflictForm({"domain": "x.test"})
    form.is_valid()
    add_to_form(form, Refused("x.test is a public mail domain.", field="domain"))
    add_to_form(form, Refused("Choose a level for every criterion.", field="levels"))
    assert form.errors == {"domain": ["x.test is a public mail domain."], "__all__": [
        "Name a reviewer or a domain.", "Choose a level for every criterion."]}


# --- views that let a refusal escape ----------------------------------------------------------------------


def refusing_page(request):
    raise ReviewsRefused("The awards of Round 1 are announced; they can no longer change.", status=403)


class RefusingEndpoint(APIView):
    def get(self, request):
        raise ConflictRefused("This conflict is declared already.", field="domain")


class FieldRefusingEndpoint(RefusingEndpoint):
    def field_errors(self, errors: dict) -> Response:
        return Response({"errors": [{"field": f, "message": m} for f, ms in errors.items() for m in ms]}, status=400)

    def post(self, request):
        raise ConflictRefused("Another run is being scored.")


urlpatterns = [
    path("refusing/", refusing_page),
    path("api/refusing-page/", refusing_page),
    path("api/refusing/", RefusingEndpoint.as_view()),
    path("api/refusing-field/", FieldRefusingEndpoint.as_view()),
    *portal_urlpatterns,
]


@pytest.mark.urls("tests.test_refusals")
@pytest.mark.django_db
def test_a_refusal_is_answered_with_its_message_and_status_wherever_it_is_raised(client):
    client.force_login(factories.organizer())
    message = "The awards of Round 1 are announced; they can no longer change."
    page = client.get("/refusing/")
    assert (page.status_code, page.context["message"]) == (403, message)
    assert f'<div class="alert alert-danger" role="alert" id="refusal">{message}</div>' in page.content.decode()
    outside_drf = client.get("/api/refusing-page/")
    assert (outside_drf.status_code, outside_drf.json()) == (403, {"detail": message})

    endpoint = client.get("/api/refusing/")  # it names a field, but this endpoint has no field errors
    assert (endpoint.status_code, endpoint.json()) == (409, {"detail": "This conflict is declared already."})
    with_fields = client.get("/api/refusing-field/")
    assert (with_fields.status_code, with_fields.json()) == (400, {"errors": [
        {"field": "domain", "message": "This conflict is declared already."}]})
    no_field = client.post("/api/refusing-field/")
    assert (no_field.status_code, no_field.json()) == (409, {"detail": "Another run is being scored."})
