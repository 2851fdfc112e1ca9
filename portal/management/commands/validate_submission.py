"""Check a task zip against the contest rules, exactly as the submission form does.

    python manage.py validate_submission task.zip --metric classification --task-name my-task
    python manage.py validate_submission task.zip --metric logodds --task-name my-task --json \
        --author-name "Ada Lovelace" --author-email ada@example.org

Exits 0 when the upload is valid (warnings allowed) and 1 when it is not. Without --json it prints
the files, then every error and warning as ``file, line N, column 'name': message``; with --json it prints
``TaskReport.as_dict()``: {"valid", "files", "errors", "warnings"}.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluation.engine.taskfile import read_task_zip
from evaluation.engine.types import METRICS
from portal.uploads import limits_from_settings


class Command(BaseCommand):
    help = "Validate a task zip against the contest's file rules (as the submission form does)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the zip file to check")
        parser.add_argument("--metric", required=True, choices=METRICS)
        parser.add_argument("--task-name", required=True,
                            help="the task name given in the form; files must be named after it")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--author-name", action="append", default=[], dest="author_names",
                            help="an author's name that must not appear in the files (repeatable)")
        parser.add_argument("--author-email", action="append", default=[], dest="author_emails",
                            help="an author's email that must not appear in the files (repeatable)")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file; give the path of the task's zip.")
        report = read_task_zip(path, metric=options["metric"], task_name=options["task_name"],
                               limits=limits_from_settings(),
                               author_names=options["author_names"],
                               author_emails=options["author_emails"])
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self._print_table(report)
        if not report.valid:
            raise SystemExit(1)

    def _print_table(self, report) -> None:
        write = self.stdout.write
        if report.files:
            width = max(len("file"), *(len(f.name) for f in report.files))
            write(f"{'file':<{width}}  {'kind':<7}  {'index':>5}  {'rows':>7}  columns")
            for f in report.files:
                index = "" if f.index is None else str(f.index)
                write(f"{f.name:<{width}}  {f.kind:<7}  {index:>5}  {f.rows:>7}  "
                      f"{', '.join(f.columns)}")
        else:
            write("No task files could be read.")
        for title, issues in (("errors", report.errors), ("warnings", report.warnings)):
            write("")
            write(f"{len(issues)} {title[:-1] if len(issues) == 1 else title}")
            for issue in issues:
                write(issue.as_text())
        write("")
        if report.valid:
            write(self.style.SUCCESS("VALID: the upload follows the contest's file rules."))
        else:
            write(self.style.ERROR("INVALID: fix the errors above and check again."))
