"""Every answer carries the Content-Security-Policy (django-csp): pages of every role, the error pages
(DEBUG off, as in production), the API, the admin; and no template has an inline script, an on...=
handler or a style attribute, which the policy would refuse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
          "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_every_answer_sends_the_policy(client, contest, settings):
    settings.DEBUG = False
    answers = {path: client.get(path) for path in ("/", "/accounts/login/", "/accounts/signup/", "/no-such-page/",
                                                   "/api/contests/", "/submissions/")}
    answers["413"] = client.post("/api/contests/", b"0", content_type="application/octet-stream",
                                 CONTENT_LENGTH=str(settings.UPLOAD_MAX_REQUEST_BYTES + 1))
    client.force_login(factories.contestant())
    answers["contestant's submissions"] = client.get("/submissions/")
    answers["submit"] = client.get(reverse("submission-create", args=[contest.slug]))
    client.force_login(factories.reviewer())
    answers["reviewer's home"] = client.get("/reviews/")
    client.force_login(factories.organizer(is_superuser=True))
    answers["organizer's reviews"] = client.get("/reviews/")
    answers["admin"] = client.get("/admin/")
    assert {name: a.status_code for name, a in answers.items()} == {
        "/": 200, "/accounts/login/": 200, "/accounts/signup/": 200, "/no-such-page/": 404, "/api/contests/": 200,
        "/submissions/": 302, "413": 413, "contestant's submissions": 200, "submit": 200, "reviewer's home": 200,
        "organizer's reviews": 200, "admin": 200}
    # (django-csp writes the directives in no fixed order)
    assert {name: sorted(a.get("Content-Security-Policy", "").split("; ")) for name, a in answers.items()} == \
        dict.fromkeys(answers, sorted(POLICY.split("; ")))


INLINE = re.compile(r"""<script(?![^>]*\bsrc=)(?![^>]*type="application/json")[^>]*>|\son[a-z]+=|\sstyle=""",
                    re.IGNORECASE)


def test_no_template_has_inline_script_handlers_or_styles():
    found = {str(path.relative_to(TEMPLATES)): INLINE.findall(path.read_text())
             for path in sorted(TEMPLATES.rglob("*.html"))}
    assert {name: hits for name, hits in found.items() if hits} == {}
    assert len(found) > 30
