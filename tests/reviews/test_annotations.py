"""What the organizers add to a task: the meta-review (read by the authors above the reviews once the feedback is
released, never before; "why it won" for a winner, public once announced), the causes of an accepted task, the
published example, the release licence; each refused with what to do, and each in the audit log."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from portal.models import Submission
from reviews import annotations, outcome, selectors
from reviews.models import AuditEntry, Cause, CauseTag, MetaReview, PublishedExample
from reviews.services import ConflictRefused, NotAllowed, ReviewsRefused
from tests import datasets
from tests.reviews.conftest import acknowledging_every_gap, each, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(scene):
    """a reviewed at grand by both reviewers (accepted, proposed a prize); b reviewed at no prize by rita."""
    submit(scene.rita_a, scene.rita, each("grand"), to_authors="Surprising.")
    submit(scene.remy_a, scene.remy, each("grand"), to_authors="Striking.")
    submit(scene.rita_b, scene.rita, each("no_prize"), to_authors="Not yet.")
    return scene


def test_the_meta_review_reaches_its_authors_above_the_reviews_once_the_feedback_is_released(client, accepted):
    s = accepted
    annotations.write_meta_review(submission=s.a, by=s.organizer, summary="Both reviewers found it surprising.")
    assert AuditEntry.objects.get(action="meta_review_written").message == "Wrote the meta-review of syllogism-test."
    client.force_login(s.alice)
    assert "Both reviewers found it surprising." not in client.get(f"/submissions/{s.a.pk}/").content.decode()
    assert selectors.meta_review_for(viewer=s.alice, submission=s.a) is None

    outcome.release_feedback(round=s.round, by=s.organizer)
    page = client.get(f"/submissions/{s.a.pk}/").content.decode()
    summary = page.index("Both reviewers found it surprising.")
    assert page.index('id="meta-review"') < summary < page.index('id="reviews"') < page.index("Surprising.")
    assert "Why it won" not in page
    client.force_login(s.bob)  # another owner reads nothing of it
    assert "Both reviewers found it surprising." not in client.get(f"/submissions/{s.b.pk}/").content.decode()
    for viewer in (s.bob, s.rita, AnonymousUser()):
        assert selectors.meta_review_for(viewer=viewer, submission=s.a) is None


def test_why_it_won_is_for_a_winner_and_public_once_announced(accepted):
    s = accepted
    with pytest.raises(ReviewsRefused) as refused:
        annotations.write_meta_review(submission=s.a, by=s.organizer, summary="Good.", why_it_won="Clear trend.")
    assert (refused.value.field, refused.value.message) == (
        "why_it_won", 'syllogism-test has no award: "why it won" is written for a winner only; leave it empty.')
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    annotations.write_meta_review(submission=s.a, by=s.organizer, summary="Good.", why_it_won="A clear trend.")
    assert AuditEntry.objects.filter(action="meta_review_written").get().message == (
        "Wrote the meta-review of syllogism-test with why it won.")
    written = selectors.meta_review_for(viewer=s.organizer, submission=s.a)
    assert (written.summary, written.why_it_won) == ("Good.", "A clear trend.")
    outcome.release_feedback(round=s.round, by=s.organizer)
    s.a = Submission.objects.select_related("round").get(pk=s.a.pk)  # its round as stored now
    owner = selectors.meta_review_for(viewer=s.alice, submission=s.a)
    assert (owner.summary, owner.why_it_won) == ("Good.", None)  # not announced yet
    assert selectors.meta_review_for(viewer=AnonymousUser(), submission=s.a) is None

    outcome.announce_awards(round=s.round, by=s.organizer)
    owner = selectors.meta_review_for(viewer=s.alice, submission=s.a)
    public = selectors.meta_reviews_for_each(viewer=AnonymousUser(), submissions=[s.a, s.b])
    assert (owner.summary, owner.why_it_won) == ("Good.", "A clear trend.")
    assert (public[s.a.pk].summary, public[s.a.pk].why_it_won, public[s.b.pk]) == (None, "A clear trend.", None)

    annotations.write_meta_review(submission=s.a, by=s.organizer, summary="Better.", why_it_won="")
    assert MetaReview.objects.get().why_it_won == ""
    assert AuditEntry.objects.filter(action="meta_review_written").first().message == (
        "Rewrote the meta-review of syllogism-test.")


def test_meta_review_refusals(accepted):
    s = accepted
    with pytest.raises(ReviewsRefused, match=r"^Write the summary for the authors\.$"):
        annotations.write_meta_review(submission=s.a, by=s.organizer, summary="  ")
    with pytest.raises(ReviewsRefused, match=r'^Shorten "why it won" to 1000 characters \(it has 1001\)\.$'):
        annotations.write_meta_review(submission=s.a, by=s.organizer, summary="x", why_it_won="y" * 1001)
    with pytest.raises(NotAllowed, match=r"^Only organizers can write meta-reviews\.$"):
        annotations.write_meta_review(submission=s.a, by=s.rita, summary="x")
    assert MetaReview.objects.count() == 0


def test_an_accepted_task_is_tagged_with_the_papers_causes_and_new_ones(accepted):
    s = accepted
    strong, distractor = Cause.objects.get(name="Strong Prior"), Cause.objects.get(name="Distractor Task")
    with pytest.raises(ReviewsRefused) as refused:
        annotations.tag_causes(submission=s.b, causes=[strong], by=s.organizer)
    assert refused.value.message == ("negation-task is not an accepted task (no tier by its reviews, no award); only "
                                     "accepted tasks are tagged with causes.")
    tagged = annotations.tag_causes(submission=s.a, causes=[strong, distractor], by=s.organizer,
                                    new_cause="  Format   bias ")
    assert [c.name for c in tagged] == ["Distractor Task", "Strong Prior", "Format bias"]
    assert Cause.objects.get(name="Format bias").from_paper is False
    assert list(AuditEntry.objects.order_by("pk").filter(action__in=["cause_created", "causes_tagged"])
                .values_list("message", flat=True)) == [
        "Named the cause Format bias.",
        "syllogism-test: causes Distractor Task, Strong Prior, Format bias (were none)."]
    with pytest.raises(ConflictRefused, match=r"^A cause named Format bias exists already; choose it\.$"):
        annotations.tag_causes(submission=s.a, causes=[], by=s.organizer, new_cause="FORMAT BIAS")
    annotations.tag_causes(submission=s.a, causes=[strong], by=s.organizer)
    assert selectors.causes_of_each([s.a, s.b]) == {s.a.pk: [strong], s.b.pk: []}
    assert AuditEntry.objects.filter(action="causes_tagged").first().message == (
        "syllogism-test: causes Strong Prior (were Distractor Task, Strong Prior, Format bias).")
    with pytest.raises(NotAllowed, match=r"^Only organizers can tag causes\.$"):
        annotations.tag_causes(submission=s.a, causes=[], by=s.alice)
    assert CauseTag.objects.count() == 1


def test_the_published_example_is_a_row_of_a_non_control_file(accepted):
    s = accepted
    cases = [("syllogism-test-CONTROL1.csv", 0, "file_name",
              "syllogism-test has no file 'syllogism-test-CONTROL1.csv' to publish from; choose one of "
              "syllogism-test-PART1.csv, syllogism-test-PART2.csv."),
             ("syllogism-test-PART2.csv", 150, "row",
              "syllogism-test-PART2.csv has rows 0 to 149 (counted from 0, as pandas counts).")]
    for file_name, row, field, message in cases:
        with pytest.raises(ReviewsRefused) as refused:
            annotations.publish_example(submission=s.a, by=s.organizer, file_name=file_name, row=row)
        assert (refused.value.field, refused.value.message) == (field, message)
    with pytest.raises(ReviewsRefused, match=r"^negation-task is not an accepted task"):
        annotations.publish_example(submission=s.b, by=s.organizer, file_name="negation-task.csv", row=0)

    chosen = annotations.publish_example(submission=s.a, by=s.organizer, file_name="syllogism-test-PART2.csv", row=3)
    row = datasets.syllogism_classification_rows(n=320, seed=0)[153]
    assert chosen.example == {"prompt": row["prompt"], "classes": [" Yes", " No"],
                              "answer_index": int(row["answer_index"])}
    assert (chosen.file_kind, chosen.file_index, chosen.line) == ("part", 2, 2 + 3 * 11)  # 11 lines a row
    assert selectors.published_examples_of_each([s.a, s.b]) == {s.a.pk: chosen, s.b.pk: None}
    assert AuditEntry.objects.get(action="example_published").message == (
        "syllogism-test: the published example is syllogism-test-PART2.csv row 3 (line 35).")
    annotations.publish_example(submission=s.a, by=s.organizer, file_name="syllogism-test-PART1.csv", row=0)
    assert PublishedExample.objects.get().row == 0  # replaced, still one


def test_the_release_licence_is_chosen_per_contest(client, scene):
    assert selectors.release_licence(scene.contest).spdx == "CC-BY-4.0"
    client.force_login(scene.organizer)
    page = client.get("/reviews/contests/isp/").content.decode()
    assert 'Now: <a href="https://creativecommons.org/licenses/by/4.0/">Creative Commons Attribution 4.0 ' \
           'International</a> (CC-BY-4.0).' in page
    response = client.post("/reviews/contests/isp/licence/", {"licence": "CC0-1.0"})
    page = client.get(response["Location"]).content.decode()
    assert "The release of Inverse Scaling Prize is licensed Creative Commons Zero v1.0 Universal (CC0-1.0)." in page
    assert selectors.release_licence(scene.contest).hub == "cc0-1.0"
    with pytest.raises(ReviewsRefused, match=r"^Unknown licence 'GPL-3.0'; choose one of CC-BY-4.0, "):
        annotations.choose_licence(contest=scene.contest, licence="GPL-3.0", by=scene.organizer)
    assert AuditEntry.objects.get(action="licence_chosen").data == {"licence": "CC0-1.0"}


def test_the_organizers_submission_page_writes_them_all(client, accepted):
    s = accepted
    client.force_login(s.organizer)
    url = f"/reviews/submissions/{s.a.pk}/"
    client.post(f"{url}meta-review/", {"summary": "A careful task.", "why_it_won": ""})
    client.post(f"{url}causes/", {"causes": [Cause.objects.get(name="Spurious Few-Shot").pk], "new_cause": ""})
    client.post(f"{url}example/", {"file_name": "syllogism-test-PART1.csv", "row": "2"})
    page = client.get(url).content.decode()
    assert "A careful task.</textarea>" in page
    assert '<p id="causes">Spurious Few-Shot</p>' in page
    assert '<p id="published-example">syllogism-test-PART1.csv row 2 (line 25):' in page  # row 0 has a line more
    assert '<p id="no-validation">Not started:' in page
    response = client.post(f"{url}example/", {"file_name": "syllogism-test-PART1.csv", "row": "-1"})
    assert "Row: Ensure this value is greater than or equal to 0." in client.get(response["Location"]).content.decode()
