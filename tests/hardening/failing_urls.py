"""The portal's URLs plus views and a middleware with a bug in them, to see what an unexpected error
looks like to the client (used with @pytest.mark.urls and settings.MIDDLEWARE in test_error_pages)."""

from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def broken_view(request):
    raise RuntimeError("boom: a bug in a view")


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
    *portal_urlpatterns,
]
