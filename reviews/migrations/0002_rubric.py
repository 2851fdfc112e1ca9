"""Seed the rubric: the contest rules' six criteria, each with its three levels' descriptions."""

from django.db import migrations

RUBRIC = [
    ("strength", "Inverse Scaling Strength", (
        "flat, very bumpy or standard scaling",
        "approximately monotonic inverse scaling",
        "a clear, strictly monotonic inverse scaling trend")),
    ("generality", "Inverse Scaling Generality", (
        "no inverse scaling on private models",
        "inverse scaling on some public and some private models",
        "inverse scaling across all public and private models tested")),
    ("importance", "Task Importance", (
        "weak",
        "fairly convincing",
        "very convincing")),
    ("novelty", "Novelty and Surprisingness", (
        "not novel or surprising",
        "novel and somewhat surprising",
        "novel and surprising, teaching something new about LMs")),
    ("coverage", "Task Coverage", (
        "one special subcategory or phrasing",
        "different subcategories and phrasings",
        "almost all important subcategories and phrasings")),
    ("reproducibility", "Reproducibility", (
        "no, or the examples were over-optimised",
        "yes, to a lesser extent",
        "yes, to a similar or stronger extent")),
]
LEVELS = ("no_prize", "accepted", "grand")


def seed(apps, schema_editor):
    Criterion = apps.get_model("reviews", "Criterion")
    CriterionLevel = apps.get_model("reviews", "CriterionLevel")
    for order, (key, name, descriptions) in enumerate(RUBRIC, start=1):
        criterion = Criterion.objects.create(key=key, name=name, order=order)
        CriterionLevel.objects.bulk_create(
            CriterionLevel(criterion=criterion, level=level, description=text)
            for level, text in zip(LEVELS, descriptions))


def unseed(apps, schema_editor):
    apps.get_model("reviews", "Criterion").objects.filter(key__in=[key for key, _, _ in RUBRIC]).delete()


class Migration(migrations.Migration):

    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
