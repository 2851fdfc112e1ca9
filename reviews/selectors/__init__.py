"""What each user may read of the review side, and the reads the rules need.

One rule per kind of object, asked by every page, API endpoint, email and download:
- an assignment: `assignments_visible_to` (its reviewer, while no conflict stands; organizers);
- a reviewer's identity: `reviewer_label` (organizers see usernames; everyone else "Reviewer N");
- a review: `shown_reviews` (what of which review a user sees);
- an award: `awards_visible_to` (and prizes.prize_of them: a submission's prize over the rounds, shown once);
- a conflict between a reviewer and a submission: `conflict_reason` (the rule: reviews/conflicts.py);
- what a reviewer may read of a submission: `anonymous_submission` and `anonymised_zip`, both
  through `redactor_for` (authors' names, emails, affiliations and the owner's username removed);
- the evaluation results of an assignment's submission: `results_for_assignment` (every series).

Each read of many objects takes a fixed number of queries, whatever their number (the `..._of_each`
reads are the bulk forms of the single ones), so the review pages' queries do not grow with the
submissions, reviews and assignments (tests/test_query_counts.py).

The reads live in modules by concern, and callers import them from here (`selectors.shown_reviews`):
- rounds.py: a contest's review settings, each round's review calendar, caps and amounts;
- assignments.py: the panel, conflicts of interest, assignments and who may see them, reviewers' names;
- anonymity.py: what a reviewer may read of a submission (its description, files and results);
- reviews.py: the rubric, the reviews each user sees, rankings, a reviewer's own page;
- awards.py: what the rules propose within the caps, the awards decided, prizes, the Accepted Tasks;
- overview.py: the organizers' review page (assignments, what automatic assignment would add) and audit log;
- validation.py: the human validation of labels (who sees which validation, what a validator reads, the agreement);
- annotations.py: the meta-reviews, causes, published examples and release licence;
- public.py: the public results pages of the rounds whose awards are announced (what release.py releases of
  each task, by the same redaction rule);
- round_table.py: the organizers' overview of a round (a row per submission, sorted and filtered; the accepted
  tasks' mean scaling curves);
- release.py: what the public release of the benchmark holds (the accepted tasks of the announced rounds, and of
  each only what was published), and why there is nothing to release yet.

For the outcome's pages (the public results, the overview, the release export), one call per kind, each with its
bulk form: `agreement_of` / `agreement_of_each`, `meta_review_for` / `meta_reviews_for_each`, `causes_of` /
`causes_of_each`, `published_example_of` / `published_examples_of_each`, and `release_licence`.
"""

from __future__ import annotations

from .annotations import (
    ShownMetaReview,
    all_causes,
    causes_of,
    causes_of_each,
    has_award,
    meta_review_for,
    meta_review_to_edit,
    meta_reviews_for_each,
    published_example_of,
    published_examples_of_each,
    release_licence,
)
from .anonymity import (
    AnonymousSubmission,
    ReviewerResults,
    anonymised_results,
    anonymised_zip,
    anonymous_submission,
    redactor_for,
    results_for_assignment,
    submission_label,
    submission_labels,
)
from .assignments import (
    PanelSeat,
    People,
    active_assignments_of,
    active_assignments_of_each,
    assignment_load,
    assignments_visible_to,
    conflict_pairs,
    conflict_reason,
    conflicts_of,
    contests_reviewed_by,
    eligible_reviewers,
    get_assignment_for,
    numbered_reviewer,
    panel,
    panel_seats,
    people_of,
    people_of_each,
    reviewer_identity,
    reviewer_label,
)
from .awards import (
    CandidateRow,
    Proposal,
    accepted_submissions,
    announced_prize,
    announced_prizes,
    award_proposal,
    award_tally,
    awards_visible_to,
    candidate_rows,
    paid_before,
    previous_tiers,
    rank_scores,
)
from .overview import (
    RoundPlan,
    RoundStatus,
    SubmissionStatus,
    assignment_plan,
    audit_entries,
    author_scan_warnings,
    contests_for_organizers,
    review_overview,
)
from .public import PublicRound, PublicTask, announced_rounds_everywhere, public_round
from .release import public_redactor, release_of, release_refusal
from .reviews import (
    ReviewerRound,
    ShownReview,
    criterion_keys,
    ranking_of,
    reviewed_for_ranking,
    reviewer_rounds,
    rubric,
    shown_reviews,
    shown_reviews_of_each,
    submitted_levels,
    submitted_levels_of_each,
)
from .round_table import OverviewQuery, OverviewRow, RoundOverview, round_overview, round_overview_page
from .rounds import (
    amount_for,
    awards_announced,
    caps_for,
    is_first_round,
    review_deadline,
    review_round,
    review_settings,
    review_settings_of_each,
    reviews_open,
)
from .validation import (
    ExampleRow,
    SeatRow,
    ShownExample,
    ValidationDetail,
    ValidationSummary,
    agreement_of,
    agreement_of_each,
    get_seat_for,
    get_validation_for,
    latest_validations_of_each,
    next_example,
    numbered_validator,
    summaries_of,
    task_labels,
    validation_detail,
    validation_for_assignment,
    validations_of_contest,
    validator_label,
    validator_seats,
)

__all__ = [
    "ExampleRow", "SeatRow", "ShownExample", "ShownMetaReview", "ValidationDetail", "ValidationSummary",
    "agreement_of", "agreement_of_each", "all_causes", "causes_of", "causes_of_each", "get_seat_for",
    "get_validation_for", "has_award", "latest_validations_of_each", "meta_review_for", "meta_review_to_edit",
    "meta_reviews_for_each", "next_example", "numbered_validator", "published_example_of",
    "published_examples_of_each", "release_licence", "summaries_of", "task_labels", "validation_detail",
    "validation_for_assignment", "validations_of_contest", "validator_label", "validator_seats",
    "AnonymousSubmission", "CandidateRow", "PanelSeat", "People", "Proposal", "ReviewerResults", "ReviewerRound", "RoundPlan",
    "RoundStatus", "ShownReview", "SubmissionStatus", "accepted_submissions", "active_assignments_of",
    "active_assignments_of_each", "amount_for", "announced_prize", "announced_prizes", "anonymised_results", "anonymised_zip", "anonymous_submission",
    "assignment_load", "assignment_plan", "assignments_visible_to", "audit_entries", "author_scan_warnings",
    "award_proposal", "award_tally", "awards_announced", "awards_visible_to", "candidate_rows", "caps_for",
    "conflict_pairs", "conflict_reason", "conflicts_of", "contests_for_organizers", "contests_reviewed_by",
    "criterion_keys", "eligible_reviewers", "get_assignment_for", "is_first_round", "numbered_reviewer",
    "paid_before", "panel", "panel_seats", "people_of", "people_of_each", "previous_tiers", "rank_scores", "ranking_of", "redactor_for",
    "results_for_assignment", "review_deadline", "review_overview", "review_round", "review_settings",
    "review_settings_of_each",
    "release_of", "release_refusal", "public_redactor",
    "PublicRound", "PublicTask", "announced_rounds_everywhere", "public_round",
    "OverviewQuery", "OverviewRow", "RoundOverview", "round_overview", "round_overview_page",
    "reviewed_for_ranking", "reviewer_identity", "reviewer_label", "reviewer_rounds", "reviews_open", "rubric",
    "shown_reviews", "shown_reviews_of_each", "submission_label", "submission_labels", "submitted_levels",
    "submitted_levels_of_each",
]
