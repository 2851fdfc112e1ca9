"""The three roles of the contest. One rule, used by every view, form and command."""

from __future__ import annotations

CONTESTANT = "contestant"
REVIEWER = "reviewer"
ORGANIZER = "organizer"
ROLE_CHOICES = [(CONTESTANT, "Contestant"), (REVIEWER, "Reviewer"), (ORGANIZER, "Organizer")]


def role_of(user) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return ORGANIZER
    profile = getattr(user, "profile", None)
    return profile.role if profile is not None else CONTESTANT
