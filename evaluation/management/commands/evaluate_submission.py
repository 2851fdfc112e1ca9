"""python manage.py evaluate_submission TASK.zip --metric METRIC --task-name NAME --model SPEC ...

Validates the zip with the portal's own reader (errors: one line each, ``file, line N, column 'name': message``,
exit status 1), scores every file on every model, prints a table (and what its baseline column
means) and writes per-example CSVs, summary.json and plot.html into --out (default
./evaluation-<task name>). --json prints summary.json on stdout (the table then goes to stderr).
Exit status 2 when some model could not score some file (the others are still scored and
reported). --no-progress draws no progress bar at all, transformers' loading bars included.

This is how contestants develop a task, so a task with fewer examples than the contest requires
is scored: the count rule is a warning here (printed, and in summary.json's warnings), while the
submission form refuses such a task. The logic is in evaluation.engine.evaluate; this command
only parses arguments and prints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from evaluation.engine.evaluate import ModelSpec, evaluate_task, format_table
from evaluation.engine.taskfile import check_example_count, read_task_zip
from evaluation.engine.types import METRICS
from portal.uploads import limits_from_settings


class Command(BaseCommand):
    help = "Validate a task zip and score it on one or more models (tables, CSVs, summary.json, plot.html)."
    requires_system_checks: list = []  # needs no database

    def add_arguments(self, parser):
        parser.add_argument("zip", type=Path, help="the task's zip of CSV files")
        parser.add_argument("--metric", required=True, choices=METRICS)
        parser.add_argument("--task-name", required=True, help="the task's name (CSV files are NAME.csv, NAME-PART1.csv ...)")
        parser.add_argument("--model", action="append", required=True, dest="models", metavar="SPEC",
                            help="hub id, model folder, FOLDER::FILE.gguf or openai:URL#MODEL; repeat for more")
        parser.add_argument("--params", type=int, nargs="+", default=None, metavar="N",
                            help="parameter counts, in the order of --model (default: the model's own count)")
        parser.add_argument("--out", type=Path, default=None, help="output folder (default ./evaluation-<task name>)")
        parser.add_argument("--json", action="store_true", help="print summary.json on stdout")
        parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, auto (default: cuda if there is one)")
        parser.add_argument("--dtype", default=None, help="float32, bfloat16, float16 (default: fp32 on CPU, bf16/fp16 on GPU)")
        parser.add_argument("--cache-dir", type=Path, default=None, help="where converted GGUF models are kept")
        parser.add_argument("--no-progress", action="store_true",
                            help="no progress bars (neither scoring nor model loading)")

    def handle(self, *args, **opts):
        models: list[str] = opts["models"]
        params: list[int] | None = opts["params"]
        if params is not None and len(params) != len(models):
            raise CommandError(f"--params gives {len(params)} counts for {len(models)} --model; give one per model, in order.")
        if not opts["zip"].is_file():
            raise CommandError(f"{opts['zip']}: no such file")

        report = read_task_zip(opts["zip"], metric=opts["metric"], task_name=opts["task_name"],
                               limits=limits_from_settings(), min_examples_is_error=False)
        for issue in report.warnings:
            self.stderr.write(f"warning: {issue.as_text()}")
        if not report.valid:
            for issue in report.errors:
                self.stderr.write(issue.as_text())
            self.stderr.write(f"{opts['zip']}: {len(report.errors)} error(s); nothing was scored.")
            sys.exit(1)

        specs = [ModelSpec(spec, params[i] if params else None) for i, spec in enumerate(models)]
        out_dir = opts["out"] or Path(f"evaluation-{opts['task_name']}")
        too_few, _ = check_example_count(report.files)  # what the submission form would refuse
        summary = evaluate_task(report, metric=opts["metric"], models=specs, out_dir=out_dir,
                                progress=not opts["no_progress"], cache_dir=opts["cache_dir"],
                                device=opts["device"], dtype=opts["dtype"], title=opts["task_name"],
                                task_warnings=too_few)

        table = self.stderr if opts["json"] else self.stdout
        table.write(format_table(summary, metric=opts["metric"]))
        for w in summary["warnings"]:
            if w["model"] is not None:  # the task's own warnings were printed above
                self.stderr.write(f"warning: {w['model']}: {w['file']}: {w['message']}")
        for e in summary["errors"]:
            self.stderr.write(f"error: {e['model']}: {e['file'] or '(model)'}: {e['message']}")
        table.write(f"wrote {out_dir}/summary.json, {out_dir}/plot.html and per-example CSVs")
        if opts["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
        if summary["errors"]:
            sys.exit(2)
