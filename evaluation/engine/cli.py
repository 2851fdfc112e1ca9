"""`isp-eval`, the engine's command line (argparse, no Django): how a contestant checks and scores a task.

    isp-eval validate ZIP_OR_CSV --metric METRIC [--task-name NAME] [--json]
    isp-eval score ZIP_OR_CSV --metric METRIC --model SPEC [--model SPEC ...] --out DIR
                   [--task-name NAME] [--params N ...] [--json] [--device DEVICE] [--dtype DTYPE]
                   [--cache-dir DIR] [--no-progress]
    isp-eval partner --portal URL --token TOKEN --model NAME=SPEC [--model NAME=SPEC ...] [--once]
                   [--poll SECONDS] [--device DEVICE] [--dtype DTYPE] [--no-progress]   (partner.py)

The task is a zip of CSV files, or one CSV (judged as the zip holding only that file would be); its
name is the file's stem unless ``--task-name`` says otherwise, and its files must be named after it
(NAME.csv, NAME-PART1.csv, ..., NAME-CONTROL1.csv, ...). The upload limits are the contest's defaults
(`taskfile.Limits`).

``validate`` gives the submission form's verdict. It prints the files, then every error and warning as
``file, line N, column 'name': message`` and a last line VALID or INVALID; with ``--json``,
``TaskReport.as_dict()``: {"valid", "files", "errors", "warnings"}. Exit status 0 when valid
(warnings allowed), 1 when not.

``score`` validates the task (errors: one line each on stderr, exit status 1, nothing scored; fewer
than 300 examples is only a warning here), scores every file on every model (a hub id, a model
folder, FOLDER::FILE.gguf, pretrained:NAME or openai:URL#MODEL: `backends.load_backend`), prints a
table and what its baseline column means, and writes per-example CSVs, summary.json and plot.html
into ``--out`` (`evaluate.evaluate_task`). ``--json`` prints summary.json on stdout (the table then
goes to stderr). Exit status 2 when some model could not score some file (the others are still
scored and reported).

A wrong invocation (no such file, ``--params`` not one per model) prints ``isp-eval COMMAND: error:
MESSAGE`` and exits 1; argparse's own usage errors exit 2.

The portal's ``manage.py validate_submission`` and ``manage.py evaluate_submission`` are this code:
they declare their arguments with `add_validate_arguments` and `add_score_arguments` and call
`run_validate` and `run_score` with the portal's upload limits and a `Console` around Django's
streams.

Adding a subcommand (the partner loop is meant to be one): in a module of its own, write
``add_arguments(parser)`` and ``run(args, console) -> int`` (the exit status; raise
`console.Problem` for a wrong invocation; import what is heavy inside ``run``, so that ``isp-eval
--help`` stays quick), then add one line to `SUBCOMMANDS`:
``Subcommand("partner", "one line of help", partner.add_arguments, partner.run)``. The new
module imports `Console` and `Problem` from `console.py`, never from here.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import partner
from .console import Console, Problem
from .metrics import METRICS
from .taskfile import Limits

PROG = "isp-eval"


# --- validate ------------------------------------------------------------------------------------

def add_validate_arguments(parser: argparse.ArgumentParser, *, task_name_required: bool = False) -> None:
    parser.add_argument("path", metavar="ZIP_OR_CSV", type=Path,
                        help="the task: a zip of its CSV files, or one CSV file")
    parser.add_argument("--metric", required=True, choices=METRICS)
    parser.add_argument("--task-name", required=task_name_required, default=None,
                        help="the task's name; its files are NAME.csv or NAME-PART1.csv, ..., plus "
                             "NAME-CONTROL1.csv, ..." + ("" if task_name_required else
                                                         " (default: the file's name without its extension)"))
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run_validate(*, path: Path, metric: str, task_name: str | None, as_json: bool, console: Console,
                 limits: Limits | None = None, author_names: Sequence[str] = (),
                 author_emails: Sequence[str] = ()) -> int:
    """Check a task as the submission form does and print the verdict; returns the exit status."""
    from .taskfile import read_task_path

    path = Path(path)
    if not path.is_file():
        raise Problem(f"{path} is not a file; give the path of the task's zip or CSV.")
    try:
        report = read_task_path(path, metric=metric, task_name=task_name or path.stem,
                                limits=limits or Limits(), author_names=author_names,
                                author_emails=author_emails)
    except OSError as exc:
        raise Problem(f"{path} could not be read ({exc.strerror or exc}).") from exc
    if as_json:
        console.out(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        _print_report(report, console)
    return 0 if report.valid else 1


def _print_report(report, console: Console) -> None:
    write = console.out
    if report.files:
        width = max(len("file"), *(len(f.name) for f in report.files))
        write(f"{'file':<{width}}  {'kind':<7}  {'index':>5}  {'rows':>7}  columns")
        for f in report.files:
            index = "" if f.index is None else str(f.index)
            write(f"{f.name:<{width}}  {f.kind:<7}  {index:>5}  {f.rows:>7}  {', '.join(f.columns)}")
    else:
        write("No task files could be read.")
    for title, issues in (("errors", report.errors), ("warnings", report.warnings)):
        write("")
        write(f"{len(issues)} {title[:-1] if len(issues) == 1 else title}")
        for issue in issues:
            write(issue.as_text())
    write("")
    if report.valid:
        console.verdict("VALID: the upload follows the contest's file rules.", ok=True)
    else:
        console.verdict("INVALID: fix the errors above and check again.", ok=False)


def _validate(args: argparse.Namespace, console: Console) -> int:
    return run_validate(path=args.path, metric=args.metric, task_name=args.task_name, as_json=args.json,
                        console=console)


# --- score -----------------------------------------------------------------------------------------

def add_score_arguments(parser: argparse.ArgumentParser, *, task_name_required: bool = False,
                        out_required: bool = True) -> None:
    parser.add_argument("path", metavar="ZIP_OR_CSV", type=Path,
                        help="the task: a zip of its CSV files, or one CSV file")
    parser.add_argument("--metric", required=True, choices=METRICS)
    parser.add_argument("--task-name", required=task_name_required, default=None,
                        help="the task's name (CSV files are NAME.csv, NAME-PART1.csv ...)"
                             + ("" if task_name_required else "; default: the file's name without its extension"))
    parser.add_argument("--model", action="append", required=True, dest="models", metavar="SPEC",
                        help="hub id, model folder, FOLDER::FILE.gguf or openai:URL#MODEL; repeat for more")
    parser.add_argument("--params", type=int, nargs="+", default=None, metavar="N",
                        help="parameter counts, in the order of --model (default: the model's own count)")
    parser.add_argument("--out", type=Path, required=out_required, default=None,
                        help="output folder" + ("" if out_required else " (default ./evaluation-<task name>)"))
    parser.add_argument("--json", action="store_true", help="print summary.json on stdout")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, auto (default: cuda if there is one)")
    parser.add_argument("--dtype", default=None,
                        help="float32, bfloat16, float16 (default: fp32 on CPU, bf16/fp16 on GPU)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="where converted GGUF models are kept")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bars (neither scoring nor model loading)")


def run_score(*, path: Path, metric: str, task_name: str | None, models: Sequence[str], console: Console,
              out_dir: Path | None = None, params: Sequence[int] | None = None, as_json: bool = False,
              device: str | None = None, dtype: str | None = None, cache_dir: Path | None = None,
              progress: bool = True, limits: Limits | None = None) -> int:
    """Validate a task, score it on `models` and write the outputs; returns the exit status."""
    from .evaluate import ModelSpec, evaluate_task, format_table
    from .taskfile import check_example_count, read_task_path

    if params is not None and len(params) != len(models):
        raise Problem(f"--params gives {len(params)} counts for {len(models)} --model; give one per model, in order.")
    path = Path(path)
    if not path.is_file():
        raise Problem(f"{path}: no such file")
    task_name = task_name or path.stem
    try:
        report = read_task_path(path, metric=metric, task_name=task_name, limits=limits or Limits(),
                                min_examples_is_error=False)
    except OSError as exc:
        raise Problem(f"{path} could not be read ({exc.strerror or exc}).") from exc
    for issue in report.warnings:
        console.err(f"warning: {issue.as_text()}")
    if not report.valid:
        for issue in report.errors:
            console.err(issue.as_text())
        console.err(f"{path}: {len(report.errors)} error(s); nothing was scored.")
        return 1

    specs = [ModelSpec(spec, params[i] if params else None) for i, spec in enumerate(models)]
    out_dir = Path(out_dir) if out_dir is not None else Path(f"evaluation-{task_name}")
    if out_dir.exists() and not out_dir.is_dir():
        raise Problem(f"{out_dir} is a file; give --out a folder (it is made if missing).")
    too_few, _ = check_example_count(report.files)  # what the submission form would refuse
    summary = evaluate_task(report, metric=metric, models=specs, out_dir=out_dir, progress=progress,
                            cache_dir=cache_dir, device=device, dtype=dtype, title=task_name,
                            task_warnings=too_few)

    table = console.err if as_json else console.out
    table(format_table(summary, metric=metric))
    for w in summary["warnings"]:
        if w["model"] is not None:  # the task's own warnings were printed above
            console.err(f"warning: {w['model']}: {w['file']}: {w['message']}")
    for e in summary["errors"]:
        console.err(f"error: {e['model']}: {e['file'] or '(model)'}: {e['message']}")
    table(f"wrote {out_dir}/summary.json, {out_dir}/plot.html and per-example CSVs")
    if as_json:
        console.out(json.dumps(summary, indent=2))
    return 2 if summary["errors"] else 0


def _score(args: argparse.Namespace, console: Console) -> int:
    return run_score(path=args.path, metric=args.metric, task_name=args.task_name, models=args.models,
                     console=console, out_dir=args.out, params=args.params, as_json=args.json,
                     device=args.device, dtype=args.dtype, cache_dir=args.cache_dir,
                     progress=not args.no_progress)


# --- the command -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Subcommand:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Console], int]  # returns the exit status


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand("validate", "check a task's files against the contest's rules, as the submission form does",
               add_validate_arguments, _validate),
    Subcommand("score", "score a task on one or more models: a table, per-example CSVs, summary.json, plot.html",
               add_score_arguments, _score),
    Subcommand("partner", "score the portal's waiting runs of your models on your own hardware (the partner API)",
               partner.add_arguments, partner.run),
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{PROG} {version(PROG)}"
    except PackageNotFoundError:
        return f"{PROG} (run from a checkout, not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Validate and score Inverse Scaling Prize task files.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for sub in SUBCOMMANDS:
        sub_parser = commands.add_parser(sub.name, help=sub.help, description=sub.help)
        sub.add_arguments(sub_parser)
        sub_parser.set_defaults(run=sub.run)
    return parser


def main(argv: Sequence[str] | None = None, *, console: Console | None = None) -> int:
    """Run ``isp-eval`` with `argv` (default: the process's arguments); returns the exit status."""
    args = build_parser().parse_args(argv)
    console = console or Console()
    try:
        return args.run(args, console)
    except Problem as exc:
        console.err(f"{PROG} {args.command}: error: {exc}")
        return 1
    except KeyboardInterrupt:
        console.err(f"{PROG} {args.command}: interrupted")
        return 130
