"""Check a task zip against the contest rules, exactly as the submission form does.

    python manage.py validate_submission task.zip --metric classification --task-name my-task
    python manage.py validate_submission task.zip --metric logodds --task-name my-task --json \
        --author-name "Ada Lovelace" --author-email ada@example.org

Exits 0 when the upload is valid (warnings allowed) and 1 when it is not. Without --json it prints
the files, then every error and warning as ``file, line N, column 'name': message``; with --json it prints
``TaskReport.as_dict()``: {"valid", "files", "errors", "warnings"}. A single CSV is judged as the zip
holding only that file would be.

This is `isp-eval validate` (evaluation.engine.cli.run_validate) with the upload limits of the
portal's settings and the authors' names and emails to look for; this command only adds those.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from evaluation.engine.cli import add_validate_arguments, run_validate
from evaluation.engine.console import Console, Problem
from portal.uploads import limits_from_settings


class Command(BaseCommand):
    help = "Validate a task zip against the contest's file rules (as the submission form does)."

    def add_arguments(self, parser):
        add_validate_arguments(parser, task_name_required=True)
        parser.add_argument("--author-name", action="append", default=[], dest="author_names",
                            help="an author's name that must not appear in the files (repeatable)")
        parser.add_argument("--author-email", action="append", default=[], dest="author_emails",
                            help="an author's email that must not appear in the files (repeatable)")

    def handle(self, *args, **options):
        console = Console(out=self.stdout.write, err=self.stderr.write,
                          paint=lambda text, ok: (self.style.SUCCESS if ok else self.style.ERROR)(text))
        try:
            status = run_validate(path=options["path"], metric=options["metric"], task_name=options["task_name"],
                                  as_json=options["json"], console=console, limits=limits_from_settings(),
                                  author_names=options["author_names"], author_emails=options["author_emails"])
        except Problem as exc:
            raise CommandError(str(exc)) from exc
        if status:
            raise SystemExit(status)
