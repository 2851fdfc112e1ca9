"""The anonymity scan: authors' names and email addresses in file names and file contents.

Names match as whole words, case-insensitively, with any whitespace between their parts in file
names; contents are searched for the name with single spaces (a C-speed substring search of the
lowercased text, then a word-boundary check). Names and emails shorter than 3 characters are not
searched. A file's occurrences are counted up to `MAX_HITS`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass

from ..types import Issue
from .lines import Lines

MAX_HITS = 1000  # stop counting a name's occurrences here


@dataclass(frozen=True)
class AuthorPattern:
    what: str  # "name" or "email address"
    value: str  # as the author gave it (whitespace normalised)
    pattern: re.Pattern  # for file names (and contents whose lowercasing moves offsets)
    anchor: str  # lowercased value for the fast search of contents


def author_patterns(author_names: Sequence[str], author_emails: Sequence[str]) -> list[AuthorPattern]:
    patterns, seen = [], set()
    for name in author_names:
        name = " ".join((name or "").split())
        if len(name) < 3 or name.lower() in seen:
            continue
        seen.add(name.lower())
        # whole words only, so "Ann" does not match "announce"
        body = r"\s+".join(re.escape(part) for part in name.split(" "))
        patterns.append(AuthorPattern("name", name, re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE),
                                      name.lower()))
    for email in author_emails:
        email = (email or "").strip()
        if len(email) < 3 or email.lower() in seen:
            continue
        seen.add(email.lower())
        patterns.append(AuthorPattern("email address", email, re.compile(re.escape(email), re.IGNORECASE),
                                      email.lower()))
    return patterns


def name_warnings(infos: Sequence[zipfile.ZipInfo], patterns: Sequence[AuthorPattern]) -> list[Issue]:
    """One warning per zip entry name and author name or email found in it."""
    return [Issue(info.filename, None, None,
                  f"The file name contains the author {p.what} '{p.value}'; the rules ask for "
                  f"anonymous files, so rename it.")
            for info in infos for p in patterns if p.pattern.search(info.filename)]


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


def _regex_hits(text: str, pattern: re.Pattern) -> list[int]:
    hits = []
    for m in pattern.finditer(text):
        hits.append(m.start())
        if len(hits) > MAX_HITS:
            break
    return hits


def _more(hits: int) -> str:
    if hits > MAX_HITS:
        return f" (and more than {MAX_HITS - 1} more places)"
    if hits > 1:
        return f" (and {hits - 1} more place{'s' if hits > 2 else ''})"
    return ""


def content_warnings(file: str, text: str, lines: Lines, patterns: Sequence[AuthorPattern]) -> list[Issue]:
    """One warning per author name or email found in a file's text, at its first line."""
    out = []
    lower = text.lower()
    exact_offsets = len(lower) == len(text)  # lower() kept every offset (almost always true)
    for p in patterns:
        if exact_offsets:
            hits = _fast_hits(lower, p.anchor, whole_words=p.what == "name")
        else:
            hits = _regex_hits(text, p.pattern)
        if not hits:
            continue
        line = lines.at(len(text[: hits[0]].encode("utf-8")))
        out.append(Issue(file, line, None,
                         f"The file contains the author {p.what} '{p.value}'{_more(len(hits))}; the "
                         f"rules ask for anonymous files, so remove it."))
    return out
