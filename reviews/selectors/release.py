"""What the public release of a contest's benchmark holds: the accepted tasks of the rounds whose awards are
announced, and of each only what the organizers published with the announcement.

- whether there is anything to release: `release_refusal` (the reason why not, or None);
- what is released: `release_of` (a Release: the licence, the announced rounds, each accepted task of them with
  its authors' names, description, announced prize, "why it won", causes, human validation, published example
  and results on every series, public and private: the optional ones None where missing).

Never released: an email address, a username, a reviewer or validator, a review or the meta-review's summary
for the authors, a task that was not accepted, anything of a round whose awards are not announced, the
control files. Every text passes through the release's redactor (Redactor.for_public: every email address, and
the usernames of the tasks' owners, reviewers and validators); the authors' names stay, as the public pages
credit them. The validation, meta-reviews, causes, published examples and licence are read through their own
selectors (validation.py's agreement_of_each; annotations.py's meta_reviews_for_each as the public reads them,
causes_of_each, published_examples_of_each, release_licence).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

from evaluation import selectors as evaluation_selectors
from portal.models import Contest, Round, Submission, SubmissionVersion

from .. import licences, prizes
from ..models import Assignment, PublishedExample, Validator
from ..redaction import Redactor
from .annotations import causes_of_each, meta_reviews_for_each, published_examples_of_each, release_licence
from .awards import accepted_submissions
from .validation import ValidationSummary, agreement_of_each


@dataclass
class ReleasedTask:
    submission: Submission
    version: SubmissionVersion
    prize: prizes.Prize | None  # its announced prize over the contest; None: accepted, no prize
    authors: list[str]  # names, in the order submitted
    why_it_won: str | None  # an announced winner's, where written (meta_reviews_for_each, as the public reads it)
    causes: list[str]  # empty: none tagged
    validation: ValidationSummary | None  # its latest validation (agreement_of_each)
    published_example: PublishedExample | None
    results: evaluation_selectors.SubmissionResults

    @property
    def name(self) -> str:
        return self.version.task_name


@dataclass
class Release:
    contest: Contest
    licence: licences.Licence
    rounds: list[Round]  # whose awards are announced, in order
    tasks: list[ReleasedTask]  # by round, then task name
    redactor: Redactor


def announced_rounds(contest: Contest) -> list[Round]:
    return list(Round.objects.filter(contest=contest, review_round__awards_announced_at__isnull=False)
                .select_related("review_round").order_by("number"))


def release_refusal(contest: Contest) -> str | None:
    """Why the contest has nothing to release yet (no round announced, or no accepted task in the announced
    rounds), or None."""
    rounds = announced_rounds(contest)
    if not rounds:
        return (f"No round of {contest.name} has announced its awards yet, and the public release holds only the "
                "accepted tasks of announced rounds; announce a round's awards first (its Awards and feedback "
                "page).")
    numbers = {r.number for r in rounds}
    if not any(s.round.number in numbers for s, _, _ in accepted_submissions(contest)):
        said = ", ".join(str(r) for r in rounds)
        return f"The announced rounds of {contest.name} ({said}) hold no accepted task; there is nothing to release."
    return None


def public_redactor(submissions: list[Submission]) -> Redactor:
    """The one rule for every text the public reads of these tasks (the release, the public results pages):
    Redactor.for_public over the usernames of everyone who took part in them (two queries)."""
    return Redactor.for_public(usernames=_usernames(submissions))


def _usernames(submissions: list[Submission]) -> set[str]:
    """The usernames of everyone who took part in these tasks: owners, reviewers, validators (two queries)."""
    names = {s.owner.username for s in submissions}
    names |= set(Assignment.objects.filter(submission__in=submissions).values_list("reviewer__username", flat=True))
    names |= set(Validator.objects.filter(validation__submission__in=submissions).values_list("user__username",
                                                                                             flat=True))
    return names


def release_of(contest: Contest) -> Release:
    """What the public release holds (release_refusal says first whether there is anything). The results are
    read per task (every series, public and private: released with the announcement)."""
    rounds = announced_rounds(contest)
    numbers = {r.number for r in rounds}
    accepted = [(s, prize) for s, _, prize in accepted_submissions(contest) if s.round.number in numbers]
    submissions = [s for s, _ in accepted]
    meta_reviews = meta_reviews_for_each(viewer=AnonymousUser(), submissions=submissions)  # what the public reads
    causes = causes_of_each(submissions)
    examples = published_examples_of_each(submissions)
    validations = agreement_of_each(submissions)
    tasks = [ReleasedTask(
        submission=s, version=s.current_version, prize=prize,
        authors=[a.name for a in s.current_version.authors.all()],
        why_it_won=meta_reviews[s.pk].why_it_won if meta_reviews[s.pk] else None,
        causes=[c.name for c in causes[s.pk]], validation=validations[s.pk], published_example=examples[s.pk],
        results=evaluation_selectors.results_on_every_series(version=s.current_version)) for s, prize in accepted]
    return Release(contest=contest, licence=release_licence(contest), rounds=rounds, tasks=tasks,
                   redactor=public_redactor(submissions))
