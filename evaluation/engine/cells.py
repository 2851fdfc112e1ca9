"""One CSV cell read as the contest means it: a text, a list of classes, an answer index.

Each parser takes the value pandas read (with its default arguments) and returns
``(value, None)`` or ``(None, message)``; a message says what to fix and names no location (the
task-file reader adds file, line and column). The metrics' row parsers (metrics.py) combine them.
"""

from __future__ import annotations

import ast
import re

import numpy as np
import pandas as pd

CLASSES_EXAMPLE = 'like [" Yes", " No"]'
_INDEX_HINT = "give the position of the correct class in classes, counting from 0"
_INT = re.compile(r"\s*[+-]?\d+\s*")
_MAX_LITERAL = 100_000  # characters; longer cells are not parsed as list literals
_literal_cache: dict[str, object] = {}


def show(value, width: int = 60) -> str:
    """A value as the user wrote it, shortened for a message."""
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    if len(text) > width:
        text = text[: width - 1] + "…"
    return repr(text) if isinstance(value, str) else text


def is_empty(value) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def parse_text(value) -> str | None:
    """The cell as text, or None when it is empty (pandas reads a number-only cell as a number)."""
    if value.__class__ is str and value and not value.isspace():
        return value
    return None if is_empty(value) else str(value)


def _literal(text: str):
    """ast.literal_eval, cached by string; returns the value or an Exception instance."""
    try:
        return _literal_cache[text]
    except KeyError:
        pass
    try:
        value = ast.literal_eval(text) if len(text) <= _MAX_LITERAL else ValueError("too long")
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        value = exc
    if len(_literal_cache) > 100_000:
        _literal_cache.clear()
    _literal_cache[text] = value
    return value


def _plural(n: int, word: str, plural: str) -> str:
    return f"{n} {word if n == 1 else plural}"


def parse_class_list(value) -> tuple[tuple[str, ...] | None, str | None]:
    """A Python list literal of non-empty strings, of any length."""
    if is_empty(value):
        return None, (f"classes is empty; write the classes as a Python list of strings, "
                      f"{CLASSES_EXAMPLE}.")
    if not isinstance(value, str):
        return None, (f"classes is {show(value)}, not a list; write the classes as a Python list "
                      f"of strings, {CLASSES_EXAMPLE}.")
    parsed = _literal(value)
    if isinstance(parsed, Exception):
        return None, (f"classes {show(value)} is not a Python list literal; write it "
                      f"{CLASSES_EXAMPLE}, with every class in quotes and the brackets closed.")
    if not isinstance(parsed, list):
        return None, (f"classes {show(value)} is a {type(parsed).__name__}, not a list; write it "
                      f"{CLASSES_EXAMPLE}.")
    for i, item in enumerate(parsed):
        if not isinstance(item, str):
            return None, (f"Class {i + 1} in classes is {show(item)}, not a string; put every "
                          f"class in quotes, {CLASSES_EXAMPLE}.")
        if item == "":
            return None, (f"Class {i + 1} in classes is an empty string; every class needs text "
                          f"(usually starting with a space, like \" Yes\").")
    return tuple(parsed), None


def parse_classes(value, *, exactly: int | None, metric: str) -> tuple[tuple[str, ...] | None, str | None]:
    """Classes for a metric that needs `exactly` classes, or at least 2 when `exactly` is None."""
    classes, problem = parse_class_list(value)
    if problem:
        return None, problem
    n = len(classes)
    if exactly is not None and n != exactly:
        return None, (f"classes has {_plural(n, 'class', 'classes')}; the {metric} metric needs "
                      f"exactly {exactly}, {CLASSES_EXAMPLE}.")
    if exactly is None and n < 2:
        return None, (f"classes has {_plural(n, 'class', 'classes')}; a {metric} task needs at "
                      f"least 2 classes to choose from.")
    return classes, None


def parse_index(value) -> tuple[int | None, str | None]:
    """A whole number: an int, a float without a fraction, or a string of digits."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value), None
    if isinstance(value, (bool, np.bool_)):
        return None, f"answer_index is {value}, not a whole number; {_INDEX_HINT}."
    if is_empty(value):
        return None, f"answer_index is empty; {_INDEX_HINT}."
    if isinstance(value, (float, np.floating)):
        if float(value).is_integer():
            return int(value), None
        return None, f"answer_index is {value}, not a whole number; {_INDEX_HINT}."
    if isinstance(value, str) and _INT.fullmatch(value):
        return int(value), None
    return None, f"answer_index is {show(value)}, not a whole number; {_INDEX_HINT}."


def index_in_range(answer: int, classes: tuple[str, ...]) -> str | None:
    if 0 <= answer < len(classes):
        return None
    return (f"answer_index is {answer} but classes has {len(classes)} classes (positions 0 to "
            f"{len(classes) - 1}); give the position of the correct class, counting from 0.")
