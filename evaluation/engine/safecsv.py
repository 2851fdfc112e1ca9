"""CSV written for people to open in a spreadsheet, with no cell a spreadsheet would run (plain Python).

Excel, LibreOffice Calc and Google Sheets read a cell that starts with ``=``, ``+``, ``-`` or ``@`` as
a formula, and a leading tab or carriage return can hide one; a formula can fetch URLs or, in old
Excel, start programs (CSV or formula injection). Every CSV the project writes for someone to open
(the organizers' awards.csv and reviews.csv, the per-example results from the pages, the API and
the command line) goes through `write_csv`, which follows OWASP's advice:

* a text cell that starts with one of `FORMULA_TRIGGERS` gets a single quote in front
  (``=HYPERLINK(...)`` is written ``'=HYPERLINK(...)``), which spreadsheets read as "this is text";
* every text cell is written in double quotes, inner quotes doubled, so a separator inside it (a
  comma, or the semicolon on which some locales split a line) never starts a new cell, whose first
  character could be a trigger;
* numbers the program computed (int and float, numpy's too) are written bare and unchanged, so a
  negative score stays a number; booleans are written ``true``/``false``, None as an empty cell.

The header row (column names the program chose) is written as plain CSV.
"""

from __future__ import annotations

import csv
import io
import numbers
from collections.abc import Iterable, Sequence
from typing import TextIO

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str | int | float:
    """The value as written in a cell: numbers as they are, anything else as text, neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def write_csv(stream: TextIO, *, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write the header, then each row with `safe_cell` applied (text quoted, numbers bare)."""
    csv.writer(stream).writerow(header)
    cells = csv.writer(stream, quoting=csv.QUOTE_NONNUMERIC)  # quotes every str, never an int or float
    cells.writerows([safe_cell(value) for value in row] for row in rows)


def csv_text(*, header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """`write_csv` into a string."""
    out = io.StringIO()
    write_csv(out, header=header, rows=rows)
    return out.getvalue()
