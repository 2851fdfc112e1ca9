"""The review side's writes (reviews/services.py) on the real database: every rule and its message."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from fractions import Fraction

import pytest
from django.utils import timezone

from portal import services as portal_services
from portal.deadlines import format_aoe
from portal.models import Profile
from portal.services import AuthorData, SubmissionData
from reviews import export, outcome, prizes, selectors, services
from reviews.models import Assignment, AuditEntry, Award, Conflict, ReviewRound, ReviewSettings
from tests import datasets, factories
from tests.reviews.conftest import (
    ADA,
    CHARLES,
    acknowledging_every_gap,
    acknowledging_gaps_of,
    another_submission,
    each,
    levels,
    open_round_two,
    submit,
)

pytestmark = pytest.mark.django_db


def actions(contest) -> list[tuple[str, str]]:
    return [(e.action, e.message) for e in AuditEntry.objects.filter(contest=contest).order_by("pk")]


# --- the panel ----------------------------------------------------------------------------------------


def test_only_reviewer_accounts_that_do_not_compete_join_the_panel(scene):
    with pytest.raises(services.ReviewsRefused) as refused:
        services.add_reviewer(contest=scene.contest, user=scene.bob, by=scene.organizer)
    assert refused.value.message == ("owner_bob_q8 is not a reviewer account; set its role to reviewer in the admin "
                                     "(Profiles) first.")
    Profile.objects.filter(user=scene.bob).update(role="reviewer")
    scene.bob.refresh_from_db()
    with pytest.raises(services.ReviewsRefused) as refused:
        services.add_reviewer(contest=scene.contest, user=scene.bob, by=scene.organizer)
    assert refused.value.message == ("owner_bob_q8 owns 1 submission in Inverse Scaling Prize; a contestant cannot "
                                     "review the contest they compete in.")
    with pytest.raises(services.NotAllowed, match="^Only organizers can add reviewers.$"):
        services.add_reviewer(contest=scene.contest, user=scene.uma, by=scene.rita)


# --- assignment by hand --------------------------------------------------------------------------------


def test_hand_assignments_are_numbered_per_submission_audited_and_emailed(scene, mailoutbox,
                                                                           django_capture_on_commit_callbacks):
    assert [(a.submission, a.number) for a in (scene.rita_a, scene.remy_a, scene.rita_b)] == [
        (scene.a, 1), (scene.a, 2), (scene.b, 1)]
    assert [m for _, m in actions(scene.contest) if m.startswith("Assigned")] == [
        "Assigned rev_rita_x1 as Reviewer 1 of syllogism-test.",
        "Assigned rev_remy_x2 as Reviewer 2 of syllogism-test.",
        "Assigned rev_rita_x1 as Reviewer 1 of negation-task."]
    deadline = timezone.now() + timedelta(days=40)
    ReviewRound.objects.create(round=scene.round, review_deadline=deadline)
    with django_capture_on_commit_callbacks(execute=True):
        assignment = services.assign(submission=scene.b, reviewer=scene.uma, by=scene.organizer,
                                     site="https://portal.test/")
    assert assignment.due_at == deadline  # the round's review deadline by default
    [mail] = mailoutbox
    assert mail.to == ["uma@reviewers-four.test"]
    assert mail.subject == "Inverse Scaling Prize: 1 new submission to review"
    assert f"- Submission 2 (due {format_aoe(deadline)})" in mail.body
    assert "https://portal.test/reviews/" in mail.body
    assert "negation-task" not in mail.body  # the contest does not show task names to reviewers


def test_no_assignment_across_a_conflict_twice_off_the_panel_or_beyond_the_cap(scene):
    with pytest.raises(services.ConflictRefused) as refused:
        services.assign(submission=scene.a, reviewer=scene.cora, by=scene.organizer)
    assert refused.value.status == 409
    assert refused.value.message == (
        "No assignment across a conflict of interest: rev_cora_x3's email domain analytical-engines.org matches "
        "an author's (ada.lovelace@analytical-engines.org).")
    with pytest.raises(services.ConflictRefused, match="^rev_rita_x1 is already assigned to syllogism-test.$"):
        services.assign(submission=scene.a, reviewer=scene.rita, by=scene.organizer)
    outsider = factories.reviewer(username="rev_out_x5", email="out@elsewhere.test")
    with pytest.raises(services.ReviewsRefused) as refused:
        services.assign(submission=scene.a, reviewer=outsider, by=scene.organizer)
    assert (refused.value.status, refused.value.message) == (
        400, "rev_out_x5 is not on the reviewer panel of Inverse Scaling Prize; add them to it first.")
    with pytest.raises(services.ReviewsRefused, match="^owner_bob_q8 is not a reviewer.$"):
        services.assign(submission=scene.a, reviewer=scene.bob, by=scene.organizer)
    ReviewSettings.objects.create(contest=scene.contest, max_assignments_per_reviewer=2)
    third = third_submission(scene)
    with pytest.raises(services.ReviewsRefused) as refused:
        services.assign(submission=third, reviewer=scene.rita, by=scene.organizer)  # rita reviews a and b
    assert refused.value.message == ("rev_rita_x1 already has 2 assignments in Inverse Scaling Prize, the cap; raise "
                                     "the cap in the contest's review settings to give them more.")
    services.assign(submission=third, reviewer=scene.remy, by=scene.organizer)  # remy's second
    assert Assignment.objects.filter(removed_at__isnull=True).count() == 4


def third_submission(scene):
    """third-task, by a third contestant (author Carl Gauss), in the contest's open round."""
    owner = factories.contestant(username="owner_carl_q9", email="carl@contestants-three.test")
    zipped = datasets.make_zip({"third-task.csv": datasets.to_csv_bytes(
        datasets.syllogism_classification_rows(n=300, seed=7))})
    return portal_services.create_submission(user=owner, contest=scene.contest, zip_file=zipped,
                                             data=factories.submission_data(
                                                 task_name="third-task",
                                                 authors=(AuthorData("Carl Gauss", "carl@gauss.test"),)))


def test_a_removed_assignment_keeps_its_number_and_a_reason_is_required(scene):
    with pytest.raises(services.ReviewsRefused, match=r"^Say why the assignment is removed"):
        services.unassign(assignment=scene.remy_a, by=scene.organizer, reason="  ")
    services.unassign(assignment=scene.remy_a, by=scene.organizer, reason="on leave")
    assert services.assign(submission=scene.a, reviewer=scene.uma, by=scene.organizer).number == 3
    assert services.assign(submission=scene.a, reviewer=scene.remy, by=scene.organizer).number == 4
    assert ("unassigned", "Removed rev_remy_x2 (Reviewer 2) from syllogism-test: on leave") in actions(scene.contest)


# --- conflicts -----------------------------------------------------------------------------------------


def test_a_reviewer_declares_a_conflict_with_an_assigned_submission_and_loses_it(scene):
    services.declare_conflict(reviewer=scene.remy, by=scene.remy, submission=scene.a, reason="a former student")
    scene.remy_a.refresh_from_db()
    assert scene.remy_a.removed_at is not None
    assert scene.remy_a.removed_reason == "Conflict of interest: rev_remy_x2 declared a conflict with this submission."
    assert actions(scene.contest)[-2:] == [
        ("conflict", f"Conflict of rev_remy_x2 with submission {scene.a.pk} (syllogism-test)."),
        ("unassigned", "Removed rev_remy_x2 (Reviewer 2) from syllogism-test: Conflict of interest: rev_remy_x2 "
                       "declared a conflict with this submission.")]
    assert selectors.assignments_visible_to(scene.remy) == []
    with pytest.raises(services.ConflictRefused, match="declared a conflict with this submission"):
        services.assign(submission=scene.a, reviewer=scene.remy, by=scene.organizer)


def test_a_declared_domain_conflict_removes_exactly_the_assignments_across_it(scene):
    conflict = services.declare_conflict(reviewer=scene.rita, by=scene.rita, domain="  @Difference-Engines.ORG ")
    assert (conflict.domain, conflict.source) == ("difference-engines.org", Conflict.REVIEWER)
    scene.rita_a.refresh_from_db()
    scene.rita_b.refresh_from_db()
    assert scene.rita_a.removed_reason == (
        "Conflict of interest: rev_rita_x1 declared a conflict with the domain difference-engines.org "
        "(charles@difference-engines.org).")
    assert scene.rita_b.removed_at is None
    with pytest.raises(services.ConflictRefused, match="^This conflict is declared already.$"):
        services.declare_conflict(reviewer=scene.rita, by=scene.organizer, domain="difference-engines.org")


@pytest.mark.parametrize(("domain", "message"), [
    ("gmail.com", "gmail.com is a public mail domain: a conflict with it would exclude everyone who uses it. Declare "
                  "a conflict with the submissions themselves instead."),
    ("not a domain", "'not a domain' is not an email domain; write it as in an address after the @, for example "
                     "example.edu."),
])
def test_a_domain_conflict_must_name_a_private_domain(scene, domain, message):
    with pytest.raises(services.ReviewsRefused) as refused:
        services.declare_conflict(reviewer=scene.rita, by=scene.rita, domain=domain)
    assert (refused.value.message, refused.value.field) == (message, "domain")


def test_reviewers_declare_only_their_own_conflicts_with_their_own_submissions(scene):
    with pytest.raises(services.NotAllowed, match="^Reviewers declare only their own conflicts.$"):
        services.declare_conflict(reviewer=scene.remy, by=scene.rita, domain="example.edu")
    with pytest.raises(services.NotAllowed, match="^You can declare a conflict only with a submission assigned"):
        services.declare_conflict(reviewer=scene.remy, by=scene.remy, submission=scene.b)
    organizer_added = services.declare_conflict(reviewer=scene.uma, by=scene.organizer, submission=scene.b,
                                                reason="co-authors")
    assert organizer_added.source == Conflict.ORGANIZER
    assert AuditEntry.objects.get(action="conflict", submission=scene.b).data["reason"] == "co-authors"


def test_a_new_version_naming_an_author_at_a_reviewers_domain_removes_that_assignment(
        scene, django_capture_on_commit_callbacks):
    version = scene.a.current_version
    data = SubmissionData.from_version(version)
    friend = AuthorData("Rosa Friend", "rosa@reviewers-one.test")  # rita's domain
    with django_capture_on_commit_callbacks(execute=True):
        portal_services.edit_submission(user=scene.alice, submission=scene.a,
                                        data=SubmissionData(**{**data.__dict__, "authors": (ADA, CHARLES, friend)}))
    scene.rita_a.refresh_from_db()
    scene.remy_a.refresh_from_db()
    assert scene.rita_a.removed_reason == ("Conflict of interest: rev_rita_x1's email domain reviewers-one.test "
                                           "matches an author's (rosa@reviewers-one.test).")
    assert scene.remy_a.removed_at is None
    entry = AuditEntry.objects.filter(action="unassigned").get()
    assert (entry.actor, entry.submission) == (None, scene.a)


# --- automatic assignment ------------------------------------------------------------------------------------


def test_automatic_assignment_balances_avoids_conflicts_and_explains_what_stays_short(
        scene, mailoutbox, django_capture_on_commit_callbacks):
    ReviewSettings.objects.create(contest=scene.contest, reviewers_per_submission=4)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.auto_assign(round=scene.round, by=scene.organizer)
    assert sorted((a.submission.task_name, a.reviewer.username, a.number) for a in result.created) == [
        ("negation-task", "rev_cora_x3", 2), ("negation-task", "rev_remy_x2", 3), ("negation-task", "rev_uma_x4", 4),
        ("syllogism-test", "rev_uma_x4", 3)]
    assert all(a.automatic for a in result.created)
    assert result.short == {scene.a: "it has 3 of 4 reviewers; already reviewing it: rev_remy_x2, rev_rita_x1, "
                                     "rev_uma_x4; conflict of interest: rev_cora_x3."}
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("cora@analytical-engines.org", "Inverse Scaling Prize: 1 new submission to review"),
        ("remy@reviewers-two.test", "Inverse Scaling Prize: 1 new submission to review"),
        ("uma@reviewers-four.test", "Inverse Scaling Prize: 2 new submissions to review")]
    again = services.auto_assign(round=scene.round, by=scene.organizer)
    assert again.created == []
    assert list(again.short) == [scene.a]


def test_the_organizers_page_shows_what_automatic_assignment_would_do(scene):
    [round_status] = selectors.review_overview(scene.contest)
    rows = {row.submission.task_name: row for row in round_status.rows}
    assert rows["syllogism-test"].would_add == ["rev_uma_x4"]
    assert rows["syllogism-test"].short_reason is None
    assert sorted(rows["negation-task"].would_add) == ["rev_cora_x3", "rev_remy_x2"]
    assert [w["message"][:36] for w in rows["syllogism-test"].author_warnings] == [
        "The file contains the author name 'A", "The file contains the author email a"]
    assert rows["negation-task"].author_warnings == []


# --- reviews -------------------------------------------------------------------------------------------------


def test_a_review_is_drafted_submitted_and_revised_with_its_history_kept(scene):
    draft = services.save_review(assignment=scene.rita_a, user=scene.rita, levels={"novelty": "grand"},
                                 to_authors="Nice.", submit=False)
    assert (draft.status, draft.levels, draft.revisions.count()) == ("draft", {"novelty": "grand"}, 0)
    with pytest.raises(services.ReviewsRefused) as refused:
        services.save_review(assignment=scene.rita_a, user=scene.rita, levels={"novelty": "grand"}, submit=True)
    assert refused.value.message == ("Rate every criterion before submitting; missing: strength, generality, "
                                     "importance, coverage, reproducibility.")
    submitted = submit(scene.rita_a, scene.rita, each("accepted"), to_authors="Clear.", to_organizers="Solid.")
    first_submitted_at = submitted.submitted_at
    assert (submitted.status, submitted.revisions.count()) == ("submitted", 1)
    with pytest.raises(services.ReviewsRefused, match="^This review is submitted; a change to it is a revision"):
        services.save_review(assignment=scene.rita_a, user=scene.rita, levels=each("grand"), submit=False)
    revised = submit(scene.rita_a, scene.rita, levels("grand", "accepted", "accepted", "accepted", "accepted",
                                                       "accepted"), to_authors="Clearer.")
    assert revised.submitted_at == first_submitted_at
    assert [(r.number, r.levels["strength"], r.to_authors) for r in revised.revisions.all()] == [
        (1, "accepted", "Clear."), (2, "grand", "Clearer.")]
    assert [m for a, m in actions(scene.contest) if a in ("review_submitted", "review_revised")] == [
        "Reviewer 1 (rev_rita_x1) submitted the review of syllogism-test.",
        "Reviewer 1 (rev_rita_x1) revised the review of syllogism-test (revision 2)."]


@pytest.mark.parametrize(("rated", "message"), [
    ({"charm": "grand"}, "Unknown criteria: charm; the criteria are strength, generality, importance, novelty, "
                         "coverage, reproducibility."),
    ({"novelty": "excellent"}, "Choose a level (no_prize, accepted, grand) for novelty."),
    (["grand"], "Levels must map each criterion's key to a level."),
])
def test_bad_levels_are_refused_with_what_to_fix(scene, rated, message):
    with pytest.raises(services.ReviewsRefused) as refused:
        services.save_review(assignment=scene.rita_a, user=scene.rita, levels=rated, submit=False)
    assert refused.value.message == message


def test_only_the_assigned_reviewer_writes_and_only_until_the_review_deadline(scene):
    with pytest.raises(services.NotAllowed, match="^Only the assigned reviewer writes this review.$"):
        services.save_review(assignment=scene.rita_a, user=scene.organizer, levels={}, submit=False)
    deadline = timezone.now() - timedelta(minutes=1)
    ReviewRound.objects.create(round=scene.round, review_deadline=deadline)
    with pytest.raises(services.NotAllowed) as refused:
        services.save_review(assignment=scene.rita_a, user=scene.rita, levels={}, submit=False)
    assert refused.value.message == (f"Reviews of Round 1 closed on {format_aoe(deadline)}; reviews can no longer be "
                                     "saved or revised.")


def test_a_ranking_orders_exactly_the_submissions_reviewed(scene):
    with pytest.raises(services.ReviewsRefused, match="^Submit a review of a submission of Round 1 before ranking.$"):
        services.save_ranking(reviewer=scene.rita, round=scene.round, submission_ids=[scene.a.pk])
    submit(scene.rita_a, scene.rita, each("accepted"))
    submit(scene.rita_b, scene.rita, each("grand"))
    with pytest.raises(services.ReviewsRefused) as refused:
        services.save_ranking(reviewer=scene.rita, round=scene.round, submission_ids=[scene.a.pk, scene.a.pk])
    assert refused.value.message == ("Rank each of the 2 submissions of Round 1 you submitted a review of exactly "
                                     "once.")
    services.save_ranking(reviewer=scene.rita, round=scene.round, submission_ids=[scene.b.pk, scene.a.pk])
    assert selectors.ranking_of(reviewer=scene.rita, round=scene.round) == [scene.b.pk, scene.a.pk]
    assert selectors.rank_scores(scene.contest) == {scene.b.pk: 1, scene.a.pk: 0}
    # within a tier (the rules): two of one tier keep their order; alone in its tier, each is unranked
    assert selectors.rank_scores(scene.contest, tiers={scene.a.pk: "third", scene.b.pk: "third"}) == {
        scene.b.pk: 1, scene.a.pk: 0}
    assert selectors.rank_scores(scene.contest, tiers={scene.a.pk: "third", scene.b.pk: "second"}) == {
        scene.b.pk: Fraction(1, 2), scene.a.pk: Fraction(1, 2)}
    # the awards page ranks them within their eligible tiers: b is grand-eligible, a third
    rows = {row.submission.pk: (row.tier, row.rank_score) for row in selectors.candidate_rows(scene.round)}
    assert rows == {scene.a.pk: ("third", Fraction(1, 2)), scene.b.pk: ("grand", Fraction(1, 2))}


# --- awards and release --------------------------------------------------------------------------------------


@pytest.fixture
def reviewed(scene):
    """a: grand on every criterion from both its reviewers; b: accepted on every criterion."""
    submit(scene.rita_a, scene.rita, each("grand"), to_authors="Striking task.", to_organizers="Top.")
    submit(scene.remy_a, scene.remy, each("grand"), to_authors="Convincing.")
    submit(scene.rita_b, scene.rita, each("accepted"), to_authors="Solid.")
    return scene


def test_round_one_confirms_the_proposal_within_its_caps(reviewed):
    s = reviewed
    proposal = selectors.award_proposal(s.round)
    assert proposal.caps == {"grand": 0, "second": 2, "third": 5}
    assert [(row.submission.task_name, row.tier, row.grand_count, row.proposed) for row in proposal.rows] == [
        ("syllogism-test", "grand", 6, "second"), ("negation-task", "third", 0, "third")]
    awards = outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    assert [(a.submission.task_name, a.tier, a.amount, a.proposed_tier) for a in awards] == [
        ("syllogism-test", "second", 20_000, "second"), ("negation-task", "third", 5_000, "third")]
    assert actions(s.contest)[-1] == ("awards_confirmed", "Confirmed the proposed awards of Round 1: syllogism-test "
                                                          "second, negation-task third.")


def test_an_override_needs_a_reason_and_never_exceeds_a_cap(reviewed):
    s = reviewed
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    with pytest.raises(services.ReviewsRefused, match="^Give the reason for overriding the rules' proposal.$"):
        outcome.override_award(round=s.round, submission=s.b, tier="second", reason=" ", by=s.organizer)
    with pytest.raises(services.ReviewsRefused) as refused:
        outcome.override_award(round=s.round, submission=s.a, tier="grand", reason="outstanding", by=s.organizer)
    assert refused.value.message == ("The grand prizes of Round 1 are full (cap 0); lower another award first, or "
                                     "raise the cap in the contest's review settings.")
    award = outcome.override_award(round=s.round, submission=s.b, tier="second", reason="A striking idea.",
                                    by=s.organizer, acknowledgement=acknowledging_gaps_of(s.round, s.b))
    assert (award.tier, award.amount, award.proposed_tier, award.override_reason) == (
        "second", 20_000, "third", "A striking idea.")
    ReviewSettings.objects.create(contest=s.contest, round1_second_cap=1)
    with pytest.raises(services.ReviewsRefused, match=r"^The second prizes of Round 1 are full \(cap 1\)"):
        outcome.override_award(round=s.round, submission=s.b, tier="second", reason="again", by=s.organizer)
    assert actions(s.contest)[-1] == ("award_overridden", "negation-task in Round 1: third -> second (proposed: "
                                                          "third). Reason: A striking idea.")


def test_release_then_announce_emails_contestants_and_freezes_the_awards(reviewed, mailoutbox,
                                                                          django_capture_on_commit_callbacks):
    s = reviewed
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    with pytest.raises(services.ReviewsRefused, match="^Release the feedback of Round 1 first"):
        outcome.announce_awards(round=s.round, by=s.organizer)
    with django_capture_on_commit_callbacks(execute=True):
        outcome.release_feedback(round=s.round, by=s.organizer, site="https://portal.test")
    s.round.refresh_from_db()
    assert s.round.feedback_released_at is not None
    assert sorted((m.to, m.subject) for m in mailoutbox) == [
        (["alice.q7@contestants.test"], "Inverse Scaling Prize: the reviews of syllogism-test are ready"),
        (["bob.q8@contestants-two.test"], "Inverse Scaling Prize: the reviews of negation-task are ready")]
    with pytest.raises(services.ReviewsRefused, match="^The feedback of Round 1 was released on"):
        outcome.release_feedback(round=s.round, by=s.organizer)
    with pytest.raises(services.NotAllowed, match="^The feedback of Round 1 is released; its reviews are closed.$"):
        services.assign(submission=s.b, reviewer=s.uma, by=s.organizer)
    with pytest.raises(services.NotAllowed, match="^Reviews of Round 1 closed; reviews can no longer be saved"):
        submit(s.rita_b, s.rita, each("grand"))
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        outcome.announce_awards(round=s.round, by=s.organizer, site="https://portal.test")
    award_mail = next(m for m in mailoutbox if "syllogism-test" in m.subject)
    assert award_mail.subject == "Inverse Scaling Prize: Second prize for syllogism-test"
    assert award_mail.to == ["ada.lovelace@analytical-engines.org", "alice.q7@contestants.test",
                             "charles@difference-engines.org"]
    assert "wins a second prize of $20,000 in Round 1 of Inverse Scaling Prize." in award_mail.body
    assert f"https://portal.test/submissions/{s.a.pk}/" in award_mail.body
    with pytest.raises(services.NotAllowed, match="^The awards of Round 1 are announced; they can no longer change.$"):
        outcome.override_award(round=s.round, submission=s.b, tier="none", reason="x", by=s.organizer)


def test_a_winner_names_a_nonprofit_once_the_award_is_announced(reviewed):
    s = reviewed
    [a_award, _] = outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    with pytest.raises(services.NotAllowed, match="^Only the winner names a non-profit for an announced award.$"):
        outcome.name_nonprofit(award=a_award, user=s.alice, nonprofit="Give Well")
    outcome.release_feedback(round=s.round, by=s.organizer)
    outcome.announce_awards(round=s.round, by=s.organizer)
    with pytest.raises(services.NotAllowed):
        outcome.name_nonprofit(award=a_award, user=s.bob, nonprofit="Mine")
    outcome.name_nonprofit(award=a_award, user=s.alice, nonprofit="  Against   Malaria Foundation ")
    a_award.refresh_from_db()
    assert a_award.nonprofit == "Against Malaria Foundation"
    assert actions(s.contest)[-1] == ("nonprofit_named", "syllogism-test: the second prize goes to Against Malaria "
                                                         "Foundation.")


def test_round_two_upgrades_a_round_one_winner_keeps_the_others_and_never_lowers_them(reviewed):
    s = reviewed
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    outcome.release_feedback(round=s.round, by=s.organizer)
    outcome.announce_awards(round=s.round, by=s.organizer)
    now = timezone.now()
    s.round.closes_at = now - timedelta(minutes=5)
    s.round.save()
    round2 = factories.RoundFactory(contest=s.contest, number=2, opens_at=now - timedelta(minutes=1),
                                    closes_at=now + timedelta(days=30))
    c = third_submission(s)
    submit(services.assign(submission=c, reviewer=s.uma, by=s.organizer), s.uma,
           levels("grand", "accepted", "accepted", "accepted", "accepted", "accepted"))
    proposal = selectors.award_proposal(round2)
    assert proposal.caps == {"grand": 1, "second": 5, "third": 10}
    assert {row.submission.task_name: (row.previous_tier, row.proposed) for row in proposal.rows} == {
        "syllogism-test": ("second", "grand"), "negation-task": ("third", "third"), "third-task": (None, "second")}
    outcome.confirm_awards(round=round2, by=s.organizer, acknowledged=acknowledging_every_gap(round2))
    with pytest.raises(services.ReviewsRefused) as refused:
        outcome.override_award(round=round2, submission=s.b, tier="none", reason="weaker now", by=s.organizer)
    assert refused.value.message == ("negation-task won a third prize in an earlier round; an award is never "
                                     "lowered.")


# --- round 2: the contest's total caps, kept winners and upgrades ---------------------------------------------


def _announce(round, by) -> None:
    outcome.release_feedback(round=round, by=by)
    outcome.announce_awards(round=round, by=by)


def test_round_two_overrides_count_the_round_one_winners_against_the_contest_caps(reviewed):
    s = reviewed
    ReviewSettings.objects.create(contest=s.contest, total_second_cap=3)
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))  # a second, b third
    outcome.override_award(round=s.round, submission=s.b, tier="second", reason="A striking idea.", by=s.organizer,
                           acknowledgement=acknowledging_gaps_of(s.round, s.b))
    _announce(s.round, s.organizer)  # two round-1 seconds
    round2 = open_round_two(s)
    c = another_submission(s, task_name="third-task", owner="owner_carl_q9", seed=7,
                           author=AuthorData("Carl Gauss", "carl@gauss.test"))
    d = another_submission(s, task_name="fourth-task", owner="owner_dora_q10", seed=8,
                           author=AuthorData("Dora Noether", "dora@noether.test"))
    # Only overrides in round 2, never "Confirm the proposal": the round-1 seconds count all the same.
    award = outcome.override_award(round=round2, submission=c, tier="second", reason="Strong.", by=s.organizer,
                                   acknowledgement=acknowledging_gaps_of(round2, c))
    assert (award.tier, award.amount, award.upgraded_from) == ("second", 20_000, "")
    assert selectors.award_proposal(round2).counts() == {"grand": 0, "second": 3, "third": 0}
    with pytest.raises(services.ReviewsRefused) as refused:
        outcome.override_award(round=round2, submission=d, tier="second", reason="Also strong.", by=s.organizer)
    assert (refused.value.status, refused.value.field, refused.value.message) == (
        400, "tier", "The second prizes of Inverse Scaling Prize are full: the contest's total cap is 3, and 2 of "
                     "them were won in earlier rounds; lower another award of Round 2 first, or raise the cap in "
                     "the contest's review settings.")
    assert list(Award.objects.filter(round=round2).values_list("submission__task_name", "tier")) == [
        ("third-task", "second")]
    # An upgrade of a round-1 third to second counts it once, at second.
    ReviewSettings.objects.filter(contest=s.contest).update(total_second_cap=2)
    outcome.release_feedback(round=round2, by=s.organizer)
    with pytest.raises(services.ReviewsRefused) as refused:
        outcome.announce_awards(round=round2, by=s.organizer)
    assert refused.value.message == ("More second prizes are decided than the cap of 2 (counting the earlier rounds' "
                                     "winners); change the awards first.")


@pytest.fixture
def round_two(reviewed):
    """Round 1 announced (a second, b third); round 2 open, with a still grand-eligible and b third-eligible."""
    outcome.confirm_awards(round=reviewed.round, by=reviewed.organizer, acknowledged=acknowledging_every_gap(reviewed.round))
    _announce(reviewed.round, reviewed.organizer)
    return open_round_two(reviewed)


def test_a_round_one_winner_kept_in_round_two_is_neither_paid_nor_announced_again(
        reviewed, round_two, mailoutbox, django_capture_on_commit_callbacks):
    s = reviewed
    proposal = selectors.award_proposal(round_two)
    assert {row.submission.task_name: (row.previous_tier, row.proposed, row.paid_before) for row in proposal.rows} == {
        "syllogism-test": ("second", "grand", 20_000), "negation-task": ("third", "third", 5_000)}
    awards = outcome.confirm_awards(round=round_two, by=s.organizer, acknowledged=acknowledging_every_gap(round_two))
    assert [(a.submission.task_name, a.tier, a.amount, a.upgraded_from) for a in awards] == [
        ("syllogism-test", "grand", 80_000, "second")]  # 100,000 less the 20,000 of round 1
    assert list(Award.objects.filter(submission=s.b).values_list("round__number", "tier", "amount")) == [
        (1, "third", 5_000)]
    assert actions(s.contest)[-1] == (
        "awards_confirmed", "Confirmed the proposed awards of Round 2: syllogism-test grand (upgraded from second: "
                            "$80,000 more); kept from earlier rounds: negation-task third.")
    assert selectors.award_proposal(round_two).counts() == {"grand": 1, "second": 0, "third": 1}
    outcome.release_feedback(round=round_two, by=s.organizer)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        announced = outcome.announce_awards(round=round_two, by=s.organizer, site="https://portal.test")
    assert announced == awards
    [mail] = mailoutbox  # nothing to bob: his third prize is kept, paid and announced in round 1
    assert (mail.to, mail.subject) == (["ada.lovelace@analytical-engines.org", "alice.q7@contestants.test",
                                        "charles@difference-engines.org"],
                                       "Inverse Scaling Prize: upgraded to a grand prize for syllogism-test")
    assert ("Your task syllogism-test is upgraded from a second prize to a grand prize in Round 2 of Inverse Scaling "
            "Prize.\nThe earlier rounds paid $20,000; $80,000 more is paid now, so the task receives $100,000 in "
            "all.\n") in mail.body
    prize = prizes.prize_of(selectors.awards_visible_to(user=s.alice, submission=s.a))
    assert (prize.tier, prize.total, prize.award.round.number, prize.upgraded_from.tier) == ("grand", 100_000, 2, "second")
    prize = prizes.prize_of(selectors.awards_visible_to(user=s.bob, submission=s.b))
    assert (prize.tier, prize.total, prize.award.round.number, prize.upgraded_from) == ("third", 5_000, 1, None)


def test_an_upgrade_pays_the_difference_and_says_so_once(reviewed, round_two, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    s = reviewed
    outcome.confirm_awards(round=round_two, by=s.organizer, acknowledged=acknowledging_every_gap(round_two))
    award = outcome.override_award(round=round_two, submission=s.b, tier="second", reason="Reconsidered.",
                                    by=s.organizer, acknowledgement=acknowledging_gaps_of(round_two, s.b))
    assert (award.tier, award.amount, award.upgraded_from, award.proposed_tier) == ("second", 20_000 - 5_000, "third",
                                                                                   "third")
    assert actions(s.contest)[-1] == ("award_overridden", "negation-task in Round 2: third -> second (upgraded from "
                                                          "third: $15,000 more) (proposed: third). Reason: Reconsidered.")
    kept = outcome.override_award(round=round_two, submission=s.b, tier="third", reason="Back.", by=s.organizer)
    assert kept is None and not Award.objects.filter(round=round_two, submission=s.b).exists()
    assert actions(s.contest)[-1] == ("award_overridden", "negation-task in Round 2: second -> third (kept from an "
                                                          "earlier round: nothing more is paid) (proposed: third). "
                                                          "Reason: Back.")
    outcome.override_award(round=round_two, submission=s.b, tier="second", reason="Reconsidered.", by=s.organizer,
                           acknowledgement=acknowledging_gaps_of(round_two, s.b))
    outcome.release_feedback(round=round_two, by=s.organizer)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        outcome.announce_awards(round=round_two, by=s.organizer, site="https://portal.test")
    [mail] = [m for m in mailoutbox if "bob.q8@contestants-two.test" in m.to]
    assert (mail.to, mail.subject) == (["bob.q8@contestants-two.test", "grace@cobol-navy.org"],
                                       "Inverse Scaling Prize: upgraded to a second prize for negation-task")
    assert ("Your task negation-task is upgraded from a third prize to a second prize in Round 2 of Inverse Scaling "
            "Prize.\nThe earlier rounds paid $5,000; $15,000 more is paid now, so the task receives $20,000 in "
            "all.\n") in mail.body
    rows = list(csv.DictReader(io.StringIO(export.awards_csv(s.contest))))
    assert [(r["round"], r["task_name"], r["tier"], r["upgraded_from"], r["amount_paid_usd"], r["total_paid_usd"])
            for r in rows] == [("1", "syllogism-test", "second", "", "20000", "20000"),
                               ("1", "negation-task", "third", "", "5000", "5000"),
                               ("2", "syllogism-test", "grand", "second", "80000", "100000"),
                               ("2", "negation-task", "second", "third", "15000", "20000")]
    prize = selectors.announced_prize(s.b)
    assert (prize.tier, prize.paid_earlier, prize.total, [a.round.number for a in prize.earlier]) == (
        "second", 5_000, 20_000, [1])


# --- conflicts that appear without a declaration; domain conflicts in the audit log ----------------------------


def test_a_reviewers_new_email_at_an_authors_domain_removes_the_assignment(scene):
    submit(scene.rita_a, scene.rita, each("accepted"))
    submit(scene.remy_a, scene.remy, each("grand"))
    assert selectors.submitted_levels(scene.a) == [each("accepted"), each("grand")]
    scene.rita.save()  # a save that changes nothing conflicts nothing
    scene.remy.email = "remy@analytical-engines.org"  # an organizer edits the account
    scene.remy.save()
    scene.remy_a.refresh_from_db()
    reason = ("Conflict of interest: rev_remy_x2's email domain analytical-engines.org matches an author's "
              "(ada.lovelace@analytical-engines.org).")
    assert (scene.remy_a.removed_reason, scene.remy_a.removed_at is not None) == (reason, True)
    entry = AuditEntry.objects.filter(action="unassigned").get()
    assert (entry.actor, entry.contest, entry.submission, entry.message) == (
        None, scene.contest, scene.a, f"Removed rev_remy_x2 (Reviewer 2) from syllogism-test: {reason}")
    assert selectors.submitted_levels(scene.a) == [each("accepted")]
    assert prizes.combine(selectors.submitted_levels(scene.a)) == each("accepted")
    assert selectors.assignment_load(scene.contest) == {scene.rita.pk: 2}
    assert [a.pk for a in selectors.active_assignments_of(scene.a)] == [scene.rita_a.pk]
    assert selectors.assignments_visible_to(scene.remy) == []


def test_an_owners_new_email_at_a_reviewers_domain_removes_the_assignment(scene):
    scene.alice.email = "alice@reviewers-two.test"
    scene.alice.save(update_fields=["email"])
    scene.remy_a.refresh_from_db()
    scene.rita_a.refresh_from_db()
    assert scene.remy_a.removed_reason == ("Conflict of interest: rev_remy_x2's email domain reviewers-two.test "
                                           "matches an author's (alice@reviewers-two.test).")
    assert scene.rita_a.removed_at is None
    assert [m for a, m in actions(scene.contest) if a == "unassigned"] == [
        "Removed rev_remy_x2 (Reviewer 2) from syllogism-test: " + scene.remy_a.removed_reason]
    scene.remy.last_login = timezone.now()
    scene.remy.save(update_fields=["last_login"])  # a login re-checks nothing
    assert AuditEntry.objects.filter(action="unassigned").count() == 1


def test_a_domain_conflict_is_in_the_audit_log_of_every_contest_the_reviewer_reviews(scene):
    other = factories.RoundFactory(contest__slug="isp-2", contest__name="Second Prize Contest").contest
    services.add_reviewer(contest=other, user=scene.uma, by=scene.organizer)
    factories.RoundFactory(contest__slug="isp-3", contest__name="Unrelated Contest")
    services.declare_conflict(reviewer=scene.uma, by=scene.uma, domain="Example.EDU", reason="My university.")
    logged = AuditEntry.objects.filter(action="conflict").order_by("contest__slug")
    assert [(e.contest.slug, e.actor, e.message, e.data["domain"]) for e in logged] == [
        ("isp", scene.uma, "Conflict of rev_uma_x4 with the domain example.edu.", "example.edu"),
        ("isp-2", scene.uma, "Conflict of rev_uma_x4 with the domain example.edu.", "example.edu")]
    # An organizer records one on a contest's page for a reviewer on no panel: it is in that contest's log.
    outsider = factories.reviewer(username="rev_out_x5", email="out@elsewhere.test")
    services.declare_conflict(reviewer=outsider, by=scene.organizer, domain="gauss.test", contest=other)
    assert [(e.contest.slug, e.message) for e in AuditEntry.objects.filter(action="conflict", data__domain="gauss.test")] == [
        ("isp-2", "Conflict of rev_out_x5 with the domain gauss.test.")]
