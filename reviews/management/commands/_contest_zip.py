"""What export_benchmark and export_release share: a contest's zip written to --out only when complete (next to
it first), the organizer named by --by checked, and the export recorded in the contest's audit log. A command says
what it writes (`what`), writes it (`write`), which refusals exit 1 (`refusals`) and what it printed (`wrote`).
Django lists no command module whose name starts with "_", so this one is not a command itself."""

from __future__ import annotations

import os
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from portal.models import Contest
from portal.roles import ORGANIZER, role_of
from reviews import export, services


class ContestZipCommand(BaseCommand):
    what = ""  # for the audit log: "the benchmark", "the public release"
    refusals: tuple[type[Exception], ...] = (export.ExportFailed,)

    def write(self, contest: Contest, target) -> list[str]:
        """Write the zip to the open binary file `target`; the names of the tasks written."""
        raise NotImplementedError

    def wrote(self, out: Path, names: list[str]) -> str:
        """The line printed once the zip is written."""
        raise NotImplementedError

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
                names = self.write(contest, target)
            os.replace(partial, out)
        except self.refusals as failed:
            raise CommandError(str(failed)) from failed
        finally:
            partial.unlink(missing_ok=True)
        services.record_export(contest=contest, by=by, what=f"{self.what} ({len(names)} tasks) to {out.name} "
                                                            "from the command line")
        self.stdout.write(self.wrote(out, names))
