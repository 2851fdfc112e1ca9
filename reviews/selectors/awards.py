"""A round's awards as the organizers decide them: what the rules propose within the caps, the awards
decided, each submission's prize over the rounds, and the Accepted Tasks. The arithmetic is reviews/prizes.py.

- an award: `awards_visible_to` (and prizes.prize_of them: a submission's prize over the rounds, shown once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from evaluation import selectors as evaluation_selectors
from portal.models import Contest, Round, Submission
from portal.roles import CONTESTANT, ORGANIZER, role_of

from .. import prizes
from ..evidence import Evidence
from ..models import Assignment, Award, Ranking, Review
from .assignments import active_assignments
from .reviews import submitted, submitted_levels_of_each
from .rounds import awards_announced, caps_for, is_first_round, review_settings


def rank_scores(contest: Contest, *, tiers: Mapping[int, str] | None = None) -> dict[int, Fraction]:
    """Each submission's Borda score from the rankings, each ranking cut to the submissions its reviewer
    has a submitted review of now. Given the submissions' eligible tiers, each ranking is also cut by
    tier, so a submission is ranked only against those of its own tier (the rules: the reviewers'
    rankings within a tier, combined by Borda count)."""
    reviewed: dict[int, set[int]] = {}
    for a, _ in submitted(list(active_assignments().filter(submission__contest=contest))):
        reviewed.setdefault(a.reviewer_id, set()).add(a.submission_id)
    rankings = [[s for s in r.submission_ids if s in reviewed.get(r.reviewer_id, set())]
                for r in Ranking.objects.filter(round__contest=contest)]
    if tiers is not None:
        rankings = [[s for s in ranking if tiers.get(s) == tier]
                    for ranking in rankings for tier in {tiers.get(s) for s in ranking}]
    return prizes.borda_scores(rankings)


def previous_tiers(round: Round) -> dict[int, str]:
    """Submission id -> the highest tier it won in an announced earlier round of the contest."""
    earlier = Award.objects.filter(round__contest_id=round.contest_id, round__number__lt=round.number,
                                   round__review_round__awards_announced_at__isnull=False)
    tiers: dict[int, str] = {}
    for submission_id, tier in earlier.values_list("submission_id", "tier"):
        tiers[submission_id] = prizes.higher_tier(tiers.get(submission_id), tier)
    return tiers


def paid_before(round: Round) -> dict[int, int]:
    """Submission id -> what the awards of the contest's earlier rounds paid it (USD)."""
    paid: dict[int, int] = {}
    earlier = Award.objects.filter(round__contest_id=round.contest_id, round__number__lt=round.number)
    for submission_id, amount in earlier.values_list("submission_id", "amount"):
        paid[submission_id] = paid.get(submission_id, 0) + amount
    return paid


def award_tally(round: Round) -> prizes.AwardTally:
    earlier: dict[int, str] = {}
    current: dict[int, str] = {}
    awards = Award.objects.filter(round__contest_id=round.contest_id, round__number__lte=round.number)
    for submission_id, tier, round_id in awards.values_list("submission_id", "tier", "round_id"):
        if round_id == round.pk:
            current[submission_id] = tier
        else:
            earlier[submission_id] = prizes.higher_tier(earlier.get(submission_id), tier)
    return prizes.AwardTally(earlier=earlier, current=current)


@dataclass
class CandidateRow:
    submission: Submission
    reviews: int
    levels: dict[str, str]
    tier: str  # eligible
    grand_count: int
    rank_score: Fraction
    previous_tier: str | None
    proposed: str | None = None
    award: Award | None = None
    paid_before: int = 0  # what the earlier rounds' awards paid it
    evidence: Evidence | None = None  # the evaluation's eligibility, the runs not finished, the reviews against N
    rules_eligible: bool | None = None  # what the rules alone say of the eligibility (beside an organizers' decision)
    proposed_award: bool = False  # confirming the proposal makes an award of this round (not a kept earlier tier)

    @property
    def gaps(self) -> dict[str, str]:
        """What the evidence lacks (evidence.Evidence.gaps)."""
        return self.evidence.gaps() if self.evidence else {}

    @property
    def gap_labels(self) -> dict[str, str]:
        return self.evidence.gap_labels() if self.evidence else {}

    @property
    def ranked(self) -> bool:
        """Whether the rank score means anything: it is a Borda count within the task's eligible tier."""
        return self.tier != prizes.NONE

    def as_candidate(self) -> dict:
        return {"key": self.submission.pk, "levels": self.levels, "rank_score": self.rank_score,
                "previous_tier": self.previous_tier}

    @property
    def kept(self) -> bool:
        """An earlier winner without an award of this round: it keeps its tier, and nothing more is paid."""
        return self.previous_tier is not None and self.award is None


@dataclass
class Proposal:
    round: Round
    caps: dict[str, int]
    rows: list[CandidateRow]
    tally: prizes.AwardTally
    allocation: dict[int, str] = field(default_factory=dict)
    error: str | None = None
    announced: bool = False
    first_round: bool = True

    def counts(self) -> dict[str, int]:
        """The prizes the round's caps count so far (earlier rounds' winners included after the first)."""
        return self.tally.counts()


def candidate_rows(round: Round) -> list[CandidateRow]:
    """The round's submissions and the contest's earlier winners, each with its combined levels and the
    evidence an award would rest on (evidence.py: the evaluation's standing of its current version, its
    submitted reviews against the contest's N)."""
    previous = previous_tiers(round)
    paid = paid_before(round)
    submissions = list((Submission.objects.filter(current_version__isnull=False).filter(round=round)
                        | Submission.objects.filter(pk__in=previous))
                       .select_related("owner", "round", "current_version").distinct().order_by("pk"))
    awards = {a.submission_id: a for a in Award.objects.filter(round=round)}
    levels_of = submitted_levels_of_each(submissions)
    standing = evaluation_selectors.standing_of_each(versions=[s.current_version for s in submissions])
    required = review_settings(round.contest).reviewers_per_submission
    rows = []
    for submission in submissions:
        reviews = levels_of[submission.pk]
        levels = prizes.combine(reviews)
        stands = standing[submission.current_version_id]
        rows.append(CandidateRow(
            submission=submission, reviews=len(reviews), levels=levels, tier=prizes.eligible_tier(levels),
            grand_count=prizes.grand_count(levels), rank_score=prizes.UNRANKED,
            previous_tier=previous.get(submission.pk), award=awards.get(submission.pk),
            paid_before=paid.get(submission.pk, 0), rules_eligible=stands.rules.eligible,
            evidence=Evidence(eligible=stands.verdict.eligible, eligibility_reason=stands.verdict.eligibility_reason,
                              overridden=stands.verdict.override is not None,
                              unfinished_public=stands.unfinished_public, unfinished_private=stands.unfinished_private,
                              reviews=len(reviews), required_reviews=required, failed=stands.failed)))
    scores = rank_scores(round.contest, tiers={row.submission.pk: row.tier for row in rows})
    for row in rows:
        row.rank_score = scores.get(row.submission.pk, prizes.UNRANKED)
    return rows


def award_proposal(round: Round) -> Proposal:
    """What the rules propose for the round within its caps, beside the awards decided so far."""
    proposal = Proposal(round=round, caps=caps_for(round), rows=candidate_rows(round), tally=award_tally(round),
                        announced=awards_announced(round), first_round=is_first_round(round))
    try:
        proposal.allocation = prizes.allocate([row.as_candidate() for row in proposal.rows], caps=proposal.caps)
    except ValueError as exc:
        proposal.error = str(exc)
    for row in proposal.rows:
        row.proposed = proposal.allocation.get(row.submission.pk)
        row.proposed_award = row.proposed is not None and proposal.tally.earlier.get(row.submission.pk) != row.proposed
    order = {tier: i for i, tier in enumerate(prizes.TIERS)}
    proposal.rows.sort(key=lambda row: (order.get(row.proposed, len(order)), prizes.tie_break_key(row.as_candidate())))
    return proposal


def awards_visible_to(*, user, submission: Submission) -> list[Award]:
    """Organizers see every award decided; the owner sees those of rounds whose awards were announced."""
    awards = Award.objects.filter(submission=submission).select_related("round").order_by("round__number")
    role = role_of(user)
    if role == ORGANIZER:
        return list(awards)
    if role == CONTESTANT and submission.owner_id == user.pk:
        return list(awards.filter(round__review_round__awards_announced_at__isnull=False))
    return []


def announced_prize(submission: Submission) -> prizes.Prize | None:
    """The submission's prize over the rounds whose awards were announced."""
    return announced_prizes([submission])[submission.pk]


def announced_prizes(submissions: Iterable[Submission]) -> dict[int, prizes.Prize | None]:
    """Submission id -> announced_prize, for any number of submissions in one query."""
    awards: dict[int, list[Award]] = {s.pk: [] for s in submissions}
    for award in (Award.objects.filter(submission_id__in=list(awards), round__review_round__awards_announced_at__isnull=False)
                  .select_related("round").order_by("round__number")):
        awards[award.submission_id].append(award)
    return {pk: prizes.prize_of(theirs) for pk, theirs in awards.items()}


def accepted_submissions(contest: Contest, *, round: Round | None = None,
                         ) -> list[tuple[Submission, str, prizes.Prize | None]]:
    """The Accepted Tasks: eligible for a tier by their reviews, or awarded. (submission, tier, announced prize);
    those submitted in `round` only, when given."""
    chosen = Submission.objects.filter(contest=contest, current_version__isnull=False)
    if round is not None:
        # only a submission with a review submitted or an award can be accepted: read no other (a round of
        # thousands of submissions reads its few candidates)
        reviewed = set(Assignment.objects.filter(submission__round=round, removed_at__isnull=True,
                                                 review__status=Review.SUBMITTED).values_list("submission_id", flat=True))
        awarded = set(Award.objects.filter(submission__round=round).values_list("submission_id", flat=True))
        chosen = chosen.filter(round=round, pk__in=sorted(reviewed | awarded))
    submissions = list(chosen
                       .select_related("round", "owner", "current_version")
                       .prefetch_related("current_version__authors").order_by("round__number", "task_name"))
    levels = submitted_levels_of_each(submissions)
    prizes_won = announced_prizes(submissions)
    out = []
    for submission in submissions:
        tier = prizes.eligible_tier(prizes.combine(levels[submission.pk]))
        prize = prizes_won[submission.pk]
        if tier != prizes.NONE or prize is not None:
            out.append((submission, tier, prize))
    return out
