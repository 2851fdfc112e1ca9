"""What the public reads of a contest's outcome: the results pages, one per round whose awards are announced.

- the rounds announced, every contest's: `announced_rounds_everywhere` (nothing of any other round);
- one round's results: `public_round` (None until its awards are announced: the page answers 404). Each
  winning task with its tier, its authors' names, description, "why it won", published example, human
  agreement, causes and whole-task results on every series (private ones included: released with the
  announcement); then the round's other accepted tasks.

What a task of the round shows is what the public release holds of it (release.py): the same reads
(accepted_submissions, meta_reviews_for_each as the public reads them, causes_of_each,
published_examples_of_each, agreement_of_each) and the same redaction rule (release.public_redactor:
Redactor.for_public), so a page and the release never disagree and neither shows an email address, a username,
a reviewer or a validator. Fixed queries whatever the number of submissions and tasks (the winners' trends and
figures come from their cache once computed; every task's trend labels from its kept summary,
evaluation.summaries).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser

from evaluation import selectors as evaluation_selectors
from evaluation import summaries
from portal.models import Round, Submission, SubmissionVersion

from .. import prizes
from ..redaction import Redactor
from .annotations import causes_of_each, meta_reviews_for_each, published_examples_of_each
from .awards import accepted_submissions
from .release import public_redactor
from .validation import ValidationSummary, agreement_of_each

DESCRIBED = (("what_it_tests", "What it tests"), ("correct_behaviour", "The correct behaviour"),
             ("why_it_matters", "Why it matters"), ("data_generation", "How the data was made"))


@dataclass
class PublicTask:
    submission: Submission
    version: SubmissionVersion
    prize: prizes.Prize | None  # its announced prize; None: accepted, no prize
    authors: list[str]  # names as submitted, in order (redacted by the public rule)
    description: list[tuple[str, str]]  # (heading, text), redacted; empty texts left out
    why_it_won: str | None
    causes: list[str]
    validation: ValidationSummary | None
    example: list[tuple[str, str]] | None  # the published example's fields, redacted: (name, text)
    example_source: str | None  # "file, line N"
    trends: list[tuple[str, bool, str]]  # (series, private, trend label) of each series with a whole-task trend;
    # "inverse (two models)" where it rests on two models
    results: evaluation_selectors.TaskResults | None  # a winner's whole task (its plots); None for the others

    @property
    def name(self) -> str:
        return self.version.task_name


@dataclass
class PublicRound:
    round: Round
    winners: list[PublicTask]  # by tier (highest first), then name
    accepted: list[PublicTask]  # the other accepted tasks, by name


def announced_rounds_everywhere() -> list[Round]:
    """Every contest's rounds whose awards are announced, by contest then number (one query)."""
    return list(Round.objects.filter(review_round__awards_announced_at__isnull=False)
                .select_related("contest", "review_round").order_by("contest__name", "number"))


def _text(value, redactor: Redactor) -> str:
    if isinstance(value, list):
        return ", ".join(repr(redactor.text(str(v))) for v in value)
    return redactor.text(str(value))


def public_round(*, contest_slug: str, number: int) -> PublicRound | None:
    """The results of the contest's round `number`, or None if there is no such round or its awards are not
    announced (nothing of it is public then)."""
    round = (Round.objects.filter(contest__slug=contest_slug, number=number,
                                  review_round__awards_announced_at__isnull=False)
             .select_related("contest", "review_round").first())
    if round is None:
        return None
    accepted = [(s, prize) for s, _, prize in accepted_submissions(round.contest, round=round)]
    submissions = [s for s, _ in accepted]
    redactor = public_redactor(submissions)
    meta_reviews = meta_reviews_for_each(viewer=AnonymousUser(), submissions=submissions)
    causes = causes_of_each(submissions)
    examples = published_examples_of_each(submissions)
    validations = agreement_of_each(submissions)
    results = evaluation_selectors.task_results_of_each(versions=[s.current_version for s, prize in accepted if prize])
    read = summaries.registry()
    kept = summaries.of_each([s.current_version_id for s in submissions], read=read)  # the trend labels
    tasks = []
    for s, prize in accepted:
        version, shown, chosen = s.current_version, meta_reviews[s.pk], examples[s.pk]
        labels, two = kept[version.pk].trends, kept[version.pk].two_models
        tasks.append(PublicTask(
            submission=s, version=version, prize=prize,
            authors=[redactor.text(a.name) for a in version.authors.all()],
            description=[(heading, redactor.text(getattr(version, name))) for name, heading in DESCRIBED
                         if getattr(version, name)],
            why_it_won=redactor.text(shown.why_it_won) if shown and shown.why_it_won else None,
            causes=[redactor.text(c.name) for c in causes[s.pk]], validation=validations[s.pk],
            example=[(k, _text(v, redactor)) for k, v in chosen.example.items()] if chosen else None,
            example_source=f"{redactor.text(chosen.file_name)}, line {chosen.line}" if chosen else None,
            trends=[(x.name, x.is_private, f"{labels[x.pk]} (two models)" if x.pk in two else labels[x.pk])
                    for x in read.series if x.pk in labels],
            results=results[version.pk] if prize else None))
    winners = sorted((t for t in tasks if t.prize), key=lambda t: (-prizes.TIER_RANK[t.prize.tier], t.name))
    return PublicRound(round=round, winners=winners, accepted=sorted((t for t in tasks if not t.prize),
                                                                     key=lambda t: t.name))
