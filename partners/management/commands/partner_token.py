"""`manage.py partner_token NAME`: issue a new API token for the partner NAME (created if new) and revoke
its old one. The token is printed once, on the last line, and stored hashed. `--revoke` only revokes."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from evaluation.models import Partner
from partners import tokens


class Command(BaseCommand):
    help = "Issue a partner's API token (printed on the last line; the old one is revoked)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the partner's name (as in the series file's 'partner:')")
        parser.add_argument("--contact", default=None, help="who to write to (set when given)")
        parser.add_argument("--revoke", action="store_true", help="revoke the partner's tokens and issue none")

    def handle(self, *args, name: str, contact: str | None, revoke: bool, **options):
        name = name.strip()
        if not name:
            raise CommandError("Give the partner's name.")
        if revoke:
            partner = Partner.objects.filter(name=name).first()
            if partner is None:
                raise CommandError(f"No partner is called {name!r}.")
            count = tokens.revoke(partner=partner)
            self.stdout.write(f"{count} token(s) of {name} revoked.")
            return
        partner, created = Partner.objects.get_or_create(name=name, defaults={"contact": contact or ""})
        if contact is not None and partner.contact != contact:
            partner.contact = contact
            partner.save(update_fields=["contact"])
        key = tokens.issue(partner=partner)
        self.stdout.write(f"Partner {name}{' (created)' if created else ''}: a new token; the old one no longer "
                          f"works. It is shown once; give it to the partner:")
        self.stdout.write(key)
