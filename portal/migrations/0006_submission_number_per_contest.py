"""Each submission gets its number in its contest (Submission.number): reviewers and the public read
"Submission N" from it instead of the id, which counts the submissions of every contest before it.
Existing submissions are numbered 1, 2, ... within their contest in the order they were made (created_at,
then id); new ones get theirs from portal.services.create_submission."""

from django.db import migrations, models


def number_existing(apps, schema_editor):
    Submission = apps.get_model("portal", "Submission")
    numbered: dict[int, int] = {}
    for submission in Submission.objects.order_by("contest_id", "created_at", "pk").only("pk", "contest_id"):
        numbered[submission.contest_id] = numbered.get(submission.contest_id, 0) + 1
        Submission.objects.filter(pk=submission.pk).update(number=numbered[submission.contest_id])


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0005_api_token"),
    ]

    operations = [
        migrations.AddField(
            model_name="submission",
            name="number",
            field=models.PositiveIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="submission",
            name="number",
            field=models.PositiveIntegerField(
                editable=False, help_text='The number in its contest (1, 2, ... in the order submitted): what '
                                          'reviewers and the public read as "Submission N". Never the id, which '
                                          "counts every contest's submissions."),
        ),
        migrations.AddConstraint(
            model_name="submission",
            constraint=models.UniqueConstraint(fields=("contest", "number"), name="unique_submission_number_per_contest"),
        ),
    ]
