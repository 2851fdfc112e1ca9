"""The review side's REST endpoints: their contracts, statuses and messages (token auth, real database)."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from reviews.models import Assignment
from tests.reviews.conftest import each, submit

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_an_organizer_assigns_through_the_api(scene):
    client = api(scene.organizer)
    created = client.post(f"/api/submissions/{scene.b.pk}/assignments/", {"reviewer": "rev_uma_x4"}, format="json")
    assert created.status_code == 201
    assignment = Assignment.objects.get(pk=created.json()["id"])
    assert created.json() == {"id": assignment.pk, "submission": scene.b.pk, "reviewer": "rev_uma_x4", "number": 2,
                              "due_at": None}
    conflicted = client.post(f"/api/submissions/{scene.a.pk}/assignments/", {"reviewer": "rev_cora_x3"}, format="json")
    assert conflicted.status_code == 409
    assert conflicted.json() == {"detail": "No assignment across a conflict of interest: rev_cora_x3's email domain "
                                           "analytical-engines.org matches an author's "
                                           "(ada.lovelace@analytical-engines.org)."}
    not_reviewer = client.post(f"/api/submissions/{scene.a.pk}/assignments/", {"reviewer": "owner_bob_q8"},
                               format="json")
    assert (not_reviewer.status_code, not_reviewer.json()) == (400, {"detail": "owner_bob_q8 is not a reviewer."})
    unknown = client.post(f"/api/submissions/{scene.a.pk}/assignments/", {"reviewer": "nobody"}, format="json")
    assert (unknown.status_code, unknown.json()) == (400, {"detail": "No account is named nobody."})
    assert client.post("/api/submissions/999999/assignments/", {"reviewer": "rev_uma_x4"},
                       format="json").status_code == 404


def test_a_reviewer_lists_their_assignments_anonymised(scene):
    body = api(scene.rita).get("/api/reviews/assignments/").json()
    assert [a["id"] for a in body] == [scene.rita_a.pk, scene.rita_b.pk]
    first = body[0]
    assert {k: first[k] for k in ("contest", "round", "reviewer", "due_at", "review_deadline", "reviews_open")} == {
        "contest": "isp", "round": 1, "reviewer": "Reviewer 1 (you)", "due_at": None, "review_deadline": None,
        "reviews_open": True}
    submission = first["submission"]
    assert (submission["label"], submission["task_name"], submission["metric"]) == (
        "Submission 1", None, "classification")
    assert [(f["name"], f["kind"], f["index"], f["rows"]) for f in submission["files"]] == [
        ("task-PART1.csv", "part", 1, 150), ("task-PART2.csv", "part", 2, 150), ("task-CONTROL1.csv", "control", 1, 20)]
    assert submission["description"]["why_it_matters"] == "Asked on the forum by [redacted]."
    assert sorted(submission["description"]) == ["correct_behaviour", "data_generation", "persists_few_shot",
                                                 "persists_finetuning", "persists_rlhf", "what_it_tests",
                                                 "why_it_matters"]
    assert submission["download"] == f"/reviews/assignments/{scene.rita_a.pk}/task.zip"
    assert first["reviews"] == [{"reviewer": "Reviewer 1 (you)", "own": True, "status": "draft", "submitted_at": None,
                                 "levels": {}, "to_authors": "", "to_organizers": ""}]


def test_a_reviewer_drafts_then_submits_and_then_reads_the_other_reviews(scene):
    submit(scene.remy_a, scene.remy, each("accepted"), to_authors="Good.", to_organizers="Private.")
    client = api(scene.rita)
    url = f"/api/reviews/assignments/{scene.rita_a.pk}/review/"
    draft = client.put(url, {"levels": {"novelty": "grand"}, "to_authors": "So far.", "submit": False}, format="json")
    assert draft.status_code == 200
    assert [(r["reviewer"], r["status"]) for r in draft.json()["reviews"]] == [("Reviewer 1 (you)", "draft")]
    incomplete = client.put(url, {"levels": {"novelty": "grand"}, "submit": True}, format="json")
    assert (incomplete.status_code, incomplete.json()["detail"]) == (
        400, "Rate every criterion before submitting; missing: strength, generality, importance, coverage, "
             "reproducibility.")
    done = client.put(url, {"levels": each("grand"), "to_authors": "Great.", "submit": True}, format="json")
    assert done.status_code == 200
    assert [(r["reviewer"], r["status"], r["to_authors"], r["to_organizers"]) for r in done.json()["reviews"]] == [
        ("Reviewer 1 (you)", "submitted", "Great.", ""), ("Reviewer 2", "submitted", "Good.", None)]
    bad = client.put(url, {"levels": {"novelty": "superb"}, "submit": True}, format="json")
    assert (bad.status_code, bad.json()["detail"]) == (400, "Choose a level (no_prize, accepted, grand) for novelty.")
    missing_flag = client.put(url, {"levels": each("grand")}, format="json")
    assert missing_flag.status_code == 400
    assert missing_flag.json() == {"submit": ["This field is required."]}


def test_the_rubric_and_the_awards_proposal(scene):
    rubric = api(scene.uma).get("/api/reviews/rubric/").json()
    assert [c["key"] for c in rubric] == ["strength", "generality", "importance", "novelty", "coverage",
                                          "reproducibility"]
    assert rubric[2]["levels"] == [{"level": "no_prize", "description": "weak"},
                                   {"level": "accepted", "description": "fairly convincing"},
                                   {"level": "grand", "description": "very convincing"}]
    submit(scene.rita_a, scene.rita, each("grand"))
    submit(scene.remy_a, scene.remy, each("grand"))
    submit(scene.rita_b, scene.rita, each("accepted"))
    body = api(scene.organizer).get("/api/contests/isp/awards/").json()
    [round1] = body["rounds"]
    assert (body["contest"], round1["round"], round1["caps"], round1["error"]) == (
        "isp", 1, {"grand": 0, "second": 2, "third": 5}, None)
    assert round1["proposal"] == {str(scene.a.pk): "second", str(scene.b.pk): "third"}
    assert [(c["task_name"], c["reviews"], c["eligible_tier"], c["grand_count"], c["rank_score_exact"],
             c["proposed_tier"], c["award"]) for c in round1["candidates"]] == [
        ("syllogism-test", 2, "grand", 6, "1/2", "second", None), ("negation-task", 1, "third", 0, "1/2", "third", None)]
    assert api(scene.rita).get("/api/contests/isp/awards/").json() == {
        "detail": "Only organizers may use this endpoint."}
    assert api(scene.organizer).get("/api/contests/nope/awards/").status_code == 404


def test_the_schema_names_the_review_endpoints(scene):
    paths = set(api(scene.organizer).get("/api/schema/?format=json").json()["paths"])
    assert {"/api/submissions/{id}/assignments/", "/api/reviews/assignments/", "/api/reviews/assignments/{id}/",
            "/api/reviews/assignments/{id}/review/", "/api/contests/{slug}/awards/", "/api/reviews/rubric/"} <= paths
