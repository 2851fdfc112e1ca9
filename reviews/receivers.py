"""What the review side does when the contest side reports something (portal.signals)."""

from __future__ import annotations

from . import services


def drop_conflicted_assignments(sender, version, **kwargs) -> None:
    """A new version may name new authors: remove assignments that a conflict now stands across."""
    services.drop_conflicted_assignments(submission=version.submission)
