"""The review side's plain-Python modules: conflicts, redaction, the rebuilt zip, automatic assignment, the evidence
an award rests on (no Django, no database)."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from reviews.assigning import plan_assignments
from reviews.conflicts import Declared, Reason, conflict, conflict_reason, declarable_domain, domain_of, within
from reviews.evidence import Acknowledgement, Award, Evidence, refusal, unacknowledged
from reviews.redaction import Redactor
from reviews.taskzip import DamagedZip, anonymised_members, anonymous_name, read_csvs, write_zip
from tests.datasets import make_zip

ROOT = Path(__file__).resolve().parents[2]


def test_the_rule_modules_import_no_django():
    code = ("import sys, reviews.prizes, reviews.conflicts, reviews.redaction, reviews.taskzip, reviews.assigning, "
            "reviews.suggestions, reviews.evidence\n"
            "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


# --- conflicts of interest ------------------------------------------------------------------------------

AUTHORS = ("ada@engines.org", "bob@cs.mills.edu", "carl@gmail.com")


def reason(email: str, *declared: Declared, submission_id: int = 7) -> str | None:
    return conflict_reason(username="rev_z", email=email, submission_id=submission_id, author_emails=AUTHORS,
                           declared=list(declared))


@pytest.mark.parametrize(("email", "expected"), [
    ("z@elsewhere.org", None),
    ("", None),  # no address, no automatic conflict
    ("ada@engines.org", "rev_z's email ada@engines.org is an author's."),
    (" ADA@Engines.org ", "rev_z's email ada@engines.org is an author's."),  # compared in lower case
    ("z@engines.org", "rev_z's email domain engines.org matches an author's (ada@engines.org)."),
    ("z@lab.engines.org", "rev_z's email domain lab.engines.org matches an author's (ada@engines.org)."),  # under it
    ("z@mills.edu", "rev_z's email domain mills.edu matches an author's (bob@cs.mills.edu)."),  # above it
    ("z@othermills.edu", None),  # a longer name is not a subdomain
    ("z@gmail.com", None),  # a public mail domain is no conflict...
    ("carl@gmail.com", "rev_z's email carl@gmail.com is an author's."),  # ...but the same address is
])
def test_automatic_conflicts_by_address_and_domain(email, expected):
    assert reason(email) == expected


def test_declared_conflicts_come_first_and_a_domain_covers_its_subdomains():
    assert reason("ada@engines.org", Declared(submission_id=7)) == "rev_z declared a conflict with this submission."
    assert reason("z@elsewhere.org", Declared(submission_id=8)) is None  # another submission
    assert reason("z@elsewhere.org", Declared(domain="Mills.EDU")) == (
        "rev_z declared a conflict with the domain Mills.EDU (bob@cs.mills.edu).")
    assert reason("z@elsewhere.org", Declared(domain="cs.mills.edu")) == (
        "rev_z declared a conflict with the domain cs.mills.edu (bob@cs.mills.edu).")
    assert reason("z@elsewhere.org", Declared(domain="math.mills.edu")) is None
    assert reason("ada@engines.org", Declared(domain="mills.edu")) == (  # a declared domain before the address
        "rev_z declared a conflict with the domain mills.edu (bob@cs.mills.edu).")


def test_the_reviewer_reads_each_reason_without_the_authors_address():
    def told(email: str, *declared: Declared) -> Reason | None:
        return conflict(username="rev_z", email=email, submission_id=7, author_emails=AUTHORS, declared=list(declared))

    assert [told(*case).for_reviewer for case in (
        ("z@elsewhere.org", Declared(submission_id=7)), ("z@elsewhere.org", Declared(domain="mills.edu")),
        ("carl@gmail.com",), ("z@lab.engines.org",))] == [
        "you declared a conflict with the submission", "you declared a conflict with the domain mills.edu",
        "your email address is an author's", "your email domain matches an author's"]
    assert told("z@lab.engines.org").for_organizers == (
        "rev_z's email domain lab.engines.org matches an author's (ada@engines.org).")
    assert told("z@elsewhere.org") is None


def test_domains_of_addresses():
    assert [domain_of(e) for e in ("ada@Engines.ORG ", "a@b@lab.org", "no-address")] == ["engines.org", "lab.org", ""]
    assert [within(d, p) for d, p in [("cs.mills.edu", "mills.edu"), ("mills.edu", "mills.edu"),
                                      ("othermills.edu", "mills.edu"), ("", ""), ("mills.edu", "")]] == [
        True, True, False, False, False]


def test_only_an_institutions_domain_can_be_declared():
    assert declarable_domain(" @Example.EDU ") == "example.edu"
    with pytest.raises(ValueError, match=r"^gmail\.com is a public mail domain: a conflict with it would exclude "
                                         r"everyone who uses it\. Declare a conflict with the submissions themselves "
                                         r"instead\.$"):
        declarable_domain("GMAIL.com")
    with pytest.raises(ValueError, match=r"^'not a domain' is not an email domain; write it as in an address after "
                                         r"the @, for example example\.edu\.$"):
        declarable_domain("Not a domain")


# --- redaction ---------------------------------------------------------------------------------------


@pytest.fixture
def redactor() -> Redactor:
    return Redactor.for_people(names=["Ada King Lovelace", "Li Wu"], emails=["ada.k@engines.org", "wu@gmail.com"],
                               usernames=["adak1815"], affiliations=["Analytical Engines"],
                               public_domains=["gmail.com"])


@pytest.mark.parametrize(("text", "redacted"), [
    ("By Ada King Lovelace.", "By [redacted]."),
    ("by ADA  KING\nLOVELACE", "by [redacted]"),  # any case, any whitespace between the parts
    ("Lovelace's notes, with King", "[redacted]'s notes, with [redacted]"),  # each part of 3+ letters
    ("see github.com/adakinglovelace", "see github.com/[redacted]"),  # the parts run together
    ("ada.king.lovelace and ada-king-lovelace", "[redacted] and [redacted]"),
    ("mail ada.k@engines.org or ada.k", "mail [redacted] or [redacted]"),  # the email and its local part
    ("at engines.org", "at [redacted]"),  # an institution's domain
    ("wu@gmail.com uses gmail.com", "[redacted] uses gmail.com"),  # a public mail domain stays
    ("Li and Wu", "Li and Wu"),  # parts shorter than three letters only inside the full name
    ("Li Wu wrote it", "[redacted] wrote it"),
    ("user adak1815!", "user [redacted]!"),
    ("at Analytical  Engines", "at [redacted]"),
    ("Adakings and kingdom", "Adakings and kingdom"),  # whole words only
])
def test_redaction_removes_every_form_of_every_author(redactor, text, redacted):
    assert redactor.text(text) == redacted


def test_redaction_of_a_csv_keeps_its_rows_and_fields(redactor):
    data = b'prompt,answer\n"Ada King Lovelace said, ""hi""",1\nplain,2\n'
    assert redactor.csv_bytes(data) == b'prompt,answer\n"[redacted] said, ""hi""",1\nplain,2\n'


def test_a_redactor_without_people_changes_nothing():
    assert Redactor.for_people().text("Ada Lovelace") == "Ada Lovelace"


@pytest.mark.parametrize(("text", "redacted"), [
    ("write to Ada.K+bench@sub.engines.co.uk, please", "write to [redacted], please"),
    ("<x_y@gmail.com>;z@a.io.", "<[redacted]>;[redacted]."),
    ("Asked by ada1815 (ADA1815).", "Asked by [redacted] ([redacted])."),
    ("ada18150 and xada1815 stay, as do x@y and @ada", "ada18150 and xada1815 stay, as do x@y and @ada"),
    ("Ada Lovelace, Analytical Engines, al", "Ada Lovelace, Analytical Engines, al"),  # names are credited
])
def test_the_public_redactor_removes_every_email_address_and_the_usernames(text, redacted):
    assert Redactor.for_public(usernames=["ada1815", "al"]).text(text) == redacted  # "al": too short to remove


# --- the rebuilt zip --------------------------------------------------------------------------------


def _files(*entries):
    return [{"name": name, "kind": kind, "index": index, "sha256": hashlib.sha256(data).hexdigest()}
            for name, kind, index, data in entries]


def test_the_anonymised_zip_has_anonymous_names_fixed_times_and_redacted_contents():
    source = make_zip({"lovelace-task/lovelace-task-PART1.csv": b"a\nAda Lovelace\n",
                       "lovelace-task/lovelace-task-CONTROL1.csv": b"a\nx\n",
                       "__MACOSX/lovelace-task/._lovelace-task-PART1.csv": b"junk"})
    files = _files(("lovelace-task-PART1.csv", "part", 1, b"a\nAda Lovelace\n"),
                   ("lovelace-task-CONTROL1.csv", "control", 1, b"a\nx\n"))
    redactor = Redactor.for_people(names=["Ada Lovelace"])
    buffer = io.BytesIO()
    write_zip(buffer, anonymised_members(io.BytesIO(source), files, redactor.csv_bytes))
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as rebuilt:
        assert rebuilt.namelist() == ["task-PART1.csv", "task-CONTROL1.csv"]
        assert rebuilt.read("task-PART1.csv") == b"a\n[redacted]\n"
        assert {info.date_time for info in rebuilt.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert rebuilt.comment == b""


def test_anonymous_names_follow_the_kind_and_index():
    assert [anonymous_name({"kind": k, "index": i}) for k, i in [("main", None), ("part", 2), ("control", 3)]] == [
        "task.csv", "task-PART2.csv", "task-CONTROL3.csv"]
    assert [anonymous_name({"kind": k, "index": i, "shots": 4}) for k, i in [("main", None), ("part", 2), ("control", 3)]] == [
        "task-4shot.csv", "task-PART2-4shot.csv", "task-CONTROL3-4shot.csv"]
    assert anonymous_name({"kind": "main", "index": None, "shots": 0}) == "task.csv"
    with pytest.raises(ValueError, match=r"^Unknown kind of task file 'task'\.$"):
        anonymous_name({"kind": "task", "index": None})


def test_a_stored_zip_that_changed_is_refused():
    files = _files(("t.csv", "main", None, b"a\n1\n"))
    with pytest.raises(DamagedZip, match=r"^The stored file t\.csv does not match its recorded sha256\.$"):
        read_csvs(io.BytesIO(make_zip({"t.csv": b"a\n2\n"})), files)
    with pytest.raises(DamagedZip, match=r"^The stored zip has no file t\.csv\.$"):
        read_csvs(io.BytesIO(make_zip({"u.csv": b"a\n1\n"})), files)


# --- automatic assignment -----------------------------------------------------------------------------


def test_assignment_balances_the_load_exactly_when_it_can():
    plan = plan_assignments(submissions=[1, 2, 3], reviewers=["ann", "bob", "cy"], per_submission=2, cap=10,
                            load={}, assigned={}, conflicts=set())
    assert plan.pairs == [(1, "ann"), (1, "cy"), (2, "bob"), (2, "cy"), (3, "ann"), (3, "bob")]
    assert plan.short == {}


def test_assignment_starts_from_existing_loads_and_assignments_and_never_crosses_a_conflict():
    plan = plan_assignments(submissions=[1, 2], reviewers=["ann", "bob", "cy"], per_submission=2, cap=10,
                            load={"ann": 5, "bob": 1}, assigned={1: {"bob"}}, conflicts={(2, "cy")})
    assert plan.pairs == [(1, "cy"), (2, "ann"), (2, "bob")]  # cy, the least loaded, where no conflict stands
    assert plan.short == {}


def test_a_shortage_of_reviewers_spreads_over_the_submissions():
    plan = plan_assignments(submissions=[1, 2], reviewers=["ann", "bob"], per_submission=2, cap=1,
                            load={}, assigned={}, conflicts=set())
    assert plan.pairs == [(1, "ann"), (2, "bob")]  # one each, not two for the first and none for the second
    assert plan.short == {1: "it has 1 of 2 reviewers; already reviewing it: ann; at the cap of 1: bob.",
                          2: "it has 1 of 2 reviewers; already reviewing it: bob; at the cap of 1: ann."}


@pytest.mark.parametrize("seed", range(10))
def test_assignment_fills_every_slot_that_can_be_filled_within_the_cap(seed):
    import random

    rng = random.Random(seed)
    submissions, reviewers = list(range(rng.randrange(1, 12))), [f"r{i}" for i in range(rng.randrange(1, 7))]
    conflicts = {(s, r) for s in submissions for r in reviewers if rng.random() < 0.2}
    plan = plan_assignments(submissions=submissions, reviewers=reviewers, per_submission=3, cap=4, load={},
                            assigned={}, conflicts=conflicts)
    loads = {r: sum(1 for _, x in plan.pairs if x == r) for r in reviewers}
    assert not set(plan.pairs) & conflicts
    assert len(set(plan.pairs)) == len(plan.pairs)
    assert max(loads.values()) <= 4
    for s in submissions:
        count = sum(1 for x, _ in plan.pairs if x == s)
        assert count <= 3
        assert (s in plan.short) == (count < 3)
        if count < 3:  # nobody free was left out: every other reviewer is conflicted or full
            assert all((s, r) in conflicts or loads[r] == 4 or (s, r) in plan.pairs for r in reviewers)


def test_every_submission_left_short_is_explained():
    plan = plan_assignments(submissions=[1, 2], reviewers=["ann", "bob"], per_submission=3, cap=1,
                            load={}, assigned={}, conflicts={(2, "ann")})
    assert plan.pairs == [(1, "ann"), (2, "bob")]
    assert plan.short == {
        1: "it has 1 of 3 reviewers; the panel has only 2 reviewers; already reviewing it: ann; at the cap of 1: bob.",
        2: "it has 1 of 3 reviewers; the panel has only 2 reviewers; already reviewing it: bob; "
           "conflict of interest: ann.",
    }


# --- the evidence an award rests on ------------------------------------------------------------------------


def evidence(**changes) -> Evidence:
    complete = dict(eligible=True, eligibility_reason="No public series shows standard scaling.", overridden=False,
                    unfinished_public=0, unfinished_private=0, reviews=3, required_reviews=3)
    return Evidence(**{**complete, **changes})


def test_each_gap_of_the_evidence_in_words():
    assert evidence().gaps() == {}
    assert evidence(eligible=False, eligibility_reason="Standard scaling on tiny.", unfinished_public=2,
                    unfinished_private=1, reviews=2).gaps() == {
        "eligibility": "not eligible (Standard scaling on tiny)", "runs": "3 runs not finished (2 public, 1 private)",
        "reviews": "2 of 3 reviews submitted"}
    assert evidence(eligible=None, eligibility_reason="Not known yet.", unfinished_private=1, reviews=4).gaps() == {
        "eligibility": "eligibility not known (Not known yet)", "runs": "1 run not finished (0 public, 1 private)"}
    assert evidence(failed=2).gaps() == {}  # failed runs are finished: the eligibility says what they left
    assert evidence(eligible=None, unfinished_public=1, reviews=1).gap_labels() == {
        "eligibility": "eligibility not known", "runs": "1 run not finished", "reviews": "1 of 3 reviews"}


def test_every_gap_must_be_acknowledged_with_a_reason():
    lacking = evidence(eligible=False, eligibility_reason="Standard scaling on tiny.", unfinished_public=2,
                       unfinished_private=1, reviews=2)
    runs_only = Acknowledgement(gaps=frozenset({"runs"}), reason="Scored elsewhere.")
    assert unacknowledged(lacking, runs_only) == {"eligibility": "not eligible (Standard scaling on tiny)",
                                                  "reviews": "2 of 3 reviews submitted"}
    assert refusal([Award("vowels", "second", lacking, runs_only), Award("fine", "third", evidence(), None)]) == (
        "Not awarded: the evidence is incomplete and not acknowledged for vowels (second): not eligible (Standard "
        "scaling on tiny), 2 of 3 reviews submitted. Tick each gap to award anyway, and give the reason.")
    every = Acknowledgement(gaps=frozenset({"eligibility", "runs", "reviews"}), reason=" ")
    assert refusal([Award("vowels", "second", lacking, every)]) == (
        "Give the reason for awarding vowels on incomplete evidence (it goes into the audit log).")
    assert refusal([Award("vowels", "second", lacking, Acknowledgement(every.gaps, "Clear enough."))]) is None
    assert refusal([Award("fine", "third", evidence(), None)]) is None
    assert every.covers(evidence(reviews=1)) == {"reviews": "1 of 3 reviews submitted"}  # a gap gone is not kept
