"""Few-shot variants of a zero-shot task file (the rules' first optional question). Plain Python.

A k-shot variant puts in front of each prompt k OTHER examples of the same file, sampled without
replacement with a fixed seed and shown with their correct answers (`Metric.answer`: the correct
class, or the completion), each shot being its own prompt followed by that answer:

    shot_1 + "\\n\\n\\n" + … + shot_k + "\\n\\n\\n" + prompt

For logodds and absolute_logodds the same shots prefix both prompt and other_prompt
(`Metric.prompt_columns`). The variant keeps the original's line numbers, kind, index and row
count; it is named "<stem>-<k>shot.csv" and its sha256 is that of the CSV `variant_csv` writes
(pandas' to_csv with "\\n" line ends), so the portal's result cache recognises it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from pathlib import PurePosixPath

import pandas as pd

from .metrics import Metric, get_metric
from .types import Example, TaskFile

SEPARATOR = "\n\n\n"


def _shot_indices(n: int, k: int, seed: int) -> list[list[int]]:
    """For each of n examples, k indices of other examples, without replacement."""
    rng = random.Random(seed)
    picks = []
    for i in range(n):
        others = rng.sample(range(n - 1), k)
        picks.append([j + (j >= i) for j in others])  # skip the example itself
    return picks


def _with_prefix(example: Example, prefix: str, metric: Metric) -> Example:
    return dataclasses.replace(example, **{c: prefix + getattr(example, c) for c in metric.prompt_columns})


def few_shot_variant(task_file: TaskFile, *, k: int, metric: Metric | str, seed: int = 0) -> TaskFile:
    """The k-shot variant of a (zero-shot) task file; ValueError when it cannot be made."""
    metric = get_metric(metric)
    examples = task_file.examples
    if task_file.shots:
        raise ValueError(f"{task_file.name} is already a {task_file.shots}-shot variant; make variants "
                         f"of the original file.")
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a whole number of at least 1, not {k!r}.")
    if k >= len(examples):
        raise ValueError(f"{task_file.name} has {len(examples)} examples, so a {k}-shot variant is "
                         f"impossible: each prompt needs {k} other examples; choose k below {len(examples)}.")
    shown = [ex.prompt + metric.answer(ex) for ex in examples]
    variant_examples = [
        _with_prefix(ex, SEPARATOR.join(shown[j] for j in shots) + SEPARATOR, metric)
        for ex, shots in zip(examples, _shot_indices(len(examples), k, seed))
    ]
    columns = [c for c in task_file.columns if c in metric.required_columns]
    variant = TaskFile(name=f"{PurePosixPath(task_file.name).stem}-{k}shot.csv", kind=task_file.kind,
                       index=task_file.index, rows=task_file.rows, columns=columns,
                       examples=variant_examples, shots=k, source=task_file.name)
    variant.sha256 = hashlib.sha256(variant_csv(variant, metric=metric)).hexdigest()
    return variant


def _cell(value):
    return str(list(value)) if isinstance(value, tuple) else value


def variant_csv(task_file: TaskFile, *, metric: Metric | str) -> bytes:
    """A file's examples as the CSV pandas' to_csv writes (index=False, "\\n" line ends), in its
    columns' order: the download of a few-shot variant, and what its sha256 is of."""
    columns = task_file.columns or list(get_metric(metric).required_columns)
    frame = pd.DataFrame([[_cell(getattr(ex, c)) for c in columns] for ex in task_file.examples], columns=columns)
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
