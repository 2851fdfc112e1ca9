"""Who sees what on the review side (the reviews.selectors package): one rule per kind of object, exactly."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from portal.models import Round
from reviews import outcome, selectors, services
from reviews.models import ReviewSettings
from tests import factories
from tests.reviews.conftest import acknowledging_every_gap, each, submit

pytestmark = pytest.mark.django_db


def test_each_user_sees_exactly_their_assignments(scene):
    s = scene
    expected = {s.rita: [s.rita_a, s.rita_b], s.remy: [s.remy_a], s.cora: [], s.uma: [], s.alice: [], s.bob: [],
                s.organizer: [s.rita_a, s.remy_a, s.rita_b], AnonymousUser(): []}
    for user, assignments in expected.items():
        assert sorted(a.pk for a in selectors.assignments_visible_to(user)) == sorted(a.pk for a in assignments)
    assert selectors.get_assignment_for(user=s.rita, pk=s.rita_a.pk) == s.rita_a
    for user in (s.remy, s.cora, s.uma, s.alice, s.bob):
        with pytest.raises(Http404):
            selectors.get_assignment_for(user=user, pk=s.rita_a.pk)


def test_a_conflict_that_appears_hides_the_assignment_at_once(scene):
    s = scene
    services.declare_conflict(reviewer=s.rita, by=s.organizer, submission=s.b)
    assert [a.pk for a in selectors.assignments_visible_to(s.rita)] == [s.rita_a.pk]
    with pytest.raises(Http404):
        selectors.get_assignment_for(user=s.rita, pk=s.rita_b.pk)


@pytest.mark.parametrize(("reviewer_email", "reason"), [
    ("someone@gmail.com", None),  # a public mail domain is no conflict
    ("x@elsewhere.test", None),
    ("ada.lovelace@analytical-engines.org", "rev_z's email ada.lovelace@analytical-engines.org is an author's."),
    ("x@cs.analytical-engines.org", "rev_z's email domain cs.analytical-engines.org matches an author's "
                                    "(ada.lovelace@analytical-engines.org)."),
    ("x@contestants.test", "rev_z's email domain contestants.test matches an author's (alice.q7@contestants.test)."),
])
def test_automatic_conflicts_by_email_and_domain(scene, reviewer_email, reason):
    reviewer = factories.reviewer(username="rev_z", email=reviewer_email)
    assert selectors.conflict_reason(reviewer, scene.a) == reason


def test_reviewers_are_named_by_number_except_to_organizers_and_themselves(scene):
    s = scene
    assert selectors.reviewer_label(viewer=s.alice, assignment=s.remy_a) == "Reviewer 2"
    assert selectors.reviewer_label(viewer=s.rita, assignment=s.remy_a) == "Reviewer 2"
    assert selectors.reviewer_label(viewer=s.remy, assignment=s.remy_a) == "Reviewer 2 (you)"
    assert selectors.reviewer_label(viewer=s.organizer, assignment=s.remy_a) == "Reviewer 2 (rev_remy_x2)"
    assert selectors.reviewer_identity(viewer=s.rita, assignment=s.remy_a) is None


def _seen(viewer, submission):
    return [(r.label, r.status, r.levels.get("novelty"), r.to_authors, r.to_organizers)
            for r in selectors.shown_reviews(viewer=viewer, submission=submission)]


def test_who_sees_which_review_and_which_parts_of_it(scene):
    s = scene
    submit(s.remy_a, s.remy, each("accepted"), to_authors="To you.", to_organizers="Between us.")
    services.save_review(assignment=s.rita_a, user=s.rita, levels={"novelty": "grand"}, to_authors="Draft.",
                         to_organizers="Draft note.", submit=False)
    assert _seen(s.rita, s.a) == [("Reviewer 1 (you)", "draft", "grand", "Draft.", "Draft note.")]  # not yet remy's
    assert _seen(s.remy, s.a) == [("Reviewer 2 (you)", "submitted", "accepted", "To you.", "Between us.")]
    assert _seen(s.organizer, s.a) == [
        ("Reviewer 1 (rev_rita_x1)", "draft", "grand", "Draft.", "Draft note."),
        ("Reviewer 2 (rev_remy_x2)", "submitted", "accepted", "To you.", "Between us.")]
    for outsider in (s.cora, s.uma, s.alice, s.bob, AnonymousUser()):
        assert _seen(outsider, s.a) == []
    submit(s.rita_a, s.rita, each("grand"), to_authors="Final.", to_organizers="Mine.")
    assert _seen(s.rita, s.a) == [("Reviewer 1 (you)", "submitted", "grand", "Final.", "Mine."),
                                  ("Reviewer 2", "submitted", "accepted", "To you.", None)]
    s.round.feedback_released_at = timezone.now()
    s.round.save()
    s.a.round = Round.objects.get(pk=s.round.pk)
    assert _seen(s.alice, s.a) == [("Reviewer 1", "submitted", "grand", "Final.", None),
                                   ("Reviewer 2", "submitted", "accepted", "To you.", None)]
    assert _seen(s.bob, s.a) == []


def test_a_reviewer_reads_the_submission_anonymised(scene):
    anonymous = selectors.anonymous_submission(scene.rita_a, preview=True)
    assert (anonymous.label, anonymous.task_name) == ("Submission 1", None)
    assert [(f["name"], f["rows"]) for f in anonymous.files] == [
        ("task-PART1.csv", 150), ("task-PART2.csv", 150), ("task-CONTROL1.csv", 20)]
    fields = {key: text for key, _, text in anonymous.fields}
    assert fields["what_it_tests"] == ("Whether models judge syllogisms by logic. [redacted] and [redacted] (see "
                                       "[redacted]'s notes) built it; write to [redacted].")
    assert fields["why_it_matters"] == "Asked on the forum by [redacted]."
    assert "generation_code_url" not in fields and "dataset_sources" not in fields
    assert anonymous.files[0]["preview"][0]["prompt"].startswith("As [redacted] ([redacted]) noted:\n")
    ReviewSettings.objects.create(contest=scene.contest, reviewers_see_task_name=True)
    named = selectors.anonymous_submission(scene.rita_a)
    assert (named.label, named.task_name) == ("syllogism-test", "syllogism-test")


def test_the_reviewers_zip_is_rebuilt_with_anonymous_names_and_redacted_files(scene):
    with scene.a.current_version.zip_file.open("rb") as stored, zipfile.ZipFile(stored) as original:
        part2 = original.read("syllogism-test-PART2.csv")
        part1 = original.read("syllogism-test-PART1.csv")
    with zipfile.ZipFile(io.BytesIO(selectors.anonymised_zip(scene.rita_a))) as rebuilt:
        assert rebuilt.namelist() == ["task-PART1.csv", "task-PART2.csv", "task-CONTROL1.csv"]
        assert rebuilt.read("task-PART2.csv") == part2  # nothing to redact: byte for byte as submitted
        assert rebuilt.read("task-PART1.csv") == part1.replace(b"Ada Lovelace", b"[redacted]").replace(
            b"ada.lovelace@analytical-engines.org", b"[redacted]")


def test_caps_are_round_ones_in_the_first_round_and_the_totals_later(scene):
    round2 = factories.RoundFactory(contest=scene.contest, number=2, opens_at=scene.round.closes_at,
                                    closes_at=scene.round.closes_at.replace(year=scene.round.closes_at.year + 1))
    assert selectors.caps_for(scene.round) == {"grand": 0, "second": 2, "third": 5}
    assert selectors.caps_for(round2) == {"grand": 1, "second": 5, "third": 10}
    ReviewSettings.objects.create(contest=scene.contest, round1_second_cap=9, total_second_cap=4, total_grand_cap=2)
    assert selectors.caps_for(scene.round) == {"grand": 0, "second": 4, "third": 5}  # never above the totals
    assert selectors.caps_for(round2) == {"grand": 2, "second": 4, "third": 10}
    assert selectors.amount_for(scene.contest, "grand") == 100_000


def test_owners_see_their_awards_only_once_announced(scene):
    s = scene
    submit(s.rita_b, s.rita, each("accepted"))
    [award] = outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    assert selectors.awards_visible_to(user=s.organizer, submission=s.b) == [award]
    assert selectors.awards_visible_to(user=s.bob, submission=s.b) == []
    outcome.release_feedback(round=s.round, by=s.organizer)
    outcome.announce_awards(round=s.round, by=s.organizer)
    assert selectors.awards_visible_to(user=s.bob, submission=s.b) == [award]
    for other in (s.alice, s.rita, s.uma):
        assert selectors.awards_visible_to(user=other, submission=s.b) == []


def test_accepted_tasks_are_those_eligible_by_their_reviews_or_awarded(scene):
    s = scene
    submit(s.rita_a, s.rita, each("accepted"))
    submit(s.remy_a, s.remy, each("no_prize"))  # a: lower middle of two is no_prize
    submit(s.rita_b, s.rita, each("accepted"))
    assert [(sub.task_name, tier) for sub, tier, _ in selectors.accepted_submissions(s.contest)] == [
        ("negation-task", "third")]
