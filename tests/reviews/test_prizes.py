"""The prize rules (reviews/prizes.py), case by case, without Django."""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction

import pytest

from reviews.prizes import (
    LEVELS,
    UNRANKED,
    AwardTally,
    allocate,
    borda_scores,
    combine,
    eligible_tier,
    higher_tier,
    prize_of,
    tie_break_key,
)

G, A, N = "grand", "accepted", "no_prize"
CRITERIA = ("strength", "generality", "importance", "novelty", "coverage", "reproducibility")
ROUND_1 = {"grand": 0, "second": 2, "third": 5}
TOTALS = {"grand": 1, "second": 5, "third": 10}


def rated(*levels: str) -> dict[str, str]:
    """Six levels in the rubric's order, as a review holds them."""
    return dict(zip(CRITERIA, levels, strict=True))


def each(level: str) -> dict[str, str]:
    return rated(*[level] * 6)


def candidate(key, levels, rank_score=0, previous_tier=None) -> dict:
    return {"key": key, "levels": levels, "rank_score": rank_score, "previous_tier": previous_tier}


# --- combine ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("levels", "median"), [
    ([G], G),  # one review is its own median
    ([G, G, G], G),  # unanimous, odd count
    ([A, A], A),  # unanimous, even count
    ([G, A, N], A),  # split, odd: the middle one
    ([G, G, N], G),
    ([N, N, G], N),
    ([G, A], A),  # split, even: the lower of the two middle levels
    ([G, N], N),
    ([A, N], N),
    ([G, G, A, A], A),
    ([G, G, G, A], G),
    ([N, G, G, N], N),
    ([G, A, A, N, N], A),
])
def test_combine_takes_the_median_and_the_lower_middle_for_an_even_count(levels, median):
    reviews = [{"strength": level} for level in levels]
    assert combine(reviews) == {"strength": median}


def test_combine_works_per_criterion():
    reviews = [rated(G, G, A, N, A, G), rated(G, A, A, A, N, G), rated(A, A, G, N, N, A)]
    assert combine(reviews) == rated(G, A, A, N, N, G)


def test_combine_of_no_reviews_is_empty_and_not_eligible():
    assert combine([]) == {}
    assert eligible_tier({}) == "none"


def test_combine_refuses_reviews_that_rate_different_criteria():
    with pytest.raises(ValueError, match=r"^Review 2 does not rate the same criteria as review 1 \(differs on novelty\)\.$"):
        combine([{"strength": G, "novelty": A}, {"strength": G}])


def test_an_unknown_level_is_named():
    with pytest.raises(ValueError, match=r"^Unknown level 'excellent'; the levels are no_prize, accepted, grand\.$"):
        combine([{"strength": "excellent"}])
    with pytest.raises(ValueError, match="Unknown level 'great'"):
        eligible_tier({"strength": "great"})


# --- eligible_tier ------------------------------------------------------------------------------


@pytest.mark.parametrize(("levels", "tier"), [
    (each(G), "grand"),  # every criterion at grand
    (rated(G, G, G, G, G, A), "second"),  # one below grand: second, not grand
    (rated(A, A, A, A, A, G), "second"),  # all at least accepted and one at grand
    (each(A), "third"),  # all accepted, none at grand
    (rated(G, G, G, G, G, N), "none"),  # one no_prize sinks even five grands
    (rated(A, A, A, A, A, N), "none"),
    (each(N), "none"),
])
def test_eligible_tier_at_each_boundary(levels, tier):
    assert eligible_tier(levels) == tier


# --- allocate -------------------------------------------------------------------------------------


def test_ties_are_broken_by_grand_count_then_rank_score_then_key():
    pool = [
        candidate("b", rated(G, A, A, A, A, A), rank_score=Fraction(9, 10)),  # 1 grand, best rank score
        candidate("a", rated(G, G, G, A, A, A), rank_score=Fraction(0)),  # 3 grands, worst rank score
        candidate("d", rated(G, G, A, A, A, A), rank_score=Fraction(1, 2)),  # 2 grands
        candidate("c", rated(G, G, A, A, A, A), rank_score=Fraction(1, 2)),  # 2 grands, same score: key c < d
        candidate("e", rated(G, G, A, A, A, A), rank_score=Fraction(3, 4)),  # 2 grands, better score
    ]
    assert [c["key"] for c in sorted(pool, key=tie_break_key)] == ["a", "e", "c", "d", "b"]
    assert allocate(pool, caps={"grand": 0, "second": 3, "third": 1}) == {
        "a": "second", "e": "second", "c": "second", "d": "third"}


def test_round_one_caps_send_a_grand_eligible_task_to_second_and_the_overflow_to_third():
    pool = [
        candidate(1, each(G), rank_score=Fraction(1, 3)),
        candidate(2, each(G), rank_score=Fraction(2, 3)),
        candidate(3, each(G), rank_score=Fraction(1, 3)),
        candidate(4, rated(G, A, A, A, A, A)),
        candidate(5, each(A)),
        candidate(6, rated(A, A, A, A, A, N)),
    ]
    assert allocate(pool, caps=ROUND_1) == {2: "second", 1: "second", 3: "third", 4: "third", 5: "third"}


def test_a_full_tier_leaves_lower_tiers_to_the_rest_and_none_eligible_tasks_get_nothing():
    pool = [candidate(k, each(A), rank_score=Fraction(k, 10)) for k in range(1, 8)]
    pool.append(candidate(99, each(N), rank_score=Fraction(1)))
    assert allocate(pool, caps=ROUND_1) == {7: "third", 6: "third", 5: "third", 4: "third", 3: "third"}


def test_round_two_upgrades_a_round_one_winner_and_frees_its_slot():
    pool = [
        candidate("old-second", each(G), previous_tier="second"),  # now grand-eligible
        candidate("old-second-2", rated(G, A, A, A, A, A), previous_tier="second"),
        candidate("new-1", rated(G, G, A, A, A, A), rank_score=Fraction(1)),
        candidate("new-2", rated(G, A, A, A, A, A), rank_score=Fraction(1)),
    ]
    caps = {"grand": 1, "second": 2, "third": 10}
    assert allocate(pool, caps=caps) == {
        "old-second": "grand",  # upgraded
        "old-second-2": "second",  # kept, takes a second slot first
        "new-1": "second",  # the slot the upgrade freed
        "new-2": "third",  # missed second, competes in third
    }


def test_a_round_one_winner_is_never_lowered_and_counts_against_the_totals():
    pool = [
        candidate("r1-second", rated(A, A, A, A, A, N), previous_tier="second"),  # no longer eligible at all
        candidate("r1-third", each(A), previous_tier="third", rank_score=Fraction(0)),
        candidate("r1-grand", each(N), previous_tier="grand"),
        candidate("new", each(G), rank_score=Fraction(1)),
    ]
    caps = {"grand": 1, "second": 1, "third": 1}
    assert allocate(pool, caps=caps) == {"r1-grand": "grand", "r1-second": "second", "r1-third": "third"}


def test_more_previous_awards_than_a_cap_is_refused_rather_than_lowered():
    pool = [candidate(k, each(A), previous_tier="second") for k in ("x", "y", "z")]
    with pytest.raises(ValueError, match=r"^3 submissions already hold a second prize from an earlier round, "
                                         r"but the cap for second is 2; raise the cap"):
        allocate(pool, caps={"grand": 1, "second": 2, "third": 5})


def test_bad_candidates_are_refused():
    with pytest.raises(ValueError, match="same key"):
        allocate([candidate(1, each(A)), candidate(1, each(G))], caps=TOTALS)
    with pytest.raises(ValueError, match="unknown previous tier 'first'"):
        allocate([candidate(1, each(A), previous_tier="first")], caps=TOTALS)
    with pytest.raises(ValueError, match="The cap for third is negative"):
        allocate([], caps={"grand": 1, "second": 1, "third": -1})


@pytest.mark.parametrize("seed", range(20))
def test_caps_are_never_exceeded_and_only_eligible_or_previous_winners_are_awarded(seed):
    rng = random.Random(seed)
    pool = []
    for key in range(rng.randrange(0, 40)):
        levels = rated(*[rng.choice(LEVELS) for _ in CRITERIA])
        previous = rng.choice([None] * 8 + ["second", "third"])
        pool.append(candidate(key, levels, rank_score=Fraction(rng.randrange(10), 9), previous_tier=previous))
    previous_counts = {t: sum(c["previous_tier"] == t for c in pool) for t in ("second", "third")}
    caps = {"grand": rng.randrange(0, 2), "second": previous_counts["second"] + rng.randrange(0, 3),
            "third": previous_counts["third"] + rng.randrange(0, 6)}
    awarded = allocate(pool, caps=caps)
    order = {"grand": 3, "second": 2, "third": 1, "none": 0}
    for tier, cap in caps.items():
        assert sum(1 for t in awarded.values() if t == tier) <= cap
    for c in pool:
        tier = awarded.get(c["key"])
        if c["previous_tier"] is not None:
            assert order[tier] >= order[c["previous_tier"]]
        elif tier is not None:
            assert order[eligible_tier(c["levels"])] >= order[tier]


# --- borda_scores ------------------------------------------------------------------------------------


def test_borda_gives_the_first_one_and_the_last_zero_whatever_the_length():
    assert borda_scores([["a", "b", "c"]]) == {"a": 1, "b": Fraction(1, 2), "c": 0}
    assert borda_scores([["a", "b"], ["c", "a", "d"]]) == {
        "a": Fraction(3, 4), "b": 0, "c": 1, "d": 0}


def test_borda_scores_tie_exactly_and_a_single_submission_ranking_says_nothing():
    scores = borda_scores([["a", "b", "c"], ["c", "b", "a"], ["x"]])
    assert scores == {"a": Fraction(1, 2), "b": Fraction(1, 2), "c": Fraction(1, 2), "x": Fraction(1, 2)}
    assert scores["x"] is UNRANKED


def test_borda_refuses_a_ranking_with_a_repeat():
    with pytest.raises(ValueError, match="same submission twice"):
        borda_scores([["a", "b", "a"]])


# --- prizes over the rounds: the caps' tally, what is paid -------------------------------------------


def test_the_higher_tier_of_two_either_of_which_may_be_none():
    assert [higher_tier(a, b) for a, b in [(None, None), (None, "third"), ("second", None), ("third", "grand"),
                                           ("grand", "second"), ("second", "second")]] == [
        None, "third", "second", "grand", "grand", "second"]


def tally() -> AwardTally:
    """1 won second in an earlier round; 2 won third earlier and second now; 3 wins third now."""
    return AwardTally(earlier={1: "second", 2: "third"}, current={2: "second", 3: "third"})


def test_the_caps_count_each_submission_once_at_its_highest_tier():
    assert tally().highest() == {1: "second", 2: "second", 3: "third"}
    assert tally().counts() == {"grand": 0, "second": 2, "third": 1}
    assert (tally().from_earlier("second"), tally().from_earlier("third")) == (1, 0)  # 2 was upgraded since
    assert tally().over_cap({"grand": 0, "second": 2, "third": 1}) is None
    assert tally().over_cap({"grand": 0, "second": 1, "third": 0}) == "second"  # the highest tier over its cap
    assert tally().over_cap({"grand": 0, "second": 2, "third": 0}) == "third"


def test_an_award_kept_or_taken_away_makes_no_award_of_the_round():
    assert tally().with_award(1, "second").current == {2: "second", 3: "third"}  # kept: nothing new
    assert tally().with_award(1, "grand").counts() == {"grand": 1, "second": 1, "third": 1}
    assert tally().with_award(2, "none").highest() == {1: "second", 2: "third", 3: "third"}  # back to its earlier tier
    assert tally().with_award(3, "none").counts() == {"grand": 0, "second": 2, "third": 0}
    assert tally().with_award(4, "grand").counts() == {"grand": 1, "second": 2, "third": 1}


def test_a_prize_is_paid_once_and_an_upgrade_pays_the_difference():
    assert tally().payable(1, "second", amount=20_000, paid_before=20_000) is None  # kept at its tier
    assert tally().payable(1, "grand", amount=100_000, paid_before=20_000) == (80_000, "second")
    assert tally().payable(3, "second", amount=20_000, paid_before=0) == (20_000, "")  # no earlier prize
    assert tally().payable(1, "grand", amount=10_000, paid_before=20_000) == (0, "second")  # never below 0


@dataclass
class Round:
    number: int


@dataclass
class Award:
    tier: str
    amount: int
    round: Round


def test_a_submissions_prize_is_its_highest_award_and_what_all_of_them_paid():
    third, second = Award("third", 5_000, Round(1)), Award("second", 15_000, Round(2))
    prize = prize_of([third, second])
    assert (prize.tier, prize.award, prize.upgraded_from, prize.paid_earlier, prize.total) == (
        "second", second, third, 5_000, 20_000)
    alone = prize_of([Award("grand", 100_000, Round(2))])
    assert (alone.tier, alone.upgraded_from, alone.paid_earlier, alone.total) == ("grand", None, 0, 100_000)
    assert prize_of([]) is None
