"""The partner API on real PostgreSQL: scope (a partner reaches the runs of its own series only), tokens
(revoked: 401), the lease (claim, beat, lost through the sweep), every refused upload (400/409, nothing
stored), the audit log, and that nothing a partner reads names the task, its owner or its authors."""

from __future__ import annotations

import json
import math
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from evaluation import lifecycle
from evaluation.models import Partner, Result, Run
from evaluation.registry import parse_series_file
from evaluation.sweep import sweep
from partners.models import PartnerToken
from partners.services import NOT_FOUND
from reviews.models import AuditEntry
from tests.evaluation.conftest import submit
from tests.partners.conftest import OWNER, TASK, task_zip

pytestmark = pytest.mark.django_db


def client_for(token: str | None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def examples(task_file) -> list[dict]:
    return [{"line": ex.line, "value": 0.25 + i / 1000, "correct": True, "predicted": ex.classes[ex.answer_index],
             "total_logprob": -0.5} for i, ex in enumerate(task_file.examples)]


def upload_body(world, files=None) -> dict:
    files = files or world.files()
    return {"files": [{"name": name, "sha256": f.sha256, "examples": examples(f)} for name, f in files.items()]}


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def stored():
    return sorted(Result.objects.values_list("model_identity", "file_sha256", "n", "mean", "updated_at"))


def test_a_partner_lists_only_the_waiting_runs_of_its_own_series(world):
    acme_run = world.run("acme-1")
    body = client_for(world.acme_token).get("/api/partner/runs/").json()
    files = world.files()
    assert body == [{"id": acme_run.pk, "model": "acme-1", "metric": "classification", "files": [
        {"name": name, "kind": f.kind, "index": f.index, "rows": f.rows, "sha256": f.sha256, "shots": 0, "source": None,
         "url": f"http://testserver/api/partner/runs/{acme_run.pk}/files/{name}"} for name, f in files.items()]}]
    assert [r["model"] for r in client_for(world.beta_token).get("/api/partner/runs/").json()] == ["beta-1"]


def test_partner_runs_are_never_sent_to_celery(world, django_capture_on_commit_callbacks):
    acme_run = world.run("acme-1")
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.send(acme_run) is False
        lifecycle.send_unsent(now=timezone.now() + timedelta(hours=2))
    acme_run.refresh_from_db()
    assert (acme_run.status, acme_run.sent_at, acme_run.task_id) == ("queued", None, "")


@pytest.mark.parametrize("method, path", [
    ("post", "claim/"), ("post", "heartbeat/"), ("get", "files/task.csv"), ("post", "results/"), ("post", "fail/")])
def test_another_partners_run_and_a_public_run_are_404(world, method, path):
    acme = client_for(world.acme_token)
    for run in (world.run("beta-1"), world.run("pub-1")):
        url = f"/api/partner/runs/{run.pk}/{path}"
        answer = acme.get(url) if method == "get" else post(acme, url, {"done": 1, "total": 2, "message": "x",
                                                                         **upload_body(world)})
        assert (answer.status_code, answer.json()) == (404, {"detail": NOT_FOUND})
    assert Run.objects.get(pk=world.run("beta-1").pk).status == "queued"
    assert Result.objects.count() == 0


def test_a_revoked_token_answers_401_and_the_new_one_works(world, capsys):
    call_command("partner_token", "Acme")
    new = capsys.readouterr().out.strip().splitlines()[-1]
    assert new.startswith("ispp_") and new != world.acme_token
    answer = client_for(world.acme_token).get("/api/partner/runs/")
    assert (answer.status_code, answer.json()) == (401, {"detail": "This token was revoked; ask the organizers for a new one."})
    assert client_for(new).get("/api/partner/runs/").status_code == 200
    assert client_for(None).get("/api/partner/runs/").status_code == 401
    assert client_for("ispp_nonsense").get("/api/partner/runs/").status_code == 401
    tokens = PartnerToken.objects.filter(partner=world.acme).order_by("created_at")
    assert [t.revoked_at is None for t in tokens] == [False, True]
    assert all(len(t.key_hash) == 64 and new not in t.key_hash and t.key_hash != new for t in tokens)  # stored hashed
    assert (tokens[1].prefix, str(tokens[1])) == (new[:8], f"{new[:8]}… (Acme)")


def test_partner_token_creates_a_new_partner(db, capsys):
    call_command("partner_token", "Gamma Labs", "--contact", "ops@gamma.example")
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("Partner Gamma Labs (created)")
    assert Partner.objects.get(name="Gamma Labs").contact == "ops@gamma.example"
    assert AuditEntry.objects.get(action="partner_token_issued").message == \
        f"Partner Gamma Labs: a new API token ({out[-1][:8]}…) was issued."


def test_a_series_file_names_its_partner(db):
    from evaluation.services import register_series

    entries = parse_series_file("series:\n  - name: delta-held\n    visibility: private\n    partner: Delta\n"
                                "    models:\n      - {name: delta-1, spec: local, params: 5}\n")
    assert register_series(entries=entries).changes == [
        "partner Delta: created (issue its token: manage.py partner_token 'Delta')", "series delta-held: created",
        "model delta-1 (delta-held): created"]
    assert Partner.objects.get(name="Delta").series.get().name == "delta-held"


def claimed(world, client=None):
    client = client or client_for(world.acme_token)
    answer = post(client, f"/api/partner/runs/{world.run('acme-1').pk}/claim/")
    assert answer.status_code == 200, answer.json()
    return answer.json()


def test_claim_beat_and_upload_store_the_results_and_finish_the_run(world):
    acme = client_for(world.acme_token)
    body = claimed(world, acme)
    run = world.run("acme-1")
    assert (body["id"], body["lease"], body["attempt"], run.status, run.total_examples) == (
        run.pk, run.task_id, 1, "running", 340)
    answer = post(acme, f"/api/partner/runs/{run.pk}/heartbeat/", {"done": 100, "total": 340})
    assert answer.json() == {"id": run.pk, "status": "running", "done": 100, "total": 340}
    answer = post(acme, f"/api/partner/runs/{run.pk}/results/", upload_body(world))
    assert answer.json() == {"id": run.pk, "status": "done", "done": 340, "total": 340}
    run.refresh_from_db()
    assert (run.status, run.model_identity, run.file_errors) == ("done", f"partner:{world.acme.pk}:acme-1", [])
    main = Result.objects.get(file_sha256=world.files()["task.csv"].sha256)
    assert (main.model_identity, main.n, main.accuracy) == (run.model_identity, 300, 1.0)
    assert main.baseline == pytest.approx(math.log(2), abs=1e-12)  # two classes per row
    assert main.mean == pytest.approx(sum(0.25 + i / 1000 for i in range(300)) / 300, abs=1e-12)
    assert main.examples["predicted"][:1] == [world.files()["task.csv"].examples[0].classes[
        world.files()["task.csv"].examples[0].answer_index]]
    actions = list(AuditEntry.objects.filter(action__startswith="partner_").order_by("pk").values_list("action", "message"))
    assert actions[-2:] == [
        ("partner_claimed", f"Partner Acme: claimed run {run.pk} on acme-1 (attempt 1)."),
        ("partner_uploaded", f"Partner Acme: uploaded the results of run {run.pk} on acme-1: 2 file(s), 340 example(s).")]
    assert AuditEntry.objects.get(action="partner_claimed").submission == world.submission


def test_a_file_the_partners_model_cannot_score_fails_the_run_with_its_reason_and_keeps_the_rest(world):
    acme = client_for(world.acme_token)
    claimed(world, acme)
    run = world.run("acme-1")
    files = world.files()
    [(scored_name, scored), (failed_name, failed)] = sorted(files.items())
    body = {"files": [{"name": scored_name, "sha256": scored.sha256, "examples": examples(scored)},
                      {"name": failed_name, "sha256": failed.sha256, "error": "a class is longer than the window"}]}
    answer = post(acme, f"/api/partner/runs/{run.pk}/results/", body)
    assert (answer.status_code, answer.json()) == (200, {"id": run.pk, "status": "failed", "done": 0, "total": 340})
    run.refresh_from_db()
    assert (run.status, run.file_errors, run.scored) == (
        "failed", [{"file": failed.name, "message": "a class is longer than the window"}],
        {scored.sha256: f"partner:{world.acme.pk}:acme-1"})
    assert sorted(Result.objects.values_list("file_sha256", flat=True)) == [scored.sha256]


def refused(client, run, body, status: int, detail: str):
    before = (stored(), Run.objects.filter(pk=run.pk).values("status", "task_id", "attempts").get())
    answer = post(client, f"/api/partner/runs/{run.pk}/results/", body)
    assert (answer.status_code, answer.json()) == (status, {"detail": detail})
    assert (stored(), Run.objects.filter(pk=run.pk).values("status", "task_id", "attempts").get()) == before


def test_every_wrong_upload_is_refused_with_what_to_fix_and_nothing_stored(world, contest):
    acme = client_for(world.acme_token)
    claimed(world, acme)
    run = world.run("acme-1")
    files = world.files()
    main = files["task.csv"]

    def with_main(rows):
        body = upload_body(world)
        body["files"][0]["examples"] = rows
        return body

    rows = examples(main)
    refused(acme, run, with_main(rows[:17] + rows[18:]), 400,
            f"Nothing was stored. task.csv: 299 example(s) for the file's 300 rows; missing line(s) {rows[17]['line']}. "
            "Give exactly one example per row.")
    refused(acme, run, with_main(rows + [{**rows[0], "line": 999}]), 400,
            "Nothing was stored. task.csv: 301 example(s) for the file's 300 rows; line(s) 999 are not rows of the "
            "file. Give exactly one example per row.")
    nan = [dict(r) for r in rows]
    nan[4]["value"] = float("nan")
    body = json.dumps(with_main(nan))  # json writes NaN, as Python's and JavaScript's encoders do
    answer = acme.post(f"/api/partner/runs/{run.pk}/results/", data=body, content_type="application/json")
    assert (answer.status_code, answer.json()) == (400, {"detail": f"Nothing was stored. task.csv, line {rows[4]['line']}: "
                                                                   f"'value' is nan; every value must be a finite number."})
    wrong = [{k: v for k, v in r.items() if k != "total_logprob"} | {"logprob": -1.0} for r in rows]
    refused(acme, run, with_main(wrong), 400,
            "Nothing was stored. " + " ".join(
                f"task.csv, example {i}: has correct, line, logprob, predicted, value; give exactly the columns "
                "line, value, correct, predicted, total_logprob." for i in range(1, 21)) + " ... and 280 more problem(s).")
    other_zip = task_zip(seed=7, task="other-task")
    other = submit(contest=contest, task_name="other-task", zip_bytes=other_zip)
    other_main = world.files(other_zip, "other-task")["task.csv"]  # the same anonymised name, another run's file
    body = upload_body(world)
    body["files"][0]["sha256"] = other_main.sha256
    refused(acme, run, body, 400, f"Nothing was stored. task.csv: sha256 {other_main.sha256[:12]}… is not that of "
                                  f"run {run.pk}'s task.csv ({main.sha256[:12]}…); upload the results of this run's file.")
    refused(acme, run, {"files": upload_body(world)["files"][:1]}, 400,
            f"Nothing was stored. task-CONTROL1.csv: missing; give one entry for each file of run {run.pk} "
            f"(task.csv, task-CONTROL1.csv).")
    sequence = [{**r, "correct": None} for r in rows]
    refused(acme, run, with_main(sequence[:1] + rows[1:]), 400,
            f"Nothing was stored. task.csv, line {rows[0]['line']}: 'correct' is None; classification needs true or false.")

    from evaluation.services import start_private_evaluation

    start_private_evaluation(submission=other)
    not_leased = world.run("acme-1", other)
    refused(acme, not_leased, upload_body(world, world.files(other_zip, "other-task")), 409,
            f"Run {not_leased.pk} is not leased by you (your lease ran out, or you never claimed it): claim it again "
            f"when it waits (POST /api/partner/runs/{not_leased.pk}/claim/).")

    assert post(acme, f"/api/partner/runs/{run.pk}/results/", upload_body(world)).status_code == 200
    second = upload_body(world)
    second["files"][0]["examples"][0]["value"] = 9.0
    refused(acme, run, second, 409, f"Run {run.pk} is already done; its stored results stay as they are.")
    assert Result.objects.get(file_sha256=main.sha256).examples["value"][0] == 0.25


def test_a_lease_without_heartbeats_goes_back_to_waiting_through_the_sweep(world, settings):
    acme = client_for(world.acme_token)
    first = claimed(world, acme)
    run = world.run("acme-1")
    answer = post(acme, f"/api/partner/runs/{run.pk}/claim/")
    assert (answer.status_code, answer.json()) == (409, {"detail": f"Run {run.pk} is leased by another claim that is "
                                                                   f"still beating; claim it once it waits again."})
    later = timezone.now() + timedelta(seconds=settings.EVALUATION_STALE_AFTER_SECONDS + 1)
    assert sweep(now=later).requeued == 1
    run.refresh_from_db()
    assert (run.status, run.attempts, run.task_id) == ("queued", 1, "")
    assert run.error.startswith("attempt 1: the worker stopped answering")
    answer = post(acme, f"/api/partner/runs/{run.pk}/heartbeat/", {"done": 5, "total": 340, "lease": first["lease"]})
    assert answer.status_code == 409
    second = claimed(world, acme)
    assert (second["attempt"], second["lease"] != first["lease"]) == (2, True)
    answer = post(acme, f"/api/partner/runs/{run.pk}/results/", {**upload_body(world), "lease": first["lease"]})
    assert answer.status_code == 409  # the first lease's late upload stores nothing
    assert post(acme, f"/api/partner/runs/{run.pk}/results/", {**upload_body(world), "lease": second["lease"]}
                ).json()["status"] == "done"
    assert Result.objects.count() == 2


def test_fail_follows_the_bounded_attempts(world, settings):
    acme = client_for(world.acme_token)
    run = world.run("acme-1")
    for attempt in range(1, settings.EVALUATION_MAX_ATTEMPTS + 1):
        claimed(world, acme)
        answer = post(acme, f"/api/partner/runs/{run.pk}/fail/", {"message": f"CUDA out of memory #{attempt}"})
        expected = "failed" if attempt == settings.EVALUATION_MAX_ATTEMPTS else "queued"
        assert answer.json()["status"] == expected
    run.refresh_from_db()
    assert run.error.splitlines() == [f"attempt {i}: partner Acme: CUDA out of memory #{i}" for i in (1, 2, 3)]
    assert AuditEntry.objects.filter(action="partner_failed").count() == 3
    answer = post(acme, f"/api/partner/runs/{run.pk}/claim/")
    assert (answer.status_code, answer.json()) == (409, {"detail": f"Run {run.pk} is failed; only a waiting run can be claimed."})


def test_nothing_a_partner_reads_names_the_task_its_owner_or_its_authors(world):
    acme = client_for(world.acme_token)
    run = world.run("acme-1")
    read = [acme.get("/api/partner/runs/").content, post(acme, f"/api/partner/runs/{run.pk}/claim/").content]
    for name in ("task.csv", "task-CONTROL1.csv"):
        answer = acme.get(f"/api/partner/runs/{run.pk}/files/{name}")
        assert answer["Content-Disposition"] == f'attachment; filename="{name}"'
        data = answer.content
        assert data == dict(zip(("task.csv", "task-CONTROL1.csv"), _zip_members(world.zip_bytes)))[name]  # as submitted
        read.append(data)
    read.append(post(acme, f"/api/partner/runs/{run.pk}/results/", {"files": []}).content)
    read.append(post(acme, f"/api/partner/runs/{run.pk}/heartbeat/", {"done": 1, "total": 340}).content)
    read.append(post(acme, f"/api/partner/runs/{run.pk}/fail/", {"message": "x"}).content)
    everything = b"\n".join(read).lower()
    for secret in (TASK, OWNER, "wombat@example.org", "ada lovelace", "lovelace", "ada@example.org", "analytical engines"):
        assert secret.encode() not in everything, secret


def _zip_members(zip_bytes: bytes) -> list[bytes]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        return [archive.read(n) for n in sorted(archive.namelist(), key=lambda n: ("CONTROL" in n, n))]


def test_the_admin_issues_a_token_once_and_revokes_the_old_one(world, admin_client, admin_user):
    page = admin_client.post("/admin/evaluation/partner/", {"action": "issue_token", "_selected_action": [world.acme.pk]},
                             follow=True)
    (message,) = [str(m) for m in page.context["messages"]]
    assert message.startswith("New token of Acme (copy it now; it is not shown again): ispp_")
    key = message.rsplit(" ", 1)[-1]
    assert client_for(key).get("/api/partner/runs/").status_code == 200
    assert client_for(world.acme_token).get("/api/partner/runs/").status_code == 401
    assert key.encode() not in admin_client.get(f"/admin/evaluation/partner/{world.acme.pk}/change/").content
    entry = AuditEntry.objects.filter(action="partner_token_issued").order_by("-pk").first()
    assert (entry.actor, entry.message) == (admin_user, f"Partner Acme: a new API token ({key[:8]}…) was issued; "
                                                        f"1 older token(s) revoked.")


def test_the_schema_has_the_partner_endpoints():
    paths = APIClient().get("/api/schema/?format=json").json()["paths"]
    assert {p for p in paths if p.startswith("/api/partner/")} == {
        "/api/partner/runs/", "/api/partner/runs/{id}/claim/", "/api/partner/runs/{id}/heartbeat/",
        "/api/partner/runs/{id}/files/{name}", "/api/partner/runs/{id}/results/", "/api/partner/runs/{id}/fail/"}
    assert paths["/api/partner/runs/"]["get"]["security"] == [{"partnerToken": []}]


@pytest.mark.django_db(transaction=True)
def test_a_celery_delivery_of_a_partner_run_is_skipped(contest_tx):
    from evaluation.worker import execute_run
    from tests.partners.conftest import make_world

    run = make_world(contest_tx).run("acme-1")
    assert execute_run(run_id=run.pk, task_id="a-stale-message") == "skipped"
    run.refresh_from_db()
    assert (run.status, run.attempts, run.task_id) == ("queued", 0, "")


def test_few_shot_variants_are_listed_and_served_under_anonymised_names(world):
    from evaluation.engine.fewshot import few_shot_variant, variant_csv
    from evaluation.services import request_few_shot

    request_few_shot(user=world.submission.owner, submission=world.submission, k=2)
    acme = client_for(world.acme_token)
    run = world.run("acme-1")
    (listed,) = acme.get("/api/partner/runs/").json()
    variant = few_shot_variant(world.files()["task.csv"], k=2, metric="classification")
    entry = next(f for f in listed["files"] if f["name"] == "task-2shot.csv")
    assert (entry["sha256"], entry["shots"], entry["source"], entry["rows"]) == (variant.sha256, 2, "task.csv", 300)
    assert [f["name"] for f in listed["files"]] == ["task.csv", "task-CONTROL1.csv", "task-2shot.csv", "task-CONTROL1-2shot.csv"]
    assert acme.get(f"/api/partner/runs/{run.pk}/files/task-2shot.csv").content == variant_csv(variant, metric="classification")
    assert claimed(world, acme)["files"] == listed["files"]


def test_a_contestant_sees_nothing_of_a_partners_results_before_the_feedback_release(world):
    acme = client_for(world.acme_token)
    claimed(world, acme)
    assert post(acme, f"/api/partner/runs/{world.run('acme-1').pk}/results/", upload_body(world)).status_code == 200
    owner = APIClient()
    owner.force_login(world.submission.owner)
    body = owner.get(f"/api/submissions/{world.submission.pk}/results/").content + \
        owner.get(f"/api/submissions/{world.submission.pk}/").content
    assert b"acme" not in body.lower()
