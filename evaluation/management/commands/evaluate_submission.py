"""python manage.py evaluate_submission TASK.zip --metric METRIC --task-name NAME --model SPEC ...

Validates the zip with the portal's own reader (errors: one line each, ``file, line N, column 'name': message``,
exit status 1), scores every file on every model, prints a table (and what its baseline column
means) and writes per-example CSVs, summary.json and plot.html into --out (default
./evaluation-<task name>). --json prints summary.json on stdout (the table then goes to stderr).
Exit status 2 when some model could not score some file (the others are still scored and
reported). --no-progress draws no progress bar at all, transformers' loading bars included.

This is how contestants develop a task, so a task with fewer examples than the contest requires
is scored: the count rule is a warning here (printed, and in summary.json's warnings), while the
submission form refuses such a task. This command is `isp-eval score`
(evaluation.engine.cli.run_score, whose logic is in evaluation.engine.evaluate) with the upload
limits of the portal's settings; it only parses arguments.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from evaluation.engine.cli import add_score_arguments, run_score
from evaluation.engine.console import Console, Problem
from portal.uploads import limits_from_settings


class Command(BaseCommand):
    help = "Validate a task zip and score it on one or more models (tables, CSVs, summary.json, plot.html)."
    requires_system_checks: list = []  # needs no database

    def add_arguments(self, parser):
        add_score_arguments(parser, task_name_required=True, out_required=False)

    def handle(self, *args, **opts):
        try:
            status = run_score(path=opts["path"], metric=opts["metric"], task_name=opts["task_name"],
                               models=opts["models"], console=Console(out=self.stdout.write, err=self.stderr.write),
                               out_dir=opts["out"], params=opts["params"], as_json=opts["json"],
                               device=opts["device"], dtype=opts["dtype"], cache_dir=opts["cache_dir"],
                               progress=not opts["no_progress"], limits=limits_from_settings())
        except Problem as exc:
            raise CommandError(str(exc)) from exc
        if status:
            sys.exit(status)
