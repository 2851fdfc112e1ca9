"""Two accounts may not share an email, ignoring case: a unique index on lower(email) over the
non-empty emails of auth_user (accounts made in the admin may have none). portal.accounts checks
first for a clear message; this index refuses what slips past the check when two sign-ups race.
The same SQL works on PostgreSQL and SQLite. auth.User is not a model of this project, so the index
is raw SQL rather than a UniqueConstraint."""

from django.db import migrations

INDEX = "portal_auth_user_email_lower_uniq"


def refuse_existing_duplicates(apps, schema_editor):
    """Say which accounts share an email, rather than fail on the index with the database's message."""
    User = apps.get_model("auth", "User")
    seen: dict[str, str] = {}
    shared: dict[str, list[str]] = {}
    for username, email in User.objects.exclude(email="").order_by("pk").values_list("username", "email"):
        first = seen.setdefault(email.lower(), username)
        if first != username:
            shared.setdefault(email.lower(), [first]).append(username)
    if shared:
        listed = "; ".join(f"{email}: {', '.join(usernames)}" for email, usernames in sorted(shared.items()))
        raise RuntimeError(f"These accounts share an email (ignoring case), which is no longer allowed: {listed}. "
                           "Give each account its own email in the admin, then run migrate again.")


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("portal", "0003_profile_email_confirmed"),
    ]

    operations = [
        migrations.RunPython(refuse_existing_duplicates, migrations.RunPython.noop),
        migrations.RunSQL(
            sql=f"CREATE UNIQUE INDEX {INDEX} ON auth_user (LOWER(email)) WHERE email <> ''",
            reverse_sql=f"DROP INDEX {INDEX}",
        ),
    ]
