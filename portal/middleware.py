"""Middleware for every request, pages and /api/ alike."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from . import errors, uploads
from .refusals import Refused, refused_page

# Exceptions Django itself turns into 400 or 403 answers (through portal.errors' handlers, or with
# DEBUG on through errors.NoTracebackReporter).
EXPECTED = (PermissionDenied, BadRequest, SuspiciousOperation, MultiPartParserError)


class ErrorPageMiddleware:
    """The outermost layer: every error answer is the portal's page (JSON under /api/), whatever
    DEBUG says.
    - An unexpected error in a view answers the plain page with a reference (logged with the
      traceback); with DEBUG on, errors outside views go through errors.NoTracebackReporter instead
      of Django's debug page and are answered the same way here.
    - With DEBUG on, a bad request (a disallowed Host header, say) gets the 400 page rather than
      Django's debug page, and a 404 (an Http404 in a view, or no URL pattern matching) the 404 page
      rather than Django's technical page that lists the URL patterns.
    - An error answer with no body of its own (405, say) gets the portal's page for its status.
    - A refusal (portal.refusals.Refused) that a view lets escape is answered with its message and
      status: the refused page, or `{"detail": message}` under /api/.
    A view's own error answer with a body (a form with its errors, DRF's JSON) is kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.exception_reporter_class = errors.NoTracebackReporter
        response = self.get_response(request)
        status = response.status_code
        if status < 400 or getattr(response, "portal_error_page", False):
            return response
        reference = getattr(request, "error_reference", None)
        if reference is not None and status >= 500:
            return errors.error_response(request, status=status, detail=errors.detail_for(status), reference=reference)
        if (getattr(request, "client_error", False)  # Django's debug page for a bad request
                or (status == 404 and request.resolver_match is None)  # no URL matched: Django's 404 page
                or (not response.streaming and not response.content)):
            return errors.error_response(request, status=status, detail=errors.detail_for(status))
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, UnreadablePostError):
            return errors.error_response(request, status=400, detail=errors.INTERRUPTED_DETAIL)
        if isinstance(exception, Http404):  # the same page whatever DEBUG says (not Django's technical 404)
            return errors.page_not_found(request, exception)
        if isinstance(exception, Refused):
            if errors.is_api(request):
                return errors.error_response(request, status=exception.status, detail=exception.message)
            return refused_page(request, exception)
        if isinstance(exception, EXPECTED):
            return None
        return errors.unexpected_error_response(request, (type(exception), exception, exception.__traceback__))


class RequestSizeLimitMiddleware:
    """Refuse a request body over UPLOAD_MAX_REQUEST_BYTES from its Content-Length alone, answering at
    once without reading any of the body: reading it first would hold a worker for as long as the
    client cares to send (or, for a client that declares a size and sends less, until it gives up).

    The server then closes the connection. A client that reads the answer while it is still sending
    (browsers, curl, urllib3) gets it; Django's runserver reads and drops the rest of the body after
    answering; docker-compose's nginx refuses such a request itself before it reaches the portal."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        size = _content_length(request)
        if size <= settings.UPLOAD_MAX_REQUEST_BYTES:
            return self.get_response(request)
        response = errors.error_response(request, status=413, detail=uploads.request_too_large_message(size))
        response["Content-Length"] = str(len(response.content))  # the client knows where the answer ends
        return response


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0
