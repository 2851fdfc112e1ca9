"""Where each CSV record starts, as a physical line number an editor shows.

pandas reads the CSV with its default arguments (as the rules promise); a quote-aware scan of the
bytes with the same grammar as pandas' C tokenizer under default options (``,`` separator, ``"``
quotes doubled inside quoted fields, blank and whitespace-only lines skipped) maps each record to
the physical line where it starts, so a row whose quoted prompt spans several lines is located at
the line where it starts.
"""

from __future__ import annotations

import re

import numpy as np

# One field as pandas' C tokenizer reads it with default options: a quoted field (quotes doubled
# inside; anything after the closing quote up to the next separator belongs to the field), or an
# unquoted one (quotes inside it are literal).
_FIELD = rb'(?:"[^"]*(?:""[^"]*)*"[^,\r\n]*|[^,\r\n"][^,\r\n]*|)'
_RECORD = re.compile(
    rb"(?P<blank>[ \t]*(?:\r\n|\r|\n))|" + _FIELD + rb"(?:," + _FIELD + rb")*(?:\r\n|\r|\n|\Z)"
)


class Lines:
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


def record_starts(data: bytes) -> list[int]:
    """Byte offsets where the records (header included, blank lines not) start."""
    return [m.start() for m in _RECORD.finditer(data) if m.lastgroup is None and m.end() > m.start()]


def scan_records(data: bytes) -> tuple[list[int], list[int], int]:
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
