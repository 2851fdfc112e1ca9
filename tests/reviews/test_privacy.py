"""The privacy matrix: every page, JSON endpoint and download of the review side (and the submission page and
download it adds to), for anonymous, two contestants, an assigned, an unassigned and a conflicted reviewer and
an organizer: exactly who gets what, that no reviewer response (zips and CSVs included) holds an author's name
or email, the owner's username or the sha256 of a file as uploaded, and that no contestant response names a
reviewer. After a real evaluation: the results on every series reach the assigned reviewers and organizers,
and the private series reach the owner only after the feedback release.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from reviews import outcome, services
from reviews.models import Assignment
from tests.reviews.conftest import acknowledging_every_gap, each, submit

pytestmark = pytest.mark.django_db

USERS = ("anonymous", "alice", "bob", "rita", "uma", "cora", "organizer")
REVIEWERS = ("rita", "uma", "cora")
CONTESTANTS = ("alice", "bob")
ORGANIZER_ONLY = (302, 403, 403, 403, 403, 403, 200)
ASSIGNED_ONLY = (302, 404, 404, 200, 404, 404, 200)

# (url template, statuses in USERS' order). {a}, {b}: submissions; {rita_a}, {remy_a}: assignments; {cora_a}:
# cora's assignment to a, removed when her conflict with it appeared.
GETS = [
    ("/reviews/", (302, 403, 403, 200, 200, 200, 200)),
    ("/reviews/assignments/{rita_a}/", ASSIGNED_ONLY),
    ("/reviews/assignments/{rita_a}/task.zip", ASSIGNED_ONLY),
    ("/reviews/assignments/{remy_a}/", (302, 404, 404, 404, 404, 404, 200)),  # rita reviews a too, but not as remy
    ("/reviews/assignments/{remy_a}/task.zip", (302, 404, 404, 404, 404, 404, 200)),
    ("/reviews/assignments/{cora_a}/", (302, 404, 404, 404, 404, 404, 404)),  # removed: nobody reads it as one
    ("/reviews/assignments/{cora_a}/task.zip", (302, 404, 404, 404, 404, 404, 404)),
    ("/reviews/submissions/{a}/", ORGANIZER_ONLY),
    ("/reviews/contests/isp/", ORGANIZER_ONLY),
    ("/reviews/contests/isp/rounds/1/awards/", ORGANIZER_ONLY),
    ("/reviews/contests/isp/audit/", ORGANIZER_ONLY),
    ("/reviews/contests/isp/export/benchmark.zip", ORGANIZER_ONLY),
    ("/reviews/contests/isp/export/reviews.csv", ORGANIZER_ONLY),
    ("/reviews/contests/isp/export/reviews.csv?identities=1", ORGANIZER_ONLY),
    ("/reviews/contests/isp/export/awards.csv", ORGANIZER_ONLY),
    ("/submissions/", (302, 200, 200, 200, 200, 200, 200)),  # each sees only what they may (reviewers: nothing)
    ("/submissions/{a}/", (302, 200, 404, 404, 404, 404, 200)),
    ("/submissions/{a}/versions/1/download/", (302, 200, 404, 404, 404, 404, 200)),
    ("/api/submissions/", (404, 404, 404, 404, 404, 404, 404)),  # the API has no list of submissions; add one here
    ("/api/submissions/{a}/", (401, 200, 404, 404, 404, 404, 200)),
    ("/api/submissions/{a}/results/", (401, 200, 404, 404, 404, 404, 200)),
    ("/api/submissions/{a}/versions/1/download/", (401, 200, 404, 404, 404, 404, 200)),
    ("/api/series/", (401, 200, 200, 200, 200, 200, 200)),
    ("/api/reviews/assignments/", (401, 200, 200, 200, 200, 200, 200)),
    ("/api/reviews/assignments/{rita_a}/", (401, 404, 404, 200, 404, 404, 200)),
    ("/api/reviews/assignments/{remy_a}/", (401, 404, 404, 404, 404, 404, 200)),
    ("/api/reviews/assignments/{cora_a}/", (401, 404, 404, 404, 404, 404, 404)),
    ("/api/reviews/rubric/", (401, 200, 200, 200, 200, 200, 200)),
    ("/api/contests/isp/awards/", (401, 403, 403, 403, 403, 403, 200)),
]


def _users(scene) -> dict:
    return {"anonymous": None, "alice": scene.alice, "bob": scene.bob, "rita": scene.rita, "uma": scene.uma,
            "cora": scene.cora, "organizer": scene.organizer}


def _ids(scene) -> dict:
    return {"a": scene.a.pk, "b": scene.b.pk, "rita_a": scene.rita_a.pk, "remy_a": scene.remy_a.pk,
            "cora_a": getattr(scene, "cora_a", None) and scene.cora_a.pk,
            "sha": scene.a.current_version.files[0]["sha256"]}


CORA_REMOVED = ("Conflict of interest: rev_cora_x3's email domain analytical-engines.org matches an author's "
                "(ada.lovelace@analytical-engines.org).")


def give_cora_an_assignment_her_conflict_removes(scene) -> None:
    """cora is assigned to a while her address is elsewhere; her address moving to Ada's domain makes the
    conflict, which removes the assignment (scene.cora_a)."""
    cora, address = scene.cora, scene.cora.email
    cora.email = "cora@reviewers-three.test"
    cora.save()
    scene.cora_a = services.assign(submission=scene.a, reviewer=cora, by=scene.organizer)
    cora.email = address
    cora.save()
    scene.cora_a.refresh_from_db()
    assert (scene.cora_a.number, scene.cora_a.removed_reason) == (3, CORA_REMOVED)


def _body(response) -> str:
    """Everything a response carries, as text: a zip's members are unpacked."""
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            data = b"\n".join(name.encode() + b"\n" + archive.read(name) for name in archive.namelist())
    return data.decode("utf-8", errors="replace") + "\n" + "\n".join(f"{k}: {v}" for k, v in response.items())


def _assert_private(scene, who: str, url: str, text: str) -> None:
    lowered = text.lower()
    if who in REVIEWERS:
        for secret in scene.secrets_of_a + scene.secrets_of_b:
            assert secret.lower() not in lowered, f"{who} read {secret!r} at {url}"
        for digest in scene.hashes:
            assert digest not in lowered, f"{who} read the sha256 of an original file at {url}"
        for other in scene.reviewer_usernames:
            if other != scene.__dict__[who].username:
                assert other.lower() not in lowered, f"{who} read reviewer {other!r} at {url}"
    if who in CONTESTANTS:
        for reviewer in scene.reviewer_usernames:
            assert reviewer.lower() not in lowered, f"{who} read reviewer {reviewer!r} at {url}"


def _check(client, scene, url_template: str, statuses, *, method="get", data=None):
    url = url_template.format(**_ids(scene))
    for who, expected in zip(USERS, statuses):
        user = _users(scene)[who]
        client.logout()
        if user is not None:
            client.force_login(user)
        if method == "get":
            response = client.get(url)
        else:
            response = getattr(client, method)(url, data=json.dumps(data), content_type="application/json")
        assert response.status_code == expected, f"{who} {method.upper()} {url}: {response.status_code}"
        _assert_private(scene, who, url, _body(response))


@pytest.fixture
def in_review(scene):
    """Reviews under way: remy submitted, rita has a draft of a and submitted b; conflict-free comments.
    cora's assignment to a was removed by her conflict."""
    s = scene
    give_cora_an_assignment_her_conflict_removes(s)
    submit(s.remy_a, s.remy, each("grand"), to_authors="A striking task.", to_organizers="Award it.")
    services.save_review(assignment=s.rita_a, user=s.rita, levels={"novelty": "grand"}, to_authors="Draft.",
                         submit=False)
    submit(s.rita_b, s.rita, each("accepted"), to_authors="Solid work.")
    return s


@pytest.fixture
def released(in_review):
    """Every review submitted, rankings saved, awards confirmed, feedback released and awards announced."""
    s = in_review
    submit(s.rita_a, s.rita, each("grand"), to_authors="Surprising.", to_organizers="Second prize at least.")
    services.save_ranking(reviewer=s.rita, round=s.round, submission_ids=[s.a.pk, s.b.pk])
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    outcome.release_feedback(round=s.round, by=s.organizer)
    outcome.announce_awards(round=s.round, by=s.organizer)
    [award] = list(s.a.awards.all())
    outcome.name_nonprofit(award=award, user=s.alice, nonprofit="Against Malaria Foundation")
    return s


@pytest.mark.parametrize(("url", "statuses"), GETS, ids=[u for u, _ in GETS])
def test_during_review(client, in_review, url, statuses):
    _check(client, in_review, url, statuses)


@pytest.mark.parametrize(("url", "statuses"), GETS, ids=[u for u, _ in GETS])
def test_after_release_and_announcement(client, released, url, statuses):
    _check(client, released, url, statuses)


def test_the_review_endpoint_answers_only_the_assigned_reviewer(client, in_review):
    _check(client, in_review, "/api/reviews/assignments/{rita_a}/review/", (401, 404, 404, 200, 404, 404, 403),
           method="put", data={"levels": {"novelty": "accepted"}, "to_authors": "Still a draft.", "submit": False})
    assert in_review.rita_a.review.__class__.objects.get(pk=in_review.rita_a.review.pk).to_authors == "Still a draft."


def test_only_organizers_assign_through_the_api(client, in_review):
    _check(client, in_review, "/api/submissions/{b}/assignments/", (401, 403, 403, 403, 403, 403, 201),
           method="post", data={"reviewer": "rev_uma_x4"})
    assert Assignment.objects.filter(submission=in_review.b, removed_at__isnull=True).count() == 2


def test_assignment_lists_hold_exactly_each_users_assignments(client, in_review):
    s = in_review
    expected = {"alice": [], "bob": [], "rita": [s.rita_a.pk, s.rita_b.pk], "uma": [], "cora": [],
                "organizer": [s.rita_a.pk, s.remy_a.pk, s.rita_b.pk]}
    for who, ids in expected.items():
        client.force_login(_users(s)[who])
        assert sorted(a["id"] for a in client.get("/api/reviews/assignments/").json()) == sorted(ids), who


def test_before_the_release_the_owner_reads_no_review(client, in_review):
    client.force_login(in_review.alice)
    page = client.get(f"/submissions/{in_review.a.pk}/").content.decode()
    assert 'id="review-feedback"' not in page
    assert "A striking task." not in page


def test_after_the_release_the_owner_reads_the_reviews_and_the_award_anonymously(client, released):
    client.force_login(released.alice)
    page = client.get(f"/submissions/{released.a.pk}/").content.decode()
    assert 'id="review-feedback"' in page
    for text in ("Reviewer 1", "Reviewer 2", "Surprising.", "A striking task.",
                 "your task wins a <strong>second prize</strong> of $20,000", "Against Malaria Foundation"):
        assert text in page
    for confidential in ("Award it.", "Second prize at least."):
        assert confidential not in page
    client.force_login(released.bob)
    page = client.get(f"/submissions/{released.b.pk}/").content.decode()
    assert "Solid work." in page and "Surprising." not in page


@pytest.mark.parametrize(("url", "form"), [
    ("/reviews/contests/isp/reviewers/", {"reviewer": "rev_uma_x4"}),
    ("/reviews/contests/isp/assign/", {"submission": "{b}", "reviewer": "rev_uma_x4"}),
    ("/reviews/contests/isp/conflicts/", {"reviewer": "rev_uma_x4", "domain": "example.edu"}),
    ("/reviews/contests/isp/rounds/1/auto-assign/", {}),
    ("/reviews/contests/isp/rounds/1/awards/confirm/", {}),
    ("/reviews/contests/isp/rounds/1/release/", {}),
    ("/reviews/assignments/{rita_a}/remove/", {"reason": "x"}),
])
def test_organizer_actions_refuse_everyone_else_and_change_nothing(client, in_review, url, form):
    s = in_review
    before = (Assignment.objects.filter(removed_at__isnull=True).count(), s.round.feedback_released_at,
              s.contest.reviewers.count())
    ids = _ids(s)
    for who in ("alice", "rita", "uma", "cora"):
        client.force_login(_users(s)[who])
        response = client.post(url.format(**ids), {k: v.format(**ids) for k, v in form.items()})
        assert response.status_code == 403, who
    s.round.refresh_from_db()
    assert (Assignment.objects.filter(removed_at__isnull=True).count(), s.round.feedback_released_at,
            s.contest.reviewers.count()) == before


def test_a_reviewer_cannot_act_on_someone_elses_assignment(client, in_review):
    s = in_review
    client.force_login(s.uma)
    assert client.post(f"/reviews/assignments/{s.rita_a.pk}/conflict/").status_code == 404
    assert client.post(f"/reviews/assignments/{s.rita_a.pk}/", {"action": "submit"}).status_code == 404
    s.rita_a.refresh_from_db()
    assert s.rita_a.removed_at is None


def test_no_email_crosses_the_blind(scene, mailoutbox, django_capture_on_commit_callbacks, client):
    s = scene
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(submission=s.b, reviewer=s.uma, by=s.organizer)
        services.auto_assign(round=s.round, by=s.organizer)
        for assignment in Assignment.objects.filter(removed_at__isnull=True).select_related("reviewer"):
            submit(assignment, assignment.reviewer, each("accepted"), to_authors="Fine.")
        outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
        outcome.release_feedback(round=s.round, by=s.organizer)
        outcome.announce_awards(round=s.round, by=s.organizer)
    reviewers = {u.email for u in (s.rita, s.remy, s.cora, s.uma)}
    to_reviewers = [m for m in mailoutbox if set(m.to) <= reviewers]
    to_contestants = [m for m in mailoutbox if not set(m.to) & reviewers]
    # uma: b by hand, then a automatically; cora: b automatically (a is across her conflict)
    assert sorted((m.to, m.subject) for m in to_reviewers) == [
        (["cora@analytical-engines.org"], "Inverse Scaling Prize: 1 new submission to review"),
        (["uma@reviewers-four.test"], "Inverse Scaling Prize: 1 new submission to review"),
        (["uma@reviewers-four.test"], "Inverse Scaling Prize: 1 new submission to review")]
    assert len(to_contestants) == 4  # 2 releases, 2 awards
    assert len(to_reviewers) + len(to_contestants) == len(mailoutbox)
    for mail in to_reviewers:
        text = (mail.subject + mail.body).lower()
        assert not [x for x in s.secrets_of_a + s.secrets_of_b if x.lower() in text]
    for mail in to_contestants:
        text = (mail.subject + mail.body).lower()
        assert not [u for u in s.reviewer_usernames if u.lower() in text]


# --- the evaluation's results ------------------------------------------------------------------------------

PRIVATE_NAMES = ("held-out", "held-1", "held-2")

# (url template, statuses in USERS' order, who reads the private series there)
RESULT_GETS = [
    ("/reviews/assignments/{rita_a}/", ASSIGNED_ONLY, {"rita", "organizer"}),
    ("/api/reviews/assignments/{rita_a}/", (401, 404, 404, 200, 404, 404, 200), {"rita", "organizer"}),
    ("/api/reviews/assignments/", (401, 200, 200, 200, 200, 200, 200), {"rita", "organizer"}),
    ("/reviews/assignments/{remy_a}/", (302, 404, 404, 404, 404, 404, 200), {"organizer"}),
    ("/reviews/assignments/{cora_a}/", (302, 404, 404, 404, 404, 404, 404), set()),
    ("/api/reviews/assignments/{cora_a}/", (401, 404, 404, 404, 404, 404, 404), set()),
    ("/submissions/{a}/", (302, 200, 404, 404, 404, 404, 200), {"organizer"}),
    ("/api/submissions/{a}/results/", (401, 200, 404, 404, 404, 404, 200), {"organizer"}),
    # One model's per-example results on task a's PART1 (the file name holds the model's name).
    ("/submissions/{a}/results/{sha}/tiny-1.csv", (302, 200, 404, 404, 404, 404, 200), set()),
    ("/api/submissions/{a}/results/{sha}/tiny-1.csv", (401, 200, 404, 404, 404, 404, 200), set()),
    ("/submissions/{a}/results/{sha}/held-1.csv", (302, 404, 404, 404, 404, 404, 200), {"organizer"}),
    ("/api/submissions/{a}/results/{sha}/held-1.csv", (401, 404, 404, 404, 404, 404, 200), {"organizer"}),
]


def _private_readers(client, scene, url_template: str, statuses) -> set[str]:
    """Check the statuses and the blind for every user; return who read a private series' name."""
    url = url_template.format(**_ids(scene))
    readers = set()
    for who, expected in zip(USERS, statuses):
        client.logout()
        if _users(scene)[who] is not None:
            client.force_login(_users(scene)[who])
        response = client.get(url)
        assert response.status_code == expected, f"{who} GET {url}: {response.status_code}"
        text = _body(response)
        _assert_private(scene, who, url, text)
        if any(name in text.replace(url, "") for name in PRIVATE_NAMES):  # a login redirect repeats the url
            readers.add(who)
    return readers


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded_rubric")
def test_results_reach_the_assigned_reviewers_on_every_series_and_the_owner_after_the_release(evaluated, client):
    s = evaluated
    give_cora_an_assignment_her_conflict_removes(s)
    client.force_login(s.alice)
    assert client.get(f"/api/submissions/{s.a.pk}/results/{_ids(s)['sha']}/tiny-1.csv").content.decode().startswith(
        "line,")  # a real per-example CSV
    for url, statuses, readers in RESULT_GETS:
        assert _private_readers(client, s, url, statuses) == readers, url
    client.force_login(s.rita)
    private = client.get(f"/api/reviews/assignments/{s.rita_a.pk}/").json()["results"]["files"][0]["series"][1]
    assert (private["series"], private["visibility"], [(m["model"], m["n"]) for m in private["models"]]) == (
        "held-out", "private", [("held-1", 150), ("held-2", 150)])

    # A conflict removes the assignment, and the results with it (organizers see the removed one on the
    # submission's review page).
    services.declare_conflict(reviewer=s.rita, by=s.rita, submission=s.a, reason="A former colleague.")
    assert _private_readers(client, s, "/reviews/assignments/{rita_a}/", (302, 404, 404, 404, 404, 404, 404)) == set()
    assert _private_readers(client, s, "/api/reviews/assignments/{rita_a}/", (401, 404, 404, 404, 404, 404, 404)) == set()
    client.force_login(s.rita)
    assert [a["id"] for a in client.get("/api/reviews/assignments/").json()] == [s.rita_b.pk]

    s.round.feedback_released_at = timezone.now() - timedelta(minutes=1)
    s.round.save()
    for url, statuses in (("/submissions/{a}/", (302, 200, 404, 404, 404, 404, 200)),
                          ("/api/submissions/{a}/results/", (401, 200, 404, 404, 404, 404, 200)),
                          ("/submissions/{a}/results/{sha}/held-1.csv", (302, 200, 404, 404, 404, 404, 200)),
                          ("/api/submissions/{a}/results/{sha}/held-1.csv", (401, 200, 404, 404, 404, 404, 200))):
        assert _private_readers(client, s, url, statuses) == {"alice", "organizer"}, url


# --- the human validation of labels --------------------------------------------------------------------------------

V_USERS = ("anonymous", "alice", "bob", "rita", "uma", "vera", "cora", "organizer")
VALIDATORS = ("uma", "vera")  # uma: a reviewer account named validator of a; vera: a validator account

# (url template, statuses in V_USERS' order). {validation}: the validation of a; {uma_seat}, {vera_seat}: their places.
VALIDATION_GETS = [
    ("/reviews/validate/", (302, 403, 403, 200, 200, 200, 200, 403)),
    ("/reviews/validate/{uma_seat}/", (302, 404, 404, 404, 200, 404, 404, 404)),
    ("/reviews/validate/{vera_seat}/", (302, 404, 404, 404, 404, 200, 404, 404)),
    ("/reviews/validations/{validation}/", (302, 403, 403, 403, 403, 403, 403, 200)),
    ("/reviews/contests/isp/validation/", (302, 403, 403, 403, 403, 403, 403, 200)),
    ("/reviews/assignments/{rita_a}/", (302, 404, 404, 200, 404, 404, 404, 200)),  # a's reviewer reads the agreement
    ("/reviews/submissions/{a}/", (302, 403, 403, 403, 403, 403, 403, 200)),
    ("/submissions/{a}/", (302, 200, 404, 404, 404, 404, 404, 200)),
    ("/api/submissions/{a}/", (401, 200, 404, 404, 404, 404, 404, 200)),
]


def _validating(scene) -> None:
    """a's labels validated on 4 examples by uma (a reviewer not assigned to a) and vera (a validator account):
    each answered two, uma's first against the label, vera's second skipped."""
    from reviews import validation
    from tests import factories

    scene.vera = factories.validator(username="val_vera_v5", email="vera@validators.test")
    scene.validation = validation.start_validation(submission=scene.a, by=scene.organizer,
                                                   settings=validation.Settings(sample_size=4))
    scene.uma_seat, scene.vera_seat = validation.name_validators(validation=scene.validation,
                                                                 users=[scene.uma, scene.vera], by=scene.organizer)
    for seat in (scene.uma_seat, scene.vera_seat):
        for i, pending in enumerate(seat.answers.order_by("example__position")[:2]):
            if seat is scene.vera_seat and i == 1:
                validation.answer(seat=seat, user=seat.user, answer_id=pending.pk, skip_reason="ambiguous")
            else:
                wrong = seat is scene.uma_seat and i == 0
                validation.answer(seat=seat, user=seat.user, answer_id=pending.pk,
                                  choice=1 - pending.example.label if wrong else pending.example.label)


def _check_validation(client, scene, url_template: str, statuses) -> None:
    ids = {**_ids(scene), "validation": scene.validation.pk, "uma_seat": scene.uma_seat.pk,
           "vera_seat": scene.vera_seat.pk}
    users = {**_users(scene), "vera": scene.vera}
    url = url_template.format(**ids)
    validator_names = {"uma": scene.uma.username, "vera": scene.vera.username}
    for who, expected in zip(V_USERS, statuses):
        client.logout()
        if users[who] is not None:
            client.force_login(users[who])
        response = client.get(url)
        assert response.status_code == expected, f"{who} GET {url}: {response.status_code}"
        text = _body(response)
        lowered = text.lower()
        if who == "vera":  # a validator reads no author, reviewer or other validator
            for secret in scene.secrets_of_a + scene.secrets_of_b + scene.reviewer_usernames:
                assert secret.lower() not in lowered, f"vera read {secret!r} at {url}"
        if who in VALIDATORS:
            other = validator_names["vera" if who == "uma" else "uma"]
            assert other.lower() not in lowered, f"{who} read the validator {other!r} at {url}"
            assert "(label)" not in text and "✓" not in text, f"{who} read a label at {url}"
        else:
            _assert_private(scene, who, url, text)
        if who in CONTESTANTS:
            for hidden in (*validator_names.values(), "Validator 1", "Validator 2", "validation of the labels"):
                assert hidden.lower() not in lowered, f"{who} read {hidden!r} at {url}"
        if who == "rita" and "/assignments/" in url:  # a's reviewer: validators numbered, never named
            assert "Validator 1: " in text and not {n for n in validator_names.values() if n.lower() in lowered}


@pytest.mark.parametrize(("url", "statuses"), VALIDATION_GETS, ids=[u for u, _ in VALIDATION_GETS])
def test_validation_during_review(client, in_review, url, statuses):
    _validating(in_review)
    _check_validation(client, in_review, url, statuses)


@pytest.mark.parametrize(("url", "statuses"), VALIDATION_GETS, ids=[u for u, _ in VALIDATION_GETS])
def test_validation_after_release_and_announcement(client, released, url, statuses):
    _validating(released)
    _check_validation(client, released, url, statuses)


def test_a_validator_account_is_refused_the_review_side_as_a_contestant_without_a_submission_is(client, in_review):
    """vera answers as bob (who owns b, not a) does on every review URL about a and the panel."""
    _validating(in_review)
    client.force_login(in_review.vera)
    bob = USERS.index("bob")
    for template, statuses in GETS:
        url = template.format(**_ids(in_review))
        if "{b}" in template:
            continue
        response = client.get(url)
        assert response.status_code == statuses[bob], url
        text = _body(response).lower()
        assert not [s for s in in_review.secrets_of_a + in_review.reviewer_usernames if s.lower() in text], url
