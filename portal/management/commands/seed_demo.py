"""Seed a demo contest with two rounds, one account per role (the reviewer on the contest's panel, through
portal.signals.demo_seeded) and the project's sample submissions, and print the logins."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal import signals
from portal.deadlines import to_aoe
from portal.demo import submit_samples
from portal.models import Contest, Profile, Round
from portal.roles import CONTESTANT, ORGANIZER, REVIEWER

# (username, role, password, email). The reviewer's address is on a domain of its own: one it shared with
# the demo's authors (the contestant) would be a conflict of interest with every demo submission.
DEMO_ACCOUNTS = [
    ("contestant", CONTESTANT, "contestant-demo-pass", "contestant@example.org"),
    ("reviewer", REVIEWER, "reviewer-demo-pass", "reviewer@reviewers.example.net"),
    ("organizer", ORGANIZER, "organizer-demo-pass", "organizer@example.org"),
]
SHARED_DOMAIN = "example.org"  # where every demo account was before; a reviewer there moves to its own


class Command(BaseCommand):
    help = ("Create (once) a demo contest with two rounds, one account per role and three sample submissions "
            "by the demo contestant (evaluated on the registered public series); prints the logins.")

    def add_arguments(self, parser):
        parser.add_argument("--no-samples", action="store_true", help="Do not submit the sample tasks.")

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                f"seed_demo makes accounts whose passwords are published ({DEMO_ACCOUNTS[0][2]}, ...), so it "
                "runs only with DEBUG on, never on a public site. Make real accounts with: python manage.py "
                "create_account USERNAME --role organizer --email EMAIL")
        contest, created = self._contest()
        accounts = {role: self._account(username, role, password, email)
                    for username, role, password, email in DEMO_ACCOUNTS}
        self.stdout.write("Demo contest: {} ({})".format(contest.name, "created" if created else "already there"))
        for username, role, password, _ in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<11} login: {username:<11} password: {password}")
        if not options["no_samples"]:
            for line in submit_samples(contest=contest, user=accounts[CONTESTANT]):
                self.stdout.write(line)
        signals.demo_seeded.send(sender=self.__class__, contest=contest, organizer=accounts[ORGANIZER],
                                 reviewer=accounts[REVIEWER])

    @staticmethod
    def _contest():
        # Rounds open at 00:00 and close at 23:59 Anywhere on Earth, as the contest rules state them.
        today = to_aoe(timezone.now()).replace(hour=0, minute=0, second=0, microsecond=0)

        def aoe_day(days: int, *, end: bool = False):
            start = today + timedelta(days=days)
            return start + timedelta(hours=23, minutes=59) if end else start

        contest, created = Contest.objects.get_or_create(
            slug="demo", defaults={
                "name": "Inverse Scaling Prize (demo)",
                "description": "Submit tasks on which larger language models do worse.",
            })
        if created:
            Round.objects.create(contest=contest, number=1, name="Round 1",
                                 opens_at=aoe_day(-1), closes_at=aoe_day(30, end=True))
            Round.objects.create(contest=contest, number=2, name="Round 2",
                                 opens_at=aoe_day(45), closes_at=aoe_day(90, end=True))
        return contest, created

    @staticmethod
    def _account(username: str, role: str, password: str, email: str) -> User:
        user, made = User.objects.get_or_create(username=username, defaults={"email": email})
        if made:
            user.set_password(password)
            user.is_staff = role == ORGANIZER
            user.is_superuser = role == ORGANIZER
            user.save()
            Profile.objects.create(user=user, role=role)
        elif user.email != email and user.email == f"{username}@{SHARED_DOMAIN}":  # seeded before it had its own
            user.email = email
            user.save(update_fields=["email"])
        return user
