"""The roles of the contest. One rule, used by every view, form and command.

A validator answers sampled examples of tasks blind (the human validation of labels) and does nothing
else; a reviewer account may also be named to validate.
"""

from __future__ import annotations

CONTESTANT = "contestant"
REVIEWER = "reviewer"
VALIDATOR = "validator"
ORGANIZER = "organizer"
ROLE_CHOICES = [(CONTESTANT, "Contestant"), (REVIEWER, "Reviewer"), (VALIDATOR, "Validator"),
                (ORGANIZER, "Organizer")]


def role_of(user) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return ORGANIZER
    profile = getattr(user, "profile", None)
    return profile.role if profile is not None else CONTESTANT
