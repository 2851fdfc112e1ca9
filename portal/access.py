"""Who may open the organizers' pages and endpoints: one check for pages, one permission for the API.

A logged-in user who is not an organizer gets the same answer on every organizer URL of every app:
403 with the portal's refused page (pages) or `{"detail": ...}` (the API). Anyone not logged in is
sent to the login page (pages) or answered 401 (the API). An object a user may not know exists
stays a 404, as its own selector decides.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from rest_framework.permissions import BasePermission

from .refusals import Refused, refused_page
from .roles import ORGANIZER, role_of

PAGE_REFUSAL = "Only organizers can open this page."
API_REFUSAL = "Only organizers may use this endpoint."


def is_organizer(user) -> bool:
    return role_of(user) == ORGANIZER


def organizer_required(view):
    """A page for organizers only (login first). Marks the view `organizers_only` for the URL checks."""
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_organizer(request.user):
            return refused_page(request, Refused(PAGE_REFUSAL, status=403))
        return view(request, *args, **kwargs)
    wrapped.organizers_only = True
    return wrapped


class IsOrganizer(BasePermission):
    """An endpoint for organizers only: put it after IsAuthenticated in `permission_classes`, so that a
    request without a valid token is answered 401."""

    message = API_REFUSAL

    def has_permission(self, request, view) -> bool:
        return is_organizer(request.user)
