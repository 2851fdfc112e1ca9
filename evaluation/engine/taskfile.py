"""Reading and validating a contest task upload: a zip of CSV files, read the way the rules say.

Plain Python (no Django): the portal's upload form, the `validate_submission` command, the Celery
workers and the engine's command line all call this module, so a file the portal accepts is
exactly a file the workers can score.

Public API
----------
``read_task_zip(source, *, metric, task_name, limits=Limits(), author_names=(), author_emails=())``
    Reads a whole upload (a path, bytes, or a binary file object) and returns a `TaskReport`.
    It never raises for bad user input: every problem is an `Issue` in ``report.errors`` or
    ``report.warnings``, all of them at once (per file the error list is capped at
    `MAX_ERRORS_PER_FILE`, followed by one "and N more" issue).
``read_task_csv(name, data, *, metric, kind="main", index=None, author_names=(), author_emails=())``
    Reads one CSV's bytes: returns ``(TaskFile | None, errors, warnings)``. The TaskFile is None
    when the file cannot be read at all (not UTF-8, not a CSV pandas can parse, empty). The
    example-count rules (at least 300 over all non-control files, about 1000 advised) are about a
    whole task, so they are applied by `read_task_zip` (or by calling `check_example_count`).

Locations: ``Issue.file`` is the CSV's name (for problems with the zip itself, the entry's name
as stored in the zip, or None for the whole upload); ``Issue.line`` is the physical line in the
file as an editor counts it (header = line 1; a row whose quoted prompt spans several lines is
located at the line where it starts); ``Issue.column`` is the CSV column's name. Messages are
sentences that say what to fix and do not repeat the location, so a page shows the location
fields next to the message.

Zip layout decisions
--------------------
* The CSVs sit at the top of the zip, or all inside one single top-level folder (what zipping a
  folder produces); that folder is dropped from the names silently. CSVs in deeper folders, or
  spread over several folders, are errors.
* ``__MACOSX/`` entries and dotfiles (any path part starting with ".") are ignored with one
  warning; directory entries are skipped silently.
* Refused with an error: absolute paths, ``..`` parts, symlinks, encrypted entries, nested
  archives (by name or by magic bytes), anything else that is not ``.csv``, and duplicate names.
* Limits (`Limits`): the upload's size; the number of entries; the total uncompressed size, both
  as declared in the central directory and as actually read (reads are capped, declared sizes are
  not trusted); the compression ratio of each entry and of the whole zip. The ratio is checked
  only for data above `Limits.min_bytes_for_ratio_check` (1 MiB), since a tiny file can compress
  very well without being a threat.

Rows and lines: pandas reads the CSV with its default arguments (as the rules promise), and a
quote-aware scan of the bytes (same grammar as pandas' C tokenizer with default options: ``,``
separator, ``"`` quotes doubled inside quoted fields, blank and whitespace-only lines skipped)
maps each row to the physical line where it starts. The ``examples`` of a TaskFile hold only the
rows without errors, so when ``report.valid`` they hold every row, in file order.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from typing import BinaryIO, Iterable, Sequence

import numpy as np
import pandas as pd

from .types import (
    METRICS,
    REQUIRED_COLUMNS,
    ClassificationExample,
    Issue,
    LogoddsExample,
    SequenceProbExample,
    TaskFile,
    TaskReport,
)

__all__ = [
    "Limits",
    "MAX_ERRORS_PER_FILE",
    "MIN_EXAMPLES",
    "ADVISED_EXAMPLES",
    "read_task_zip",
    "read_task_csv",
    "check_example_count",
    "classify_name",
]

MIN_EXAMPLES = 300
ADVISED_EXAMPLES = 1000
MAX_ERRORS_PER_FILE = 200
_MAX_AUTHOR_HITS = 1000  # stop counting a name's occurrences here
_LISTED_LINES = 10  # how many lines a grouped warning names before "and N more"


@dataclass(frozen=True)
class Limits:
    max_compressed_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 500 * 1024 * 1024
    max_entries: int = 100
    max_compression_ratio: int = 200  # uncompressed/compressed, per entry and overall (zip bombs)
    min_bytes_for_ratio_check: int = 1024 * 1024  # ratios are checked above this many bytes


# --- small helpers ---------------------------------------------------------------------------


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} kB"
    return f"{n} bytes"


def _show(value, width: int = 60) -> str:
    """A value as the user wrote it, shortened for a message."""
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    if len(text) > width:
        text = text[: width - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def _list_lines(lines: Sequence[int], limit: int = _LISTED_LINES) -> str:
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


# --- locating rows ---------------------------------------------------------------------------

# One field as pandas' C tokenizer reads it with default options: a quoted field (quotes doubled
# inside; anything after the closing quote up to the next separator belongs to the field), or an
# unquoted one (quotes inside it are literal).
_FIELD = rb'(?:"[^"]*(?:""[^"]*)*"[^,\r\n]*|[^,\r\n"][^,\r\n]*|)'
_RECORD = re.compile(
    rb"(?P<blank>[ \t]*(?:\r\n|\r|\n))|" + _FIELD + rb"(?:," + _FIELD + rb")*(?:\r\n|\r|\n|\Z)"
)


class _Lines:
    """Physical line numbers (1-based) of byte offsets: \\n, \\r\\n and a lone \\r end a line."""

    def __init__(self, data: bytes):
        arr = np.frombuffer(data, dtype=np.uint8)
        breaks = np.flatnonzero(arr == 10)
        if b"\r" in data:
            cr = np.flatnonzero(arr == 13)
            lone = cr[(cr + 1 >= len(arr)) | (arr[np.minimum(cr + 1, len(arr) - 1)] != 10)]
            breaks = np.union1d(breaks, lone)
        self._breaks = breaks

    def of(self, offsets) -> np.ndarray:
        return np.searchsorted(self._breaks, np.asarray(offsets), side="left") + 1

    def at(self, offset: int) -> int:
        return int(self.of([offset])[0])


def _scan_records(data: bytes) -> tuple[list[int], list[int], int]:
    """Quote-aware scan: (start offsets of records, pandas line number of each, where it stopped).

    pandas' own "line N" in its error messages counts records and blank lines but not line breaks
    inside quoted fields; the second list lets such a number be mapped back to a record.
    """
    starts: list[int] = []
    pandas_lines: list[int] = []
    pos, n, count = 0, len(data), 0
    match = _RECORD.match
    while pos < n:
        m = match(data, pos)
        if m is None or m.end() == pos:
            break
        count += 1
        if m.lastgroup != "blank":
            starts.append(pos)
            pandas_lines.append(count)
        pos = m.end()
    return starts, pandas_lines, pos


# --- file names ------------------------------------------------------------------------------


def classify_name(name: str, task_name: str) -> tuple[str, int | None] | None:
    """("main", None), ("part", N) or ("control", N) for a file name under the naming rule."""
    m = re.fullmatch(re.escape(task_name) + r"(?:-(PART|CONTROL)([1-9][0-9]*))?\.csv", name)
    if m is None:
        return None
    if m.group(1) is None:
        return "main", None
    return ("part" if m.group(1) == "PART" else "control"), int(m.group(2))


def _expected_names(task_name: str) -> str:
    return (f"{task_name}.csv for a task in one file, or {task_name}-PART1.csv, "
            f"{task_name}-PART2.csv, … for a task in several parts, plus optional controls "
            f"{task_name}-CONTROL1.csv, {task_name}-CONTROL2.csv, …")


# --- authors ---------------------------------------------------------------------------------


def _author_patterns(author_names: Sequence[str], author_emails: Sequence[str]):
    patterns = []
    seen = set()
    for name in author_names:
        name = " ".join((name or "").split())
        if len(name) < 3 or name.lower() in seen:
            continue
        seen.add(name.lower())
        # whole words only, so "Ann" does not match "announce". File contents are searched for the
        # name with single spaces (fast substring search); this pattern, which allows any
        # whitespace between the parts, checks file names.
        body = r"\s+".join(re.escape(part) for part in name.split(" "))
        patterns.append(("name", name, re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE),
                         name.lower()))
    for email in author_emails:
        email = (email or "").strip()
        if len(email) < 3 or email.lower() in seen:
            continue
        seen.add(email.lower())
        patterns.append(("email address", email, re.compile(re.escape(email), re.IGNORECASE),
                         email.lower()))
    return patterns


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _author_warnings_in_text(file: str, text: str, lines: _Lines | None, data: bytes | None,
                             patterns) -> list[Issue]:
    out = []
    lower = text.lower()
    exact_offsets = len(lower) == len(text)  # lower() kept every offset (almost always true)
    for what, value, pattern, anchor in patterns:
        if exact_offsets:
            # a C-speed substring search of the lowercased text, then a word-boundary check
            whole_words = what == "name"
            hits, pos, size = [], lower.find(anchor), len(anchor)
            while pos != -1:
                end = pos + size
                if not whole_words or (
                        (pos == 0 or not _is_word_char(lower[pos - 1]))
                        and (end >= len(lower) or not _is_word_char(lower[end]))):
                    hits.append(pos)
                    if len(hits) > _MAX_AUTHOR_HITS:
                        break
                pos = lower.find(anchor, pos + 1)
        else:
            hits = []
            for m in pattern.finditer(text):
                hits.append(m.start())
                if len(hits) > _MAX_AUTHOR_HITS:
                    break
        if not hits:
            continue
        line = None
        if lines is not None and data is not None:
            offset = len(text[: hits[0]].encode("utf-8"))
            line = lines.at(offset)
        if len(hits) > _MAX_AUTHOR_HITS:
            more = f" (and more than {_MAX_AUTHOR_HITS - 1} more places)"
        elif len(hits) > 1:
            more = f" (and {len(hits) - 1} more place{'s' if len(hits) > 2 else ''})"
        else:
            more = ""
        out.append(Issue(file, line, None,
                         f"The file contains the author {what} '{value}'{more}; the rules ask "
                         f"for anonymous files, so remove it."))
    return out


# --- one CSV ---------------------------------------------------------------------------------

_literal_cache: dict[str, object] = {}


def _literal(text: str):
    """ast.literal_eval, cached by string; returns the value or an Exception instance."""
    try:
        return _literal_cache[text]
    except KeyError:
        pass
    try:
        value = ast.literal_eval(text) if len(text) <= 100_000 else ValueError("too long")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        value = exc
    if len(_literal_cache) > 100_000:
        _literal_cache.clear()
    _literal_cache[text] = value
    return value


def _is_empty(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def _as_text(value) -> str:
    return value if isinstance(value, str) else str(value)


def _parse_classes(value, metric: str) -> tuple[tuple[str, ...] | None, str | None]:
    """(classes, None) or (None, error message)."""
    example = 'like [" Yes", " No"]'
    if _is_empty(value):
        return None, f"classes is empty; write the classes as a Python list of strings, {example}."
    if not isinstance(value, str):
        return None, (f"classes is {_show(value)}, not a list; write the classes as a Python list "
                      f"of strings, {example}.")
    parsed = _literal(value)
    if isinstance(parsed, Exception):
        return None, (f"classes {_show(value)} is not a Python list literal; write it {example}, "
                      f"with every class in quotes and the brackets closed.")
    if not isinstance(parsed, list):
        return None, (f"classes {_show(value)} is a {type(parsed).__name__}, not a list; write it "
                      f"{example}.")
    for i, item in enumerate(parsed):
        if not isinstance(item, str):
            return None, (f"Class {i + 1} in classes is {_show(item)}, not a string; put every "
                          f"class in quotes, {example}.")
        if item == "":
            return None, (f"Class {i + 1} in classes is an empty string; every class needs text "
                          f"(usually starting with a space, like \" Yes\").")
    if metric in ("logodds", "absolute_logodds"):
        if len(parsed) != 2:
            return None, (f"classes has {len(parsed)} class{'es' if len(parsed) != 1 else ''}; "
                          f"the {metric} metric needs exactly 2, {example}.")
    elif len(parsed) < 2:
        return None, (f"classes has {len(parsed)} class{'es' if len(parsed) != 1 else ''}; a "
                      f"classification task needs at least 2 classes to choose from.")
    return tuple(parsed), None


_INT = re.compile(r"\s*[+-]?\d+\s*")


def _parse_index(value) -> tuple[int | None, str | None]:
    hint = "give the position of the correct class in classes, counting from 0"
    if isinstance(value, (bool, np.bool_)):
        return None, f"answer_index is {value}, not a whole number; {hint}."
    if isinstance(value, (int, np.integer)):
        return int(value), None
    if _is_empty(value):
        return None, f"answer_index is empty; {hint}."
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer():
            return int(value), None
        return None, f"answer_index is {value}, not a whole number; {hint}."
    if isinstance(value, str) and _INT.fullmatch(value):
        return int(value), None
    return None, f"answer_index is {_show(value)}, not a whole number; {hint}."


def _column_hint(missing: str, columns: Sequence[str]) -> str:
    for col in columns:
        if isinstance(col, str) and col != missing and col.strip().lower() == missing:
            return f" The header has {col!r}; rename it to '{missing}'."
    return ""


def _bad_utf8(name: str, data: bytes, exc: UnicodeDecodeError) -> Issue:
    offset = exc.start
    line = _Lines(data).at(offset)
    line_start = data.rfind(b"\n", 0, offset) + 1
    byte = data[offset:offset + 1].hex().upper()
    return Issue(name, line, None,
                 f"The file is not UTF-8 text: byte 0x{byte} at position {offset - line_start + 1} "
                 f"of the line cannot be decoded. Save the file as UTF-8 (pandas: "
                 f"to_csv(path, index=False, encoding='utf-8')).")


def read_task_csv(name: str, data: bytes, *, metric: str, kind: str = "main",
                  index: int | None = None, author_names: Sequence[str] = (),
                  author_emails: Sequence[str] = ()
                  ) -> tuple[TaskFile | None, list[Issue], list[Issue]]:
    """Read and check one CSV: ``(TaskFile | None, errors, warnings)``; never raises for bad input.

    `kind` and `index` are stored on the TaskFile as given (read_task_zip derives them from the
    file name). Row errors are capped at `MAX_ERRORS_PER_FILE`.
    """
    errors: list[Issue] = []
    warnings: list[Issue] = []
    if metric not in METRICS:
        errors.append(Issue(name, None, None, f"Unknown metric {metric!r}; choose one of "
                                              f"{', '.join(METRICS)}."))
        return None, errors, warnings
    required = REQUIRED_COLUMNS[metric]

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [_bad_utf8(name, data, exc)], warnings

    if not data[:4096].strip() and not text.strip():
        return None, [Issue(name, None, None,
                            f"The file is empty; it needs a header line ({','.join(required)}) "
                            f"and then one row per example.")], warnings

    lines = _Lines(data)
    try:
        frame = pd.read_csv(io.BytesIO(data))
    except pd.errors.ParserError as exc:
        return None, [_parser_error(name, data, lines, exc)], warnings
    except pd.errors.EmptyDataError:
        return None, [Issue(name, None, None,
                            f"The file is empty; it needs a header line ({','.join(required)}) "
                            f"and then one row per example.")], warnings
    except Exception as exc:  # pandas can raise odd things on odd input; never crash on a user file
        return None, [Issue(name, None, None,
                            f"pandas could not read the file ({type(exc).__name__}: {exc}); save "
                            f"it with pandas' to_csv(path, index=False) and upload it again.")], warnings

    columns = [str(c) for c in frame.columns]
    n_rows = len(frame)
    task_file = TaskFile(name=name, kind=kind, index=index, rows=n_rows, columns=columns,
                         sha256=hashlib.sha256(data).hexdigest())

    if not isinstance(frame.index, pd.RangeIndex):
        errors.append(Issue(name, 1, None,
                            "The rows have more fields than the header names, so pandas would "
                            "use the extra first field as the row index; name every column in "
                            "the header (line 1) or remove the extra field (often a trailing "
                            "comma at the end of each row)."))
        return task_file, errors, warnings

    # Map rows to physical lines (pandas accepted the file, so the scan follows its tokenizer).
    starts = [m.start() for m in _RECORD.finditer(data)
              if m.lastgroup is None and m.end() > m.start()]
    if len(starts) == n_rows + 1:
        row_lines = lines.of(starts[1:]).tolist()
    else:  # should not happen; fall back to naming rows by position
        row_lines = [None] * n_rows

    # Columns.
    missing = [c for c in required if c not in frame.columns]
    for col in missing:
        errors.append(Issue(name, 1, col,
                            f"The column '{col}' is missing; the {metric} metric needs the "
                            f"columns {', '.join(required)} in the header (line 1)."
                            + _column_hint(col, columns)))
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
                                  f"The column '{col}' is not used by the {metric} metric and "
                                  f"will be ignored; remove it unless you need it."))
    if n_rows == 0:
        errors.append(Issue(name, None, None,
                            "The file has a header but no rows; add one row per example."))
    if missing or n_rows == 0:
        return task_file, _cap(errors, name), warnings

    # Rows: one cheap pass in Python (string checks, cached literal_eval, typed examples).
    has_classes = "classes" in required
    has_other = "other_prompt" in required
    prompts = frame["prompt"].tolist()
    others = frame["other_prompt"].tolist() if has_other else None
    completions = frame["completion"].tolist() if not has_classes else None
    classes_col = frame["classes"].tolist() if has_classes else None
    index_col = frame["answer_index"].tolist() if has_classes else None
    int_index = has_classes and frame["answer_index"].dtype.kind in "iu"

    examples = []
    no_space_lines: list[int] = []
    no_space_example: str | None = None
    parse_cache: dict = {}
    str_ = str
    for i in range(n_rows):
        line = row_lines[i]
        prefix = "" if line is not None else f"Row {i + 1}: "
        ok = True
        prompt = prompts[i]
        if prompt.__class__ is not str_ or not prompt or prompt.isspace():
            if _is_empty(prompt):
                errors.append(Issue(name, line, "prompt",
                                    f"{prefix}The prompt is empty; every row needs the text the "
                                    f"model reads."))
                ok = False
            else:
                prompt = str(prompt)
        if has_other:
            other = others[i]
            if other.__class__ is not str_ or not other or other.isspace():
                if _is_empty(other):
                    errors.append(Issue(name, line, "other_prompt",
                                        f"{prefix}The other_prompt is empty; every row of a "
                                        f"{metric} task needs the second prompt to compare "
                                        f"with."))
                    ok = False
                else:
                    other = str(other)
        if not has_classes:
            completion = completions[i]
            if completion.__class__ is not str_ or not completion or completion.isspace():
                if _is_empty(completion):
                    errors.append(Issue(name, line, "completion",
                                        f"{prefix}The completion is empty; every row needs the "
                                        f"text whose probability is measured."))
                    continue
                completion = str(completion)
            if ok:
                examples.append(SequenceProbExample(line, prompt, completion))
            continue

        raw = classes_col[i]
        cached = parse_cache.get(raw) if raw.__class__ is str_ else None
        if cached is None:
            cached = _parse_classes(raw, metric)
            if raw.__class__ is str_:
                parse_cache[raw] = cached
        classes, problem = cached
        if problem:
            errors.append(Issue(name, line, "classes", prefix + problem))
            ok = False
        if int_index:
            answer, index_problem = index_col[i], None
        else:
            answer, index_problem = _parse_index(index_col[i])
        if index_problem:
            errors.append(Issue(name, line, "answer_index", prefix + index_problem))
            ok = False
        elif classes is not None and not 0 <= answer < len(classes):
            errors.append(Issue(name, line, "answer_index",
                                f"{prefix}answer_index is {answer} but classes has "
                                f"{len(classes)} classes (positions 0 to {len(classes) - 1}); "
                                f"give the position of the correct class, counting from 0."))
            ok = False
        if classes is not None:
            for c in classes:
                if not c[0].isspace():
                    if line is not None:
                        no_space_lines.append(line)
                    if no_space_example is None:
                        no_space_example = c
                    break
        if ok:
            if has_other:
                examples.append(LogoddsExample(line, prompt, other, classes, answer))
            else:
                examples.append(ClassificationExample(line, prompt, classes, answer))
    task_file.examples = examples

    if no_space_example is not None:
        listed = _list_lines(no_space_lines) if no_space_lines else "some rows"
        warnings.append(Issue(name, no_space_lines[0] if no_space_lines else None, "classes",
                              f"Classes without a leading space on lines {listed} (for example "
                              f"{no_space_example!r}); a model reads ' Yes' after a prompt as a "
                              f"different token from 'Yes', so classes usually start with a "
                              f"space, like ' Yes'."))

    # Duplicate rows (every column identical; empty cells count as equal).
    cells = []
    for col, has_na in zip(frame.columns, frame.isna().any().tolist()):
        values = frame[col].tolist()
        cells.append([None if _is_empty(v) else v for v in values] if has_na else values)
    first_seen: dict = {}
    dups: list[tuple[int, int]] = []  # (row, row it repeats)
    for i, key in enumerate(zip(*cells)):
        j = first_seen.setdefault(key, i)
        if j != i:
            dups.append((i, j))
    if dups:
        def at(row: int):
            return row_lines[row] if row_lines[row] is not None else f"row {row + 1}"

        dup_lines = [at(i) for i, _ in dups]
        if len(dups) == 1:
            text_ = (f"This row repeats line {at(dups[0][1])} exactly; remove the duplicate, "
                     f"each example should appear once.")
        else:
            text_ = (f"Lines {_list_lines(dup_lines)} repeat earlier rows exactly (line "
                     f"{dup_lines[0]} repeats line {at(dups[0][1])}); remove the duplicates, "
                     f"each example should appear once.")
        warnings.append(Issue(name, row_lines[dups[0][0]], None, text_))

    patterns = _author_patterns(author_names, author_emails)
    if patterns:
        warnings.extend(_author_warnings_in_text(name, text, lines, data, patterns))

    return task_file, _cap(errors, name), warnings


_PANDAS_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_PANDAS_EOF = re.compile(r"EOF inside string")


def _parser_error(name: str, data: bytes, lines: _Lines, exc: Exception) -> Issue:
    detail = str(exc).strip()
    detail = re.sub(r"^Error tokenizing data\. C error: ", "", detail)
    m = _PANDAS_LINE.search(detail)
    if m:
        expected, pandas_line, saw = int(m.group(1)), int(m.group(2)), int(m.group(3))
        starts, pandas_lines, _ = _scan_records(data)
        line = None
        try:
            line = lines.at(starts[pandas_lines.index(pandas_line)])
        except ValueError:
            pass
        return Issue(name, line, None,
                     f"pandas could not read the file: this row has {saw} fields but the header "
                     f"has {expected}. Put any field that contains a comma, a quote or a line "
                     f"break in double quotes (doubling the quotes inside it), or remove the "
                     f"extra comma.")
    if _PANDAS_EOF.search(detail):
        _, _, stopped = _scan_records(data)
        return Issue(name, lines.at(stopped), None,
                     "pandas could not read the file: a quoted field that starts on this line is "
                     "never closed. Close it with a double quote, and double any quote inside "
                     "it (\"\").")
    return Issue(name, None, None,
                 f"pandas could not read the file: {detail}. Save it with pandas' "
                 f"to_csv(path, index=False) and upload it again.")


# --- the whole task --------------------------------------------------------------------------


def check_example_count(files: Iterable[TaskFile]) -> tuple[list[Issue], list[Issue]]:
    """The task-level count rules over the non-control files: (errors, warnings)."""
    total = sum(f.rows for f in files if f.kind != "control")
    if total < MIN_EXAMPLES:
        return [Issue(None, None, None,
                      f"The task has {total} example{'s' if total != 1 else ''} in its "
                      f"non-control files; the contest requires at least {MIN_EXAMPLES}, so add "
                      f"more examples.")], []
    if total < ADVISED_EXAMPLES:
        return [], [Issue(None, None, None,
                          f"The task has {total} examples; aim for about {ADVISED_EXAMPLES} so "
                          f"that the scaling trend is measured precisely.")]
    return [], []


_ARCHIVE_SUFFIXES = (".zip", ".gz", ".tgz", ".tar", ".bz2", ".tbz", ".tbz2", ".xz", ".txz",
                     ".7z", ".rar", ".zst", ".lz", ".lzma", ".z", ".jar", ".cab", ".arj")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\x1f\x8b", b"BZh",
                  b"\xfd7zXZ\x00", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"\x28\xb5\x2f\xfd",
                  b"\x5d\x00\x00", b"MSCF")


def _is_archive_bytes(data: bytes) -> bool:
    return data.startswith(_ARCHIVE_MAGIC) or data[257:262] == b"ustar"


def _open_source(source) -> tuple[object, int] | None:
    """(something zipfile can open, its size in bytes)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        return io.BytesIO(data), len(data)
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source), os.path.getsize(source)
    fileobj: BinaryIO = source
    try:
        fileobj.seek(0, io.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(0)
        return fileobj, size
    except (AttributeError, OSError, io.UnsupportedOperation):
        data = fileobj.read()
        return io.BytesIO(data), len(data)


def read_task_zip(source, *, metric: str, task_name: str, limits: Limits = Limits(),
                  author_names: Sequence[str] = (), author_emails: Sequence[str] = ()) -> TaskReport:
    """Read a task upload (path, bytes or binary file object) and check it against the rules."""
    report = TaskReport()
    errors, warnings = report.errors, report.warnings
    if metric not in METRICS:
        errors.append(Issue(None, None, None,
                            f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}."))
        return report

    try:
        opened, size = _open_source(source)
    except OSError as exc:
        errors.append(Issue(None, None, None, f"The upload could not be read ({exc}); upload it again."))
        return report
    if size > limits.max_compressed_bytes:
        errors.append(Issue(None, None, None,
                            f"The zip is {_size(size)}; the limit is "
                            f"{_size(limits.max_compressed_bytes)}. Remove files or split the "
                            f"task so the zip fits."))
        return report
    try:
        archive = zipfile.ZipFile(opened)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        errors.append(Issue(None, None, None,
                            "The upload is not a zip file; put your CSV files in a .zip archive "
                            "(for example `zip task.zip task.csv`) and upload that."))
        return report
    except Exception as exc:  # a damaged or exotic zip: never crash on a user's upload
        errors.append(Issue(None, None, None,
                            f"The zip could not be opened ({type(exc).__name__}: {exc}); zip the "
                            f"CSV files again with a standard zip tool and upload that."))
        return report

    with archive:
        try:
            _read_archive(archive, size, report, metric=metric, task_name=task_name,
                          limits=limits, author_names=author_names, author_emails=author_emails)
        except Exception as exc:  # last line of defence; the checks above should catch it all
            errors.append(Issue(None, None, None,
                                f"The zip could not be read ({type(exc).__name__}: {exc}); zip "
                                f"the CSV files again with a standard zip tool and upload that."))
    return report


def _read_archive(archive: zipfile.ZipFile, size: int, report: TaskReport, *, metric: str,
                  task_name: str, limits: Limits, author_names, author_emails) -> None:
    errors, warnings = report.errors, report.warnings
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        errors.append(Issue(None, None, None,
                            f"The zip has {len(infos)} entries; the limit is {limits.max_entries}. "
                            f"Upload only the task's CSV files."))
        return
    declared = sum(i.file_size for i in infos)
    if declared > limits.max_uncompressed_bytes:
        errors.append(Issue(None, None, None,
                            f"The zip's contents are {_size(declared)} uncompressed; the limit is "
                            f"{_size(limits.max_uncompressed_bytes)}. Make the task smaller."))
        return
    if (declared > limits.min_bytes_for_ratio_check
            and declared > limits.max_compression_ratio * max(size, 1)):
        errors.append(Issue(None, None, None,
                            f"The zip expands {declared // max(size, 1)} times when unpacked; "
                            f"the limit is {limits.max_compression_ratio} times. Upload the CSV "
                            f"files zipped normally."))
        return

    patterns = _author_patterns(author_names, author_emails)
    ignored: list[str] = []
    candidates: list[zipfile.ZipInfo] = []
    seen_names: set[str] = set()
    for info in infos:
        entry = info.filename
        parts = [p for p in entry.replace("\\", "/").split("/")]
        if entry.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", entry):
            errors.append(Issue(entry, None, None,
                                "The zip entry has an absolute path; zip the CSV files with "
                                "relative names."))
            continue
        if ".." in parts:
            errors.append(Issue(entry, None, None,
                                "The zip entry's path contains '..'; zip the CSV files with plain "
                                "relative names."))
            continue
        if parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts if p):
            ignored.append(entry)
            continue
        if info.is_dir():
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            errors.append(Issue(entry, None, None,
                                "The zip entry is a symbolic link; put the CSV file itself in "
                                "the zip."))
            continue
        if entry in seen_names:
            errors.append(Issue(entry, None, None,
                                "The zip holds two entries with this name; keep only one."))
            continue
        seen_names.add(entry)
        lower = entry.lower()
        if lower.endswith(_ARCHIVE_SUFFIXES):
            errors.append(Issue(entry, None, None,
                                "The zip contains another archive; archives inside the zip are "
                                "not accepted, so put the CSV files directly in the zip."))
            continue
        if not lower.endswith(".csv"):
            errors.append(Issue(entry, None, None,
                                f"Only CSV files belong in the zip; remove this file (the task's "
                                f"files are {_expected_names(task_name)})."))
            continue
        if info.flag_bits & 0x1:
            errors.append(Issue(entry, None, None,
                                "The zip entry is encrypted; zip the CSV files without a "
                                "password."))
            continue
        candidates.append(info)
    if ignored:
        warnings.append(Issue(None, None, None,
                              f"Ignored {len(ignored)} "
                              f"{'entries that are' if len(ignored) > 1 else 'entry that is'} not part of the task (macOS metadata or hidden files): "
                              f"{', '.join(ignored[:5])}{' and more' if len(ignored) > 5 else ''}."))

    # Folders: all at the top, or all inside one single top folder.
    folders = {info.filename.rsplit("/", 1)[0] if "/" in info.filename else "" for info in candidates}
    strip = ""
    if len(folders) == 1 and (folder := next(iter(folders))) and "/" not in folder:
        strip = folder + "/"
    named: list[tuple[zipfile.ZipInfo, str]] = []
    for info in candidates:
        if strip:
            named.append((info, info.filename[len(strip):]))
        elif "/" in info.filename:
            errors.append(Issue(info.filename, None, None,
                                "The CSV file is inside a folder; put the CSV files at the top of "
                                "the zip (or all of them inside one single folder)."))
        else:
            named.append((info, info.filename))

    for info in infos:
        for what, value, pattern, _ in patterns:
            if pattern.search(info.filename):
                warnings.append(Issue(info.filename, None, None,
                                      f"The file name contains the author {what} '{value}'; the "
                                      f"rules ask for anonymous files, so rename it."))

    # Names and kinds.
    kinds: list[tuple[zipfile.ZipInfo, str, str, int | None]] = []
    for info, name in named:
        kind = classify_name(name, task_name)
        if kind is None:
            errors.append(Issue(name, None, None,
                                f"The file name does not follow the naming rule; name the files "
                                f"{_expected_names(task_name)}."))
            continue
        kinds.append((info, name, kind[0], kind[1]))
    mains = [k for k in kinds if k[2] == "main"]
    parts = sorted(k[3] for k in kinds if k[2] == "part")
    if mains and parts:
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
    if not mains and not parts:
        errors.append(Issue(None, None, None,
                            f"The zip has no task file; add {task_name}.csv (or "
                            f"{task_name}-PART1.csv, {task_name}-PART2.csv, … for a task in "
                            f"several parts)."))

    # Read the CSVs, with a byte cap: declared sizes are not trusted.
    order = {"main": 0, "part": 1, "control": 2}
    kinds.sort(key=lambda k: (order[k[2]], k[3] or 0))
    budget = limits.max_uncompressed_bytes
    unreadable_task_file = False
    for info, name, kind, index in kinds:
        cap = budget
        if info.compress_size > 0:
            cap = min(cap, max(limits.max_compression_ratio * info.compress_size,
                               limits.min_bytes_for_ratio_check))
        try:
            with archive.open(info) as handle:
                data = handle.read(cap + 1)
        except Exception as exc:  # BadZipFile, zlib.error, unsupported methods, truncation…
            detail = str(exc).strip() or type(exc).__name__
            errors.append(Issue(name, None, None,
                                f"The file could not be unpacked from the zip ({detail}); zip it "
                                f"again with a standard zip tool and upload it."))
            unreadable_task_file |= kind != "control"
            continue
        if len(data) > cap:
            if cap == budget:
                errors.append(Issue(name, None, None,
                                    f"The zip's contents are more than "
                                    f"{_size(limits.max_uncompressed_bytes)} uncompressed; make "
                                    f"the task smaller."))
                return
            errors.append(Issue(name, None, None,
                                f"The file expands more than {limits.max_compression_ratio} times "
                                f"when unpacked; upload the CSV files zipped normally."))
            unreadable_task_file |= kind != "control"
            continue
        budget -= len(data)
        if _is_archive_bytes(data):
            errors.append(Issue(name, None, None,
                                "The file is a compressed archive, not a CSV; archives inside the "
                                "zip are not accepted, so put the CSV file itself in the zip."))
            unreadable_task_file |= kind != "control"
            continue
        task_file, file_errors, file_warnings = read_task_csv(
            name, data, metric=metric, kind=kind, index=index,
            author_names=author_names, author_emails=author_emails)
        errors.extend(file_errors)
        warnings.extend(file_warnings)
        if task_file is None:
            unreadable_task_file |= kind != "control"
        else:
            report.files.append(task_file)

    if (mains or parts) and not unreadable_task_file:
        count_errors, count_warnings = check_example_count(report.files)
        errors.extend(count_errors)
        warnings.extend(count_warnings)
