"""Seed a demo contest with two rounds, one account per role and the project's sample submissions, and
print the logins."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from portal.deadlines import to_aoe
from portal.demo import submit_samples
from portal.models import Contest, Profile, Round
from portal.roles import CONTESTANT, ORGANIZER, REVIEWER

DEMO_ACCOUNTS = [
    ("contestant", CONTESTANT, "contestant-demo-pass"),
    ("reviewer", REVIEWER, "reviewer-demo-pass"),
    ("organizer", ORGANIZER, "organizer-demo-pass"),
]


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
        for username, role, password in DEMO_ACCOUNTS:
            self._account(username, role, password)
        self.stdout.write("Demo contest: {} ({})".format(contest.name, "created" if created else "already there"))
        for username, role, password in DEMO_ACCOUNTS:
            self.stdout.write(f"  {role:<11} login: {username:<11} password: {password}")
        if not options["no_samples"]:
            for line in submit_samples(contest=contest, user=User.objects.get(username="contestant")):
                self.stdout.write(line)

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
    def _account(username: str, role: str, password: str) -> None:
        user, made = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.org"})
        if made:
            user.set_password(password)
            user.is_staff = role == ORGANIZER
            user.is_superuser = role == ORGANIZER
            user.save()
            Profile.objects.create(user=user, role=role)
