"""One CSV of a task: read with pandas' default arguments, checked column by column and row by row.

`read_task_csv` never raises for bad input: the file's errors and warnings come back at once
(errors capped at `MAX_ERRORS_PER_FILE`, then one "and N more"). Each row becomes a typed example
through its metric's row parser (metrics.Metric.parse_row); the TaskFile's ``examples`` hold the
rows without errors, so a file without errors holds every row, in file order. Locations are the
CSV's name, the physical line where the row starts (lines.py) and the column's name; messages
say what to fix and do not repeat the location.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
from collections.abc import Sequence

import pandas as pd

from .. import cells
from ..metrics import Metric, get_metric
from ..types import Example, Issue, TaskFile
from .authors import author_patterns, content_warnings
from .lines import Lines, record_starts, scan_records

MAX_ERRORS_PER_FILE = 200
_LISTED_LINES = 10  # how many lines a grouped warning names before "and N more"
_PANDAS_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_PANDAS_EOF = re.compile(r"EOF inside string")


def list_lines(lines: Sequence[int], limit: int = _LISTED_LINES) -> str:
    """"2, 3, 5 and 117 more" / "2, 3 and 5" / "4"."""
    lines = list(lines)
    if len(lines) > limit:
        return f"{', '.join(map(str, lines[:limit]))} and {len(lines) - limit} more"
    if len(lines) == 1:
        return str(lines[0])
    return f"{', '.join(map(str, lines[:-1]))} and {lines[-1]}"


def _cap(errors: list[Issue], file: str | None, limit: int = MAX_ERRORS_PER_FILE) -> list[Issue]:
    if len(errors) <= limit:
        return errors
    more = len(errors) - limit
    return errors[:limit] + [Issue(file, None, None,
                                   f"…and {more} more error{'s' if more != 1 else ''} in this "
                                   f"file not listed; fix the ones above and upload again.")]


# --- a file pandas cannot read ---------------------------------------------------------------


def _bad_utf8(name: str, data: bytes, exc: UnicodeDecodeError) -> Issue:
    offset = exc.start
    line_start = data.rfind(b"\n", 0, offset) + 1
    byte = data[offset:offset + 1].hex().upper()
    return Issue(name, Lines(data).at(offset), None,
                 f"The file is not UTF-8 text: byte 0x{byte} at position {offset - line_start + 1} "
                 f"of the line cannot be decoded. Save the file as UTF-8 (pandas: "
                 f"to_csv(path, index=False, encoding='utf-8')).")


def _parser_error(name: str, data: bytes, lines: Lines, exc: Exception) -> Issue:
    detail = re.sub(r"^Error tokenizing data\. C error: ", "", str(exc).strip())
    m = _PANDAS_LINE.search(detail)
    if m:
        expected, pandas_line, saw = int(m.group(1)), int(m.group(2)), int(m.group(3))
        starts, pandas_lines, _ = scan_records(data)
        line = None
        with contextlib.suppress(ValueError):
            line = lines.at(starts[pandas_lines.index(pandas_line)])
        return Issue(name, line, None,
                     f"pandas could not read the file: this row has {saw} fields but the header "
                     f"has {expected}. Put any field that contains a comma, a quote or a line "
                     f"break in double quotes (doubling the quotes inside it), or remove the "
                     f"extra comma.")
    if _PANDAS_EOF.search(detail):
        _, _, stopped = scan_records(data)
        return Issue(name, lines.at(stopped), None,
                     "pandas could not read the file: a quoted field that starts on this line is "
                     "never closed. Close it with a double quote, and double any quote inside "
                     "it (\"\").")
    return Issue(name, None, None,
                 f"pandas could not read the file: {detail}. Save it with pandas' "
                 f"to_csv(path, index=False) and upload it again.")


def _read_frame(name: str, data: bytes, metric: Metric) -> tuple[pd.DataFrame | None, str, Lines | None, Issue | None]:
    """(frame, text, lines, None), or (None, …, the error) when pandas cannot read the file."""
    empty = Issue(name, None, None, f"The file is empty; it needs a header line "
                                    f"({','.join(metric.required_columns)}) and then one row per example.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, "", None, _bad_utf8(name, data, exc)
    if not data[:4096].strip() and not text.strip():
        return None, text, None, empty
    lines = Lines(data)
    try:
        return pd.read_csv(io.BytesIO(data)), text, lines, None
    except pd.errors.ParserError as exc:
        return None, text, lines, _parser_error(name, data, lines, exc)
    except pd.errors.EmptyDataError:
        return None, text, lines, empty
    except Exception as exc:  # pandas can raise odd things on odd input; never crash on a user file
        return None, text, lines, Issue(name, None, None,
                                        f"pandas could not read the file ({type(exc).__name__}: {exc}); "
                                        f"save it with pandas' to_csv(path, index=False) and upload it again.")


# --- columns ---------------------------------------------------------------------------------


def _column_hint(missing: str, columns: Sequence[str]) -> str:
    for col in columns:
        if col != missing and col.strip().lower() == missing:
            return f" The header has {col!r}; rename it to '{missing}'."
    return ""


def _column_issues(name: str, metric: Metric, columns: list[str]) -> tuple[list[Issue], list[Issue]]:
    required = metric.required_columns
    missing = [c for c in required if c not in columns]
    errors = [Issue(name, 1, col, f"The column '{col}' is missing; the {metric.name} metric needs the "
                                  f"columns {', '.join(required)} in the header (line 1)."
                    + _column_hint(col, columns)) for col in missing]
    warnings = []
    for col in columns:
        if col in required:
            continue
        if col.startswith("Unnamed: "):
            warnings.append(Issue(name, 1, col,
                                  f"The column '{col}' has no name in the header and will be "
                                  f"ignored; it is usually the index that DataFrame.to_csv "
                                  f"writes, so save with to_csv(path, index=False)."))
        elif not any(c.strip().lower() == col.strip().lower() for c in missing):
            warnings.append(Issue(name, 1, col,
                                  f"The column '{col}' is not used by the {metric.name} metric and "
                                  f"will be ignored; remove it unless you need it."))
    return errors, warnings


# --- rows ------------------------------------------------------------------------------------


def _row_lines(data: bytes, lines: Lines, n_rows: int) -> list[int | None]:
    """The physical line of each row (pandas accepted the file, so the scan follows its tokenizer)."""
    starts = record_starts(data)
    if len(starts) == n_rows + 1:
        return lines.of(starts[1:]).tolist()
    return [None] * n_rows  # should not happen; rows are then named by position


def _parse_rows(name: str, frame: pd.DataFrame, metric: Metric, row_lines: list[int | None]
                ) -> tuple[list[Example], list[Issue]]:
    columns = metric.required_columns
    examples, errors = [], []
    for i, values in enumerate(zip(*(frame[c].tolist() for c in columns))):
        line = row_lines[i]
        example, problems = metric.parse_row(dict(zip(columns, values)), line)
        if example is not None:
            examples.append(example)
        # the data row (the example's number, counting from 1 after the header) beside the physical line,
        # which differs once a quoted cell spans several lines
        errors.extend(Issue(name, line, column, f"Example {i + 1}: {message}") for column, message in problems)
    return examples, errors


def _leading_space_warning(name: str, examples: Sequence[Example]) -> list[Issue]:
    lines, first = [], None
    for ex in examples:
        bare = next((c for c in getattr(ex, "classes", ()) if not c[0].isspace()), None)
        if bare is not None:
            first = first if first is not None else bare
            if ex.line is not None:
                lines.append(ex.line)
    if first is None:
        return []
    listed = list_lines(lines) if lines else "some rows"
    return [Issue(name, lines[0] if lines else None, "classes",
                  f"Classes without a leading space on lines {listed} (for example {first!r}); a "
                  f"model reads ' Yes' after a prompt as a different token from 'Yes', so classes "
                  f"usually start with a space, like ' Yes'.")]


def _duplicate_warning(name: str, frame: pd.DataFrame, row_lines: list[int | None]) -> list[Issue]:
    """One warning for rows that repeat an earlier row exactly (empty cells count as equal)."""
    cells_by_column = []
    for col, has_na in zip(frame.columns, frame.isna().any().tolist()):
        values = frame[col].tolist()
        cells_by_column.append([None if cells.is_empty(v) else v for v in values] if has_na else values)
    first_seen: dict = {}
    dups = [(i, j) for i, key in enumerate(zip(*cells_by_column)) if (j := first_seen.setdefault(key, i)) != i]
    if not dups:
        return []

    def at(row: int):
        return row_lines[row] if row_lines[row] is not None else f"row {row + 1}"

    if len(dups) == 1:
        text = (f"This row repeats line {at(dups[0][1])} exactly; remove the duplicate, each example "
                f"should appear once.")
    else:
        dup_lines = [at(i) for i, _ in dups]
        text = (f"Lines {list_lines(dup_lines)} repeat earlier rows exactly (line {dup_lines[0]} "
                f"repeats line {at(dups[0][1])}); remove the duplicates, each example should appear once.")
    return [Issue(name, row_lines[dups[0][0]], None, text)]


# --- the file --------------------------------------------------------------------------------

_EXTRA_INDEX = ("The rows have more fields than the header names, so pandas would use the extra "
                "first field as the row index; name every column in the header (line 1) or remove "
                "the extra field (often a trailing comma at the end of each row).")


def read_task_csv(name: str, data: bytes, *, metric: str | Metric, kind: str = "main",
                  index: int | None = None, author_names: Sequence[str] = (),
                  author_emails: Sequence[str] = ()
                  ) -> tuple[TaskFile | None, list[Issue], list[Issue]]:
    """Read and check one CSV: ``(TaskFile | None, errors, warnings)``; never raises for bad input.

    The TaskFile is None when the file cannot be read at all (not UTF-8, not a CSV pandas can
    parse, empty). `kind` and `index` are stored on it as given (read_task_zip derives them from
    the file name). The example-count rules are about a whole task (upload.check_example_count).
    """
    try:
        metric = get_metric(metric)
    except ValueError as exc:
        return None, [Issue(name, None, None, str(exc))], []
    frame, text, lines, problem = _read_frame(name, data, metric)
    if problem:
        return None, [problem], []
    columns = [str(c) for c in frame.columns]
    task_file = TaskFile(name=name, kind=kind, index=index, rows=len(frame), columns=columns,
                         sha256=hashlib.sha256(data).hexdigest())
    if not isinstance(frame.index, pd.RangeIndex):
        return task_file, [Issue(name, 1, None, _EXTRA_INDEX)], []
    errors, warnings = _column_issues(name, metric, columns)
    if len(frame) == 0:
        errors.append(Issue(name, None, None, "The file has a header but no rows; add one row per example."))
    if errors:
        return task_file, _cap(errors, name), warnings
    row_lines = _row_lines(data, lines, len(frame))
    task_file.examples, row_errors = _parse_rows(name, frame, metric, row_lines)
    warnings += _leading_space_warning(name, task_file.examples)
    warnings += _duplicate_warning(name, frame, row_lines)
    warnings += content_warnings(name, text, lines, author_patterns(author_names, author_emails))
    return task_file, _cap(row_errors, name), warnings
