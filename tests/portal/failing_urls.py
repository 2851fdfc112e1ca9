"""The portal's URLs plus views and a middleware with a bug in them, to see what an unexpected error
looks like to the client (used with @pytest.mark.urls and settings.MIDDLEWARE in test_error_pages),
and views that refuse a request the ways Django turns into 400 and 403 answers."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def broken_view(request):
    raise RuntimeError("boom: a bug in a view")


def suspicious_view(request):
    raise SuspiciousOperation("a tampered request")


def forbidden_view(request):
    raise PermissionDenied("not for you")


class BrokenMiddleware:
    """Fails on /broken-middleware/ (and under /api/), outside any view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.endswith("/broken-middleware/"):
            raise RuntimeError("boom: a bug in a middleware")
        return self.get_response(request)


urlpatterns = [
    path("broken/", broken_view),
    path("api/broken/", broken_view),
    path("suspicious/", suspicious_view),
    path("forbidden/", forbidden_view),
    *portal_urlpatterns,
]
