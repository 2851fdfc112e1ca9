"""The human validation's sample and who answers what (plain Python, no Django).

The sample: the examples of a version's non-control files, in the order the version lists its files and each
file's rows in order, numbered 0 .. P-1; `random.Random(seed).sample(range(P), min(N, P))` picks N of them (all
of them when the task holds fewer), in the order drawn. The same files and seed always give the same sample.

What a validator is shown (`shown`), by the task's metric; the label is the index of the task's answer among
the choices, and is never shown:
- classification: the prompt, and its classes to choose from; label = answer_index;
- logodds and absolute_logodds: `prompt` (not `other_prompt`), and its classes: the validator picks the better
  class for `prompt`; label = answer_index;
- sequence_prob: the prompt and the completion, and the choice "The completion is right" / "The completion is
  not right"; the task's completion is the right one, so label = 0.

Who answers what (`plan`): each example needs `per_example` answers. An example is given to a validator not
yet given it, the one with the fewest examples given so far (the lowest number first on a tie), until what it
has (answers and examples given but not answered) reaches what it needs. A skip is not an answer, so after a
skip the example is given to one more validator; with every validator named given it already, it stays short
(`Plan.short`) until another validator is named. Naming V >= per_example validators at the start gives each of
them about N x per_example / V examples.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from evaluation.engine.types import ClassificationExample, Example, LogoddsExample, SequenceProbExample, TaskFile

SEQUENCE_CHOICES = ("The completion is right", "The completion is not right")
SEQUENCE_LABEL = 0  # the task's completion is the right one


@dataclass(frozen=True)
class Shown:
    """What a validator sees of an example (`label` is kept apart from it: it is never shown)."""

    prompt: str
    completion: str  # sequence_prob only; "" otherwise
    choices: tuple[str, ...]
    label: int


def shown(example: Example) -> Shown:
    """The prompt, the completion (sequence_prob) and the choices of an example, with its label."""
    if isinstance(example, SequenceProbExample):
        return Shown(example.prompt, example.completion, SEQUENCE_CHOICES, SEQUENCE_LABEL)
    if isinstance(example, ClassificationExample | LogoddsExample):
        return Shown(example.prompt, "", tuple(example.classes), example.answer_index)
    raise TypeError(f"No validation is defined for {type(example).__name__}.")


@dataclass(frozen=True)
class Sampled:
    """One example drawn: its file (name, kind, index), its row in the file (from 0), its line, what is shown."""

    file_name: str
    file_kind: str
    file_index: int | None
    row: int
    line: int
    shown: Shown


def sample(files: Sequence[TaskFile], *, size: int, seed: int) -> tuple[list[Sampled], int]:
    """(the examples drawn, in the order drawn; how many the non-control files hold). See the module's rule."""
    population = [(f, row, example) for f in files if f.kind != "control" for row, example in enumerate(f.examples)]
    picks = random.Random(seed).sample(range(len(population)), min(size, len(population)))
    drawn = [Sampled(f.name, f.kind, f.index, row, example.line, shown(example))
             for f, row, example in (population[i] for i in picks)]
    return drawn, len(population)


@dataclass(frozen=True)
class Given:
    """Where an example stands: its answers (skips excepted), the validators given it and not answered yet, and
    every validator given it (answered, skipped or waiting)."""

    answered: int = 0
    waiting: int = 0
    validators: frozenset[int] = frozenset()


@dataclass
class Plan:
    given: list[tuple[int, int]] = field(default_factory=list)  # (example, validator) to give now
    short: dict[int, int] = field(default_factory=dict)  # example -> answers it will still lack


def plan(*, examples: Mapping[int, Given], validators: Sequence[int], per_example: int) -> Plan:
    """Which validator (by number) to give which example (by position) now, the examples taken in order (the
    rule: this module's docstring). An example lacks per_example - answered - waiting answers."""
    load = dict.fromkeys(validators, 0)
    for state in examples.values():
        for v in state.validators:
            if v in load:
                load[v] += 1
    out = Plan()
    for example, state in examples.items():
        had = set(state.validators)
        missing = per_example - state.answered - state.waiting
        while missing > 0:
            free = [v for v in validators if v not in had]
            if not free:
                out.short[example] = missing
                break
            chosen = min(free, key=lambda v: (load[v], v))
            out.given.append((example, chosen))
            had.add(chosen)
            load[chosen] += 1
            missing -= 1
    return out
