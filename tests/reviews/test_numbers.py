"""Reviewers read a submission's number in its contest ("Submission 2"), never its id, which counts every
submission made before it in any contest: on their page (the ranking form's fields too), in the API, in the
assignment email and in their list of conflicts. Organizers' reviews.csv has both."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from portal import services as portal_services
from portal.models import Submission
from reviews import services
from tests import datasets, factories
from tests.reviews.conftest import each, submit

pytestmark = pytest.mark.django_db


def _zip(task_name: str, seed: int) -> bytes:
    return datasets.make_zip({f"{task_name}.csv": datasets.to_csv_bytes(
        datasets.syllogism_classification_rows(n=300, seed=seed))})


def _submit(contest, task_name: str, seed: int) -> Submission:
    return portal_services.create_submission(user=factories.contestant(), contest=contest, zip_file=_zip(task_name, seed),
                                             data=factories.submission_data(task_name=task_name))


@pytest.fixture
def elsewhere(db) -> list[Submission]:
    """Three submissions of another contest, made first: the scene's ids are then not its numbers."""
    contest = factories.RoundFactory(number=1).contest
    return [_submit(contest, f"elsewhere-{i}", seed=10 + i) for i in range(3)]


def test_submissions_are_numbered_1_2_3_within_their_own_contest(elsewhere):
    other = factories.RoundFactory(number=1).contest
    first = _submit(other, "first-here", seed=20)
    more = _submit(elsewhere[0].contest, "fourth-there", seed=21)
    second = _submit(other, "second-here", seed=22)
    assert [s.number for s in elsewhere] == [1, 2, 3]
    assert (first.number, more.number, second.number) == (1, 4, 2)
    assert second.pk > more.pk > first.pk > elsewhere[-1].pk  # the ids count every contest


def test_the_migration_numbers_the_existing_submissions_in_the_order_they_were_made(elsewhere):
    contest = elsewhere[0].contest
    late, early, middle = elsewhere  # made in this order, but dated otherwise below
    now = timezone.now()
    for number, (submission, days_ago) in enumerate(((late, 1), (early, 3), (middle, 2)), start=100):
        Submission.objects.filter(pk=submission.pk).update(created_at=now - timedelta(days=days_ago), number=number)
    other = _submit(factories.RoundFactory(number=1).contest, "other-contest", seed=30)
    Submission.objects.filter(pk=other.pk).update(number=7)
    migration = importlib.import_module("portal.migrations.0006_submission_number_per_contest")
    migration.number_existing(apps, None)
    numbers = dict(Submission.objects.filter(contest=contest).values_list("task_name", "number"))
    assert numbers == {"elsewhere-1": 1, "elsewhere-2": 2, "elsewhere-0": 3}
    assert Submission.objects.get(pk=other.pk).number == 1


def test_a_reviewer_reads_the_number_in_the_contest_never_the_id(client, elsewhere, scene, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    s = scene
    assert (s.a.number, s.b.number) == (1, 2) and s.a.pk > 3 and s.b.pk > 3
    submit(s.rita_a, s.rita, each("accepted"))
    submit(s.rita_b, s.rita, each("grand"))
    client.force_login(s.rita)
    page = client.get("/reviews/").content.decode()
    assert re.findall(r">(Submission \d+)</a>", page) == ["Submission 1", "Submission 2"]
    assert sorted(re.findall(r'name="(rank_\d+)"', page)) == ["rank_1", "rank_2"]
    saved = client.post(f"/reviews/rounds/{s.round.pk}/ranking/", {"rank_1": 2, "rank_2": 1}, follow=True)
    assert [str(m) for m in saved.context["messages"]] == ["Ranking of Round 1 saved."]
    assert s.rita.review_rankings.get().submission_ids == [s.b.pk, s.a.pk]
    for assignment, label in ((s.rita_a, "Submission 1"), (s.rita_b, "Submission 2")):
        assert client.get(f"/api/reviews/assignments/{assignment.pk}/").json()["submission"]["label"] == label
        assert f"<h1>{label}</h1>" in client.get(f"/reviews/assignments/{assignment.pk}/").content.decode()
    services.declare_conflict(reviewer=s.rita, by=s.rita, submission=s.b, reason="A former colleague.")
    page = client.get("/reviews/").content.decode()
    assert f"<li>Submission 2 of {s.contest.name} (declared by the reviewer)</li>" in page
    assert f"Submission {s.b.pk}" not in page
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(submission=s.b, reviewer=s.uma, by=s.organizer)
    [mail] = mailoutbox
    assert "\n- Submission 2\n" in mail.body and f"Submission {s.b.pk}" not in mail.body
