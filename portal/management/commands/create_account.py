"""Make (or update) an account: organizers use it for reviewers, validators and other organizers.

    PORTAL_NEW_PASSWORD=... python manage.py create_account USERNAME --role reviewer --email EMAIL

The password comes from PORTAL_NEW_PASSWORD, or is asked for twice on a terminal. Run again for the
same username, it updates the role, email and password. The account's email counts as confirmed.
"""

from __future__ import annotations

import getpass
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from portal import accounts
from portal.roles import ROLE_CHOICES

PASSWORD_VARIABLE = "PORTAL_NEW_PASSWORD"


class Command(BaseCommand):
    help = "Create or update an account with a role (contestant, reviewer, validator, organizer) and email."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[value for value, _ in ROLE_CHOICES])
        parser.add_argument("--email", required=True)

    def handle(self, *args, username: str, role: str, email: str, **options):
        try:
            accounts.ensure_valid_email(email=email)  # before asking for a password on a terminal
            user, created = accounts.create_or_update_account(
                username=username, role=role, email=email, password=self._password())
        except accounts.AccountRefused as refused:
            raise CommandError(refused.message) from None
        self.stdout.write(f"{'Created' if created else 'Updated'} {role} account {user.username} <{user.email}>.")

    def _password(self) -> str:
        password = os.environ.get(PASSWORD_VARIABLE)
        if password:
            return password
        if not sys.stdin.isatty():
            raise CommandError(f"Set the password in the {PASSWORD_VARIABLE} environment variable, or run "
                               "this command on a terminal to type it.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ; run the command again.")
        return password
