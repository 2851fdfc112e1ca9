"""One way to refuse: the base class of every refusal, and the one way each kind of answer shows it.

A service refuses by raising a subclass of `Refused` (SubmissionRefused, AccountRefused,
EvaluationRefused, ReviewsRefused, ...) with a message that says why and what to do instead, the
form field at fault when there is one, and the HTTP status an answer gives it. Nothing is stored
when a refusal is raised.

- The REST API: `api_exception_handler` (REST_FRAMEWORK's EXCEPTION_HANDLER) answers
  `{"detail": message}` with the refusal's status, or, where an endpoint answers problems of its
  fields in a shape of its own (its `field_errors`), that shape for a refusal that names a field.
- Pages: `act` runs an action posted from a page and goes back to it with the message (what was
  done, or why not); `add_to_form` puts a refusal on the form it is about; `refused_page` is the
  portal's page for a refusal, which also answers any refusal that a page view lets escape
  (portal.middleware.ErrorPageMiddleware).
- An invalid form is refused like the rest: `FormInvalid(form)` says every error with its field's label.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback


class Refused(Exception):
    """The action is refused; `message` says why and what to do instead, `field` names the form field
    at fault (None: the request as a whole), `status` is the HTTP status of the answer. A subclass may
    set its own default `status`."""

    status: int = 400

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


def form_errors(form: forms.BaseForm) -> str:
    """Every error of an invalid form, each after its field's label as the form names it (the field's
    name, capitalised, when it has no label of its own), e.g. "Domain: This field is required."."""
    return " ".join(" ".join(errors) if name == NON_FIELD_ERRORS else f"{form[name].label}: {' '.join(errors)}"
                    for name, errors in form.errors.items())


class FormInvalid(Refused):
    """A posted form with errors, refused with every error said (form_errors)."""

    def __init__(self, form: forms.BaseForm):
        super().__init__(form_errors(form))


def ensure_valid(form: forms.BaseForm) -> None:
    """Refuse an invalid form (FormInvalid)."""
    if not form.is_valid():
        raise FormInvalid(form)


# --- the REST API ------------------------------------------------------------------------------------


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """REST_FRAMEWORK's EXCEPTION_HANDLER: a refusal answers `{"detail": message}` with its status; an
    endpoint with a `field_errors` function (from {field: [messages]} to a response) answers a refusal
    that names a field with it. Every other exception is answered as Django REST Framework answers it."""
    if not isinstance(exc, Refused):
        return exception_handler(exc, context)
    set_rollback()
    field_errors = getattr(context.get("view"), "field_errors", None)
    if exc.field and field_errors is not None:
        return field_errors({exc.field: [exc.message]})
    return Response({"detail": exc.message}, status=exc.status)


# --- pages ---------------------------------------------------------------------------------------------


def refused_page(request: HttpRequest, refused: Refused, *, status: int | None = None,
                 confirm_email: bool = False) -> HttpResponse:
    """The portal's page for a refusal: its message, with the refusal's status unless `status` says
    otherwise; with `confirm_email`, a link to the page that confirms the account's email."""
    return render(request, "portal/refused.html", {"message": refused.message, "confirm_email": confirm_email},
                  status=refused.status if status is None else status)


def act(request: HttpRequest, action: Callable[[], str | None], *, back: str,
        done: str | None = None) -> HttpResponseRedirect:
    """An action posted from a page: run `action`, which returns the sentence that says what was done
    (or None to say nothing), and go to `done` (by default `back`). If it raises a refusal (an invalid
    form too), go `back` to the page it was asked from, saying why. `back` and `done` are URLs."""
    try:
        said = action()
    except Refused as refused:
        messages.error(request, refused.message)
        return redirect(back)
    if said:
        messages.success(request, said)
    return redirect(done or back)


def add_to_form(form: forms.BaseForm, refused: Refused) -> None:
    """Show a refusal on the form it is about: beside its field when the form has that field, above
    the form otherwise."""
    form.add_error(refused.field if refused.field in form.fields else None, refused.message)
