"""Keep authors' identities out of what reviewers read (plain Python, no Django).

A Redactor replaces, as whole words and compared folded (case and accents ignored, as the upload's
author scan compares them: evaluation.engine.taskfile.authors.fold, so "Zébulon Quixoté" and "JOSE
NUNEZ" are redacted for the authors "Zebulon Quixote" and "José Núñez"), every author's full name (any
whitespace between its parts) and each part of at least three letters, the name's parts run
together ("adalovelace", "ada.lovelace", "ada-lovelace", "ada_lovelace"), every email address, its
local part and the parts of it, the domain of an email that is not a public mail domain, every
affiliation, and the owner's username, with "[redacted]":

    redactor = Redactor.for_people(names=["Ada Lovelace"], emails=["ada@engines.org"], usernames=["ada1815"])
    redactor.text("Lovelace (2022) built it")        # "[redacted] (2022) built it"
    redactor.csv_bytes(data)                          # the same for a UTF-8 CSV file's bytes

What the public reads (the released benchmark) keeps the authors' names, which it credits, but no email
address of anyone and no username: `Redactor.for_public(usernames=...)` replaces every email address
(EMAIL_ADDRESS, found by its shape) and the usernames given, the same way:

    Redactor.for_public(usernames=["ada1815"]).text("ada1815 <ada@engines.org>")   # "[redacted] <[redacted]>"
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from evaluation.engine.taskfile.authors import FoldedText, fold

REDACTED = "[redacted]"
MIN_PART = 3  # shorter name parts ("de", "Li") are redacted only inside a longer term
EMAIL_ADDRESS = r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"


def _name_terms(name: str) -> list[str]:
    parts = [p for p in re.split(r"\s+", fold(name.strip())) if p]
    if not parts:
        return []
    terms = [r"\s+".join(re.escape(p) for p in parts)]
    terms += [re.escape(p) for p in parts if len(p) >= MIN_PART]
    if len(parts) > 1:
        terms += [re.escape(sep.join(parts)) for sep in ("", ".", "-", "_")]
    return terms


def _email_terms(email: str, public_domains: frozenset[str]) -> list[str]:
    email = fold(email.strip())
    if "@" not in email:
        return [re.escape(email)] if len(email) >= MIN_PART else []
    local, domain = email.rsplit("@", 1)
    terms = [re.escape(email)]
    if len(local) >= MIN_PART:
        terms.append(re.escape(local))
    terms += [re.escape(p) for p in re.split(r"[._+-]", local) if len(p) >= MIN_PART]
    if domain and domain.lower() not in public_domains:
        terms.append(re.escape(domain))
    return terms


class Redactor:
    def __init__(self, terms: Iterable[str]):
        """`terms`: regular expressions of folded text (`fold`), matched against the folded text."""
        unique = sorted(set(terms), key=lambda t: (-len(t), t))  # the longest match wins
        self._pattern = re.compile(r"(?<!\w)(?:" + "|".join(unique) + r")(?!\w)") if unique else None

    @classmethod
    def for_people(cls, *, names: Iterable[str] = (), emails: Iterable[str] = (), usernames: Iterable[str] = (),
                   affiliations: Iterable[str] = (), public_domains: Iterable[str] = ()) -> Redactor:
        public = frozenset(d.lower() for d in public_domains)
        terms: list[str] = []
        for name in names:
            terms += _name_terms(name)
        for email in emails:
            terms += _email_terms(email, public)
        terms += [re.escape(fold(u.strip())) for u in usernames if u.strip()]
        terms += [r"\s+".join(re.escape(p) for p in fold(a).split()) for a in affiliations if len(a.strip()) >= MIN_PART]
        return cls(terms)

    @classmethod
    def for_public(cls, *, usernames: Iterable[str] = ()) -> Redactor:
        """Every email address, whoever's, and these usernames (those of MIN_PART characters or more: a shorter
        one would take ordinary words with it)."""
        return cls([EMAIL_ADDRESS, *(re.escape(u.strip()) for u in usernames if len(u.strip()) >= MIN_PART)])

    def text(self, value: str) -> str:
        if self._pattern is None or not value:
            return value
        folded = FoldedText(value)
        out, last = [], 0
        for match in self._pattern.finditer(folded.text):
            start, end = folded.span(match.start(), match.end())
            out += [value[last:start], REDACTED]
            last = end
        out.append(value[last:])
        return "".join(out)

    def csv_bytes(self, data: bytes) -> bytes:
        """A UTF-8 CSV with every term redacted. The replacement holds no comma, quote or line break,
        so every row keeps its fields."""
        return self.text(data.decode("utf-8")).encode("utf-8")
