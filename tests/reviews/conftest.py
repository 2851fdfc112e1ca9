"""A contest in review: two contestants' real submissions, reviewers assigned, unassigned and conflicted.

The authors' names and emails appear on purpose in the description fields and in the files, so the
privacy tests can check that reviewers never read them. Usernames are distinctive strings, so a
search for one in a response cannot hit an ordinary word.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.utils import timezone

from evaluation.models import Run
from evaluation.services import start_private_evaluation
from portal import services as portal_services
from portal.models import Contest, Round, Submission
from portal.services import AuthorData
from reviews import selectors, services
from reviews.evidence import Acknowledgement
from reviews.models import Assignment, Criterion
from tests import datasets, factories
from tests.evaluation.conftest import tiny_model_folders, tiny_series, worker  # noqa: F401 (fixtures)
from tests.evaluation.test_jobs import all_finished, wait_for

ADA = AuthorData("Ada Lovelace", "ada.lovelace@analytical-engines.org", "Analytical Engines Society")
CHARLES = AuthorData("Charles Babbage", "charles@difference-engines.org")
GRACE = AuthorData("Grace Hopper", "grace@cobol-navy.org", "Compiler Lab")


def task_a_zip() -> bytes:
    """syllogism-test in two parts and a control, with an author's name and email inside PART1."""
    rows = datasets.syllogism_classification_rows(n=320, seed=0)
    rows[0]["prompt"] = "As Ada Lovelace (ada.lovelace@analytical-engines.org) noted:\n" + rows[0]["prompt"]
    return datasets.make_zip({
        "syllogism-test-PART1.csv": datasets.to_csv_bytes(rows[:150]),
        "syllogism-test-PART2.csv": datasets.to_csv_bytes(rows[150:300]),
        "syllogism-test-CONTROL1.csv": datasets.to_csv_bytes(rows[300:]),
    })


def task_b_zip() -> bytes:
    return datasets.make_zip({"negation-task.csv": datasets.to_csv_bytes(
        datasets.syllogism_classification_rows(n=300, seed=1))})


@dataclass
class Scene:
    contest: Contest
    round: Round
    organizer: User
    alice: User  # owns submission a (authors Ada Lovelace, Charles Babbage)
    bob: User  # owns submission b (author Grace Hopper)
    rita: User  # reviewer assigned to a and b
    remy: User  # reviewer assigned to a
    cora: User  # reviewer whose email domain is Ada's: conflicted with a
    uma: User  # reviewer on the panel, unassigned
    a: Submission
    b: Submission
    rita_a: Assignment
    remy_a: Assignment
    rita_b: Assignment

    @property
    def secrets_of_a(self) -> list[str]:
        """What must never reach a reviewer of submission a."""
        return ["Ada Lovelace", "Lovelace", "ada.lovelace@analytical-engines.org", "analytical-engines.org",
                "Charles Babbage", "Babbage", "charles@difference-engines.org", "Analytical Engines Society",
                self.alice.username]

    @property
    def secrets_of_b(self) -> list[str]:
        return ["Grace Hopper", "Hopper", "grace@cobol-navy.org", "Compiler Lab", self.bob.username]

    @property
    def hashes(self) -> list[str]:
        """The sha256 of every file and zip of a and b as uploaded: a reviewer who read one could confirm a
        guess of a redacted file's source."""
        versions = [v for s in (self.a, self.b) for v in s.versions.all()]
        return [v.zip_sha256 for v in versions] + [f["sha256"] for v in versions for f in v.files]

    @property
    def reviewer_usernames(self) -> list[str]:
        return [self.rita.username, self.remy.username, self.cora.username, self.uma.username]


def make_submissions(contest: Contest, alice: User, bob: User) -> tuple[Submission, Submission]:
    a = portal_services.create_submission(
        user=alice, contest=contest, zip_file=task_a_zip(),
        data=factories.submission_data(
            authors=(ADA, CHARLES), has_control_data=True,
            what_it_tests="Whether models judge syllogisms by logic. Ada Lovelace and Charles Babbage (see "
                          "lovelace's notes) built it; write to ada.lovelace@analytical-engines.org.",
            why_it_matters=f"Asked on the forum by {alice.username}.",
            generation_code_url="https://github.com/adalovelace/syllogisms"))
    b = portal_services.create_submission(
        user=bob, contest=contest, zip_file=task_b_zip(),
        data=factories.submission_data(task_name="negation-task", authors=(GRACE,),
                                       data_generation="Templates by Grace Hopper at the Compiler Lab."))
    return a, b


@pytest.fixture
def scene(db) -> Scene:
    round = factories.RoundFactory(number=1, contest__slug="isp", contest__name="Inverse Scaling Prize")
    contest = round.contest
    organizer = factories.organizer(username="org_olga_q1", email="olga@organizers.test")
    alice = factories.contestant(username="owner_alice_q7", email="alice.q7@contestants.test")
    bob = factories.contestant(username="owner_bob_q8", email="bob.q8@contestants-two.test")
    rita = factories.reviewer(username="rev_rita_x1", email="rita@reviewers-one.test")
    remy = factories.reviewer(username="rev_remy_x2", email="remy@reviewers-two.test")
    cora = factories.reviewer(username="rev_cora_x3", email="cora@analytical-engines.org")
    uma = factories.reviewer(username="rev_uma_x4", email="uma@reviewers-four.test")
    a, b = make_submissions(contest, alice, bob)
    for reviewer in (rita, remy, cora, uma):
        services.add_reviewer(contest=contest, user=reviewer, by=organizer)
    rita_a = services.assign(submission=a, reviewer=rita, by=organizer)
    remy_a = services.assign(submission=a, reviewer=remy, by=organizer)
    rita_b = services.assign(submission=b, reviewer=rita, by=organizer)
    return Scene(contest=contest, round=round, organizer=organizer, alice=alice, bob=bob, rita=rita, remy=remy,
                 cora=cora, uma=uma, a=a, b=b, rita_a=rita_a, remy_a=remy_a, rita_b=rita_b)


@pytest.fixture
def seeded_rubric(transactional_db):
    """The rubric as its migration seeds it. A transactional test ends by emptying every table, the seeded
    rubric too, so a transactional test that rates submissions seeds it again, with the migration's own code."""
    if not Criterion.objects.exists():
        importlib.import_module("reviews.migrations.0002_rubric").seed(apps, None)


@pytest.fixture
def evaluated(tiny_series, worker, scene) -> Scene:  # noqa: F811 (the imported fixtures)
    """The scene evaluated for real by a Celery worker: a and b on the public series "tiny" (tiny-1, tiny-2,
    tiny-3), a also on the private series "held-out" (held-1, held-2), started by the organizer."""
    start_private_evaluation(submission=scene.a, by=scene.organizer)
    for submission in (scene.a, scene.b):
        wait_for(lambda s=submission: all_finished(s.current_version))
    assert sorted(Run.objects.filter(version=scene.a.current_version).values_list("model__name", "status")) == [
        ("held-1", "done"), ("held-2", "done"), ("tiny-1", "done"), ("tiny-2", "done"), ("tiny-3", "done")]
    return scene


def levels(*values: str) -> dict[str, str]:
    keys = ("strength", "generality", "importance", "novelty", "coverage", "reproducibility")
    return dict(zip(keys, values, strict=True))


def each(level: str) -> dict[str, str]:
    return levels(*[level] * 6)


def submit(assignment: Assignment, user: User, rated: dict[str, str], to_authors: str = "", to_organizers: str = ""):
    return services.save_review(assignment=assignment, user=user, levels=rated, to_authors=to_authors,
                                to_organizers=to_organizers, submit=True)


def another_submission(scene: Scene, *, task_name: str, owner: str, author: AuthorData, seed: int) -> Submission:
    """A submission by a new contestant `owner` (email <owner>@<task_name>.test) in the contest's open round."""
    user = factories.contestant(username=owner, email=f"{owner}@{task_name}.test")
    zipped = datasets.make_zip({f"{task_name}.csv": datasets.to_csv_bytes(
        datasets.syllogism_classification_rows(n=300, seed=seed))})
    return portal_services.create_submission(user=user, contest=scene.contest, zip_file=zipped,
                                             data=factories.submission_data(task_name=task_name, authors=(author,)))


ACKNOWLEDGED = "Awarded on the reviews alone (what this test is about)."


def acknowledging_every_gap(round: Round) -> dict[int, Acknowledgement]:
    """Every gap of every candidate's evidence in the round acknowledged, as an organizer ticks them to award on
    the evidence these scenes have: no model series is registered (eligibility not known) and most tasks have
    fewer submitted reviews than the contest's N (tests/reviews/test_evidence.py is about the evidence)."""
    return {row.submission.pk: Acknowledgement(gaps=frozenset(row.gaps), reason=ACKNOWLEDGED)
            for row in selectors.award_proposal(round).rows if row.gaps}


def acknowledging_gaps_of(round: Round, submission: Submission) -> Acknowledgement | None:
    """The gaps of one candidate's evidence acknowledged (acknowledging_every_gap)."""
    return acknowledging_every_gap(round).get(submission.pk)


def open_round_two(scene: Scene) -> Round:
    """Round 1 closed (its awards decided as they are), round 2 open now."""
    now = timezone.now()
    scene.round.closes_at = now - timedelta(minutes=5)
    scene.round.save()
    return factories.RoundFactory(contest=scene.contest, number=2, opens_at=now - timedelta(minutes=1),
                                  closes_at=now + timedelta(days=30))
