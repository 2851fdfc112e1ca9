"""What the organizers add to a task for its authors and the public: the meta-review, the causes, the example
chosen for publication, and the contest's release licence.

- a meta-review: `meta_review_for` / `meta_reviews_for_each` (organizers: all of it; the owner: the summary once
  the round's feedback is released, "why it won" once the round's awards are announced and the task won; anyone
  else, the public included: "why it won" of a task whose prize is announced, never the summary);
- a task's causes: `causes_of` / `causes_of_each`, and its published example: `published_example_of` /
  `published_examples_of_each`. No visibility rule: neither names anyone, and the caller shows them where it
  shows the task (the organizers' pages; the public pages of an announced round);
- the release licence: `release_licence` (reviews/licences.py: SPDX id, name, URL, the Hub's id).

Each bulk read takes a fixed number of queries, whatever the number of submissions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from portal.models import Contest, Submission
from portal.roles import CONTESTANT, ORGANIZER, role_of
from portal.selectors import feedback_released

from .. import licences
from ..models import Award, Cause, CauseTag, MetaReview, PublishedExample, ReleaseSettings
from .awards import announced_prizes

# --- meta-reviews -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownMetaReview:
    """A meta-review as one viewer may read it; None marks what they may not (or what was not written)."""

    summary: str | None
    why_it_won: str | None
    updated_at: datetime


def meta_reviews_for_each(*, viewer, submissions: Iterable[Submission]) -> dict[int, ShownMetaReview | None]:
    """Submission id -> what `viewer` may read of its meta-review (the rule in this module's docstring), or None
    where nothing is written or nothing may be read. Submissions need their round (select_related("round") saves
    a query each). Two queries for any number (three for an organizer: none)."""
    submissions = {s.pk: s for s in submissions}
    out: dict[int, ShownMetaReview | None] = dict.fromkeys(submissions)
    written = {m.submission_id: m for m in MetaReview.objects.filter(submission_id__in=list(submissions))}
    if not written:
        return out
    role = role_of(viewer)
    if role == ORGANIZER:
        for pk, m in written.items():
            out[pk] = ShownMetaReview(summary=m.summary, why_it_won=m.why_it_won or None, updated_at=m.updated_at)
        return out
    won = announced_prizes([submissions[pk] for pk in written])
    for pk, m in written.items():
        submission = submissions[pk]
        owner = role == CONTESTANT and submission.owner_id == viewer.pk
        summary = m.summary if owner and feedback_released(round=submission.round) else None
        why = m.why_it_won if m.why_it_won and won[pk] is not None else None
        if summary is not None or why is not None:
            out[pk] = ShownMetaReview(summary=summary, why_it_won=why, updated_at=m.updated_at)
    return out


def meta_review_for(*, viewer, submission: Submission) -> ShownMetaReview | None:
    """What `viewer` may read of the submission's meta-review (meta_reviews_for_each for one)."""
    return meta_reviews_for_each(viewer=viewer, submissions=[submission])[submission.pk]


def meta_review_to_edit(submission: Submission) -> MetaReview | None:
    """The stored meta-review, for the organizers' form."""
    return MetaReview.objects.filter(submission=submission).first()


def has_award(submission: Submission) -> bool:
    """Whether an award of any round is decided for the submission (announced or not): a winner, for whom a
    "why it won" may be written."""
    return Award.objects.filter(submission=submission).exists()


# --- causes -------------------------------------------------------------------------------------------------------


def all_causes() -> list[Cause]:
    """Every cause: the paper's four first, then those the organizers named, by name."""
    return list(Cause.objects.all())


def causes_of_each(submissions: Iterable[Submission]) -> dict[int, list[Cause]]:
    """Submission id -> the causes it is tagged with, by name (the paper's first); one query for any number."""
    out: dict[int, list[Cause]] = {s.pk: [] for s in submissions}
    for tag in (CauseTag.objects.filter(submission_id__in=list(out)).select_related("cause")
                .order_by("-cause__from_paper", "cause__name")):
        out[tag.submission_id].append(tag.cause)
    return out


def causes_of(submission: Submission) -> list[Cause]:
    return causes_of_each([submission])[submission.pk]


# --- the published example ----------------------------------------------------------------------------------------


def published_examples_of_each(submissions: Iterable[Submission]) -> dict[int, PublishedExample | None]:
    """Submission id -> the example an organizer chose to publish (file, row, line and `example`: the metric's
    fields, e.g. {"prompt", "classes", "answer_index"}), or None; one query for any number."""
    out: dict[int, PublishedExample | None] = {s.pk: None for s in submissions}
    for chosen in PublishedExample.objects.filter(submission_id__in=list(out)).select_related("version"):
        out[chosen.submission_id] = chosen
    return out


def published_example_of(submission: Submission) -> PublishedExample | None:
    return published_examples_of_each([submission])[submission.pk]


# --- the release licence -------------------------------------------------------------------------------------------


def release_licence(contest: Contest) -> licences.Licence:
    """The licence the contest's public release carries: the organizers' choice, CC BY 4.0 until they make one."""
    chosen = ReleaseSettings.objects.filter(contest=contest).values_list("licence", flat=True).first()
    return licences.licence(chosen or licences.DEFAULT)
