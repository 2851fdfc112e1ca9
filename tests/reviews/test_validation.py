"""The human validation of labels on real submissions: starting one (for a task, for every eligible task of a
round), naming validators and who gets which example, answering and skipping, the agreement with exact numbers,
the pages of organizers, reviewers and validators, and the audit log."""

from __future__ import annotations

import ast
import re

import pytest
from django.contrib.auth.models import AnonymousUser

from evaluation.services import override_eligibility
from portal import services as portal_services
from portal.services import AuthorData
from reviews import selectors, validation
from reviews.models import AuditEntry, LabelValidation, ValidationAnswer, ValidationExample, Validator
from reviews.services import ConflictRefused, NotAllowed, ReviewsRefused
from tests import datasets, factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def vera(db):
    return factories.validator(username="val_vera_v1", email="vera@validators-one.test")


@pytest.fixture
def vic(db):
    return factories.validator(username="val_vic_v2", email="vic@validators-two.test")


def start(scene, **settings) -> LabelValidation:
    return validation.start_validation(submission=scene.a, by=scene.organizer, settings=validation.Settings(**settings))


def given(seat: Validator) -> list[int]:
    """The positions of the examples given to a validator."""
    return sorted(ValidationAnswer.objects.filter(validator=seat).values_list("example__position", flat=True))


def answer_each(seat: Validator, rule) -> None:
    """Answer every example given to the seat in order: rule(example) is a choice, or a skip reason (str)."""
    for pending in ValidationAnswer.objects.filter(validator=seat).select_related("example").order_by(
            "example__position"):
        decided = rule(pending.example)
        if isinstance(decided, str):
            validation.answer(seat=seat, user=seat.user, answer_id=pending.pk, skip_reason=decided)
        else:
            validation.answer(seat=seat, user=seat.user, answer_id=pending.pk, choice=decided)


def wrong(example: ValidationExample) -> int:
    return (example.label + 1) % len(example.choices)


# --- starting ------------------------------------------------------------------------------------------------------


def test_a_validation_samples_50_of_the_non_control_examples_with_its_seed_and_says_so(scene):
    found = start(scene)
    examples = list(found.examples.order_by("position"))
    assert (found.sample_size, found.population, found.seed, found.answers_per_example, len(examples)) == (
        50, 300, 0, 2, 50)  # PART1 and PART2 hold 150 each; CONTROL1's 20 are not sampled
    assert {e.file_name for e in examples} == {"syllogism-test-PART1.csv", "syllogism-test-PART2.csv"}
    assert len({(e.file_name, e.row) for e in examples}) == 50
    first = examples[0]
    assert (first.choices, first.completion, first.label in (0, 1)) == ([" Yes", " No"], "", True)
    assert first.line >= 2
    entry = AuditEntry.objects.get(action="validation_started")
    assert (entry.actor, entry.submission, entry.message) == (scene.organizer, scene.a, (
        "Started the validation of the labels of syllogism-test (version 1): 50 of 300 examples (seed 0), "
        "2 answers each."))
    # the same seed on the same files draws the same sample: a second scene's would be identical
    assert [(e.file_name, e.row) for e in examples][:3] == [
        (e.file_name, e.row) for e in LabelValidation.objects.get(pk=found.pk).examples.order_by("position")[:3]]


def test_a_version_is_validated_once_and_bad_settings_are_refused_with_what_to_do(scene):
    start(scene, sample_size=10)
    with pytest.raises(ConflictRefused, match=r"^The labels of syllogism-test \(version 1\) are being validated since "
                                              r".*; a version is validated once\.$"):
        start(scene)
    refusals = {}
    for settings in ({"sample_size": 0}, {"sample_size": 1001}, {"seed": -1}, {"answers_per_example": 1},
                     {"answers_per_example": 11}):
        with pytest.raises(ReviewsRefused) as refused:
            validation.start_validation(submission=scene.b, by=scene.organizer,
                                        settings=validation.Settings(**settings))
        refusals[refused.value.field] = refused.value.message
    assert refusals == {"sample_size": "Sample between 1 and 1000 examples.",
                        "seed": "The seed is a whole number, 0 or more.",
                        "answers_per_example": "Each example needs between 2 and 10 validators' answers."}
    with pytest.raises(NotAllowed, match=r"^Only organizers can start a validation of labels\.$"):
        validation.start_validation(submission=scene.b, by=scene.rita)
    assert LabelValidation.objects.count() == 1


def test_every_eligible_task_of_a_round_is_started_and_every_other_says_why(scene):
    override_eligibility(submission=scene.a, eligible=True, reason="Inverse on tiny.", by=scene.organizer)
    result = validation.start_round_validations(round=scene.round, by=scene.organizer,
                                                settings=validation.Settings(sample_size=5))
    assert [v.submission for v in result.started] == [scene.a]
    assert result.left == {"negation-task": "Not known yet: no public series has results on two or more models."}
    override_eligibility(submission=scene.b, eligible=False, reason="Standard on tiny.", by=scene.organizer)
    again = validation.start_round_validations(round=scene.round, by=scene.organizer)
    assert (again.started, again.left) == ([], {
        "negation-task": "not eligible: Decided by the organizers: Standard on tiny.",
        "syllogism-test": "version 1 is being validated already"})


# --- validators ----------------------------------------------------------------------------------------------------


def test_validators_are_numbered_and_each_example_goes_to_two_of_them(scene, vera, vic):
    found = start(scene, sample_size=9)
    seats = validation.name_validators(validation=found, users=[scene.uma, vera, vic], by=scene.organizer)
    assert [(s.number, s.user.username) for s in seats] == [(1, "rev_uma_x4"), (2, "val_vera_v1"), (3, "val_vic_v2")]
    # 9 examples x 2 answers over 3 validators: 6 each, every example to 2 different validators
    assert [given(s) for s in seats] == [[1, 2, 4, 5, 7, 8], [1, 3, 4, 6, 7, 9], [2, 3, 5, 6, 8, 9]]
    assert AuditEntry.objects.get(action="validators_named").message == (
        "Named to the validation of syllogism-test: rev_uma_x4 (Validator 1, 6 examples), "
        "val_vera_v1 (Validator 2, 6 examples), val_vic_v2 (Validator 3, 6 examples).")


def test_one_validator_leaves_the_examples_short_until_a_second_is_named(scene, vera, vic):
    found = start(scene, sample_size=4)
    validation.name_validators(validation=found, users=[vera], by=scene.organizer)
    assert AuditEntry.objects.get(action="validators_named").message == (
        "Named to the validation of syllogism-test: val_vera_v1 (Validator 1, 4 examples). 4 examples still lack "
        "a validator; name more.")
    [second] = validation.name_validators(validation=found, users=[vic], by=scene.organizer)
    assert (second.number, given(second)) == (2, [1, 2, 3, 4])


def test_who_may_not_validate_is_refused_with_why(scene, vera):
    found = start(scene, sample_size=4)
    cases = {
        scene.rita: "rev_rita_x1 reviews syllogism-test and has read its labels; name a validator who has not.",
        scene.cora: ("No validation across a conflict of interest: rev_cora_x3's email domain analytical-engines.org "
                     "matches an author's (ada.lovelace@analytical-engines.org)."),
        scene.bob: ("owner_bob_q8 is neither a reviewer nor a validator account; make a validator account with "
                    "`manage.py create_account NAME --role validator`."),
    }
    for user, message in cases.items():
        with pytest.raises(ReviewsRefused) as refused:
            validation.name_validators(validation=found, users=[vera, user], by=scene.organizer)
        assert refused.value.message == message
    validation.name_validators(validation=found, users=[vera], by=scene.organizer)
    with pytest.raises(ConflictRefused, match=r"^val_vera_v1 is named to this validation already\.$"):
        validation.name_validators(validation=found, users=[vera], by=scene.organizer)
    with pytest.raises(NotAllowed, match=r"^Only organizers can name validators\.$"):
        validation.name_validators(validation=found, users=[scene.uma], by=scene.rita)
    assert list(Validator.objects.values_list("user__username", flat=True)) == ["val_vera_v1"]


# --- answers and the agreement -------------------------------------------------------------------------------------


def test_a_skip_goes_to_a_validator_who_has_not_had_the_example(scene, vera, vic):
    found = start(scene, sample_size=3)
    uma_seat, vera_seat, vic_seat = validation.name_validators(validation=found, users=[scene.uma, vera, vic],
                                                               by=scene.organizer)
    assert [given(s) for s in (uma_seat, vera_seat, vic_seat)] == [[1, 2], [1, 3], [2, 3]]
    first = ValidationAnswer.objects.get(validator=uma_seat, example__position=1)
    validation.answer(seat=uma_seat, user=scene.uma, answer_id=first.pk, skip_reason="needs_expertise",
                      skip_note="Formal logic.")
    assert [given(s) for s in (uma_seat, vera_seat, vic_seat)] == [[1, 2], [1, 3], [1, 2, 3]]
    first.refresh_from_db()
    assert (first.choice, first.skip_reason, first.skip_note, first.answered_at is not None) == (
        None, "needs_expertise", "Formal logic.", True)
    # every validator had example 1 now: one more skip leaves it short
    again = ValidationAnswer.objects.get(validator=vic_seat, example__position=1)
    validation.answer(seat=vic_seat, user=vic, answer_id=again.pk, skip_reason="ambiguous")
    assert ValidationAnswer.objects.filter(example__position=1).count() == 3


def test_answers_are_checked_and_final(scene, vera):
    found = start(scene, sample_size=2)
    [seat] = validation.name_validators(validation=found, users=[vera], by=scene.organizer)
    pending = ValidationAnswer.objects.filter(validator=seat).order_by("example__position").first()
    cases = [({"choice": None}, "Choose an answer, or skip the example with a reason."),
             ({"choice": 0, "skip_reason": "ambiguous"}, "Choose an answer, or skip the example with a reason."),
             ({"choice": 2}, "Choose one of the 2 answers."),
             ({"skip_reason": "boring"}, "Skip with one of the reasons: Ambiguous, Needs expertise, Other."),
             ({"skip_reason": "other"}, "Say why you skip this example."),
             ({"answer_id": 999999, "choice": 0}, "This example is not one given to you.")]
    for kwargs, message in cases:
        with pytest.raises(ReviewsRefused) as refused:
            validation.answer(seat=seat, user=vera, **{"answer_id": pending.pk, **kwargs})
        assert refused.value.message == message
    with pytest.raises(NotAllowed, match=r"^Only the validator given this example answers it\.$"):
        validation.answer(seat=seat, user=scene.uma, answer_id=pending.pk, choice=0)
    validation.answer(seat=seat, user=vera, answer_id=pending.pk, choice=1)
    with pytest.raises(ConflictRefused, match=r"^You answered this example already; an answer is final\.$"):
        validation.answer(seat=seat, user=vera, answer_id=pending.pk, choice=0)
    pending.refresh_from_db()
    assert pending.choice == 1


def test_the_agreement_of_planted_answers(scene, vera):
    found = start(scene, sample_size=10)
    uma_seat, vera_seat = validation.name_validators(validation=found, users=[scene.uma, vera], by=scene.organizer)
    answer_each(vera_seat, lambda e: e.label)  # all 10 right
    # uma: wrong on examples 1-3, skips 4 (nobody else is left to take it), right on 5-10
    answer_each(uma_seat, lambda e: wrong(e) if e.position <= 3 else "ambiguous" if e.position == 4 else e.label)
    summary = selectors.agreement_of(scene.a)
    a = summary.agreement
    # answers: 10 + 9 (the skip is no answer), 16 equal to the label
    assert (a.answers, a.agreeing, a.share) == (19, 16, 16 / 19)
    assert a.interval == pytest.approx((0.6243452472967093, 0.9447952836146585), abs=1e-12)
    # majorities: 1-3 are ties (1 right, 1 wrong), 4 has vera's right answer alone, 5-10 agree: 7 of 10
    assert (a.examples, a.majority_agreeing, a.ties, a.human_agreement) == (10, 7, 3, 0.7)
    assert a.human_interval == pytest.approx((0.39677814746114537, 0.8922087325936989), abs=1e-12)
    assert (a.skips, a.short, a.unanswered, a.complete) == (1, 1, 0, False)
    assert [d.index + 1 for d in a.disagreeing] == [1, 2, 3]
    assert (summary.examples, summary.validators, summary.given, summary.version_number) == (10, 2, 20, 1)
    assert selectors.agreement_of_each([scene.a, scene.b]) == {scene.a.pk: summary, scene.b.pk: None}


@pytest.mark.parametrize(("metric", "rows", "choices"), [
    ("sequence_prob", lambda: datasets.lambada_sequence_prob_rows(n=300, seed=2),
     lambda row: ["The completion is right", "The completion is not right"]),
    ("logodds", lambda: datasets.logodds_rows(n=300, seed=2), lambda row: ast.literal_eval(row["classes"])),
    ("absolute_logodds", lambda: datasets.logodds_rows(n=300, seed=2), lambda row: ast.literal_eval(row["classes"])),
])
def test_every_metric_is_validated(scene, vera, vic, metric, rows, choices):
    task_rows = rows()
    zipped = datasets.make_zip({"other-task.csv": datasets.to_csv_bytes(task_rows)})
    submission = portal_services.create_submission(
        user=scene.alice, contest=scene.contest, zip_file=zipped,
        data=factories.submission_data(task_name="other-task", metric=metric,
                                       authors=(AuthorData("Ada Lovelace", "ada@example.org"),)))
    found = validation.start_validation(submission=submission, by=scene.organizer,
                                        settings=validation.Settings(sample_size=5))
    for e in found.examples.all():
        row = task_rows[e.row]
        expected_label = 0 if metric == "sequence_prob" else int(row["answer_index"])
        assert (e.prompt, e.completion, e.choices, e.label) == (
            row["prompt"], row.get("completion", "") if metric == "sequence_prob" else "", list(choices(row)),
            expected_label)
    for seat in validation.name_validators(validation=found, users=[vera, vic], by=scene.organizer):
        answer_each(seat, lambda e: e.label)
    a = selectors.agreement_of(submission).agreement
    assert (a.answers, a.agreeing, a.human_agreement, a.complete) == (10, 10, 1.0, True)


# --- pages ---------------------------------------------------------------------------------------------------------


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_a_validator_sees_one_example_at_a_time_redacted_without_its_label_or_other_answers(client, scene, vera):
    found = start(scene, sample_size=300)  # every example: PART1's row 0 names Ada Lovelace
    uma_seat, vera_seat = validation.name_validators(validation=found, users=[scene.uma, vera], by=scene.organizer)
    named = ValidationExample.objects.get(validation=found, file_name="syllogism-test-PART1.csv", row=0)
    # (set up, not the rule under test) vera has answered everything before the example that names Ada
    ValidationAnswer.objects.filter(validator=vera_seat, example__position__lt=named.position).update(
        choice=0, answered_at=found.started_at)
    client.force_login(vera)
    url = f"/reviews/validate/{vera_seat.pk}/"
    page = client.get(url).content.decode()
    assert f"Example {named.position} of 300 given to you." in page
    assert "As [redacted] ([redacted]) noted:" in page
    for secret in scene.secrets_of_a + ["syllogism-test", "PART1", scene.uma.username, "Validator 1"]:
        assert secret.lower() not in page.lower(), secret
    assert '<code> Yes</code>' in page and '<code> No</code>' in page

    # The page does not change with the label, nor with another validator's answer to the same example.
    before = without_tokens(page)
    ValidationExample.objects.filter(pk=named.pk).update(label=1 - named.label)
    mine = ValidationAnswer.objects.get(validator=uma_seat, example=named)
    validation.answer(seat=uma_seat, user=scene.uma, answer_id=mine.pk, choice=1)
    assert without_tokens(client.get(url).content.decode()) == before

    answer = ValidationAnswer.objects.get(validator=vera_seat, example=named)
    response = client.post(url, {"answer": answer.pk, "action": "answer", "choice": "1"})
    assert (response.status_code, response["Location"]) == (302, url)
    answer.refresh_from_db()
    assert answer.choice == 1
    page = client.get(url).content.decode()
    assert f"Example {named.position + 1} of 300 given to you." in page
    skipped = ValidationAnswer.objects.get(validator=vera_seat, example__position=named.position + 1)
    response = client.post(url, {"answer": skipped.pk, "action": "skip", "skip_reason": "other"})
    assert response.status_code == 400 and "Say why you skip this example." in response.content.decode()
    client.post(url, {"answer": skipped.pk, "action": "skip", "skip_reason": "other", "skip_note": "Two readings."})
    skipped.refresh_from_db()
    assert (skipped.skip_reason, skipped.skip_note) == ("other", "Two readings.")

    home = client.get("/reviews/validate/").content.decode()
    assert f"<strong>Validation {found.pk}</strong> (Validator 2):" in home
    assert f"{named.position} answered, 1 skipped of 300" in home


def test_a_validator_opens_only_their_own_place(client, scene, vera, vic):
    found = start(scene, sample_size=2)
    [seat] = validation.name_validators(validation=found, users=[vera], by=scene.organizer)
    for user, status in ((vic, 404), (scene.organizer, 404), (scene.alice, 404), (scene.rita, 404), (vera, 200)):
        client.force_login(user)
        assert client.get(f"/reviews/validate/{seat.pk}/").status_code == status, user.username
    client.force_login(scene.alice)
    assert client.get("/reviews/validate/").status_code == 403


def test_the_organizers_page_shows_every_answer_and_the_reviewers_see_validators_numbered(client, scene, vera):
    found = start(scene, sample_size=4)
    uma_seat, vera_seat = validation.name_validators(validation=found, users=[scene.uma, vera], by=scene.organizer)
    answer_each(vera_seat, lambda e: e.label)
    answer_each(uma_seat, lambda e: wrong(e) if e.position == 1 else e.label)
    client.force_login(scene.organizer)
    page = client.get(f"/reviews/validations/{found.pk}/").content.decode()
    assert "<strong>Human agreement: 75.0%</strong> of 4 examples (95% CI 30.1–95.4%)" in page
    assert "answers equal to the label: 7 of 8, 87.5% (95% CI 52.9–97.8%)" in page
    assert "Validator 1 (rev_uma_x4): 4 answered, 0 skipped of 4 given" in page
    assert "Examples that disagree <small class=\"text-muted\">1 of 4</small>" in page
    first = found.examples.get(position=1)
    assert f"{first.file_name} row {first.row} (line {first.line})" in page

    client.force_login(scene.rita)  # a's reviewer: the agreement and the disagreeing example, validators numbered
    page = client.get(f"/reviews/assignments/{scene.rita_a.pk}/").content.decode()
    assert "<strong>Human agreement: 75.0%</strong>" in page
    assert "Validator 1: " in page and "Validator 2: " in page
    for hidden in (scene.uma.username, vera.username, first.file_name):
        assert hidden not in page
    assert client.get(f"/reviews/validations/{found.pk}/").status_code == 403  # the organizers' page


def test_organizers_start_and_name_from_the_pages(client, scene, vera):
    client.force_login(scene.organizer)
    response = client.post("/reviews/contests/isp/validation/start/",
                           {"submission": scene.a.pk, "sample_size": 6, "seed": 3, "answers_per_example": 2})
    assert response.status_code == 302
    found = LabelValidation.objects.get()
    assert (found.sample_size, found.seed) == (6, 3)
    page = client.get("/reviews/contests/isp/validation/").content.decode()
    assert "Started the validation of syllogism-test: 6 examples; name its validators below." in page
    assert f'<a href="/reviews/validations/{found.pk}/">version 1: 6 examples, 0 validators</a> · 6 short' in page
    response = client.post(f"/reviews/validations/{found.pk}/validators/", {"validators": ["rev_rita_x1"]})
    page = client.get(response["Location"]).content.decode()
    assert "rev_rita_x1 reviews syllogism-test and has read its labels; name a validator who has not." in page
    client.post("/reviews/contests/isp/rounds/1/validation/validators/",
                {"round-validators": ["val_vera_v1", "rev_uma_x4"]})
    page = client.get("/reviews/contests/isp/validation/").content.decode()
    assert "Named validators to 1 validation of Round 1." in page
    assert [(s.number, s.user.username) for s in found.validators.order_by("number")] == [
        (1, "rev_uma_x4"), (2, "val_vera_v1")]


def test_nobody_but_organizers_and_the_tasks_reviewers_read_the_agreement(scene, vera):
    found = start(scene, sample_size=2)
    validation.name_validators(validation=found, users=[vera], by=scene.organizer)
    assert selectors.validation_for_assignment(scene.rita_a, viewer=scene.rita).summary.examples == 2
    with pytest.raises(Exception, match="No such validation"):
        selectors.get_validation_for(user=scene.rita, pk=found.pk)
    with pytest.raises(Exception, match="No such validation"):
        selectors.get_validation_for(user=AnonymousUser(), pk=found.pk)
