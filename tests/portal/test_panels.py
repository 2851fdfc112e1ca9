"""Other apps add sections to the submission page through portal.panels, in order."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html

from portal import panels, services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_panels():
    def late(request, submission):
        return format_html('<section id="late">late for {}</section>', submission.task_name)

    def early(request, submission):
        return render_to_string("portal/_issues.html", {"issues": [], "table_id": "early"})

    def silent(request, submission):
        return None

    saved = list(panels._panels)
    panels.register(late, order=20)
    panels.register(early, order=10)
    panels.register(silent, order=15)
    panels.register(early, order=10)  # registering twice changes nothing
    yield
    panels._panels[:] = saved


def test_registered_panels_appear_on_the_submission_page_in_order(client, contest, syllogism_zip, two_panels):
    owner = factories.contestant()
    submission = services.create_submission(user=owner, contest=contest, zip_file=syllogism_zip,
                                            data=factories.submission_data())
    client.force_login(owner)
    page = client.get(reverse("submission-detail", args=[submission.pk])).content.decode()
    assert page.count('id="early"') == 1
    assert page.index('id="early"') < page.index('<section id="late">late for syllogism-test</section>')
