"""Write a contest's public release of its benchmark as one zip, as the organizers' button does.

    python manage.py export_release --contest SLUG --out FILE.zip [--by USERNAME]

The zip (reviews/release.py) holds the accepted tasks of the rounds whose awards are announced: a dataset card
that `datasets.load_dataset` reads (one config per task), metadata.json, the tasks' JSONL, lm-eval task YAMLs
with the contest's metrics, and SHA256SUMS; no email, no reviewer or validator, no task that was not accepted,
nothing of an unannounced round. Before a round is announced it writes nothing and exits 1 with the reason the
button gives. The file appears only when complete (it is written next to FILE.zip first). The export goes into
the contest's audit log, under --by when given.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from portal.models import Contest
from portal.roles import ORGANIZER, role_of
from reviews import export, release, services


class Command(BaseCommand):
    help = ("Write a contest's public release (the accepted tasks of its announced rounds: dataset card, JSONL, "
            "lm-eval tasks, metadata, SHA-256 checksums) as one zip.")

    def add_arguments(self, parser):
        parser.add_argument("--contest", required=True, help="the contest's slug")
        parser.add_argument("--out", required=True, help="the zip to write")
        parser.add_argument("--by", help="the organizer's username to record in the audit log")

    def handle(self, *args, **options):
        contest = Contest.objects.filter(slug=options["contest"]).first()
        if contest is None:
            known = ", ".join(Contest.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No contest has the slug {options['contest']!r} (contests: {known}).")
        by = None
        if options["by"]:
            by = User.objects.filter(username=options["by"]).first()
            if by is None or role_of(by) != ORGANIZER:
                raise CommandError(f"{options['by']!r} is not an organizer's username.")
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"The folder {out.parent} does not exist; create it or choose another --out.")
        partial = out.with_name(out.name + ".part")
        try:
            with partial.open("wb") as target:
                names = release.write_release(contest, target)
            os.replace(partial, out)
        except (release.ReleaseRefused, export.ExportFailed) as failed:
            raise CommandError(str(failed)) from failed
        finally:
            partial.unlink(missing_ok=True)
        services.record_export(contest=contest, by=by, what=f"the public release ({len(names)} tasks) to {out.name} "
                                                            "from the command line")
        self.stdout.write(f"Wrote {out}: {len(names)} accepted task{'s' if len(names) != 1 else ''} of the announced "
                          f"rounds: {', '.join(names)}.")
