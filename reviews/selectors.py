"""What each user may read of the review side, and the reads the rules need.

One rule per kind of object, asked by every page, API endpoint, email and download:
- an assignment: `assignments_visible_to` (its reviewer, while no conflict stands; organizers);
- a reviewer's identity: `reviewer_label` (organizers see usernames; everyone else "Reviewer N");
- a review: `shown_reviews` (what of which review a user sees);
- an award: `awards_visible_to` (and prizes.prize_of them: a submission's prize over the rounds, shown once);
- a conflict between a reviewer and a submission: `conflict_reason`;
- what a reviewer may read of a submission: `anonymous_submission` and `anonymised_zip`, both
  through `redactor_for` (authors' names, emails, affiliations and the owner's username removed);
- the evaluation results of an assignment's submission: `results_for_assignment` (every series).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction

import pandas as pd
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from evaluation import selectors as evaluation_selectors
from portal.models import Author, Contest, Round, Submission, SubmissionVersion
from portal.roles import CONTESTANT, ORGANIZER, REVIEWER, role_of
from portal.selectors import feedback_released

from . import conflicts, prizes, suggestions, taskzip
from .assigning import Plan, plan_assignments
from .models import (
    Assignment,
    AuditEntry,
    Award,
    Conflict,
    ContestReviewer,
    Criterion,
    Ranking,
    Review,
    ReviewRound,
    ReviewSettings,
)
from .redaction import Redactor

AUTHOR_SCAN_PREFIXES = ("The file contains the author", "The file name contains the author")
PREVIEW_ROWS = 3

# The description fields a reviewer reads (redacted). The two link fields are left out: they point
# to the authors' own repositories as a rule, which no redaction of names can anonymise.
REVIEWER_FIELDS = ("what_it_tests", "correct_behaviour", "why_it_matters", "data_generation",
                   "persists_few_shot", "persists_finetuning", "persists_rlhf")


# --- settings and deadlines ---------------------------------------------------------------------


def review_settings(contest: Contest) -> ReviewSettings:
    """The contest's settings; the defaults (unsaved) until an organizer saves some."""
    return ReviewSettings.objects.filter(contest=contest).first() or ReviewSettings(contest=contest)


def review_round(round: Round) -> ReviewRound:
    return ReviewRound.objects.filter(round=round).first() or ReviewRound(round=round)


def is_first_round(round: Round) -> bool:
    return not Round.objects.filter(contest_id=round.contest_id, number__lt=round.number).exists()


def caps_for(round: Round) -> dict[str, int]:
    """How many awards of each tier the round's allocation may hold: round 1's caps in the first round
    (never above the totals), the contest's totals (earlier winners included) in later rounds."""
    s = review_settings(round.contest)
    totals = {prizes.GRAND: s.total_grand_cap, prizes.SECOND: s.total_second_cap, prizes.THIRD: s.total_third_cap}
    if not is_first_round(round):
        return totals
    first = {prizes.GRAND: s.round1_grand_cap, prizes.SECOND: s.round1_second_cap, prizes.THIRD: s.round1_third_cap}
    return {tier: min(first[tier], totals[tier]) for tier in prizes.TIERS}


def amount_for(contest: Contest, tier: str) -> int:
    return getattr(review_settings(contest), f"{tier}_amount")


def review_deadline(round: Round) -> datetime | None:
    return review_round(round).review_deadline


def reviews_open(*, round: Round, now=None) -> bool:
    """Reviews of the round's submissions can be saved until its review deadline, and never after its
    feedback is released."""
    now = now or timezone.now()
    if feedback_released(round=round, now=now):
        return False
    deadline = review_deadline(round)
    return deadline is None or now < deadline


def awards_announced(round: Round) -> bool:
    return review_round(round).awards_announced_at is not None


# --- the rubric ---------------------------------------------------------------------------------


def rubric() -> list[Criterion]:
    """The criteria in order, each with `level_list`: its levels from no_prize to grand."""
    criteria = list(Criterion.objects.prefetch_related("levels"))
    for criterion in criteria:
        criterion.level_list = sorted(criterion.levels.all(), key=lambda lv: prizes.LEVEL_RANK[lv.level])
    return criteria


def criterion_keys() -> list[str]:
    return list(Criterion.objects.values_list("key", flat=True))


# --- conflicts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    """Everyone a submission could be traced to: every version's authors and the owner."""

    names: tuple[str, ...]
    emails: tuple[str, ...]
    affiliations: tuple[str, ...]
    usernames: tuple[str, ...]


def people_of(submission: Submission) -> People:
    authors = list(Author.objects.filter(version__submission=submission).values_list("name", "email", "affiliation"))
    owner = submission.owner
    emails = {e.lower() for _, e, _ in authors if e} | ({owner.email.lower()} if owner.email else set())
    return People(names=tuple(sorted({n for n, _, _ in authors if n})), emails=tuple(sorted(emails)),
                  affiliations=tuple(sorted({a for _, _, a in authors if a})), usernames=(owner.username,))


def _declared(rows) -> list[conflicts.Declared]:
    return [conflicts.Declared(submission_id=c.submission_id, domain=c.domain) for c in rows]


def conflict_reason(reviewer, submission: Submission) -> str | None:
    """Why this reviewer may not review this submission, or None (reviews/conflicts.py). The reason names
    authors' addresses, so it is for organizers only."""
    return conflicts.conflict_reason(
        username=reviewer.username, email=reviewer.email, submission_id=submission.pk,
        author_emails=people_of(submission).emails, declared=_declared(Conflict.objects.filter(reviewer=reviewer)))


def conflict_pairs(*, reviewers: list, submissions: list[Submission]) -> dict[tuple[int, int], str]:
    """(submission id, reviewer id) -> the reason, for every conflicted pair (conflict_reason, in bulk)."""
    emails = {s.pk: people_of(s).emails for s in submissions}
    declared: dict[int, list] = {}
    for conflict in Conflict.objects.filter(reviewer__in=reviewers):
        declared.setdefault(conflict.reviewer_id, []).append(conflict)
    pairs = {}
    for s in submissions:
        for r in reviewers:
            reason = conflicts.conflict_reason(username=r.username, email=r.email, submission_id=s.pk,
                                                   author_emails=emails[s.pk], declared=_declared(declared.get(r.pk, [])))
            if reason is not None:
                pairs[(s.pk, r.pk)] = reason
    return pairs


def conflicts_of(reviewer) -> QuerySet[Conflict]:
    return Conflict.objects.filter(reviewer=reviewer).select_related("submission")


# --- reviewers and assignments ------------------------------------------------------------------


def panel(contest: Contest) -> list:
    """The contest's reviewers, by username."""
    return [cr.user for cr in ContestReviewer.objects.filter(contest=contest).select_related("user")]


def contests_reviewed_by(reviewer) -> list[Contest]:
    """The contests whose reviewer panel this reviewer is on."""
    return list(Contest.objects.filter(reviewers__user=reviewer).order_by("pk"))


def _active_assignments() -> QuerySet[Assignment]:
    return (Assignment.objects.filter(removed_at__isnull=True)
            .select_related("reviewer", "submission__owner", "submission__round__contest",
                            "submission__current_version", "review")
            .order_by("pk"))


def _visible(user, assignments: QuerySet[Assignment]) -> list[Assignment]:
    role = role_of(user)
    if role == ORGANIZER:
        return list(assignments)
    if role == REVIEWER:
        return [a for a in assignments.filter(reviewer=user) if conflict_reason(user, a.submission) is None]
    return []


def assignments_visible_to(user) -> list[Assignment]:
    """A reviewer sees their own active assignments while no conflict stands; organizers see all."""
    return _visible(user, _active_assignments())


def get_assignment_for(*, user, pk: int) -> Assignment:
    """The assignment if this user may see it; otherwise 404, so its existence is not revealed."""
    found = _visible(user, _active_assignments().filter(pk=pk))
    if not found:
        raise Http404("No such assignment.")
    return found[0]


def active_assignments_of(submission: Submission) -> list[Assignment]:
    return list(_active_assignments().filter(submission=submission))


def assignment_load(contest: Contest) -> dict[int, int]:
    """Active assignments per reviewer id in this contest."""
    load: dict[int, int] = {}
    for reviewer_id in _active_assignments().filter(submission__contest=contest).values_list("reviewer_id", flat=True):
        load[reviewer_id] = load.get(reviewer_id, 0) + 1
    return load


def eligible_reviewers(contest: Contest) -> list:
    """The panel's reviewer accounts that own no submission in the contest, by username."""
    owners = set(Submission.objects.filter(contest=contest).values_list("owner_id", flat=True))
    return sorted((u for u in panel(contest) if role_of(u) == REVIEWER and u.pk not in owners),
                  key=lambda u: u.username)


@dataclass
class RoundPlan:
    plan: Plan  # pairs of (submission id, username) to add; why each short submission stays short
    submissions: dict[int, Submission]
    reviewers: dict[str, object]  # username -> user


def assignment_plan(round: Round) -> RoundPlan:
    """What automatic assignment would add to the round now (assigning.plan_assignments on the current
    assignments, loads, conflicts and the contest's N and cap)."""
    settings = review_settings(round.contest)
    submissions = list(Submission.objects.filter(round=round, current_version__isnull=False)
                       .select_related("owner", "contest", "round").order_by("pk"))
    reviewers = eligible_reviewers(round.contest)
    names = {u.pk: u.username for u in reviewers}
    conflicted = conflict_pairs(reviewers=reviewers, submissions=submissions)
    load = assignment_load(round.contest)
    plan = plan_assignments(
        submissions=[s.pk for s in submissions], reviewers=list(names.values()),
        per_submission=settings.reviewers_per_submission, cap=settings.max_assignments_per_reviewer,
        load={u.username: load.get(u.pk, 0) for u in reviewers},
        assigned={s.pk: {a.reviewer.username for a in active_assignments_of(s)} for s in submissions},
        conflicts={(s, names[r]) for s, r in conflicted})
    return RoundPlan(plan=plan, submissions={s.pk: s for s in submissions}, reviewers={u.username: u for u in reviewers})


def reviewer_identity(*, viewer, assignment: Assignment) -> str | None:
    """The reviewer's username if this viewer may know who they are: organizers and the reviewer themself."""
    if assignment.reviewer_id == getattr(viewer, "pk", None) or role_of(viewer) == ORGANIZER:
        return assignment.reviewer.username
    return None


def numbered_reviewer(number: int) -> str:
    """What everyone but organizers calls a reviewer: "Reviewer N", numbered stably per submission."""
    return f"Reviewer {number}"


def reviewer_label(*, viewer, assignment: Assignment) -> str:
    """How a reviewer is named to `viewer`: numbered_reviewer, with the username for organizers and
    "(you)" for the reviewer themself."""
    label = numbered_reviewer(assignment.number)
    if assignment.reviewer_id == getattr(viewer, "pk", None):
        return f"{label} (you)"
    identity = reviewer_identity(viewer=viewer, assignment=assignment)
    return f"{label} ({identity})" if identity else label


# --- what a reviewer reads of a submission ----------------------------------------------------------


def redactor_for(submission: Submission) -> Redactor:
    people = people_of(submission)
    return Redactor.for_people(names=people.names, emails=people.emails, usernames=people.usernames,
                               affiliations=people.affiliations, public_domains=conflicts.PUBLIC_MAIL_DOMAINS)


@dataclass
class AnonymousSubmission:
    label: str
    task_name: str | None
    metric: str
    shot_setting: str
    has_control_data: bool
    fields: list[tuple[str, str, str]]  # (key, label, redacted text)
    files: list[dict]  # anonymous name, kind, index, rows, columns, preview (redacted rows)


def submission_label(assignment: Assignment, redactor: Redactor | None = None) -> str:
    """What a reviewer calls the submission: its task name if the contest allows it, else a number."""
    submission = assignment.submission
    if review_settings(submission.contest).reviewers_see_task_name:
        return (redactor or redactor_for(submission)).text(submission.task_name)
    return f"Submission {submission.pk}"


def anonymous_submission(assignment: Assignment, *, preview: bool = False) -> AnonymousSubmission:
    """The submission's current version as a reviewer may read it; with `preview`, a few redacted rows."""
    submission = assignment.submission
    version: SubmissionVersion = submission.current_version
    redactor = redactor_for(submission)
    shows_name = review_settings(submission.contest).reviewers_see_task_name
    files = [{"name": taskzip.anonymous_name(f), "kind": f["kind"], "index": f["index"], "rows": f["rows"],
              "columns": list(f["columns"])} for f in version.files]
    if preview:
        with version.zip_file.open("rb") as stored:
            members = taskzip.anonymised_members(stored, version.files, redactor.csv_bytes)
        for file, (_, data) in zip(files, members):
            file["preview"] = pd.read_csv(io.BytesIO(data), nrows=PREVIEW_ROWS, dtype=str,
                                          keep_default_na=False).to_dict("records")
    return AnonymousSubmission(
        label=submission_label(assignment, redactor),
        task_name=redactor.text(version.task_name) if shows_name else None,
        metric=version.metric, shot_setting=version.shot_setting, has_control_data=version.has_control_data,
        fields=[(name, str(SubmissionVersion._meta.get_field(name).verbose_name), redactor.text(getattr(version, name)))
                for name in REVIEWER_FIELDS],
        files=files)


def anonymised_zip(assignment: Assignment) -> bytes:
    """The current version's CSVs, redacted, as task.csv / task-PART<n>.csv / task-CONTROL<n>.csv."""
    version = assignment.submission.current_version
    redactor = redactor_for(assignment.submission)
    with version.zip_file.open("rb") as stored:
        members = taskzip.anonymised_members(stored, version.files, redactor.csv_bytes)
    buffer = io.BytesIO()
    taskzip.write_zip(buffer, members)
    return buffer.getvalue()


# --- the evaluation's results, as an assignment's readers see them ---------------------------------------


@dataclass
class ReviewerResults:
    """The results of the submission's current version on every series, files under anonymous names, and
    the suggested Strength and Generality levels ({} while no series has a trend)."""

    results: evaluation_selectors.SubmissionResults
    suggestions: dict[str, suggestions.Suggestion]


def results_for_assignment(assignment: Assignment) -> ReviewerResults:
    """What the evaluation found, for a reader of this assignment (the caller got it through
    get_assignment_for or assignments_visible_to: its reviewer while no conflict stands, or an organizer).

    Every series, public and private: the reviewers judge generality on the private models. The
    evaluation's own rule (visible_series) is for contestants and is not asked here.
    """
    submission = assignment.submission
    results = evaluation_selectors.results_on_every_series(version=submission.current_version)
    anonymous = anonymised_results(results, redactor_for(submission))
    return ReviewerResults(results=anonymous, suggestions=suggestions.suggest(series_trends(anonymous)))


def anonymised_results(results: evaluation_selectors.SubmissionResults,
                       redactor: Redactor) -> evaluation_selectors.SubmissionResults:
    """The same results with each file (few-shot variants and their sources too) under its anonymous name
    and the eligibility reason (an organizer's words when overridden) redacted."""
    files = [dataclasses.replace(
        f, name=taskzip.anonymous_name({"kind": f.kind, "index": f.index, "shots": f.shots}),
        source=taskzip.anonymous_name({"kind": f.kind, "index": f.index}) if f.source else None)
        for f in results.files]
    verdict = dataclasses.replace(results.verdict, eligibility_reason=redactor.text(results.verdict.eligibility_reason))
    return dataclasses.replace(results, files=files, verdict=verdict)


def series_trends(results: evaluation_selectors.SubmissionResults) -> list[suggestions.SeriesTrend]:
    """The whole task's trend on each series that has one, in the series' order."""
    rows = results.task.series if results.task else []
    return [suggestions.SeriesTrend(row.series.name, private=row.series.is_private, label=row.trend.label,
                                    monotonic=row.trend.monotonic) for row in rows if row.trend]


def author_scan_warnings(version: SubmissionVersion) -> list[dict]:
    """The validator's findings of an author's name or email in the files (for organizers only)."""
    return [w for w in version.warnings if w["message"].startswith(AUTHOR_SCAN_PREFIXES)]


# --- reviews ----------------------------------------------------------------------------------


@dataclass
class ShownReview:
    """A review as one viewer may see it. None marks what this viewer may not see."""

    assignment_id: int
    number: int
    label: str
    reviewer: str | None  # the username, for those who may know it
    is_own: bool
    status: str
    submitted_at: datetime | None
    levels: dict[str, str]
    to_authors: str
    to_organizers: str | None = None
    revisions: list | None = None


def _shown(review: Review | None, assignment: Assignment, viewer, *, confidential: bool) -> ShownReview:
    own = assignment.reviewer_id == viewer.pk
    return ShownReview(
        assignment_id=assignment.pk, number=assignment.number, label=reviewer_label(viewer=viewer, assignment=assignment),
        reviewer=reviewer_identity(viewer=viewer, assignment=assignment), is_own=own,
        status=review.status if review else Review.DRAFT, submitted_at=review.submitted_at if review else None,
        levels=dict(review.levels) if review else {}, to_authors=review.to_authors if review else "",
        to_organizers=(review.to_organizers if review else "") if confidential or own else None,
        revisions=list(review.revisions.all()) if review and confidential else None)


def _review_of(assignment: Assignment) -> Review | None:
    return getattr(assignment, "review", None)


def _submitted(assignments: list[Assignment]) -> list[tuple[Assignment, Review]]:
    return [(a, r) for a in assignments if (r := _review_of(a)) is not None and r.status == Review.SUBMITTED]


def shown_reviews(*, viewer, submission: Submission) -> list[ShownReview]:
    """The reviews of a submission this viewer may see, and how much of each.

    Organizers: every review (drafts too), with comments to the organizers, identities and history.
    The assigned reviewer: their own review; the other submitted reviews (levels and comments to the
    authors) once their own is submitted. The owner: the submitted reviews' levels and comments to
    the authors, once the round's feedback is released. Anyone else: nothing.
    """
    assignments = active_assignments_of(submission)
    role = role_of(viewer)
    if role == ORGANIZER:
        return [_shown(_review_of(a), a, viewer, confidential=True) for a in assignments]
    if role == REVIEWER:
        mine = _visible(viewer, _active_assignments().filter(submission=submission))
        if not mine:
            return []
        own_review = _review_of(mine[0])
        shown = [_shown(own_review, mine[0], viewer, confidential=False)]
        if own_review is not None and own_review.status == Review.SUBMITTED:
            shown += [_shown(r, a, viewer, confidential=False) for a, r in _submitted(assignments)
                      if a.pk != mine[0].pk]
        return shown
    if role == CONTESTANT and submission.owner_id == viewer.pk and feedback_released(round=submission.round):
        return [_shown(r, a, viewer, confidential=False) for a, r in _submitted(assignments)]
    return []


def submitted_levels(submission: Submission) -> list[dict[str, str]]:
    """The levels of the submitted reviews of the submission's active assignments, on the current criteria."""
    keys = criterion_keys()
    return [{k: r.levels[k] for k in keys if k in r.levels} for _, r in _submitted(active_assignments_of(submission))]


# --- rankings -------------------------------------------------------------------------------------


def reviewed_for_ranking(*, reviewer, round: Round) -> list[Assignment]:
    """The reviewer's assignments in this round whose review they submitted: what their ranking orders."""
    return [a for a, _ in _submitted([a for a in assignments_visible_to(reviewer) if a.submission.round_id == round.pk])]


def ranking_of(*, reviewer, round: Round) -> list[int]:
    ranking = Ranking.objects.filter(reviewer=reviewer, round=round).first()
    return list(ranking.submission_ids) if ranking else []


@dataclass
class ReviewerRound:
    """One round on a reviewer's page: their assignments (with labels) and what they rank, in their order."""

    round: Round
    assignments: list[tuple[Assignment, str]]
    ranked: list[tuple[int, str]]  # (submission id, label), the saved ranking's order first
    open: bool


def reviewer_rounds(reviewer) -> list[ReviewerRound]:
    by_round: dict[int, list[Assignment]] = {}
    for a in assignments_visible_to(reviewer):
        by_round.setdefault(a.submission.round_id, []).append(a)
    out = []
    for items in by_round.values():
        round = items[0].submission.round
        labels = {a.submission_id: submission_label(a) for a in items}
        reviewed = [a.submission_id for a in reviewed_for_ranking(reviewer=reviewer, round=round)]
        saved = [sid for sid in ranking_of(reviewer=reviewer, round=round) if sid in reviewed]
        order = saved + [sid for sid in reviewed if sid not in saved]
        out.append(ReviewerRound(round=round, assignments=[(a, labels[a.submission_id]) for a in items],
                                 ranked=[(sid, labels[sid]) for sid in order], open=reviews_open(round=round)))
    return sorted(out, key=lambda r: (r.round.contest_id, r.round.number))


def rank_scores(contest: Contest, *, tiers: Mapping[int, str] | None = None) -> dict[int, Fraction]:
    """Each submission's Borda score from the rankings, each ranking cut to the submissions its reviewer
    has a submitted review of now. Given the submissions' eligible tiers, each ranking is also cut by
    tier, so a submission is ranked only against those of its own tier (the rules: the reviewers'
    rankings within a tier, combined by Borda count)."""
    reviewed: dict[int, set[int]] = {}
    for a, _ in _submitted(list(_active_assignments().filter(submission__contest=contest))):
        reviewed.setdefault(a.reviewer_id, set()).add(a.submission_id)
    rankings = [[s for s in r.submission_ids if s in reviewed.get(r.reviewer_id, set())]
                for r in Ranking.objects.filter(round__contest=contest)]
    if tiers is not None:
        rankings = [[s for s in ranking if tiers.get(s) == tier]
                    for ranking in rankings for tier in {tiers.get(s) for s in ranking}]
    return prizes.borda_scores(rankings)


# --- awards ---------------------------------------------------------------------------------------


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
    """The round's submissions and the contest's earlier winners, each with its combined levels."""
    previous = previous_tiers(round)
    paid = paid_before(round)
    submissions = (Submission.objects.filter(current_version__isnull=False)
                   .filter(round=round) | Submission.objects.filter(pk__in=previous))
    awards = {a.submission_id: a for a in Award.objects.filter(round=round)}
    rows = []
    for submission in submissions.select_related("owner", "round").distinct().order_by("pk"):
        reviews = submitted_levels(submission)
        levels = prizes.combine(reviews)
        rows.append(CandidateRow(
            submission=submission, reviews=len(reviews), levels=levels, tier=prizes.eligible_tier(levels),
            grand_count=prizes.grand_count(levels), rank_score=prizes.UNRANKED,
            previous_tier=previous.get(submission.pk), award=awards.get(submission.pk),
            paid_before=paid.get(submission.pk, 0)))
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
    return prizes.prize_of(list(Award.objects.filter(submission=submission, round__review_round__awards_announced_at__isnull=False)
                         .select_related("round").order_by("round__number")))


def accepted_submissions(contest: Contest) -> list[tuple[Submission, str, prizes.Prize | None]]:
    """The Accepted Tasks: eligible for a tier by their reviews, or awarded. (submission, tier, announced prize)."""
    out = []
    submissions = (Submission.objects.filter(contest=contest, current_version__isnull=False)
                   .select_related("round", "owner", "current_version")
                   .prefetch_related("current_version__authors").order_by("round__number", "task_name"))
    for submission in submissions:
        tier = prizes.eligible_tier(prizes.combine(submitted_levels(submission)))
        prize = announced_prize(submission)
        if tier != prizes.NONE or prize is not None:
            out.append((submission, tier, prize))
    return out


@dataclass
class SubmissionStatus:
    """One submission on the organizers' review page."""

    submission: Submission
    assignments: list[Assignment]
    author_warnings: list[dict]
    needed: int
    would_add: list[str]  # reviewers automatic assignment would add now
    short_reason: str | None  # why it stays short of N even then


@dataclass
class RoundStatus:
    round: Round
    review: ReviewRound
    rows: list[SubmissionStatus]


def review_overview(contest: Contest) -> list[RoundStatus]:
    """Per round: each submission's assignments and reviews, the author-scan warnings, and what automatic
    assignment would add or why the submission stays short of N reviewers."""
    needed = review_settings(contest).reviewers_per_submission
    out = []
    for round in contest.rounds.order_by("number"):
        planned = assignment_plan(round)
        adds: dict[int, list[str]] = {}
        for submission_pk, username in planned.plan.pairs:
            adds.setdefault(submission_pk, []).append(username)
        rows = [SubmissionStatus(submission=s, assignments=active_assignments_of(s),
                                 author_warnings=author_scan_warnings(s.current_version), needed=needed,
                                 would_add=adds.get(pk, []), short_reason=planned.plan.short.get(pk))
                for pk, s in planned.submissions.items()]
        out.append(RoundStatus(round=round, review=review_round(round), rows=rows))
    return out


def audit_entries(contest: Contest) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(contest=contest).select_related("actor", "submission")


def contests_for_organizers() -> QuerySet[Contest]:
    return Contest.objects.prefetch_related("rounds")
