"""Dedupe, order and scatter back: what every backend does with a list of requests, written once.

    collated = Collator(requests, key=lambda r: (r.context, r.continuation))
    values = score_each(collated.unique)          # one value per distinct request
    return collated.scatter(values)               # one value per request, in the caller's order

`Collator` keeps the distinct items in the order they were first seen, how many requests each one
stands for (`weights`, so progress can count requests, not distinct items) and, for every
request, which distinct item answers it. `sorted_batches` orders items by length (shortest first,
ties in their given order) and cuts them greedily into batches that a backend's own limit accepts
(a number of prompts per HTTP request, a token budget); with `longest_first` the batches come
longest first, which makes the peak memory of a pass show early.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Fits = Callable[[int, int, int], bool]  # (items, longest, total length) -> may these form one batch


class Collator(Generic[T]):
    """The distinct items of `items` (equal when their `key`s are equal) and the way back."""

    def __init__(self, items: Iterable[T], *, key: Callable[[T], Hashable] | None = None):
        key = key or (lambda item: item)
        index: dict[Hashable, int] = {}
        self.unique: list[T] = []  # distinct items, in the order first seen
        self.weights: list[int] = []  # how many of `items` each distinct item stands for
        self.slots: list[int] = []  # for each of `items`, the index of its distinct item
        for item in items:
            k = key(item)
            slot = index.get(k)
            if slot is None:
                slot = index[k] = len(self.unique)
                self.unique.append(item)
                self.weights.append(0)
            self.weights[slot] += 1
            self.slots.append(slot)

    def __len__(self) -> int:
        return len(self.slots)

    def scatter(self, values: Sequence[R]) -> list[R]:
        """One value per original item, in the original order, from one value per distinct item."""
        if len(values) != len(self.unique):
            raise ValueError(f"{len(values)} values for {len(self.unique)} distinct items")
        return [values[slot] for slot in self.slots]


def sorted_batches(items: Sequence[T], *, length: Callable[[T], int], fits: Fits,
                   longest_first: bool = False) -> list[list[T]]:
    """`items` sorted by `length` (shortest first, stable) and cut into batches, each as long as
    `fits(count, longest, total)` accepts it; a batch always takes at least one item."""
    batches: list[list[T]] = []
    current: list[T] = []
    longest = total = 0
    for item in sorted(items, key=length):
        size = length(item)
        if current and not fits(len(current) + 1, max(longest, size), total + size):
            batches.append(current)
            current, longest, total = [], 0, 0
        current.append(item)
        longest, total = max(longest, size), total + size
    if current:
        batches.append(current)
    return batches[::-1] if longest_first else batches
