"""The submission API: create, edit and read a submission as the pages do, with the same rules, the
same refusals and the same visibility; its evaluation status from a real Celery worker."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation.registry import ModelEntry, SeriesEntry
from evaluation.services import register_series
from portal.deadlines import format_aoe
from portal.models import Profile, Submission, SubmissionVersion
from tests import datasets, factories
from tests.api.conftest import token_client
from tests.engine.tiny_models import save
from tests.evaluation.conftest import WINDOW

AUTHORS = [{"name": "Ada Lovelace", "email": "ada@example.org", "affiliation": "Analytical Engines"},
           {"name": "Charles Babbage", "email": "charles@example.org", "affiliation": ""}]
FIELDS = {
    "task_name": "syllogism-test", "metric": "classification", "shot_setting": "zero-shot",
    "what_it_tests": "Whether models judge syllogisms by logic rather than by belief.",
    "correct_behaviour": "Answer Yes exactly when the conclusion follows.",
    "why_it_matters": "Models that reason by plausibility mislead their users.",
    "data_generation": "Templates over noun triples.",
    "dataset_sources": "https://example.org/nouns", "persists_few_shot": "Yes, with 1 to 3 examples.",
    "authors": json.dumps(AUTHORS),
}
FEW_EXAMPLES = {"file": None, "line": None, "column": None,
                "message": "The task has 300 examples; aim for about 1000 so that the scaling trend is measured precisely."}
NOTES_UNUSED = {"file": "syllogism-test.csv", "line": 1, "column": "notes",
                "message": "The column 'notes' is not used by the classification metric and will be ignored; "
                           "remove it unless you need it."}


def task_zip(*, seed: int = 0, notes: bool = False, bad_answer: bool = False) -> bytes:
    rows = datasets.syllogism_classification_rows(n=300, seed=seed)
    if notes:
        rows = [{**row, "notes": "kept by the author"} for row in rows]
    if bad_answer:
        rows[4]["answer_index"] = 7
    return datasets.make_zip({"syllogism-test.csv": datasets.to_csv_bytes(rows)})


def upload(zip_bytes: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("task.zip", zip_bytes, content_type="application/zip")


def create(client: APIClient, contest, zip_bytes: bytes | None = None, **fields):
    body = {**FIELDS, **fields}
    if zip_bytes is not None:
        body["zip_file"] = upload(zip_bytes)
    return client.post(f"/api/contests/{contest.slug}/submissions/", body, format="multipart")


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.django_db
def test_a_valid_upload_makes_version_1_and_answers_its_id_and_warnings(contest, ada_api):
    response = create(ada_api, contest, task_zip(notes=True))

    submission = Submission.objects.get()
    assert response.status_code == 201
    assert response.json() == {"id": submission.pk, "version": 1, "warnings": [NOTES_UNUSED, FEW_EXAMPLES]}
    assert response["Location"] == f"/api/submissions/{submission.pk}/"
    version = submission.current_version
    assert (submission.owner.username, version.number, version.what_it_tests, version.persists_few_shot) == (
        "ada", 1, FIELDS["what_it_tests"], "Yes, with 1 to 3 examples.")
    assert [(a.order, a.name, a.email, a.affiliation) for a in version.authors.all()] == [
        (1, "Ada Lovelace", "ada@example.org", "Analytical Engines"), (2, "Charles Babbage", "charles@example.org", "")]
    assert version.zip_file.read() == task_zip(notes=True)


@pytest.mark.django_db
def test_an_invalid_upload_answers_400_with_the_items_validate_submission_prints(contest, ada_api, tmp_path, capsys):
    zip_bytes = task_zip(seed=1, bad_answer=True)
    response = create(ada_api, contest, zip_bytes)

    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"file": "syllogism-test.csv", "line": 46, "column": "answer_index",
                    "message": "Example 5: answer_index is 7 but classes has 2 classes (positions 0 to 1); give the position "
                               "of the correct class, counting from 0."}],
        "warnings": [FEW_EXAMPLES]}
    path = tmp_path / "task.zip"
    path.write_bytes(zip_bytes)
    with pytest.raises(SystemExit):
        call_command("validate_submission", str(path), "--metric", "classification", "--task-name",
                     "syllogism-test", "--json", "--author-name", "Ada Lovelace", "--author-email", "ada@example.org",
                     "--author-name", "Charles Babbage", "--author-email", "charles@example.org")
    printed = json.loads(capsys.readouterr().out)
    assert {"errors": printed["errors"], "warnings": printed["warnings"]} == response.json()
    assert (Submission.objects.count(), SubmissionVersion.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_field_errors_name_the_field_and_say_what_to_fix(contest, ada_api):
    response = create(ada_api, contest, task_zip(), task_name="", metric="accuracy", authors='[{"name": "Ada"')
    assert response.status_code == 400
    assert response.json() == {"errors": [
        {"field": "task_name", "message": "This field may not be blank."},
        {"field": "metric", "message": '"accuracy" is not a valid metric; use one of: classification, '
                                       'sequence_prob, logodds, absolute_logodds.'},
        {"field": "authors", "message": 'Send the authors as a JSON list of {"name", "email", "affiliation"} '
                                        "objects; this is not JSON (Expecting ',' delimiter: line 1 column 16 (char 15))."},
    ], "warnings": []}

    bad_authors = json.dumps([{"name": "Ada", "email": "ada(at)example.org"}, {"name": "Bea", "email": "b@example.org"},
                              {"name": "Bea", "email": "B@example.org"}])
    response = create(ada_api, contest, None, task_name="two words", authors=bad_authors)
    assert response.json() == {"errors": [
        {"field": "task_name",
         "message": "Use only letters, digits, '-' and '_' in the task name (no spaces or other characters)."},
        {"field": "authors", "message": "author 1, email: Enter a valid email address."},
        {"field": "zip_file", "message": "No file was submitted."},
    ], "warnings": []}
    response = create(ada_api, contest, task_zip(), authors=json.dumps([AUTHORS[0], {**AUTHORS[1], "email": "ADA@example.org"}]))
    assert response.json()["errors"] == [
        {"field": "authors", "message": "Each author must have a different email address."}]
    response = create(ada_api, contest, task_zip(), authors="[]")
    assert response.json()["errors"] == [{"field": "authors", "message": "Name at least one author (name and email)."}]
    response = create(ada_api, contest, task_zip(), authors='{"name": "Ada"}')
    assert response.json()["errors"] == [{"field": "authors", "message": 'Send the authors as a JSON list of '
                                                                         '{"name", "email", "affiliation"} objects.'}]
    assert Submission.objects.count() == 0


@pytest.mark.django_db
def test_refusals_answer_the_status_and_message_of_the_pages(contest, ada, ada_api):
    reviewer = token_client(factories.reviewer(username="rita"))
    response = create(reviewer, contest, task_zip())
    assert (response.status_code, response.json()) == (403, {"detail": (
        "Reviewers may not submit tasks (the contest rules forbid it). "
        "Sign up with a separate contestant account if you are not reviewing.")})

    Profile.objects.filter(user=ada).update(email_confirmed=False)
    response = create(ada_api, contest, task_zip())
    assert (response.status_code, response.json()) == (403, {"detail": (
        "Confirm your email address before submitting: follow the link we sent to ada@example.org. "
        "No email? Send yourself a new link from the confirmation page.")})
    Profile.objects.filter(user=ada).update(email_confirmed=True)

    closed = factories.RoundFactory(opens_at=timezone.now() - timedelta(days=9),
                                    closes_at=timezone.now() - timedelta(days=2)).contest
    response = create(ada_api, closed, task_zip())
    assert (response.status_code, response.json()) == (400, {"detail": (
        f"{closed.name} is not accepting submissions now: no round is open. No further round is scheduled.")})

    assert create(ada_api, contest, task_zip()).status_code == 201
    other = token_client(factories.contestant(username="bob"))
    response = create(other, contest, task_zip(), task_name="Syllogism-Test")
    assert (response.status_code, response.json()) == (400, {"errors": [{"field": "task_name", "message": (
        "The task name 'Syllogism-Test' is already used in this contest; choose another name "
        "(and rename the CSV files to match).")}], "warnings": []})
    response = other.post("/api/contests/nowhere/submissions/", {**FIELDS, "zip_file": upload(task_zip())},
                          format="multipart")
    assert (response.status_code, response.json()) == (404, {"detail": "No Contest matches the given query."})


@pytest.mark.django_db
def test_anonymous_clients_are_asked_to_authenticate(contest, ada_api):
    submission_id = create(ada_api, contest, task_zip()).json()["id"]
    anonymous = APIClient()
    for response in (create(anonymous, contest, task_zip(seed=2), task_name="other"),
                     anonymous.get(f"/api/submissions/{submission_id}/"),
                     anonymous.post(f"/api/submissions/{submission_id}/versions/", FIELDS, format="multipart")):
        assert (response.status_code, response.json()) == (401, {"detail": "Authentication credentials were not provided."})
        assert response["WWW-Authenticate"] == "Token"
    assert SubmissionVersion.objects.count() == 1


@pytest.mark.django_db
def test_another_contestant_and_a_reviewer_cannot_tell_a_submission_exists(contest, ada_api):
    submission_id = create(ada_api, contest, task_zip()).json()["id"]
    not_found = (404, {"detail": "No Submission matches the given query."})
    for user in (factories.contestant(username="bob"), factories.reviewer(username="rita")):
        client = token_client(user)
        for response in (client.get(f"/api/submissions/{submission_id}/"),
                         client.get(f"/api/submissions/{submission_id}/results/"),
                         client.post(f"/api/submissions/{submission_id}/versions/",
                                     {**FIELDS, "what_it_tests": "Changed by someone else."}, format="multipart")):
            assert (response.status_code, response.json()) == not_found
    organizer = token_client(factories.organizer(username="olga"))
    assert organizer.get(f"/api/submissions/{submission_id}/").json()["owner"] == "ada"
    response = organizer.post(f"/api/submissions/{submission_id}/versions/", FIELDS, format="multipart")
    assert (response.status_code, response.json()) == (403, {"detail": "Only the contestant who created a submission can edit it."})
    assert SubmissionVersion.objects.count() == 1


@pytest.mark.django_db
def test_an_edit_without_a_zip_keeps_the_files_and_with_one_replaces_them(contest, ada_api):
    submission_id = create(ada_api, contest, task_zip()).json()["id"]
    url = f"/api/submissions/{submission_id}/versions/"

    kept = ada_api.post(url, {**FIELDS, "why_it_matters": "It misleads users."}, format="multipart")
    assert (kept.status_code, kept.json()) == (201, {"id": submission_id, "version": 2, "warnings": [FEW_EXAMPLES]})
    new_zip = task_zip(seed=3, notes=True)  # built once: a zip records the time it was built
    replaced = ada_api.post(url, {**FIELDS, "zip_file": upload(new_zip)}, format="multipart")
    assert (replaced.status_code, replaced.json()) == (
        201, {"id": submission_id, "version": 3, "warnings": [NOTES_UNUSED, FEW_EXAMPLES]})
    as_json = ada_api.post(url, {**FIELDS, "authors": AUTHORS[:1], "data_generation": "By hand."}, format="json")
    assert (as_json.status_code, as_json.json()["version"]) == (201, 4)

    versions = {v.number: v for v in SubmissionVersion.objects.filter(submission_id=submission_id)}
    assert versions[2].why_it_matters == "It misleads users."
    assert versions[2].zip_sha256 == versions[1].zip_sha256
    assert versions[3].zip_sha256 != versions[1].zip_sha256
    assert versions[3].zip_file.read() == new_zip
    download = ada_api.get(f"/api/submissions/{submission_id}/versions/3/download/")
    assert (download.status_code, download["Content-Type"]) == (200, "application/zip")
    assert b"".join(download.streaming_content) == new_zip
    assert (versions[4].zip_sha256, versions[4].data_generation) == (versions[3].zip_sha256, "By hand.")
    assert [a.name for a in versions[4].authors.all()] == ["Ada Lovelace"]

    rejected = ada_api.post(url, {**FIELDS, "zip_file": upload(task_zip(seed=1, bad_answer=True))}, format="multipart")
    assert rejected.status_code == 400
    assert [e["line"] for e in rejected.json()["errors"]] == [46]
    assert Submission.objects.get().current_version.number == 4


@pytest.mark.django_db
def test_an_edit_after_the_deadline_is_refused_as_on_the_edit_page(contest, ada_api):
    submission_id = create(ada_api, contest, task_zip()).json()["id"]
    round = contest.rounds.get()
    round.opens_at, round.closes_at = timezone.now() - timedelta(days=9), timezone.now() - timedelta(days=1)
    round.save()
    response = ada_api.post(f"/api/submissions/{submission_id}/versions/", FIELDS, format="multipart")
    assert (response.status_code, response.json()) == (403, {"detail": (
        f"Round 1 closed on {format_aoe(round.closes_at)}; edits are no longer accepted. "
        "Ask the organizers to reopen the submission if you need to change it.")})


@pytest.mark.django_db
def test_the_detail_has_the_fields_authors_current_version_and_a_queued_evaluation(contest, ada_api):
    """With no series registered, no model runs: the evaluation says queued, 0 of 0 examples."""
    submission_id = create(ada_api, contest, task_zip(notes=True)).json()["id"]
    ada_api.post(f"/api/submissions/{submission_id}/versions/", {**FIELDS, "has_control_data": "false",
                                                                 "generation_code_url": "https://example.org/gen"},
                 format="multipart")
    submission = Submission.objects.get()
    version = submission.current_version

    body = ada_api.get(f"/api/submissions/{submission_id}/").json()
    assert body == {
        "id": submission_id, "contest": contest.slug, "round": 1, "owner": "ada",
        "created_at": iso(submission.created_at), "updated_at": iso(submission.updated_at), "edits_open": True,
        **{k: v for k, v in FIELDS.items() if k != "authors"},
        "generation_code_url": "https://example.org/gen", "has_control_data": False,
        "persists_finetuning": "", "persists_rlhf": "",
        "authors": AUTHORS,
        "version": {"number": 2, "created_at": iso(version.created_at), "files": version.files,
                    "warnings": [NOTES_UNUSED, FEW_EXAMPLES],
                    "download": f"http://testserver/api/submissions/{submission_id}/versions/2/download/"},
        "evaluation": {"status": "queued", "done": 0, "total": 0}, "evaluation_runs": [],
    }
    assert [f["name"] for f in body["version"]["files"]] == ["syllogism-test.csv"]
    assert list(body["version"]["files"][0]) == ["name", "kind", "index", "rows", "columns", "sha256"]


@pytest.fixture(scope="session")
def one_tiny_model(tmp_path_factory):
    return save("gpt2", "xs", tmp_path_factory.mktemp("api-tiny") / "tiny-1", window=WINDOW, seed=0)


def poll(client: APIClient, url: str, *, until: str, timeout: float = 120.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(url).json()
        if body["evaluation"]["status"] == until:
            return body
        time.sleep(0.2)
    raise AssertionError(f"the evaluation did not reach {until!r}: {body['evaluation']}")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_detail_reports_the_evaluation_a_worker_finishes(contest_tx, one_tiny_model, worker):
    register_series(entries=[SeriesEntry(name="tiny", visibility="public", x_axis="params", models=(
        ModelEntry(name="tiny-1", spec=str(one_tiny_model), params=1_000_000, flops=None, queue="cpu"),))])
    client = token_client(factories.contestant(username="ada"))
    submission_id = create(client, contest_tx, task_zip()).json()["id"]

    body = poll(client, f"/api/submissions/{submission_id}/", until="done")
    assert body["evaluation"] == {"status": "done", "done": 300, "total": 300}
    assert body["evaluation_runs"] == [{"series": "tiny", "model": "tiny-1", "status": "done", "phase": "", "done": 300,
                                        "total": 300, "message": "", "file_errors": []}]
    results = client.get(f"/api/submissions/{submission_id}/results/").json()
    [series] = results["files"][0]["series"]
    assert (series["series"], [(m["model"], m["params"], m["n"]) for m in series["models"]]) == (
        "tiny", [("tiny-1", 1_000_000, 300)])
    sha = results["files"][0]["sha256"]
    assert series["models"][0]["csv"] == f"http://testserver/api/submissions/{submission_id}/results/{sha}/tiny-1.csv"
    rows = client.get(series["models"][0]["csv"]).content.decode().splitlines()  # with the token
    assert (rows[0], len(rows)) == ("line,value,correct,predicted,total_logprob", 301)
    assert APIClient().get(series["models"][0]["csv"]).status_code == 401


@pytest.mark.django_db
def test_the_schema_documents_the_submission_endpoints():
    schema = APIClient().get("/api/schema/?format=json").json()
    assert {"/api/contests/{slug}/submissions/", "/api/submissions/{id}/", "/api/submissions/{id}/versions/",
            "/api/submissions/{id}/versions/{number}/download/", "/api/submissions/{id}/results/",
            "/api/submissions/{id}/results/{sha256}/{model_name}.csv"} <= set(schema["paths"])
    components = schema["components"]["schemas"]
    request = components["SubmissionRequest"]
    assert set(request["required"]) == {"task_name", "metric", "shot_setting", "what_it_tests", "correct_behaviour",
                                        "why_it_matters", "data_generation", "authors", "zip_file"}
    assert "zip_file" not in components["EditRequest"]["required"]
    assert components["Submission"]["properties"]["evaluation"] == {"$ref": "#/components/schemas/Evaluation"}
    assert components["Evaluation"]["properties"]["status"]["allOf"] == [{"$ref": "#/components/schemas/StatusEnum"}]
    assert components["StatusEnum"]["enum"] == ["queued", "running", "done", "failed", "cancelled"]
    runs = components["Submission"]["properties"]["evaluation_runs"]
    assert runs["items"] == {"$ref": "#/components/schemas/Run"}
    assert set(components["Run"]["properties"]) == {"series", "model", "status", "phase", "done", "total", "message",
                                                    "file_errors"}
    assert set(components["Saved"]["properties"]) == {"id", "version", "warnings"}
