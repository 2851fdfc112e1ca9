"""What the review side does when the contest side reports something (portal.signals) or an account changes."""

from __future__ import annotations

from . import services


def drop_conflicted_assignments(sender, version, **kwargs) -> None:
    """A new version may name new authors: remove assignments that a conflict now stands across."""
    services.drop_conflicted_assignments(submission=version.submission)


def drop_assignments_conflicted_by_email(sender, instance, created: bool = False, raw: bool = False,
                                         update_fields=None, **kwargs) -> None:
    """A saved account may have a new email (an organizer edits it, or its owner does): a reviewer's
    address or domain may now be an author's, or an owner's address a reviewer's domain. Remove the
    assignments a conflict now stands across, as a declared conflict does. A save that names its fields
    without the email (a login's last_login) changes nothing here."""
    if created or raw or (update_fields is not None and "email" not in update_fields):
        return
    services.drop_conflicted_assignments_of(user=instance)


def put_demo_reviewer_on_the_panel(sender, contest, organizer, reviewer, **kwargs) -> None:
    """seed_demo made the demo: its reviewer joins the demo contest's panel (added by its organizer), so the
    organizer can assign them at once."""
    services.add_reviewer(contest=contest, user=reviewer, by=organizer)
