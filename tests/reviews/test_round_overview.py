"""The organizers' overview of a round (reviews/selectors/round_table.py): a row per submission with its trend
label on every series, eligibility, reviews, combined levels, tier, award and human agreement; sorted and
filtered by the query string, the CSV the same rows; and the accepted tasks' mean accuracy and loss per series
and model (Wei et al.'s Figure 1), from the stored results."""

from __future__ import annotations

import csv
import io
import re

import pytest

from evaluation import lifecycle, summaries
from evaluation import services as evaluation_services
from reviews import prizes
from reviews.selectors.round_table import ELIGIBILITY, SORTS
from tests.reviews.test_public_results import element, figures_in, store_results, text_of
from tests.reviews.test_release import announced  # noqa: F401 (the fixture)
from tests.test_query_counts import copies

pytestmark = pytest.mark.django_db

URL = "/reviews/contests/isp/rounds/1/overview/"
GRAND, ACCEPTED, NO = ["grand"] * 6, ["accepted"] * 6, ["no_prize"] * 6
INVERSE2, STANDARD2, FLAT2 = "inverse (two models)", "standard (two models)", "flat (two models)"  # held-out's
ROWS = {
    "syllogism-test": ["1", "syllogism-test", "classification", "eligible", INVERSE2, "inverse", "2 of 3", *GRAND,
                       "grand", "second (announced)", "50.0% (9.5–90.5%)"],
    "negation-task": ["2", "negation-task", "classification", "not known", "—", "—", "1 of 3", *ACCEPTED, "third",
                      "third (announced)", "—"],
    "belief-shift": ["3", "belief-shift", "logodds", "eligible", INVERSE2, "inverse", "1 of 3", *ACCEPTED, "third",
                     "third (announced)", "—"],
    "last-word": ["4", "last-word", "sequence_prob", "not eligible", STANDARD2, "standard", "1 of 3", *ACCEPTED,
                  "third", "—", "—"],
    "dropped-task-z5": ["5", "dropped-task-z5", "classification", "eligible", FLAT2, "flat", "1 of 3", *NO, "none",
                        "—", "—"],
}


@pytest.fixture
def scored(announced):  # noqa: F811
    """The announced round with results on a public series of three models and a private one of two: syllogism-test
    and belief-shift getting worse with size, last-word better, dropped-task-z5 flat; negation-task none."""
    s = announced
    for submission, slope in ((s.a, 0.1), (s.c, 0.1), (s.d, -0.1), (s.dropped, 0.0)):
        store_results(submission.current_version, slope=slope)
    return s


def rows_of(html: str) -> list[list[str]]:
    table = element(html, "table", "overview")
    return [[text_of(cell) for cell in re.findall(r"<td[^>]*>.*?</td>", row, flags=re.S)]
            for row in re.findall(r"<tr data-task=.*?</tr>", table, flags=re.S)]


def test_every_submission_of_the_round_with_its_trends_eligibility_reviews_levels_tier_award_and_agreement(
        scored, client):
    client.force_login(scored.organizer)
    html = client.get(URL).content.decode()
    assert text_of(re.search(r"<thead>.*?</thead>", element(html, "table", "overview"), flags=re.S).group(0)) == (
        "# ▲ Task Metric Eligibility held-out (private) tiny Reviews strength generality importance novelty coverage "
        "reproducibility Eligible tier Award Human agreement")
    assert rows_of(html) == list(ROWS.values())
    assert "late-task-r2" not in html  # round 2's


def test_sorted_and_filtered_by_the_query_string(scored, client):
    client.force_login(scored.organizer)
    names = lambda url: [row[1] for row in rows_of(client.get(url).content.decode())]  # noqa: E731
    assert names(URL + "?sort=task") == ["belief-shift", "dropped-task-z5", "last-word", "negation-task",
                                         "syllogism-test"]
    assert names(URL + "?sort=task&order=desc") == ["syllogism-test", "negation-task", "last-word",
                                                    "dropped-task-z5", "belief-shift"]
    assert names(URL + "?sort=tier&order=desc") == ["syllogism-test", "negation-task", "belief-shift", "last-word",
                                                    "dropped-task-z5"]  # ties by number
    assert names(URL + "?sort=agreement&order=desc") == ["syllogism-test", "negation-task", "belief-shift",
                                                         "last-word", "dropped-task-z5"]  # no agreement: last
    assert names(URL + "?sort=trend:tiny") == ["dropped-task-z5", "syllogism-test", "belief-shift", "last-word",
                                               "negation-task"]  # flat, inverse, inverse, standard; none last
    assert names(URL + "?trend=inverse") == ["syllogism-test", "belief-shift"]
    assert names(URL + "?trend=standard&series=held-out") == ["last-word"]
    assert names(URL + "?tier=third&eligibility=eligible") == ["belief-shift"]
    assert names(URL + "?q=TASK") == ["negation-task", "dropped-task-z5"]
    assert names(URL + "?q=nothing-like-it") == []
    assert names(URL + "?sort=bogus&tier=platinum&eligibility=maybe") == list(ROWS)  # unknown values: ignored
    html = client.get(URL + "?sort=task&q=test").content.decode()
    assert re.findall(r'<a href="([^"]+)" data-sort="(?:task|reviews)">', html) == [
        "?sort=task&amp;order=desc&amp;q=test", "?sort=reviews&amp;order=asc&amp;q=test"]
    assert 'href="/reviews/contests/isp/rounds/1/overview.csv?sort=task&amp;q=test"' in html


def test_the_csv_holds_the_same_rows_sorted_and_filtered_the_same_way(scored, client):
    client.force_login(scored.organizer)
    response = client.get("/reviews/contests/isp/rounds/1/overview.csv?sort=task&order=desc&tier=third")
    assert response["Content-Disposition"] == 'attachment; filename="isp-round-1-overview.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["number", "task", "metric", "owner", "trend: held-out (private)", "trend: tiny", "eligibility",
                       "eligibility reason", "reviews", "reviews required", "strength", "generality", "importance",
                       "novelty", "coverage", "reproducibility", "eligible tier", "award", "human agreement",
                       "human agreement 95% low", "human agreement 95% high", "answers agreeing", "answers",
                       "validation complete"]
    assert rows[1:] == [
        ["2", "negation-task", "classification", "owner_bob_q8", "", "", "not known",
         "Not known yet: no public series has results on two or more models.", "1", "3", *ACCEPTED, "third",
         "third (announced)", "", "", "", "", "", ""],
        ["4", "last-word", "sequence_prob", "owner_dan_q10", STANDARD2, "standard", "not eligible",
         "Standard scaling on tiny: the rules require that the plot does not show a standard scaling law.", "1", "3",
         *ACCEPTED, "third", "", "", "", "", "", "", ""],
        ["3", "belief-shift", "logodds", "owner_cleo_q9", INVERSE2, "inverse", "eligible",
         "No public series shows standard scaling.", "1", "3", *ACCEPTED, "third", "third (announced)", "", "", "",
         "", "", ""]]
    everything = list(csv.reader(io.StringIO(client.get("/reviews/contests/isp/rounds/1/overview.csv")
                                             .content.decode())))
    assert everything[1][:4] + everything[1][-8:] == ["1", "syllogism-test", "classification", "owner_alice_q7",
                                                      "grand", "second (announced)", "0.5", "0.09453120573423074",
                                                      "0.9054687942657693", "3", "4", "true"]


def test_the_mean_curves_of_the_accepted_tasks_one_line_per_series(scored, client):
    client.force_login(scored.organizer)
    accuracy, loss = figures_in(client.get(URL).content.decode())
    # accuracy: syllogism-test and belief-shift (last-word's metric has none; dropped-task-z5 is not accepted)
    assert accuracy["layout"]["title"]["text"] == "Mean accuracy of the accepted tasks (2 with an<br>accuracy)"
    assert [(t["name"], t["text"], [round(y, 4) for y in t["y"]]) for t in accuracy["data"]] == [
        ("held-out (private)", ["held-out-1 (2 tasks)", "held-out-2 (2 tasks)"], [0.8, 0.7]),
        ("tiny", ["tiny-1 (2 tasks)", "tiny-2 (2 tasks)", "tiny-3 (2 tasks)"], [0.8, 0.7, 0.6])]
    # loss: syllogism-test (0.7, 0.8, 0.9) and last-word (0.7, 0.6, 0.5) average to 0.7 at every size
    assert loss["layout"]["title"]["text"] == "Mean loss of the accepted tasks (2 with a loss)"
    assert [(t["name"], [round(y, 4) for y in t["y"]], t["x"]) for t in loss["data"]] == [
        ("held-out (private)", [0.7002, 0.7002], [2_000_000, 8_000_000]),
        ("tiny", [0.7002, 0.7002, 0.7002], [1_000_000, 4_000_000, 16_000_000])]
    assert loss["layout"]["xaxis"]["type"] == "log" and accuracy["layout"]["yaxis"]["range"] == [0, 1]


def test_without_results_the_page_says_so(announced, client):  # noqa: F811
    client.force_login(announced.organizer)
    html = client.get(URL).content.decode()
    assert text_of(element(html, "p", "no-mean-figures")) == "No accepted task has results yet."
    assert figures_in(html) == [] and len(rows_of(html)) == 5
    assert client.get("/reviews/contests/isp/rounds/9/overview/").status_code == 404


def test_100_rows_a_page_with_links_that_keep_the_sort_and_filters_and_the_csv_holds_every_row(announced, client):  # noqa: F811
    copies(announced.a, count=100)  # copy-0 ... copy-99: 105 submissions in the round
    client.force_login(announced.organizer)
    first = client.get(URL + "?sort=task&order=desc").content.decode()
    assert [row[1] for row in rows_of(first)][:3] == ["syllogism-test", "negation-task", "last-word"]
    assert len(rows_of(first)) == 100
    assert text_of(element(first, "nav", "pages")) == "Page 1 of 2 (1–100 of 105) Next Last"
    assert re.findall(r'<a class="page-link" href="([^"]+)">Next', first) == ["?sort=task&amp;order=desc&amp;page=2"]
    second = client.get(URL + "?sort=task&order=desc&page=2").content.decode()
    assert [row[1] for row in rows_of(second)] == ["copy-11", "copy-10", "copy-1", "copy-0", "belief-shift"]
    filtered = client.get(URL + "?q=copy-9&page=2").content.decode()  # copy-9, copy-90 ... copy-99: one page
    assert len(rows_of(filtered)) == 11 and 'id="pages"' not in filtered
    lines = client.get("/reviews/contests/isp/rounds/1/overview.csv").content.decode().splitlines()
    assert len(lines) == 1 + 105


def test_the_page_read_in_sql_and_the_csv_agree_on_every_sort_and_filter(scored, client):
    """A page sorted by number or eligibility is read in SQL (round_table.round_overview_page), the CSV always in
    Python (OverviewQuery.apply): the same rows in the same order either way, an organizers' decision included."""
    evaluation_services.override_eligibility(submission=scored.dropped, eligible=False, reason="Duplicate task.",
                                             by=scored.organizer)
    client.force_login(scored.organizer)
    queries = [f"?sort={key}&order={order}" for key in (*SORTS, "trend:tiny", "trend:held-out")
               for order in ("asc", "desc")]
    queries += [f"?eligibility={word}" for word in ELIGIBILITY.values()]
    queries += [f"?tier={tier}&sort=eligibility" for tier in (*prizes.TIERS, prizes.NONE)]
    queries += ["?q=TASK&sort=eligibility&order=desc", "?tier=none&eligibility=not+eligible", "?trend=inverse"]
    for query in queries:
        page = [(row[0], row[1], row[3], row[4], row[5]) for row in rows_of(client.get(URL + query).content.decode())]
        csv_rows = list(csv.reader(io.StringIO(client.get(URL.replace("overview/", "overview.csv") + query)
                                               .content.decode())))[1:]
        assert page == [(r[0], r[1], r[6], r[4] or "—", r[5] or "—") for r in csv_rows], query
    names = lambda url: [row[1] for row in rows_of(client.get(url).content.decode())]  # noqa: E731
    assert names(URL + "?eligibility=not+eligible") == ["last-word", "dropped-task-z5"]
    assert names(URL + "?sort=eligibility") == ["syllogism-test", "belief-shift", "last-word", "dropped-task-z5",
                                                "negation-task"]  # eligible, not eligible, not known; by number
    assert names(URL + "?sort=eligibility&order=desc") == ["negation-task", "last-word", "dropped-task-z5",
                                                           "syllogism-test", "belief-shift"]
    assert names(URL + "?tier=none") == ["dropped-task-z5"]
    assert names(URL + "?sort=number&order=desc&tier=third") == ["last-word", "belief-shift", "negation-task"]
    row = rows_of(client.get(URL + "?q=dropped").content.decode())[0]
    assert row[3] == "not eligible"
    assert 'title="Decided by the organizers: Duplicate task."' in client.get(URL + "?q=dropped").content.decode()


def test_a_task_whose_results_change_while_the_page_is_read_shows_its_trends(scored, client, monkeypatch):
    """Its summary is kept, then its results change (the generation moves on) before the rows are read: the row
    is read again through summaries.of_each, not shown empty and not a 500."""
    keep = summaries.keep

    def then_changed(versions, *, read):
        kept = keep(versions, read=read)
        lifecycle.results_changed(version_id=scored.a.current_version_id)
        return kept

    monkeypatch.setattr(summaries, "keep", then_changed)
    client.force_login(scored.organizer)
    for url in (URL, URL + "?sort=eligibility", URL + "?sort=task"):
        assert rows_of(client.get(url).content.decode())[[r[1] for r in rows_of(
            client.get(url).content.decode())].index("syllogism-test")] == ROWS["syllogism-test"], url
