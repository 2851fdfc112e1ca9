"""The naming rule: TASK.csv, or TASK-PART1.csv, TASK-PART2.csv, …, plus TASK-CONTROL1.csv, ….

A name that misses the rule only by case, '_' against '-', or spaces gets the name it should
have ("rename prompt_injection_avoidance.csv to prompt-injection-avoidance.csv"); the checks on
the set of files (one main file or numbered parts, no gaps, at least one task file) count such a
file under the name it should have, so that the user is told what to rename and nothing twice.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Sequence

from ..types import Issue

Kind = tuple[str, int | None]  # ("main", None), ("part", N) or ("control", N)
NamedEntry = tuple[zipfile.ZipInfo, str, str, int | None]  # (entry, name, kind, index)


def classify_name(name: str, task_name: str) -> Kind | None:
    """("main", None), ("part", N) or ("control", N) for a file name under the naming rule."""
    m = re.fullmatch(re.escape(task_name) + r"(?:-(PART|CONTROL)([1-9][0-9]*))?\.csv", name)
    if m is None:
        return None
    if m.group(1) is None:
        return "main", None
    return ("part" if m.group(1) == "PART" else "control"), int(m.group(2))


def expected_names(task_name: str) -> str:
    return (f"{task_name}.csv for a task in one file, or {task_name}-PART1.csv, "
            f"{task_name}-PART2.csv, … for a task in several parts, plus optional controls "
            f"{task_name}-CONTROL1.csv, {task_name}-CONTROL2.csv, …")


def _fold(text: str) -> str:
    return re.sub(r"[\s_-]+", "-", text.lower()).strip("-")


def suggested_name(name: str, task_name: str) -> tuple[str, Kind] | None:
    """The name under the rule that `name` misses only by case, '_' against '-', or spaces."""
    stem, dot, extension = name.rpartition(".")
    if not dot or extension.strip().lower() != "csv":
        return None
    m = re.fullmatch(re.escape(_fold(task_name)) + r"(?:-(part|control)-?([1-9][0-9]*))?", _fold(stem))
    if m is None:
        return None
    if m.group(1) is None:
        return f"{task_name}.csv", ("main", None)
    word, index = m.group(1).upper(), int(m.group(2))
    return f"{task_name}-{word}{index}.csv", ("part" if word == "PART" else "control", index)


def _misnamed(name: str, task_name: str, suggestion: str | None, present: set[str]) -> Issue:
    if suggestion is None:
        message = (f"The file name does not follow the naming rule; name the files "
                   f"{expected_names(task_name)}.")
    elif suggestion in present:
        message = (f"The file name differs from {suggestion}, which the zip also holds, only in "
                   f"case, '_' or spaces; remove one of the two.")
    else:
        message = (f"The file name differs from the naming rule only in case, '_' or spaces; "
                   f"rename {name} to {suggestion}.")
    return Issue(name, None, None, message)


def _set_errors(kinds: Iterable[Kind], task_name: str) -> list[Issue]:
    """The rules on the set of files: one main file or numbered parts, no gaps, a task file."""
    kinds = set(kinds)
    has_main = ("main", None) in kinds
    parts = sorted(index for kind, index in kinds if kind == "part")
    errors = []
    if has_main and parts:
        errors.append(Issue(None, None, None,
                            f"The zip holds both {task_name}.csv and PART files; use either one "
                            f"file {task_name}.csv or numbered parts {task_name}-PART1.csv, "
                            f"{task_name}-PART2.csv, …, not both."))
    if parts and parts != list(range(1, len(parts) + 1)):
        missing = sorted(set(range(1, parts[-1] + 1)) - set(parts))
        errors.append(Issue(None, None, None,
                            f"PART files must be numbered 1, 2, 3, … without gaps; "
                            f"{', '.join(f'{task_name}-PART{n}.csv' for n in missing)} "
                            f"{'is' if len(missing) == 1 else 'are'} missing."))
    if not has_main and not parts:
        errors.append(Issue(None, None, None,
                            f"The zip has no task file; add {task_name}.csv (or "
                            f"{task_name}-PART1.csv, {task_name}-PART2.csv, … for a task in "
                            f"several parts)."))
    return errors


def check_names(named: Sequence[tuple[zipfile.ZipInfo, str]], task_name: str
                ) -> tuple[list[NamedEntry], list[Issue], bool]:
    """(the files to read, in main, parts, controls order; errors; whether they hold every task
    file). A misnamed task file (main or part) is not read: the count rules wait until it is."""
    present = {name for _, name in named}
    entries: list[NamedEntry] = []
    errors: list[Issue] = []
    kinds: list[Kind] = []
    misnamed_task_file = False
    for info, name in named:
        kind = classify_name(name, task_name)
        if kind is not None:
            entries.append((info, name, *kind))
            kinds.append(kind)
            continue
        suggestion = suggested_name(name, task_name)
        errors.append(_misnamed(name, task_name, suggestion and suggestion[0], present))
        if suggestion and suggestion[0] not in present:
            kinds.append(suggestion[1])
            misnamed_task_file |= suggestion[1][0] != "control"
    errors.extend(_set_errors(kinds, task_name))
    order = {"main": 0, "part": 1, "control": 2}
    entries.sort(key=lambda e: (order[e[2]], e[3] or 0))
    has_task_file = any(kind != "control" for kind, _ in kinds)
    return entries, errors, has_task_file and not misnamed_task_file
