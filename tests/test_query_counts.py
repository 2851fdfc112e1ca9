"""How many SQL queries each page and endpoint makes: a fixed number, whatever the number of
submissions, versions, models, results, assignments or reviews (no N+1). Counts are taken with the
trend cache warm (the first request computes the trends from the per-example results; every later
one reads them)."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from evaluation.models import LanguageModel, ModelSeries, Result, Run
from portal import services
from portal.models import Author, Submission, SubmissionVersion
from reviews import outcome, validation
from reviews import services as review_services
from reviews.models import Assignment, Criterion, ReviewSettings
from tests import datasets, factories
from tests.reviews.conftest import acknowledging_every_gap

pytestmark = pytest.mark.django_db

PARAMS = [1_000_000, 4_000_000, 16_000_000]


def first_submission(*, contest, owner) -> Submission:
    zip_bytes = datasets.make_zip({"syllogism-test.csv": datasets.to_csv_bytes(
        datasets.syllogism_classification_rows(n=300, seed=0))})
    return services.create_submission(user=owner, contest=contest, data=factories.submission_data(), zip_file=zip_bytes)


def copies(submission: Submission, *, count: int, versions: int = 1, first: int = 0) -> list[Submission]:
    """`count` more submissions of the same owner with the first one's files, each with `versions`
    versions of two authors (rows written directly: only their number matters here)."""
    made = []
    template = submission.current_version
    for i in range(first, first + count):
        copy = Submission.objects.create(contest=submission.contest, round=submission.round, owner=submission.owner,
                                         task_name=f"copy-{i}", number=1000 + i)
        for number in range(1, versions + 1):
            version = SubmissionVersion.objects.create(
                submission=copy, number=number, created_by=submission.owner, task_name=copy.task_name,
                metric=template.metric, what_it_tests="w", correct_behaviour="c", why_it_matters="y",
                shot_setting="zero-shot", data_generation="d", zip_file=template.zip_file.name,
                zip_sha256=template.zip_sha256, zip_size=template.zip_size, files=template.files, warnings=[])
            Author.objects.bulk_create([Author(version=version, order=1, name="Ada", email="ada@example.org"),
                                        Author(version=version, order=2, name="Bob", email="bob@example.org")])
        copy.current_version = version
        copy.save(update_fields=["current_version"])
        made.append(copy)
    return made


def scored(version: SubmissionVersion, *, models: int) -> None:
    """Finished runs of `models` models of one public series, with per-example results on every file."""
    series, _ = ModelSeries.objects.get_or_create(name="counted", defaults={"visibility": ModelSeries.PUBLIC})
    rows = version.files[0]["rows"]
    for i, params in enumerate(PARAMS[:models]):
        model, _ = LanguageModel.objects.get_or_create(name=f"counted-{i}", defaults={
            "series": series, "spec": f"/models/counted-{i}", "params": params, "position": i})
        identity = f"counted-{i}@test"
        Run.objects.create(version=version, model=model, status=Run.DONE, attempts=1, done_examples=rows,
                           total_examples=rows, model_identity=identity, files=version.files,
                           finished_at=timezone.now())
        values = [1.0 + 0.1 * i + 0.01 * math.sin(k) for k in range(rows)]
        Result.objects.get_or_create(  # an unchanged file shares its results (the cache)
            model_identity=identity, file_sha256=version.files[0]["sha256"], metric=version.metric, defaults={
                "n": rows, "mean": sum(values) / rows, "sem": 0.01, "accuracy": 0.5, "class_mass": 0.9,
                "baseline": 0.69, "baseline_accuracy": 0.5,
                "examples": {"line": list(range(2, rows + 2)), "value": values, "correct": [True] * rows,
                             "predicted": [0] * rows, "total_logprob": [-1.0] * rows}})


def check(client, url: str, *, expected: int, assert_num_queries) -> None:
    """One request to `url` makes exactly `expected` queries (after a first request that warms the trend cache)."""
    assert client.get(url).status_code == 200
    with assert_num_queries(expected):
        assert client.get(url).status_code == 200


@pytest.fixture
def owner(contest):
    return factories.contestant(username="ada")


@pytest.fixture
def owner_api(owner) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
    return client


def test_the_home_page_makes_the_same_queries_for_one_contest_or_three(client, contest, owner,
                                                                       django_assert_num_queries):
    check(client, "/", expected=2, assert_num_queries=django_assert_num_queries)  # contests, their rounds
    client.force_login(owner)
    check(client, "/", expected=5, assert_num_queries=django_assert_num_queries)  # + session, user, profile
    for _ in range(2):
        later = factories.RoundFactory(opens_at=timezone.now() + timedelta(days=40),
                                       closes_at=timezone.now() + timedelta(days=70))
        factories.RoundFactory(contest=later.contest, number=2, opens_at=timezone.now() + timedelta(days=80),
                               closes_at=timezone.now() + timedelta(days=90))
    check(client, "/", expected=5, assert_num_queries=django_assert_num_queries)
    assert client.get("/").content.decode().count("<h2") == 3


def test_the_submission_list_makes_the_same_queries_for_3_or_30_submissions(client, contest, owner,
                                                                            django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    copies(first, count=2)
    client.force_login(owner)
    # session, user, profile, count, the page's rows, the contests and their rounds (submit buttons)
    check(client, "/submissions/", expected=7, assert_num_queries=django_assert_num_queries)
    copies(first, count=27, first=2)
    check(client, "/submissions/", expected=7, assert_num_queries=django_assert_num_queries)
    assert client.get("/submissions/").content.decode().count('<tr>') == 31  # header and 30 rows
    client.force_login(factories.organizer(username="olga"))
    check(client, "/submissions/", expected=5, assert_num_queries=django_assert_num_queries)


def test_the_submission_list_shows_50_a_page_with_the_same_queries_on_each(client, contest, owner,
                                                                          django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    copies(first, count=54)
    client.force_login(owner)
    check(client, "/submissions/?page=2", expected=7, assert_num_queries=django_assert_num_queries)
    one, two = (client.get(f"/submissions/?page={n}").content.decode() for n in (1, 2))
    assert (one.count("<tr>") - 1, two.count("<tr>") - 1) == (50, 5)
    assert "Page 1 of 2 (1–50 of 55)" in one and "Page 2 of 2 (51–55 of 55)" in two
    assert ">syllogism-test</a>" in two  # the oldest, last
    assert client.get("/submissions/?page=9").content.decode().count("<tr>") - 1 == 5  # past the end: the last page


def test_the_submission_page_makes_the_same_queries_for_more_versions_models_and_results(
        client, contest, owner, django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    client.force_login(owner)
    check(client, f"/submissions/{first.pk}/", expected=8, assert_num_queries=django_assert_num_queries)
    scored(first.current_version, models=1)
    # + runs and results (the results), the eligibility override, runs and few-shot requests (the
    # progress: the examples a run will score), few-shot requests (the form)
    check(client, f"/submissions/{first.pk}/", expected=14, assert_num_queries=django_assert_num_queries)
    [other] = copies(first, count=1, versions=4)
    scored(other.current_version, models=3)
    check(client, f"/submissions/{other.pk}/", expected=14, assert_num_queries=django_assert_num_queries)
    assert client.get(f"/submissions/{other.pk}/").content.decode().count("(current)") == 1


def test_the_results_and_submission_endpoints_make_the_same_queries_for_one_model_or_three(
        contest, owner, owner_api, django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    scored(first.current_version, models=1)
    [other] = copies(first, count=1, versions=4)
    scored(other.current_version, models=3)
    for submission in (first, other):
        # token and user, profile, submission, series, runs, results, eligibility override
        check(owner_api, f"/api/submissions/{submission.pk}/results/", expected=7,
              assert_num_queries=django_assert_num_queries)
        # token and user, profile, submission, authors, series, runs, few-shot requests
        check(owner_api, f"/api/submissions/{submission.pk}/", expected=7, assert_num_queries=django_assert_num_queries)
    body = owner_api.get(f"/api/submissions/{other.pk}/results/").json()
    assert [m["model"] for m in body["files"][0]["series"][0]["models"]] == ["counted-0", "counted-1", "counted-2"]


def test_the_contest_list_endpoint_makes_the_same_queries_for_one_contest_or_three(
        contest, owner_api, django_assert_num_queries):
    check(owner_api, "/api/contests/", expected=3, assert_num_queries=django_assert_num_queries)
    factories.RoundFactory()
    factories.RoundFactory(contest=factories.RoundFactory().contest, number=2,
                           opens_at=timezone.now() + timedelta(days=40), closes_at=timezone.now() + timedelta(days=50))
    check(owner_api, "/api/contests/", expected=3, assert_num_queries=django_assert_num_queries)
    assert len(owner_api.get("/api/contests/").json()) == 3


# --- the review side ----------------------------------------------------------------------------------------


@pytest.fixture
def organizer(contest):
    return factories.organizer(username="olga")


def panel_of(contest, organizer, *, count: int, first: int = 0) -> list:
    """`count` more reviewers (rev<i>@reviewers.test) on the contest's panel."""
    reviewers = [factories.reviewer(username=f"rev{i}", email=f"rev{i}@reviewers.test")
                 for i in range(first, first + count)]
    for reviewer in reviewers:
        review_services.add_reviewer(contest=contest, user=reviewer, by=organizer)
    return reviewers


def reviewed(submission, reviewer, organizer, *, submit: bool = True) -> Assignment:
    """The reviewer assigned to the submission, with a review submitted (every criterion accepted) or a draft."""
    assignment = review_services.assign(submission=submission, reviewer=reviewer, by=organizer)
    levels = dict.fromkeys(Criterion.objects.values_list("key", flat=True), "accepted")
    review_services.save_review(assignment=assignment, user=reviewer, levels=levels, to_authors="Clear.",
                                to_organizers="Sound.", submit=submit)
    return assignment


def test_the_reviewers_page_makes_the_same_queries_for_2_or_10_assignments(client, contest, owner, organizer,
                                                                           django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    submissions = [first, *copies(first, count=9)]
    [rita] = panel_of(contest, organizer, count=1)
    for submission in submissions[:2]:
        reviewed(submission, rita, organizer)
    client.force_login(rita)
    # session, user, profile; the assignments, their authors and owners, rita's conflicts (which she may
    # see); the contests' review settings (the labels); rita's rankings; the round's review deadline
    # (open?); rita's conflicts (the list)
    check(client, "/reviews/", expected=10, assert_num_queries=django_assert_num_queries)
    for i, submission in enumerate(submissions[2:]):
        reviewed(submission, rita, organizer, submit=i % 2 == 0)
    review_services.save_ranking(reviewer=rita, round=first.round,
                                 submission_ids=[s.pk for s in submissions[:2]] + [s.pk for s in submissions[2::2]])
    check(client, "/reviews/", expected=10, assert_num_queries=django_assert_num_queries)
    page = client.get("/reviews/").content.decode()
    assert (page.count('href="/reviews/assignments/'), page.count("Submitted"), page.count("Draft")) == (10, 6, 4)
    ReviewSettings.objects.create(contest=contest, reviewers_see_task_name=True)
    # + the authors and owners of the submissions whose names are shown (redacted)
    check(client, "/reviews/", expected=11, assert_num_queries=django_assert_num_queries)
    assert ">copy-8</a>" in client.get("/reviews/").content.decode()


def test_the_assignment_page_makes_the_same_queries_for_2_or_10_reviews(client, contest, owner, organizer,
                                                                        django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    scored(first.current_version, models=3)
    reviewers = panel_of(contest, organizer, count=10)
    mine = reviewed(first, reviewers[0], organizer)
    reviewed(first, reviewers[1], organizer)
    url = f"/reviews/assignments/{mine.pk}/"
    client.force_login(reviewers[0])
    # session, user, profile; the assignment, its authors and owner, the reviewer's conflicts (may she see
    # it?); the rubric's criteria and levels; the submission's assignments with their reviews, its authors
    # and owner, the reviewer's conflicts (which reviews she sees); the authors and owner, the review
    # settings (the anonymised submission); the review deadline twice (open? and when); series, runs,
    # results, eligibility override, the authors and owner (the anonymised results); the latest validation
    check(client, url, expected=21, assert_num_queries=django_assert_num_queries)
    client.force_login(organizer)
    # organizers see every assignment and, for each review, its revisions (one query for all)
    check(client, url, expected=18, assert_num_queries=django_assert_num_queries)
    for reviewer in reviewers[2:]:
        reviewed(first, reviewer, organizer)
    copies(first, count=8)
    check(client, url, expected=18, assert_num_queries=django_assert_num_queries)
    assert client.get(url).content.decode().count("Sound.") == 10  # every comment to the organizers
    client.force_login(reviewers[0])
    check(client, url, expected=21, assert_num_queries=django_assert_num_queries)
    # a validation of the labels: its validators, examples and answers, the authors (the redaction)
    found = validation.start_validation(submission=first, by=organizer, settings=validation.Settings(sample_size=4))
    validators = [factories.validator(username=f"val{i}", email=f"val{i}@validators.test") for i in range(5)]
    validation.name_validators(validation=found, users=validators[:2], by=organizer)
    check(client, url, expected=25, assert_num_queries=django_assert_num_queries)
    validation.name_validators(validation=found, users=validators[2:], by=organizer)
    for seat in found.validators.all():
        for given in seat.answers.all():
            validation.answer(seat=seat, user=seat.user, answer_id=given.pk, choice=1 - given.example.label)
    check(client, url, expected=25, assert_num_queries=django_assert_num_queries)
    assert client.get(url).content.decode().count("Validator ") == 4 * 2  # each disagreeing example's 2 answers
    assert client.get(url).content.decode().count("Clear.") == 10 + 1  # every review (hers submitted), and her form


def test_the_contest_review_page_makes_the_same_queries_for_2_or_10_submissions(client, contest, owner, organizer,
                                                                                django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    submissions = [first, *copies(first, count=1)]
    reviewers = panel_of(contest, organizer, count=3)
    for submission in submissions:
        for reviewer in reviewers[:2]:
            reviewed(submission, reviewer, organizer, submit=False)
    client.force_login(organizer)
    url = f"/reviews/contests/{contest.slug}/"
    # session, user, profile; the contest, its review settings (the page, the overview), its rounds; per
    # round: the settings, the submissions, their owners (who may not review), the panel, the authors and
    # owners and the panel's conflicts (conflicts), the load, the assignments with their reviews, the
    # review deadline; the panel (the page); the release licence; the forms' choices (reviewers three times,
    # submissions twice)
    check(client, url, expected=23, assert_num_queries=django_assert_num_queries)
    more = copies(first, count=8, first=1)
    reviewers += panel_of(contest, organizer, count=3, first=3)
    for i, submission in enumerate(more):
        for reviewer in (reviewers[i % 6], reviewers[(i + 1) % 6]):
            reviewed(submission, reviewer, organizer, submit=i % 2 == 0)
    check(client, url, expected=23, assert_num_queries=django_assert_num_queries)
    page = client.get(url).content.decode()
    assert (page.count("· submitted"), page.count("· draft")) == (8, 12)
    assert page.count("automatic assignment would add") == 10  # each has 2 of the 3 reviewers it needs


def test_the_awards_page_and_endpoint_make_the_same_queries_for_2_or_10_submissions(
        client, contest, owner, organizer, django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    reviewers = panel_of(contest, organizer, count=4)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=organizer).key}")
    client.force_login(organizer)
    url = f"/reviews/contests/{contest.slug}/rounds/1/awards/"

    def review_and_rank(some: list[Submission]) -> None:
        for i, submission in enumerate(some):
            scored(submission.current_version, models=3)  # the evidence: three finished runs with results
            for reviewer in (reviewers[i % 4], reviewers[(i + 1) % 4]):
                reviewed(submission, reviewer, organizer)
        for reviewer in reviewers:
            ids = [a.submission_id for a in reviewer.review_assignments.filter(removed_at__isnull=True)
                   .order_by("-submission_id")]
            if ids:
                review_services.save_ranking(reviewer=reviewer, round=first.round, submission_ids=ids)
        outcome.confirm_awards(round=first.round, by=organizer, acknowledged=acknowledging_every_gap(first.round))

    review_and_rank([first, *copies(first, count=1)])
    # session, user, profile; the round; the proposal (13: the settings and whether an earlier round
    # exists (caps); the earlier rounds' tiers and payments; the round's awards; the candidates; the
    # criteria and the candidates' assignments with reviews (levels); the contest's assignments with
    # reviews and the rankings (rank scores); the tally; announced?; the first round?; the evidence (5: N
    # from the settings; the series, the runs, the results and the eligibility decisions)); the rubric's
    # criteria and levels; the settings (amounts)
    check(client, url, expected=25, assert_num_queries=django_assert_num_queries)
    # token and user, profile; the contest, its rounds; the proposal of each (18)
    check(api, f"/api/contests/{contest.slug}/awards/", expected=22, assert_num_queries=django_assert_num_queries)
    review_and_rank(copies(first, count=8, first=1))
    check(client, url, expected=25, assert_num_queries=django_assert_num_queries)
    check(api, f"/api/contests/{contest.slug}/awards/", expected=22, assert_num_queries=django_assert_num_queries)
    candidates = api.get(f"/api/contests/{contest.slug}/awards/").json()["rounds"][0]["candidates"]
    assert [(c["reviews"], c["eligible_tier"]) for c in candidates] == [(2, "third")] * 10
    assert [(c["evidence"]["eligible"], c["evidence"]["gaps"]) for c in candidates] == [
        (True, {"reviews": "2 of 3 reviews submitted"})] * 10
    assert sum(1 for c in candidates if c["award"]) == 5  # the round's third-prize cap


def test_the_audit_log_makes_the_same_queries_for_2_or_10_assignments(client, contest, owner, organizer,
                                                                      django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    submissions = [first, *copies(first, count=9)]
    reviewers = panel_of(contest, organizer, count=2)
    client.force_login(organizer)
    url = f"/reviews/contests/{contest.slug}/audit/"
    for submission in submissions[:2]:
        reviewed(submission, reviewers[0], organizer)
    check(client, url, expected=5, assert_num_queries=django_assert_num_queries)  # session, user, profile,
    for submission in submissions[2:]:                                           # contest, entries
        reviewed(submission, reviewers[1], organizer)
    check(client, url, expected=5, assert_num_queries=django_assert_num_queries)
    assert client.get(url).content.decode().count("<tr><td>") == 2 + 10 * 2  # the panel; each assigned and reviewed


def test_the_review_and_award_exports_make_the_same_queries_for_2_or_10_submissions(
        client, contest, owner, organizer, django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    reviewers = panel_of(contest, organizer, count=2)
    client.force_login(organizer)
    urls = [f"/reviews/contests/{contest.slug}/export/reviews.csv", f"/reviews/contests/{contest.slug}/export/awards.csv"]

    def review_and_award(some: list[Submission]) -> None:
        for submission in some:
            for reviewer in reviewers:
                reviewed(submission, reviewer, organizer)
        outcome.confirm_awards(round=first.round, by=organizer, acknowledged=acknowledging_every_gap(first.round))

    review_and_award([first, *copies(first, count=1)])
    # session, user, profile; the contest; the criteria, the submissions, their assignments with their reviews,
    # the reviews' revisions; the audit entry of the export
    check(client, urls[0], expected=9, assert_num_queries=django_assert_num_queries)
    # session, user, profile; the contest; the awards, their authors; the round's review round (announced?);
    # the audit entry
    check(client, urls[1], expected=8, assert_num_queries=django_assert_num_queries)
    review_and_award(copies(first, count=8, first=1))
    check(client, urls[0], expected=9, assert_num_queries=django_assert_num_queries)
    check(client, urls[1], expected=8, assert_num_queries=django_assert_num_queries)
    assert [len(client.get(url).content.decode().splitlines()) for url in urls] == [1 + 20, 1 + 5]  # header, rows


# --- the human validation of labels ----------------------------------------------------------------------------


def validated(submission, organizer, validators, *, size: int) -> None:
    """A validation of `size` examples of the submission, the validators named, each answering half of theirs."""
    found = validation.start_validation(submission=submission, by=organizer,
                                        settings=validation.Settings(sample_size=size))
    validation.name_validators(validation=found, users=validators, by=organizer)
    for seat in found.validators.all():
        for given in list(seat.answers.order_by("example__position"))[::2]:
            validation.answer(seat=seat, user=seat.user, answer_id=given.pk, choice=given.example.label)


def test_the_validators_pages_make_the_same_queries_for_4_or_40_examples_and_1_or_3_validations(
        client, contest, owner, organizer, django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    more = copies(first, count=2)
    vera, vic = (factories.validator(username=n, email=f"{n}@validators.test") for n in ("vera", "vic"))
    validated(first, organizer, [vera, vic], size=4)
    client.force_login(vera)
    seat = vera.validator_seats.get()
    # session, user, profile; her place with its validation, task and version; the examples given to her; the
    # authors and owner (the redaction); the contest's review settings (what she calls the task)
    check(client, f"/reviews/validate/{seat.pk}/", expected=7, assert_num_queries=django_assert_num_queries)
    # session, user, profile; her places; her answers; the contests' review settings
    check(client, "/reviews/validate/", expected=6, assert_num_queries=django_assert_num_queries)
    for submission in more:
        validated(submission, organizer, [vera, vic], size=40)
    seat = vera.validator_seats.order_by("-pk").first()
    check(client, f"/reviews/validate/{seat.pk}/", expected=7, assert_num_queries=django_assert_num_queries)
    check(client, "/reviews/validate/", expected=6, assert_num_queries=django_assert_num_queries)
    page = client.get("/reviews/validate/").content.decode()
    assert (page.count("2 answered, 0 skipped of 4"), page.count("20 answered, 0 skipped of 40")) == (1, 2)
    ReviewSettings.objects.create(contest=contest, reviewers_see_task_name=True)
    # + the authors and owners of the tasks whose names are shown (redacted)
    check(client, "/reviews/validate/", expected=7, assert_num_queries=django_assert_num_queries)
    assert ">copy-1</strong>" in client.get("/reviews/validate/").content.decode()


def test_the_organizers_validation_pages_make_the_same_queries_for_more_examples_validators_and_tasks(
        client, contest, owner, organizer, django_assert_num_queries):
    first = first_submission(contest=contest, owner=owner)
    more = copies(first, count=9)
    validators = [factories.validator(username=f"val{i}", email=f"val{i}@validators.test") for i in range(5)]
    validated(first, organizer, validators[:2], size=4)
    client.force_login(organizer)
    url = f"/reviews/validations/{first.label_validations.get().pk}/"
    # session, user, profile; the validation with its task, round, version and who started it; its validators,
    # examples and answers; the accounts the naming form offers
    check(client, url, expected=8, assert_num_queries=django_assert_num_queries)
    contest_url = f"/reviews/contests/{contest.slug}/validation/"
    # session, user, profile; the contest; its submissions; their latest validations, the validations' examples,
    # answers and validators; the rounds; the forms' choices (submissions, accounts)
    check(client, contest_url, expected=12, assert_num_queries=django_assert_num_queries)
    other = more[0]
    validated(other, organizer, validators, size=40)
    check(client, f"/reviews/validations/{other.label_validations.get().pk}/", expected=8,
          assert_num_queries=django_assert_num_queries)
    for submission in more[1:]:
        validated(submission, organizer, validators[:3], size=6)
    check(client, contest_url, expected=12, assert_num_queries=django_assert_num_queries)
    assert client.get(contest_url).content.decode().count("/reviews/validations/") == 10


@pytest.mark.parametrize("count", [2, 10])
def test_the_round_overview_and_the_public_results_make_the_same_queries_for_2_or_10_submissions(
        count, client, contest, owner, organizer, django_assert_num_queries):
    """Every submission scored on three models and reviewed twice (all accepted), awards decided, the feedback
    released and the awards announced; a validation of the first."""
    first = first_submission(contest=contest, owner=owner)
    reviewers = panel_of(contest, organizer, count=4)
    submissions = [first, *copies(first, count=count - 1)]
    for i, submission in enumerate(submissions):
        scored(submission.current_version, models=3)
        for reviewer in (reviewers[i % 4], reviewers[(i + 1) % 4]):
            reviewed(submission, reviewer, organizer)
    validation.start_validation(submission=first, by=organizer, settings=validation.Settings(sample_size=4))
    outcome.confirm_awards(round=first.round, by=organizer, acknowledged=acknowledging_every_gap(first.round))
    outcome.release_feedback(round=first.round, by=organizer)
    outcome.announce_awards(round=first.round, by=organizer)
    # no session: the round with its contest; the accepted tasks (the submissions reviewed, those awarded, the
    # submissions, their authors, their levels, the announced awards); the redaction's usernames; meta-reviews,
    # causes, published examples; the latest validations and their summaries; the winners' whole tasks (series,
    # models, runs, results, eligibility decisions); every task's kept summary (the series and models, kept, read)
    check(client, f"/results/{contest.slug}/rounds/1/", expected=26, assert_num_queries=django_assert_num_queries)
    check(client, "/results/", expected=1, assert_num_queries=django_assert_num_queries)
    client.force_login(organizer)
    # session, user, profile; the round; the series and models; the review side's facts on the submissions that
    # have any (reviewed: 3, their criteria; awards; validated: 6; announced?, the settings (N), the criteria); the
    # page read in SQL (the count in the round and on the page, the page's ids, their summaries kept (none to
    # compute) and read); the accepted tasks (kept, read, and their points: kept, read): none per submission
    check(client, f"/reviews/contests/{contest.slug}/rounds/1/overview/", expected=27,
          assert_num_queries=django_assert_num_queries)
    # the CSV reads every row at once: session, user, profile; the round; the series and models; the review side's
    # facts; the summaries kept and read with the rows; the accepted tasks' points (kept, read)
    check(client, f"/reviews/contests/{contest.slug}/rounds/1/overview.csv", expected=22,
          assert_num_queries=django_assert_num_queries)
    html = client.get(f"/results/{contest.slug}/rounds/1/").content.decode()
    assert html.count('class="card mb-4 winner"') + html.count("<tr id=\"task-") == count
