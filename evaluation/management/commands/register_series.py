"""python manage.py register_series FILE.yaml [FILE.yaml ...]

Registers model series and their models (see evaluation/registry.py for the format). Idempotent:
registering the same file twice changes nothing; an edited file updates the series in place, and a
model no longer listed is disabled (its runs and results are kept). Every problem of a file is
reported with its place, and nothing of that file is written then.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluation.registry import SeriesFileError, parse_series_file
from evaluation.services import register_series


class Command(BaseCommand):
    help = "Register (or update in place) the model series of one or more YAML files."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE.yaml")

    def handle(self, *args, **options):
        parsed = []
        for path in options["files"]:
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
            try:
                parsed.append((path, parse_series_file(path.read_text(encoding="utf-8"))))
            except SeriesFileError as exc:
                raise CommandError("\n".join(f"{path}: {p}" for p in exc.problems)) from None
        for path, entries in parsed:
            registration = register_series(entries=entries)
            names = ", ".join(e.name for e in entries)
            if not registration.changes:
                self.stdout.write(f"{path}: {names}: unchanged")
            for change in registration.changes:
                self.stdout.write(f"{path}: {change}")
