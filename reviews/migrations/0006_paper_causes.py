"""Seed the causes: the four kinds of cause of inverse scaling that the Inverse Scaling paper (McKenzie et al.,
"Inverse Scaling: When Bigger Isn't Better", TMLR 2023) sorts its winning tasks into."""

from django.db import migrations

PAPER_CAUSES = [
    ("Strong Prior", "A preference to repeat memorized sequences over following in-context instructions."),
    ("Unwanted Imitation", "Imitation of undesirable patterns in the training data."),
    ("Distractor Task", "A focus on an easy distractor task rather than the intended, harder task."),
    ("Spurious Few-Shot", "Correct but misleading few-shot demonstrations of the task."),
]


def seed(apps, schema_editor):
    Cause = apps.get_model("reviews", "Cause")
    for name, description in PAPER_CAUSES:
        Cause.objects.update_or_create(name=name, defaults={"description": description, "from_paper": True})


def unseed(apps, schema_editor):
    apps.get_model("reviews", "Cause").objects.filter(
        name__in=[name for name, _ in PAPER_CAUSES], from_paper=True, tags__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [("reviews", "0005_outcome")]

    operations = [migrations.RunPython(seed, unseed)]
