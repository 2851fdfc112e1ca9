"""Emails of the review side, sent through Django's email backend once the transaction commits.

`site` is the portal's address ("https://portal.example.org/", from the request); links are made
relative to it. Reviewers' emails name submissions only as selectors.submission_label does;
contestants' emails never name a reviewer.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from portal.deadlines import format_aoe


def _link(site: str, name: str, *args) -> str:
    return site.rstrip("/") + reverse(name, args=args)


def _message(template: str, context: dict, to: Iterable[str]) -> EmailMessage:
    subject = render_to_string(f"reviews/email/{template}_subject.txt", context).strip()
    return EmailMessage(subject, render_to_string(f"reviews/email/{template}.txt", context), None,
                        sorted({address for address in to if address}))


def _send_on_commit(messages: list[EmailMessage]) -> None:
    messages = [m for m in messages if m.to]
    if messages:
        transaction.on_commit(lambda: get_connection().send_messages(messages))


def assigned(*, reviewer, items: list[tuple[str, object]], site: str) -> None:
    """Tell a reviewer about new assignments: items are (submission label, due date or None)."""
    context = {"reviewer": reviewer, "link": _link(site, "reviews-home"),
               "items": [(label, format_aoe(due)) for label, due in items]}
    _send_on_commit([_message("assigned", context, [reviewer.email])])


def feedback_released(*, round, submissions, site: str) -> None:
    """Tell each owner of a submission of the round that its reviews can be read."""
    _send_on_commit([
        _message("feedback_released", {"round": round, "submission": s, "owner": s.owner,
                                       "link": _link(site, "submission-detail", s.pk)}, [s.owner.email])
        for s in submissions])


def awards_announced(*, round, awards, paid_before: dict[int, int], site: str) -> None:
    """Tell the owner and the authors of each awarded submission; an upgrade (award.upgraded_from) says what
    the earlier rounds paid (`paid_before`, by submission id) and what is paid in all."""
    messages = []
    for award in awards:
        submission = award.submission
        authors = [a.email for a in submission.current_version.authors.all()]
        earlier = paid_before.get(submission.pk, 0)
        context = {"round": round, "award": award, "submission": submission, "paid_before": earlier,
                   "total": earlier + award.amount, "link": _link(site, "submission-detail", submission.pk)}
        messages.append(_message("award", context, [submission.owner.email, *authors]))
    _send_on_commit(messages)
