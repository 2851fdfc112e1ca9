"""factory_boy factories for the contest side."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from portal.models import Contest, Profile, Round
from portal.roles import CONTESTANT, ORGANIZER, REVIEWER, VALIDATOR

PASSWORD = "a-long-test-password"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()


def make_user(role: str = CONTESTANT, **kwargs) -> User:
    user = UserFactory(is_staff=role == ORGANIZER, **kwargs)
    Profile.objects.create(user=user, role=role)
    return user


def contestant(**kwargs) -> User:
    return make_user(CONTESTANT, **kwargs)


def reviewer(**kwargs) -> User:
    return make_user(REVIEWER, **kwargs)


def validator(**kwargs) -> User:
    return make_user(VALIDATOR, **kwargs)


def organizer(**kwargs) -> User:
    return make_user(ORGANIZER, **kwargs)


class ContestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contest

    name = factory.Sequence(lambda n: f"Inverse Scaling Prize {n}")
    slug = factory.Sequence(lambda n: f"isp-{n}")


class RoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Round

    contest = factory.SubFactory(ContestFactory)
    number = 1
    name = factory.LazyAttribute(lambda r: f"Round {r.number}")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


def submission_data(task_name: str = "syllogism-test", metric: str = "classification", **overrides):
    """Every field of a submission as `services.create_submission` takes it (authors: Ada Lovelace)."""
    from portal.services import AuthorData, SubmissionData

    values = dict(task_name=task_name, metric=metric,
                  authors=(AuthorData("Ada Lovelace", "ada@example.org", "Analytical Engines"),),
                  what_it_tests="Whether models judge syllogisms by logic rather than by belief.",
                  correct_behaviour="Answer Yes exactly when the conclusion follows.",
                  why_it_matters="Models that reason by plausibility mislead their users.",
                  shot_setting="zero-shot", data_generation="Templates over noun triples.")
    values.update(overrides)
    return SubmissionData(**values)
