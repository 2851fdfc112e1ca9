"""The anonymity scan: authors' names and email addresses in file names and file contents, and the
fold that compares them (which the reviewers' redaction, reviews/redaction.py, uses too).

Names are compared folded: case-folded with their accents removed (Unicode NFKD, combining marks
dropped), so "Zébulon Quixoté", "ZEBULON QUIXOTE" and "zebulon quixote" are one name, and "Núñez"
is "Nunez". Letters without a decomposition (ø, ł, æ) match only themselves, in either case. Names
match as whole words, with any whitespace between their parts in file names; contents are searched
for the name with single spaces (a C-speed substring search of the folded text, then a word-boundary
check). Names and emails shorter than 3 characters are not searched. A file's occurrences are
counted up to `MAX_HITS`.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from ..types import Issue
from .lines import Lines

MAX_HITS = 1000  # stop counting a name's occurrences here
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


@functools.lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def fold(text: str) -> str:
    """The text as names are compared: accents removed, case-folded ("Núñez" -> "nunez")."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) for c in text)


class FoldedText:
    """A text folded (`fold`), with the way back: `span` gives the original positions of a match
    found in the folded text. ASCII runs fold to themselves, so only runs of other characters are
    mapped one by one (a letter may fold to none, as a combining accent does, or to two, as ß)."""

    def __init__(self, text: str):
        self.original = text
        if text.isascii():
            self.text, self._folded_at, self._original_at, self._linear = text.lower(), [0], [0], [True]
            return
        parts: list[str] = []
        folded_at: list[int] = []  # where each segment starts in the folded text
        original_at: list[int] = []  # ... and in the original
        linear: list[bool] = []  # True: the segment folds character for character
        size, last = 0, 0

        def segment(fold_text: str, start: int, one_to_one: bool) -> None:
            nonlocal size
            folded_at.append(size)
            original_at.append(start)
            linear.append(one_to_one)
            parts.append(fold_text)
            size += len(fold_text)

        for run in _NON_ASCII.finditer(text):
            if run.start() > last:
                segment(text[last:run.start()].lower(), last, True)
            folds = [_fold_char(c) for c in run.group()]
            if all(len(f) == 1 for f in folds):
                segment("".join(folds), run.start(), True)
            else:
                for offset, folded in enumerate(folds):
                    if folded:
                        segment(folded, run.start() + offset, False)
            last = run.end()
        if last < len(text):
            segment(text[last:].lower(), last, True)
        self.text = "".join(parts)
        self._folded_at, self._original_at, self._linear = folded_at, original_at, linear

    def position(self, folded: int) -> int:
        """Where the folded text's character at `folded` comes from in the original."""
        i = bisect.bisect_right(self._folded_at, folded) - 1
        return self._original_at[i] + (folded - self._folded_at[i] if self._linear[i] else 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of the folded text's [start, end), with the combining accents that follow it."""
        first, stop = self.position(start), self.position(end - 1) + 1
        while stop < len(self.original) and unicodedata.combining(self.original[stop]):
            stop += 1
        return first, stop


@dataclass(frozen=True)
class AuthorPattern:
    what: str  # "name" or "email address"
    value: str  # as the author gave it (whitespace normalised)
    pattern: re.Pattern  # the folded value, for folded file names
    anchor: str  # the folded value (single spaces), for the fast search of folded contents


def author_patterns(author_names: Sequence[str], author_emails: Sequence[str]) -> list[AuthorPattern]:
    patterns, seen = [], set()
    for name in author_names:
        name = " ".join((name or "").split())
        key = fold(name)
        if len(name) < 3 or key in seen:
            continue
        seen.add(key)
        # whole words only, so "Ann" does not match "announce"
        body = r"\s+".join(re.escape(part) for part in key.split(" "))
        patterns.append(AuthorPattern("name", name, re.compile(r"(?<!\w)" + body + r"(?!\w)"), key))
    for email in author_emails:
        email = (email or "").strip()
        key = fold(email)
        if len(email) < 3 or key in seen:
            continue
        seen.add(key)
        patterns.append(AuthorPattern("email address", email, re.compile(re.escape(key)), key))
    return patterns


def name_warnings(infos: Sequence[zipfile.ZipInfo], patterns: Sequence[AuthorPattern]) -> list[Issue]:
    """One warning per zip entry name and author name or email found in it."""
    return [Issue(info.filename, None, None,
                  f"The file name contains the author {p.what} '{p.value}'; the rules ask for "
                  f"anonymous files, so rename it.")
            for info in infos for p in patterns if p.pattern.search(fold(info.filename))]


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _fast_hits(lower: str, anchor: str, whole_words: bool) -> list[int]:
    hits, pos, size = [], lower.find(anchor), len(anchor)
    while pos != -1:
        end = pos + size
        if not whole_words or ((pos == 0 or not _is_word_char(lower[pos - 1]))
                               and (end >= len(lower) or not _is_word_char(lower[end]))):
            hits.append(pos)
            if len(hits) > MAX_HITS:
                break
        pos = lower.find(anchor, pos + 1)
    return hits


def _more(hits: int) -> str:
    if hits > MAX_HITS:
        return f" (and more than {MAX_HITS - 1} more places)"
    if hits > 1:
        return f" (and {hits - 1} more place{'s' if hits > 2 else ''})"
    return ""


def content_warnings(file: str, text: str, lines: Lines, patterns: Sequence[AuthorPattern]) -> list[Issue]:
    """One warning per author name or email found in a file's text (folded), at its first line."""
    out = []
    folded = FoldedText(text)
    for p in patterns:
        hits = _fast_hits(folded.text, p.anchor, whole_words=p.what == "name")
        if not hits:
            continue
        line = lines.at(len(text[: folded.position(hits[0])].encode("utf-8")))
        out.append(Issue(file, line, None,
                         f"The file contains the author {p.what} '{p.value}'{_more(len(hits))}; the "
                         f"rules ask for anonymous files, so remove it."))
    return out
