"""A whole upload: the zip, its names, every CSV in it, and the task-level count rule; and a task
given as a path on disk (a zip, or a single CSV) for the command lines."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..metrics import Metric, get_metric
from ..types import Issue, TaskFile, TaskReport
from .authors import author_patterns, name_warnings
from .names import NamedEntry, check_names
from .rows import read_task_csv
from .zipsafety import (
    ByteBudget,
    Limits,
    TooLarge,
    check_totals,
    open_zip,
    place_entries,
    read_entry,
    screen_entries,
    size_text,
)

_DEFAULT_LIMITS = Limits()
MIN_EXAMPLES = 300
ADVISED_EXAMPLES = 1000


def check_example_count(files: Iterable[TaskFile], *, min_examples_is_error: bool = True
                        ) -> tuple[list[Issue], list[Issue]]:
    """The task-level count rules over the non-control files: (errors, warnings).

    With ``min_examples_is_error=False`` (the command line, where a task is still being written)
    fewer than `MIN_EXAMPLES` is a warning with the same message.
    """
    total = sum(f.rows for f in files if f.kind != "control")
    if total < MIN_EXAMPLES:
        too_few = [Issue(None, None, None,
                         f"The task has {total} example{'s' if total != 1 else ''} in its "
                         f"non-control files; the contest requires at least {MIN_EXAMPLES}, so add "
                         f"more examples.")]
        return (too_few, []) if min_examples_is_error else ([], too_few)
    if total < ADVISED_EXAMPLES:
        return [], [Issue(None, None, None,
                          f"The task has {total} examples; aim for about {ADVISED_EXAMPLES} so "
                          f"that the scaling trend is measured precisely.")]
    return [], []


def read_task_zip(source, *, metric: str | Metric, task_name: str, limits: Limits = _DEFAULT_LIMITS,
                  author_names: Sequence[str] = (), author_emails: Sequence[str] = (),
                  min_examples_is_error: bool = True) -> TaskReport:
    """Read a task upload (a path, bytes or a binary file object) and check it against the rules.

    Never raises for bad user input: every problem is an Issue in ``errors`` or ``warnings``.
    """
    report = TaskReport()
    try:
        metric = get_metric(metric)
    except ValueError as exc:
        report.errors.append(Issue(None, None, None, str(exc)))
        return report
    archive, size, problem = open_zip(source, limits)
    if problem:
        report.errors.append(problem)
        return report
    with archive:
        try:
            _read_archive(archive, size, report, metric=metric, task_name=task_name, limits=limits,
                          authors=(author_names, author_emails), min_examples_is_error=min_examples_is_error)
        except TooLarge as exc:
            report.errors.append(exc.args[0])
        except Exception as exc:  # last line of defence; the checks above should catch it all
            report.errors.append(Issue(None, None, None,
                                       f"The zip could not be read ({type(exc).__name__}: {exc}); zip "
                                       f"the CSV files again with a standard zip tool and upload that."))
    return report


def read_task_path(path: str | os.PathLike, *, metric: str | Metric, task_name: str,
                   limits: Limits = _DEFAULT_LIMITS, author_names: Sequence[str] = (),
                   author_emails: Sequence[str] = (), min_examples_is_error: bool = True) -> TaskReport:
    """Read a task from disk: a zip, as `read_task_zip` does, or a single ``.csv`` file.

    A CSV is judged exactly as the zip holding only that file (under its own name, deflated as a
    zip tool does) would be, so the verdicts are those of the submission form for that zip. A CSV
    over the uncompressed limit is refused before it is read. OSError when `path` cannot be read.
    """
    path = Path(path)
    options = dict(metric=metric, task_name=task_name, limits=limits, author_names=author_names,
                   author_emails=author_emails, min_examples_is_error=min_examples_is_error)
    if path.suffix.lower() != ".csv":
        return read_task_zip(path, **options)
    size = path.stat().st_size
    if size > limits.max_uncompressed_bytes:
        return TaskReport(errors=[Issue(path.name, None, None,
                                        f"The file is {size_text(size)}; the limit for a task's files is "
                                        f"{size_text(limits.max_uncompressed_bytes)} uncompressed. Make "
                                        f"the task smaller.")])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        # a fixed time: zip cannot store a file's mtime before 1980, and the zip is never kept
        archive.writestr(zipfile.ZipInfo(path.name, date_time=(1980, 1, 1, 0, 0, 0)), path.read_bytes(),
                         compress_type=zipfile.ZIP_DEFLATED)
    return read_task_zip(buffer.getvalue(), **options)


def _read_archive(archive: zipfile.ZipFile, size: int, report: TaskReport, *, metric: Metric,
                  task_name: str, limits: Limits, authors, min_examples_is_error: bool) -> None:
    infos = archive.infolist()
    problem = check_totals(infos, size, limits)
    if problem:
        report.errors.append(problem)
        return
    candidates, errors, warnings = screen_entries(infos, task_name)
    named, folder_errors = place_entries(candidates)
    report.errors += errors + folder_errors
    report.warnings += warnings + name_warnings(infos, author_patterns(*authors))
    entries, name_errors, complete = check_names(named, task_name)
    report.errors += name_errors
    all_read = _read_files(archive, entries, report, metric=metric, limits=limits, authors=authors)
    if complete and all_read:
        count_errors, count_warnings = check_example_count(report.files,
                                                           min_examples_is_error=min_examples_is_error)
        report.errors += count_errors
        report.warnings += count_warnings


def _read_files(archive: zipfile.ZipFile, entries: list[NamedEntry], report: TaskReport, *,
                metric: Metric, limits: Limits, authors) -> bool:
    """Read every named CSV into the report; False when a task file (not a control) could not be read."""
    budget = ByteBudget(limits)
    all_read = True
    for info, name, kind, index in entries:
        data, problem = read_entry(archive, info, name, budget)
        task_file = None
        if problem:
            report.errors.append(problem)
        else:
            task_file, errors, warnings = read_task_csv(name, data, metric=metric, kind=kind, index=index,
                                                        author_names=authors[0], author_emails=authors[1])
            report.errors += errors
            report.warnings += warnings
        if task_file is None:
            all_read &= kind == "control"
        else:
            report.files.append(task_file)
    return all_read
