"""The one collator both backends use (evaluation/engine/collator.py), on its own."""

from __future__ import annotations

import pytest

from evaluation.engine.collator import Collator, sorted_batches
from evaluation.engine.types import ScoreRequest


def test_identical_items_are_kept_once_in_first_seen_order_with_their_weights():
    items = ["b", "a", "b", "c", "a", "b"]
    collated = Collator(items)
    assert collated.unique == ["b", "a", "c"]
    assert collated.weights == [3, 2, 1]
    assert collated.slots == [0, 1, 0, 2, 1, 0]
    assert len(collated) == 6


def test_scatter_gives_every_original_item_its_distinct_items_value_in_the_original_order():
    requests = [ScoreRequest("Q:", " yes"), ScoreRequest("Q:", " no"), ScoreRequest("Q:", " yes")]
    collated = Collator(requests)
    assert collated.unique == requests[:2]
    assert collated.scatter([-1.5, -0.25]) == [-1.5, -0.25, -1.5]


def test_a_key_decides_what_counts_as_identical():
    prompts = [[1, 2, 3], "text", [1, 2, 3], [1, 2]]
    collated = Collator(prompts, key=lambda p: tuple(p) if isinstance(p, list) else p)
    assert collated.unique == [[1, 2, 3], "text", [1, 2]]
    assert collated.scatter(["x", "y", "z"]) == ["x", "y", "x", "z"]
    by_length = Collator(["ab", "cd", "e"], key=len)
    assert (by_length.unique, by_length.weights) == (["ab", "e"], [2, 1])


def test_scatter_refuses_a_value_count_that_is_not_one_per_distinct_item():
    collated = Collator(["a", "a", "b"])
    with pytest.raises(ValueError, match="^3 values for 2 distinct items$"):
        collated.scatter([1, 2, 3])


def test_empty_input():
    collated = Collator([])
    assert (collated.unique, collated.weights, collated.scatter([])) == ([], [], [])
    assert sorted_batches([], length=len, fits=lambda *_: True) == []


def test_batches_are_sorted_by_length_stable_on_ties_and_cut_by_count():
    items = ["cccc", "a", "bb", "dd", "e", "ffffff"]
    batches = sorted_batches(items, length=len, fits=lambda count, _longest, _total: count <= 2)
    assert batches == [["a", "e"], ["bb", "dd"], ["cccc", "ffffff"]]
    assert sorted_batches(items, length=len, fits=lambda count, *_: count <= 2, longest_first=True) == [
        ["cccc", "ffffff"], ["bb", "dd"], ["a", "e"]]


def test_fits_sees_the_count_the_longest_and_the_total_of_the_batch_it_would_make():
    seen = []

    def budget(count: int, longest: int, total: int) -> bool:
        seen.append((count, longest, total))
        return count * longest <= 6  # a padded token budget

    assert sorted_batches([3, 1, 2, 2], length=lambda n: n, fits=budget) == [[1, 2, 2], [3]]
    assert seen == [(2, 2, 3), (3, 2, 5), (4, 3, 8)]


def test_an_item_longer_than_any_budget_still_gets_a_batch_of_its_own():
    assert sorted_batches(["x" * 50, "y"], length=len, fits=lambda count, longest, _t: count * longest <= 10) == [
        ["y"], ["x" * 50]]
