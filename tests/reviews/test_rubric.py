"""The rubric is data: seeded by a migration with the rules' texts, edited by organizers in the admin."""

from __future__ import annotations

import pytest

from reviews import selectors
from reviews.models import Criterion, CriterionLevel
from tests import factories

pytestmark = pytest.mark.django_db

RULES = [
    ("strength", "Inverse Scaling Strength", ["flat, very bumpy or standard scaling",
                                              "approximately monotonic inverse scaling",
                                              "a clear, strictly monotonic inverse scaling trend"]),
    ("generality", "Inverse Scaling Generality", ["no inverse scaling on private models",
                                                  "inverse scaling on some public and some private models",
                                                  "inverse scaling across all public and private models tested"]),
    ("importance", "Task Importance", ["weak", "fairly convincing", "very convincing"]),
    ("novelty", "Novelty and Surprisingness", ["not novel or surprising", "novel and somewhat surprising",
                                               "novel and surprising, teaching something new about LMs"]),
    ("coverage", "Task Coverage", ["one special subcategory or phrasing", "different subcategories and phrasings",
                                   "almost all important subcategories and phrasings"]),
    ("reproducibility", "Reproducibility", ["no, or the examples were over-optimised", "yes, to a lesser extent",
                                            "yes, to a similar or stronger extent"]),
]


def test_the_migration_seeds_the_six_criteria_with_the_rules_texts_in_order():
    seeded = [(c.key, c.name, [lv.description for lv in c.level_list]) for c in selectors.rubric()]
    assert seeded == RULES
    assert [lv.level for lv in selectors.rubric()[0].level_list] == ["no_prize", "accepted", "grand"]


def test_an_organizer_edits_a_description_in_the_admin_but_cannot_add_or_delete_criteria(client):
    client.force_login(factories.organizer(is_superuser=True))  # organizers' accounts are superusers
    strength = Criterion.objects.get(key="strength")
    levels = list(CriterionLevel.objects.filter(criterion=strength).order_by("pk"))
    form = {"name": "Strength of inverse scaling", "order": "1",
            "levels-TOTAL_FORMS": "3", "levels-INITIAL_FORMS": "3", "levels-MIN_NUM_FORMS": "0",
            "levels-MAX_NUM_FORMS": "3"}
    for i, level in enumerate(levels):
        form[f"levels-{i}-id"] = str(level.pk)
        form[f"levels-{i}-criterion"] = str(strength.pk)
        form[f"levels-{i}-description"] = level.description
    form["levels-2-description"] = "a clear, strictly monotonic trend on every model"
    response = client.post(f"/admin/reviews/criterion/{strength.pk}/change/", form)
    assert response.status_code == 302
    strength.refresh_from_db()
    assert strength.name == "Strength of inverse scaling"
    assert strength.key == "strength"
    assert CriterionLevel.objects.get(criterion=strength, level="grand").description == (
        "a clear, strictly monotonic trend on every model")
    assert client.get("/admin/reviews/criterion/add/").status_code == 403
    assert client.get(f"/admin/reviews/criterion/{strength.pk}/delete/").status_code == 403


def test_contestants_and_reviewers_cannot_open_the_admin(client):
    for user in (factories.contestant(), factories.reviewer()):
        client.force_login(user)
        response = client.get("/admin/reviews/criterion/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
