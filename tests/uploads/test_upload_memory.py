"""A 300 MB upload through a real gunicorn process: its memory is measured while the request runs.

Over the limit, the request is refused from its Content-Length (413, with the size message) before
any of its body is read. Under a raised limit, the same 300 MB reaches the form:
Django spools it to a temporary file and the zip is validated from that file. Either way the
server grows by less than 100 MB.
"""

from __future__ import annotations

import json
import threading
import zipfile
from contextlib import contextmanager

import psutil
import pytest
from django.db import connection
from django.urls import reverse

from tests import datasets, factories, live

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

MB = 1024 * 1024
UPLOAD_BYTES = 300 * MB
MAX_GROWTH = 100 * MB


class PeakMemory:
    """Samples the resident memory of a process and its children (gunicorn's master and worker)."""

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def rss(self) -> int:
        processes = [self.process, *self.process.children(recursive=True)]
        return sum(p.memory_info().rss for p in processes if p.is_running())

    def _sample(self) -> None:
        while True:  # a sample every 5 ms until watching() ends
            self.peak = max(self.peak, self.rss())
            if self._stop.wait(0.005):
                return

    @contextmanager
    def watching(self):
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()


def server_env(tmp_path, **extra):
    """gunicorn on the test database, as in production (DEBUG off) but over plain HTTP on 127.0.0.1."""
    name = connection.settings_dict["NAME"]
    return live.laptop_env(
        tmp_path / "var", DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{name}", DEBUG="false",
        SECRET_KEY="a-test-secret-key-that-is-long-enough-for-the-deploy-check-0123456789",
        SECURE_SSL_REDIRECT="false", SECURE_COOKIES="false", PORTAL_STORAGE_DIR=str(tmp_path / "uploads"),
        **extra)


def zeros(size: int):
    chunk = bytes(MB)
    for start in range(0, size, MB):
        yield chunk[:min(MB, size - start)]


def upload(server, contest, user, *, chunks, size):
    session = live.logged_in(server, user.username, factories.PASSWORD)
    path = reverse("submission-create", args=[contest.slug])
    token = live.csrf_token(session.get(server.url + path, timeout=30).content)  # also warms the worker
    meter = PeakMemory(server.process.pid)
    baseline = meter.rss()
    fields = {"csrfmiddlewaretoken": token, **submission_fields()}
    with meter.watching():
        status, body = live.post_streamed(server, path, cookies=session.cookies.get_dict(), fields=fields,
                                          file_field="zip_file", file_name="big.zip", file_chunks=chunks,
                                          file_size=size)
    growth = meter.peak - baseline
    print(f"\nserver memory: baseline {baseline / MB:.0f} MB, peak {meter.peak / MB:.0f} MB, "
          f"growth {growth / MB:.1f} MB for a {size / MB:.0f} MB upload (HTTP {status})")
    return status, body.decode(), growth


def submission_fields() -> dict[str, str]:
    return {"task_name": "syllogism-test", "metric": "classification", "shot_setting": "zero-shot",
            "what_it_tests": "Logic over belief.", "correct_behaviour": "Answer Yes when it follows.",
            "why_it_matters": "Plausibility is not validity.", "data_generation": "Templates.",
            "authors-TOTAL_FORMS": "1", "authors-INITIAL_FORMS": "0", "authors-MIN_NUM_FORMS": "0",
            "authors-MAX_NUM_FORMS": "20", "authors-0-name": "Ada Lovelace", "authors-0-email": "ada@example.org"}


def test_a_300_mb_upload_over_the_limit_is_refused_with_the_size_message_and_bounded_memory(contest_tx, tmp_path):
    user = factories.contestant()
    with live.gunicorn(server_env(tmp_path), tmp_path / "gunicorn.log") as server:
        status, page, growth = upload(server, contest_tx, user, chunks=zeros(UPLOAD_BYTES), size=UPLOAD_BYTES)
        meter = PeakMemory(server.process.pid)
        baseline = meter.rss()
        with meter.watching():  # the REST API (DRF's parsers come later): refused the same way
            api_status, api_body = live.post_streamed(
                server, "/api/contests/", cookies={}, fields={}, file_field="zip_file", file_name="big.zip",
                file_chunks=zeros(UPLOAD_BYTES), file_size=UPLOAD_BYTES)

    message = ("The upload is 300.0 MB; the limit for a task zip is 50.0 MB. Remove files or split the task so "
               "the zip fits, then upload it again.")
    assert status == 413
    assert 'id="error-page"' in page  # the portal's own page
    assert message in page, page[:3000]
    assert growth < MAX_GROWTH, f"the server grew by {growth / MB:.0f} MB"
    assert (api_status, json.loads(api_body)) == (413, {"detail": message})
    assert meter.peak - baseline < MAX_GROWTH


def test_a_300_mb_zip_under_a_raised_limit_is_validated_from_a_temporary_file_with_bounded_memory(
        contest_tx, tmp_path):
    big = tmp_path / "big.zip"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("syllogism-test.csv", datasets.to_csv_bytes(
            datasets.syllogism_classification_rows(n=300, seed=0)))
        with archive.open("padding.bin", "w", force_zip64=True) as padding:
            for chunk in zeros(UPLOAD_BYTES):
                padding.write(chunk)
    size = big.stat().st_size

    def chunks():
        with open(big, "rb") as handle:
            while chunk := handle.read(MB):
                yield chunk

    user = factories.contestant()
    env = server_env(tmp_path, UPLOAD_MAX_COMPRESSED_MB="400", UPLOAD_MAX_UNCOMPRESSED_MB="500")
    with live.gunicorn(env, tmp_path / "gunicorn.log") as server:
        status, page, growth = upload(server, contest_tx, user, chunks=chunks(), size=size)

    assert status == 400, page[:3000]
    assert "The zip has 1 error; nothing was stored." in page
    assert "<td class=\"location\">padding.bin</td>" in page
    assert "Only CSV files belong in the zip; remove this file" in page
    assert growth < MAX_GROWTH, f"the server grew by {growth / MB:.0f} MB"
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").rglob("*.zip"))
