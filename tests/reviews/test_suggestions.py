"""The suggested Strength and Generality (reviews/suggestions.py), level by level, without Django."""

from __future__ import annotations

import pytest

from evaluation.verdicts import SeriesTrend
from reviews.suggestions import GENERALITY, STRENGTH, Suggestion, generality, strength, suggest
from tests.trend_cases import series_trend


def public(name: str, label: str, monotonic: bool = False, *, models: int = 3) -> SeriesTrend:
    return series_trend(name, label, private=False, monotonic=monotonic, models=models)


def private(name: str, label: str, monotonic: bool = False, *, models: int = 3) -> SeriesTrend:
    return series_trend(name, label, private=True, monotonic=monotonic, models=models)


def test_no_trend_yet_suggests_nothing():
    assert suggest([]) == {}


@pytest.mark.parametrize(("trends", "expected"), [
    # grand: some series inverse and strictly monotonic (a non-strict one beside it does not lower it)
    ([public("gpt2", "inverse", monotonic=True)],
     Suggestion("grand", "strictly monotonic inverse scaling on gpt2 (public)")),
    ([public("gpt2", "inverse"), private("held", "inverse", monotonic=True), public("opt", "inverse", monotonic=True)],
     Suggestion("grand", "strictly monotonic inverse scaling on held (private), opt (public)")),
    # accepted: inverse, but on no series strictly monotonic
    ([public("gpt2", "inverse"), private("held", "flat", monotonic=True)],
     Suggestion("accepted", "approximately monotonic inverse scaling on gpt2 (public)")),
    # no prize: strictly monotonic but not inverse, flat, U-shaped
    ([public("gpt2", "standard", monotonic=True), private("held", "flat"), public("opt", "U-shaped")],
     Suggestion("no_prize", "no series scales inversely (gpt2 (public): standard, held (private): flat, "
                            "opt (public): U-shaped)")),
    ([public("gpt2", "inverted-U", monotonic=False)],
     Suggestion("no_prize", "no series scales inversely (gpt2 (public): inverted-U)")),
])
def test_strength(trends, expected):
    assert strength(trends) == expected


@pytest.mark.parametrize(("trends", "level", "reason"), [
    # grand: every public and every private series tested scales inversely
    ([public("gpt2", "inverse"), private("held", "inverse")],
     "grand", "inverse scaling on 2 of 2 series (1 of 1 public, 1 of 1 private)"),
    ([public("gpt2", "inverse"), public("opt", "inverse"), private("held", "inverse"), private("more", "inverse")],
     "grand", "inverse scaling on 4 of 4 series (2 of 2 public, 2 of 2 private)"),
    # accepted: one series short of all, on either side
    ([public("gpt2", "inverse"), public("opt", "flat"), private("held", "inverse")],
     "accepted", "inverse scaling on 2 of 3 series (1 of 2 public, 1 of 1 private)"),
    ([public("gpt2", "inverse"), private("held", "inverse"), private("more", "standard")],
     "accepted", "inverse scaling on 2 of 3 series (1 of 1 public, 1 of 2 private)"),
    # no prize: no private series scales inversely
    ([public("gpt2", "inverse"), public("opt", "inverse"), private("held", "flat")],
     "no_prize", "inverse scaling on 2 of 3 series (2 of 2 public, 0 of 1 private)"),
    # no prize: no private series tested yet, however inverse the public ones
    ([public("gpt2", "inverse", monotonic=True)],
     "no_prize", "inverse scaling on 1 of 1 series (1 of 1 public, 0 of 0 private)"),
    # no prize: the private series scale inversely, no public one does (or none was tested)
    ([public("gpt2", "standard"), private("held", "inverse")],
     "no_prize", "inverse scaling on 1 of 2 series (0 of 1 public, 1 of 1 private)"),
    ([private("held", "inverse")],
     "no_prize", "inverse scaling on 1 of 1 series (0 of 0 public, 1 of 1 private)"),
])
def test_generality(trends, level, reason):
    assert generality(trends) == Suggestion(level, reason)


def test_both_criteria_read_as_sentences():
    got = suggest([public("tiny", "inverse"), private("held-out", "inverse")])
    assert {key: str(s) for key, s in got.items()} == {
        STRENGTH: "Suggested: accepted — approximately monotonic inverse scaling on tiny (public), held-out (private)",
        GENERALITY: "Suggested: grand — inverse scaling on 2 of 2 series (1 of 1 public, 1 of 1 private)"}
    assert str(strength([public("tiny", "flat")])) == "Suggested: no prize — no series scales inversely (tiny (public): flat)"


@pytest.mark.parametrize(("trends", "expected"), [
    # two models: inverse when the larger is worse, accepted at most, and the reason says it rests on two
    ([private("held", "inverse", models=2)],
     Suggestion("accepted", "on held (private) the larger of two models is worse (two points show no monotonicity)")),
    ([public("gpt2", "inverse"), private("held", "inverse", models=2), private("more", "inverse", models=2)],
     Suggestion("accepted", "approximately monotonic inverse scaling on gpt2 (public); on held (private), more "
                            "(private) the larger of two models is worse (two points show no monotonicity)")),
    # a strictly monotonic series of three models still makes it grand, whatever two-model series say beside it
    ([private("held", "inverse", models=2), public("gpt2", "inverse", monotonic=True)],
     Suggestion("grand", "strictly monotonic inverse scaling on gpt2 (public)")),
    # no prize: the comparison is told as such, never as a shape
    ([public("gpt2", "standard", models=2), private("held", "flat", models=2)],
     Suggestion("no_prize", "no series scales inversely (gpt2 (public): two models: the larger is better, "
                            "held (private): two models: the larger is no different)")),
])
def test_strength_on_two_models(trends, expected):
    assert strength(trends) == expected
    assert "strictly" not in expected.reason or expected.level == "grand"


def test_generality_says_which_series_rest_on_two_models():
    assert generality([public("tiny", "U-shaped"), private("held-out", "inverse", models=2)]) == Suggestion(
        "no_prize", "inverse scaling on 1 of 2 series (0 of 1 public, 1 of 1 private); held-out (private) rests on "
                    "two models (the larger is worse)")
    assert generality([public("tiny", "inverse", models=2), private("held-out", "inverse", models=2)]) == Suggestion(
        "grand", "inverse scaling on 2 of 2 series (1 of 1 public, 1 of 1 private); tiny (public) rests on two models "
                 "(the larger is worse), held-out (private) rests on two models (the larger is worse)")
