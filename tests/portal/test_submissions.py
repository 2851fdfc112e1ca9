"""The contest side on the real PostgreSQL: create, edit, versions, deadlines, roles, privacy."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from evaluation.engine.taskfile import read_task_zip
from portal import services
from portal.models import Submission, SubmissionVersion
from tests import datasets, factories

pytestmark = pytest.mark.django_db


def form_data(task_name="syllogism-test", *, zip_bytes=None, **overrides) -> dict:
    data = {
        "task_name": task_name,
        "metric": "classification",
        "what_it_tests": "Whether models judge syllogisms by logic rather than by belief.",
        "correct_behaviour": "Answer Yes exactly when the conclusion follows.",
        "why_it_matters": "Models that reason by plausibility mislead their users.",
        "shot_setting": "few-shot",
        "data_generation": "Templates over noun triples.",
        "dataset_sources": "https://example.org/syllogisms",
        "generation_code_url": "https://example.org/code",
        "has_control_data": "",
        "persists_few_shot": "Yes, with 1 to 3 examples.",
        "persists_finetuning": "",
        "persists_rlhf": "",
        "authors-TOTAL_FORMS": "3",
        "authors-INITIAL_FORMS": "0",
        "authors-MIN_NUM_FORMS": "0",
        "authors-MAX_NUM_FORMS": "20",
        "authors-0-name": "Ada Lovelace",
        "authors-0-email": "ada@example.org",
        "authors-0-affiliation": "Analytical Engines",
        "authors-1-name": "Charles Babbage",
        "authors-1-email": "charles@example.org",
        "authors-1-affiliation": "",
    }
    data.update(overrides)
    if zip_bytes is not None:
        data["zip_file"] = SimpleUploadedFile(f"{task_name}.zip", zip_bytes, content_type="application/zip")
    return data


def submit(client, contest, **kwargs):
    return client.post(reverse("submission-create", args=[contest.slug]), form_data(**kwargs))


def broken_rows() -> list[dict]:
    rows = datasets.syllogism_classification_rows(n=300, seed=1)
    rows[4]["answer_index"] = 7
    rows[9]["classes"] = "[' Yes', ' No'"
    return rows


def broken_zip(task_name="syllogism-test") -> bytes:
    return datasets.make_zip({f"{task_name}.csv": datasets.to_csv_bytes(broken_rows())})


def line_of(rows: list[dict], index: int) -> int:
    """The line (header = 1) where row `index` starts in the CSV; prompts span several lines."""
    return datasets.to_csv_bytes(rows[:index]).count(b"\n") + 1


def test_contestant_creates_a_submission_with_every_field(client, contest, contestant, syllogism_zip):
    client.force_login(contestant)
    response = submit(client, contest, zip_bytes=syllogism_zip)

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("submission-detail", args=[submission.pk])
    version = submission.current_version
    assert (submission.owner, submission.round.number, version.number) == (contestant, 1, 1)
    csv_sha = hashlib.sha256(zipfile.ZipFile(io.BytesIO(syllogism_zip)).read("syllogism-test.csv")).hexdigest()
    assert version.files == [{"name": "syllogism-test.csv", "kind": "main", "index": None, "rows": 300,
                              "columns": ["prompt", "classes", "answer_index"], "sha256": csv_sha}]
    expected = read_task_zip(syllogism_zip, metric="classification", task_name="syllogism-test",
                             author_names=["Ada Lovelace", "Charles Babbage"],
                             author_emails=["ada@example.org", "charles@example.org"])
    assert version.warnings == [w.as_dict() for w in expected.warnings]
    assert [(a.order, a.name, a.email, a.affiliation) for a in version.authors.all()] == [
        (1, "Ada Lovelace", "ada@example.org", "Analytical Engines"),
        (2, "Charles Babbage", "charles@example.org", "")]
    assert version.persists_few_shot == "Yes, with 1 to 3 examples."
    assert version.zip_file.read() == syllogism_zip

    page = client.get(reverse("submission-list")).content.decode()
    assert 'href="{}">syllogism-test</a>'.format(reverse("submission-detail", args=[submission.pk])) in page


def test_long_answers_keep_their_line_breaks_on_the_detail_page(client, contest, contestant, syllogism_zip):
    client.force_login(contestant)
    submit(client, contest, zip_bytes=syllogism_zip, persists_few_shot="Yes.\nWith 3 examples <b>too</b>.",
           persists_rlhf="First line.\n\nSecond paragraph.")
    page = client.get(reverse("submission-detail", args=[Submission.objects.get().pk])).content.decode()
    assert '<dd class="col-sm-9">Yes.<br>With 3 examples &lt;b&gt;too&lt;/b&gt;.</dd>' in page
    assert '<dd class="col-sm-9">First line.<br><br>Second paragraph.</dd>' in page
    assert '<dt class="col-sm-3">Fine-tuning</dt><dd class="col-sm-9">—</dd>' in page


def test_uploads_are_stored_outside_static_and_served_only_to_the_owner(client, contest, contestant,
                                                                         syllogism_zip, settings):
    client.force_login(contestant)
    submit(client, contest, zip_bytes=syllogism_zip)
    version = SubmissionVersion.objects.get()
    assert version.zip_file.path.startswith(str(settings.STORAGE_DIR))
    assert not version.zip_file.path.startswith(str(settings.BASE_DIR / "static"))
    url = reverse("version-download", args=[version.submission_id, 1])
    download = client.get(url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == syllogism_zip
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_editing_makes_a_new_version_and_keeps_the_history(client, contest, contestant, syllogism_zip):
    client.force_login(contestant)
    submit(client, contest, zip_bytes=syllogism_zip)
    submission = Submission.objects.get()
    bigger = datasets.make_zip({"syllogism-test.csv": datasets.to_csv_bytes(
        datasets.syllogism_classification_rows(n=420, seed=3))})

    response = client.post(reverse("submission-edit", args=[submission.pk]),
                           form_data(zip_bytes=bigger, why_it_matters="Second thoughts."))

    assert response.status_code == 302
    submission.refresh_from_db()
    assert list(submission.versions.values_list("number", "why_it_matters")) == [
        (2, "Second thoughts."), (1, "Models that reason by plausibility mislead their users.")]
    assert submission.current_version.number == 2
    assert submission.current_version.files[0]["rows"] == 420
    assert Submission.objects.count() == 1
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    assert "v2 (current)" in page and "<td>v1</td>" in page


def test_editing_fields_only_keeps_the_zip(client, contest, contestant, syllogism_zip):
    client.force_login(contestant)
    submit(client, contest, zip_bytes=syllogism_zip)
    submission = Submission.objects.get()
    response = client.post(reverse("submission-edit", args=[submission.pk]),
                           form_data(persists_rlhf="Not tested yet."))
    assert response.status_code == 302
    submission.refresh_from_db()
    v1, v2 = submission.versions.get(number=1), submission.current_version
    assert (v2.number, v2.persists_rlhf, v2.zip_sha256) == (2, "Not tested yet.", v1.zip_sha256)


def test_an_invalid_edit_keeps_the_previous_version_current(client, contest, contestant, syllogism_zip):
    client.force_login(contestant)
    submit(client, contest, zip_bytes=syllogism_zip)
    submission = Submission.objects.get()
    before = (submission.current_version_id, SubmissionVersion.objects.count())

    response = client.post(reverse("submission-edit", args=[submission.pk]),
                           form_data(zip_bytes=broken_zip(), why_it_matters="Should not be saved."))

    assert response.status_code == 400
    errors = response.context["report"].errors
    rows = broken_rows()
    assert [(e.file, e.line, e.column) for e in errors] == [
        ("syllogism-test.csv", line_of(rows, 4), "answer_index"),
        ("syllogism-test.csv", line_of(rows, 9), "classes")]
    page = response.content.decode()
    assert "nothing was stored" in page
    for error in errors:
        assert escape(error.message) in page
    assert 'value="syllogism-test"' in page  # the form keeps what was typed
    assert "Should not be saved." in page
    submission.refresh_from_db()
    assert (submission.current_version_id, SubmissionVersion.objects.count()) == before
    assert submission.current_version.why_it_matters == "Models that reason by plausibility mislead their users."


def test_an_invalid_first_upload_stores_nothing(client, contest, contestant, _private_storage):
    client.force_login(contestant)
    response = submit(client, contest, zip_bytes=broken_zip())
    assert response.status_code == 400
    assert Submission.objects.count() == 0
    assert not _private_storage.exists() or not any(_private_storage.rglob("*.zip"))


def test_edits_after_the_deadline_are_refused_until_an_organizer_reopens(client, contest, contestant,
                                                                         syllogism_zip):
    client.force_login(contestant)
    submit(client, contest, zip_bytes=syllogism_zip)
    submission = Submission.objects.get()
    round_ = submission.round
    round_.opens_at = datetime(2022, 5, 27, 12, 0, tzinfo=UTC)
    round_.closes_at = datetime(2022, 8, 28, 11, 59, tzinfo=UTC)
    round_.save()

    response = client.post(reverse("submission-edit", args=[submission.pk]), form_data(why_it_matters="Late."))

    assert response.status_code == 403
    assert response.context["message"] == (
        "Round 1 closed on 2022-08-27 23:59 AoE; edits are no longer accepted. "
        "Ask the organizers to reopen the submission if you need to change it.")
    assert submission.versions.count() == 1

    services.reopen_edits(submission=submission, until=timezone.now() + timedelta(days=1))
    response = client.post(reverse("submission-edit", args=[submission.pk]), form_data(why_it_matters="Late."))
    assert response.status_code == 302
    assert submission.versions.count() == 2


def test_a_reviewer_cannot_create_submissions(client, contest, syllogism_zip):
    reviewer = factories.reviewer()
    client.force_login(reviewer)
    message = ("Reviewers may not submit tasks (the contest rules forbid it). "
               "Sign up with a separate contestant account if you are not reviewing.")

    page = client.get(reverse("submission-create", args=[contest.slug]))
    post = submit(client, contest, zip_bytes=syllogism_zip)

    assert (page.status_code, post.status_code) == (403, 403)
    assert post.context["message"] == message
    assert Submission.objects.count() == 0
    with pytest.raises(services.SubmissionRefused, match=r"^Reviewers may not submit tasks"):
        services.create_submission(user=reviewer, contest=contest, zip_file=syllogism_zip,
                                   data=services.SubmissionData(
                                       task_name="t", metric="classification",
                                       authors=(services.AuthorData("R", "r@example.org"),),
                                       what_it_tests="x", correct_behaviour="x", why_it_matters="x",
                                       shot_setting="zero-shot", data_generation="x"))


def test_a_validator_cannot_create_submissions(client, contest, syllogism_zip):
    client.force_login(factories.validator())
    post = submit(client, contest, zip_bytes=syllogism_zip)
    assert post.status_code == 403
    assert post.context["message"] == ("Validators may not submit tasks: a validator answers other tasks' examples "
                                       "blind. Sign up with a separate contestant account to submit.")
    assert Submission.objects.count() == 0


def test_another_users_submission_answers_404(client, contest, contestant, syllogism_zip):
    client.force_login(contestant)
    submit(client, contest, zip_bytes=syllogism_zip)
    submission = Submission.objects.get()
    client.force_login(factories.contestant())
    for url in (reverse("submission-detail", args=[submission.pk]),
                reverse("submission-edit", args=[submission.pk]),
                reverse("version-download", args=[submission.pk, 1])):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("submission-edit", args=[submission.pk]), form_data()).status_code == 404
    assert b"syllogism-test</a>" not in client.get(reverse("submission-list")).content
    client.force_login(factories.organizer())
    assert client.get(reverse("submission-detail", args=[submission.pk])).status_code == 200


def test_task_names_are_unique_within_a_contest_ignoring_case(client, contest, contestant, syllogism_zip):
    client.force_login(contestant)
    submit(client, contest, zip_bytes=syllogism_zip)
    other = factories.contestant()
    client.force_login(other)
    upper = datasets.make_zip({"Syllogism-Test.csv": datasets.to_csv_bytes(
        datasets.syllogism_classification_rows(n=300, seed=5))})
    response = submit(client, contest, task_name="Syllogism-Test", zip_bytes=upper)
    assert response.status_code == 400
    assert response.context["form"].errors["task_name"] == [
        "The task name 'Syllogism-Test' is already used in this contest; choose another name "
        "(and rename the CSV files to match)."]
    bad = submit(client, contest, task_name="has space", zip_bytes=upper)
    assert bad.context["form"].errors["task_name"] == [
        "Use only letters, digits, '-' and '_' in the task name (no spaces or other characters)."]


def test_deadlines_are_shown_anywhere_on_earth(client, contest):
    round_ = contest.rounds.get()
    round_.closes_at = datetime(2022, 8, 28, 11, 59, tzinfo=UTC)
    round_.opens_at = datetime(2022, 5, 27, 12, 0, tzinfo=UTC)
    round_.save()
    page = client.get(reverse("home")).content.decode()
    assert "<td>2022-05-27 00:00 AoE</td><td>2022-08-27 23:59 AoE</td>" in page


def test_with_no_open_round_the_submit_page_says_when_the_next_opens_instead_of_a_form(
        client, contest, contestant, syllogism_zip):
    contest.rounds.update(opens_at=datetime(2030, 5, 27, 12, 0, tzinfo=UTC),
                          closes_at=datetime(2030, 8, 28, 11, 59, tzinfo=UTC))
    message = (f"{contest.name} is not accepting submissions now: no round is open. "
               "Round 1 opens on 2030-05-27 00:00 AoE.")
    client.force_login(contestant)

    page = client.get(reverse("submission-create", args=[contest.slug]))
    assert page.status_code == 200
    assert page.context["message"] == message
    assert b'id="submission-form"' not in page.content

    response = submit(client, contest, zip_bytes=syllogism_zip)  # a form sent as the round closed
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [message]
    assert Submission.objects.count() == 0

    contest.rounds.update(opens_at=datetime(2020, 1, 1, tzinfo=UTC), closes_at=datetime(2020, 2, 1, tzinfo=UTC))
    assert client.get(reverse("submission-create", args=[contest.slug])).context["message"] == (
        f"{contest.name} is not accepting submissions now: no round is open. No further round is scheduled.")


def test_signup_makes_a_contestant(client):
    response = client.post(reverse("signup"), {"username": "newbie", "email": "newbie@example.org",
                                               "password1": "a-long-test-password", "password2": "a-long-test-password"})
    assert response.status_code == 302
    from django.contrib.auth.models import User
    assert User.objects.get(username="newbie").profile.role == "contestant"


def test_the_tests_run_on_postgresql():
    assert connection.vendor == "postgresql"


@pytest.mark.django_db(transaction=True)
def test_version_saved_is_sent_once_the_version_commits_and_never_for_a_refused_upload(contest_tx, syllogism_zip):
    from portal.signals import version_saved

    user = factories.contestant()
    received = []

    def receiver(sender, version, **kwargs):
        # runs after the commit: another connection's view of the database already has the version
        received.append((version.number, SubmissionVersion.objects.filter(pk=version.pk).exists()))

    version_saved.connect(receiver, dispatch_uid="test-receiver")
    try:
        with pytest.raises(services.UploadRejected):
            services.create_submission(user=user, contest=contest_tx, zip_file=broken_zip(),
                                       data=factories.submission_data())
        assert received == []
        submission = services.create_submission(user=user, contest=contest_tx, zip_file=syllogism_zip,
                                                data=factories.submission_data())
        services.edit_submission(user=user, submission=submission,
                                 data=factories.submission_data(why_it_matters="Changed."))
    finally:
        version_saved.disconnect(dispatch_uid="test-receiver")
    assert received == [(1, True), (2, True)]
