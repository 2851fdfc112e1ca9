"""Error answers: every 4xx and 5xx page is the portal's own template (`<status>.html`), and under
/api/ it is JSON `{"detail": ..., "reference": ...}` with the same status.

An unexpected error gets a reference id, is logged with its traceback under that id, and the
client sees only the id, whatever DEBUG says (see portal.middleware.ErrorPageMiddleware). With DEBUG
on, the pages Django would show instead (its technical 404 page listing the URL patterns, its debug
page for a bad request) are replaced by the same pages as with DEBUG off.
"""

from __future__ import annotations

import logging
import sys
import uuid
from http import HTTPStatus

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.template.loader import select_template
from django.utils.html import escape
from django.views.debug import ExceptionReporter

logger = logging.getLogger("portal.errors")

DETAILS = {
    400: "The request could not be understood. Go back, reload the page and try again.",
    403: "You may not do this with your account.",
    404: "There is nothing at this address. Check it, or start again from the home page.",
    405: "This address does not accept that kind of request.",
    500: "Something went wrong on our side. Try again; if it happens again, tell the organizers the "
         "reference below.",
}
CSRF_DETAIL = ("The form's security token is missing or out of date (for example after you logged in "
               "in another tab). Reload the page and send the form again.")
INTERRUPTED_DETAIL = "The upload was interrupted before it arrived completely; send it again."
# What Django answers 400 for (with DEBUG on, through the exception reporter): the client's error, not a bug.
CLIENT_ERRORS = (SuspiciousOperation, BadRequest, MultiPartParserError)


def detail_for(status: int) -> str:
    return DETAILS.get(status) or DETAILS[500 if status >= 500 else 400]


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_response(request: HttpRequest, *, status: int, detail: str, reference: str | None = None) -> HttpResponse:
    """The portal's answer for an error: JSON under /api/, otherwise the page for that status."""
    if is_api(request):
        body = {"detail": detail} if reference is None else {"detail": detail, "reference": reference}
        response = JsonResponse(body, status=status)
    else:
        response = HttpResponse(_page(request, status=status, detail=detail, reference=reference), status=status)
    response.portal_error_page = True
    return response


def _page(request: HttpRequest, *, status: int, detail: str, reference: str | None) -> str:
    context = {"status": status, "title": HTTPStatus(status).phrase, "detail": detail, "reference": reference}
    template = select_template([f"{status}.html", "error.html"])
    try:
        return template.render(context, request)
    except Exception:  # the page itself failed (the database is down, say): say it plainly
        logger.exception("The %s page could not be rendered", status)
        reference_line = f"<p>Reference: <code>{escape(reference)}</code></p>" if reference else ""
        return f"<!doctype html><title>{status}</title><h1>{status}</h1><p>{escape(detail)}</p>{reference_line}"


def unexpected_error_response(request: HttpRequest, exc_info) -> HttpResponse:
    """Log the error with a new reference id and answer 500 with that id, never the traceback."""
    reference = getattr(request, "error_reference", None)
    if reference is None:  # not logged yet (the debug reporter may have been first)
        reference = request.error_reference = uuid.uuid4().hex[:12]
        logger.error("Unexpected error, reference %s, on %s %s", reference, request.method,
                     request.get_full_path(), exc_info=exc_info)
    return error_response(request, status=500, detail=DETAILS[500], reference=reference)


class NoTracebackReporter(ExceptionReporter):
    """Used for every request instead of Django's debug page when DEBUG is on: logs an unexpected
    error with a reference; portal.middleware.ErrorPageMiddleware then answers with the plain page.
    A bad request (a Host header not in ALLOWED_HOSTS, say) is the client's error: Django logs it
    under django.security, and the client gets the 400 page, as with DEBUG off."""

    def _plain(self) -> str:
        if self.request is not None and self.exc_type is not None and issubclass(self.exc_type, CLIENT_ERRORS):
            self.request.client_error = True
            response = error_response(self.request, status=400, detail=DETAILS[400])
        else:
            response = unexpected_error_response(self.request, (self.exc_type, self.exc_value, self.tb))
        return response.content.decode()

    def get_traceback_html(self) -> str:
        return self._plain()

    def get_traceback_text(self) -> str:
        return self._plain()


# The views Django calls for errors (handler400, handler403, handler404, handler500, CSRF_FAILURE_VIEW).

def bad_request(request, exception=None):
    return error_response(request, status=400, detail=DETAILS[400])


def permission_denied(request, exception=None):
    return error_response(request, status=403, detail=DETAILS[403])


def page_not_found(request, exception=None):
    return error_response(request, status=404, detail=DETAILS[404])


def server_error(request):
    return unexpected_error_response(request, sys.exc_info())


def csrf_failure(request, reason=""):
    return error_response(request, status=403, detail=CSRF_DETAIL)
