"""Redaction compares names folded, as the upload's author scan does: for the authors "Zebulon Quixote"
and "José Núñez", a row with "Zébulon Quixoté", "Jose Nunez" or "JOSÉ NÚÑEZ" reaches neither the
reviewer's task.zip nor the reviewer's page, and the upload warned about each."""

from __future__ import annotations

import io
import zipfile

import pytest

from portal import services as portal_services
from portal.services import AuthorData
from reviews import services
from tests import datasets, factories

pytestmark = pytest.mark.django_db

FORMS = ("Zébulon Quixoté", "Jose Nunez", "JOSÉ NÚÑEZ", "zebulon", "Núñez")


def test_accented_forms_of_the_authors_names_are_redacted_and_were_warned_about(scene, client):
    rows = datasets.syllogism_classification_rows(n=300, seed=91)
    rows[2]["prompt"] = "From Zébulon Quixoté's notebook. " + rows[2]["prompt"]
    rows[5]["prompt"] = "Checked by Jose Nunez. " + rows[5]["prompt"]
    rows[8]["prompt"] = "JOSÉ NÚÑEZ and zebulon again. " + rows[8]["prompt"]
    owner = factories.contestant(username="owner_zeb_q11", email="zq@quixote-lab.test")
    submission = portal_services.create_submission(
        user=owner, contest=scene.contest,
        zip_file=datasets.make_zip({"accent-task.csv": datasets.to_csv_bytes(rows)}),
        data=factories.submission_data(
            task_name="accent-task", what_it_tests="As Zébulon Quixoté and Jose Nunez found, models fail.",
            authors=(AuthorData("Zebulon Quixote", "zq@quixote-lab.test"), AuthorData("José Núñez", "jn@nunez.test"))))
    warnings = [w["message"] for w in submission.current_version.warnings if w["file"] == "accent-task.csv"]
    assert warnings == [
        "The file contains the author name 'Zebulon Quixote'; the rules ask for anonymous files, so remove it.",
        "The file contains the author name 'José Núñez' (and 1 more place); the rules ask for anonymous files, "
        "so remove it."]

    assignment = services.assign(submission=submission, reviewer=scene.rita, by=scene.organizer)
    client.force_login(scene.rita)
    download = client.get(f"/reviews/assignments/{assignment.pk}/task.zip")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        text = archive.read("task.csv").decode()
    page = client.get(f"/reviews/assignments/{assignment.pk}/").content.decode()
    for shown in (text, page):
        assert [form for form in FORMS if form.lower() in shown.lower()] == []
    assert "From [redacted]'s notebook. " in text
    assert "Checked by [redacted]. " in text
    assert "[redacted] and [redacted] again. " in text
    assert "As [redacted] and [redacted] found, models fail." in page
