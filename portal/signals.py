"""Signals the contest side sends. Other apps connect to them; the portal imports none of those apps."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with `version=` a new SubmissionVersion, after the transaction that stored it has committed
# (never for an upload that was refused). The evaluation app starts the version's model runs on it.
version_saved = Signal()

# Sent by seed_demo with `contest=` the demo contest, `organizer=` and `reviewer=` its demo accounts of those
# roles, once they exist. The review side puts the reviewer on the contest's panel.
demo_seeded = Signal()
