"""The outcome's records keep their own rules: the paper's four causes are seeded, an answer is a choice or a
skip with its reason, a validation asks for at least 2 answers per example, a cause's name is unique whatever
its case, and a contest without release settings releases under CC BY 4.0."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from reviews import licences
from reviews.models import Cause, LabelValidation, ReleaseSettings, ValidationAnswer, ValidationExample, Validator
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def validation(contest, contestant, syllogism_zip):
    from portal import services as portal_services

    submission = portal_services.create_submission(user=contestant, contest=contest, zip_file=syllogism_zip,
                                                   data=factories.submission_data())
    return LabelValidation.objects.create(submission=submission, version=submission.current_version, population=300)


def test_the_papers_four_causes_are_seeded_and_seeding_again_adds_none():
    expected = [("Distractor Task", True), ("Spurious Few-Shot", True), ("Strong Prior", True),
                ("Unwanted Imitation", True)]
    assert list(Cause.objects.order_by("name").values_list("name", "from_paper")) == expected
    importlib.import_module("reviews.migrations.0006_paper_causes").seed(apps, None)
    assert list(Cause.objects.order_by("name").values_list("name", "from_paper")) == expected
    assert Cause.objects.get(name="Strong Prior").description == (
        "A preference to repeat memorized sequences over following in-context instructions.")


def test_a_cause_name_is_unique_whatever_its_case():
    with pytest.raises(IntegrityError), transaction.atomic():
        Cause.objects.create(name="strong prior")


def test_a_validation_defaults_to_50_examples_seed_0_and_2_answers_and_refuses_fewer(validation):
    assert (validation.sample_size, validation.seed, validation.answers_per_example) == (50, 0, 2)
    validation.answers_per_example = 1
    with pytest.raises(IntegrityError, match="validation_two_answers"), transaction.atomic():
        validation.save()


def test_an_answer_is_a_choice_or_a_skip_with_its_reason_never_both(validation):
    example = ValidationExample.objects.create(validation=validation, position=1, file_name="syllogism-test.csv",
                                               file_kind="main", row=0, line=2, prompt="p", choices=[" Yes", " No"],
                                               label=0)
    seat = Validator.objects.create(validation=validation, user=factories.validator(), number=1)
    answer = ValidationAnswer.objects.create(example=example, validator=seat)
    assert (answer.choice, answer.skip_reason, answer.answered_at) == (None, "", None)
    answer.choice, answer.skip_reason, answer.answered_at = 1, ValidationAnswer.AMBIGUOUS, timezone.now()
    with pytest.raises(IntegrityError, match="answer_is_a_choice_or_a_skip"), transaction.atomic():
        answer.save()
    answer.choice = None
    answer.save()
    answer.skip_reason = ""
    with pytest.raises(IntegrityError, match="answer_is_a_choice_or_a_skip"), transaction.atomic():
        answer.save()


def test_the_release_licence_defaults_to_cc_by_4(contest):
    settings = ReleaseSettings.objects.create(contest=contest)
    chosen = licences.licence(settings.licence)
    assert (chosen.spdx, chosen.name, chosen.url, chosen.hub) == (
        "CC-BY-4.0", "Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/",
        "cc-by-4.0")
    with pytest.raises(KeyError, match="Unknown licence 'CC-BY-5.0'; choose one of CC-BY-4.0, "):
        licences.licence("CC-BY-5.0")
