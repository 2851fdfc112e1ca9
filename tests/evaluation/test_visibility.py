"""Private series are the rules' held-out models: until the organizers release the round's
feedback, the owner sees neither their names nor their results, on any page, JSON or download."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Run
from evaluation.services import start_private_evaluation
from tests import factories
from tests.evaluation.conftest import submit
from tests.evaluation.test_jobs import all_finished, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
PRIVATE_NAMES = ("held-out", "held-1", "held-2")


@pytest.fixture
def evaluated(contest_tx, tiny_series, worker):
    """A submission scored on the public and (started by an organizer) the private series."""
    submission = submit(contest=contest_tx, task_name="syllo")
    start_private_evaluation(submission=submission, by=factories.organizer())
    wait_for(lambda: all_finished(submission.current_version))
    assert Run.objects.filter(status="done").count() == 5
    return submission


def responses(client, submission) -> dict[str, object]:
    sha = submission.current_version.files[0]["sha256"]
    return {
        "page": client.get(reverse("submission-detail", args=[submission.pk])),
        "results": client.get(f"/api/submissions/{submission.pk}/results/"),
        "progress": client.get(reverse("evaluation-progress", args=[submission.pk])),
        "public csv": client.get(reverse("evaluation-example-csv", args=[submission.pk, sha, "tiny-1"])),
        "private csv": client.get(reverse("evaluation-example-csv", args=[submission.pk, sha, "held-1"])),
        "series": client.get("/api/series/"),
    }


def mentions_private(response) -> bool:
    text = response.content.decode()
    return any(name in text for name in PRIVATE_NAMES)


def test_the_owner_sees_private_results_only_after_the_feedback_release(evaluated, client):
    client.force_login(evaluated.owner)
    before = responses(client, evaluated)
    assert {k: r.status_code for k, r in before.items()} == {
        "page": 200, "results": 200, "progress": 200, "public csv": 200, "private csv": 404, "series": 200}
    assert {k: mentions_private(r) for k, r in before.items()} == dict.fromkeys(before, False)
    assert [s["series"] for s in before["results"].json()["files"][0]["series"]] == ["tiny"]
    assert before["progress"].json()["evaluation"] == {"status": "done", "done": 900, "total": 900}

    evaluated.round.feedback_released_at = timezone.now() - timedelta(minutes=1)
    evaluated.round.save()
    after = responses(client, evaluated)
    assert {k: r.status_code for k, r in after.items()} == dict.fromkeys(after, 200)
    assert [s["series"] for s in after["results"].json()["files"][0]["series"]] == ["tiny", "held-out"]
    assert [m["model"] for m in after["results"].json()["files"][0]["series"][1]["models"]] == ["held-1", "held-2"]
    assert all(mentions_private(after[k]) for k in ("page", "results", "progress"))
    assert after["private csv"].content.decode().splitlines()[0] == "line,value,correct,predicted,total_logprob"
    assert not mentions_private(after["series"])  # the list of series stays public-only for contestants


def test_a_release_planned_for_later_still_hides_them(evaluated, client):
    evaluated.round.feedback_released_at = timezone.now() + timedelta(days=1)
    evaluated.round.save()
    client.force_login(evaluated.owner)
    assert not any(mentions_private(r) for r in responses(client, evaluated).values())


def test_another_contestant_never_sees_anything_of_it(evaluated, client):
    client.force_login(factories.contestant())
    for released in (None, timezone.now() - timedelta(minutes=1)):
        evaluated.round.feedback_released_at = released
        evaluated.round.save()
        got = responses(client, evaluated)
        assert {k: r.status_code for k, r in got.items()} == {
            "page": 404, "results": 404, "progress": 404, "public csv": 404, "private csv": 404, "series": 200}
        assert not any(mentions_private(r) for r in got.values())
        assert "syllo" not in got["results"].content.decode()


def test_organizers_see_every_series_at_any_time(evaluated, client):
    client.force_login(factories.organizer())
    got = responses(client, evaluated)
    assert {k: r.status_code for k, r in got.items()} == dict.fromkeys(got, 200)
    assert [s["name"] for s in got["series"].json()] == ["tiny", "held-out"]
    assert all(mentions_private(got[k]) for k in ("page", "results", "progress", "series"))


def test_only_organizers_reach_the_runs_page_and_its_actions(evaluated, client):
    run = Run.objects.filter(model__name="held-1").get()
    client.force_login(evaluated.owner)
    for refused in (client.get(reverse("evaluation-runs")),
                    client.post(reverse("evaluation-run-action", args=[run.pk, "retry"]))):
        assert (refused.status_code, refused.context["message"]) == (403, "Only organizers can open this page.")
    assert Run.objects.get(pk=run.pk).status == "done"  # not retried
    client.force_login(factories.organizer())
    page = client.get(reverse("evaluation-runs")).content.decode()
    assert page.count('<tr data-run="') == 5
    assert 'Runs 1–5 of 5, newest first.' in page and 'id="runs-pages"' not in page
    assert f'href="{reverse("evaluation-runs")}">Runs</a>' in page  # the organizers' menu leads to it
    retried_at = timezone.now()
    assert client.post(reverse("evaluation-run-action", args=[run.pk, "retry"])).status_code == 302
    wait_for(lambda: Run.objects.get(pk=run.pk).status == "done")
    run.refresh_from_db()
    # queued again from scratch and done at once: every file was already scored on this model
    assert (run.attempts, run.loaded_model, run.started_at > retried_at) == (1, False, True)


def test_the_runs_page_is_paged_and_keeps_the_status_filter(evaluated, client, monkeypatch):
    from evaluation import views

    monkeypatch.setattr(views, "RUNS_PER_PAGE", 2)
    client.force_login(factories.organizer())
    first = client.get(reverse("evaluation-runs"), {"status": "done"}).content.decode()
    assert first.count('<tr data-run="') == 2
    assert "Runs 1–2 of 5, newest first." in first and "Page 1 of 3" in first
    assert 'href="?status=done&amp;page=2">Older</a>' in first
    last = client.get(reverse("evaluation-runs"), {"status": "done", "page": "3"}).content.decode()
    assert last.count('<tr data-run="') == 1 and "Runs 5–5 of 5, newest first." in last
    newest_first = list(Run.objects.values_list("pk", flat=True))  # the page's order: Run.Meta.ordering
    assert f'<tr data-run="{newest_first[-1]}">' in last


def test_results_are_computed_when_the_trend_cache_is_down(evaluated, client, settings):
    client.force_login(evaluated.owner)
    cached = client.get(f"/api/submissions/{evaluated.pk}/results/").json()
    # Redis (the cache) unreachable: nothing listens on port 1
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}
    page = client.get(reverse("submission-detail", args=[evaluated.pk]))
    assert page.status_code == 200 and "syllo.csv" in page.content.decode()
    computed = client.get(f"/api/submissions/{evaluated.pk}/results/")
    assert computed.status_code == 200
    assert computed.json() == cached
