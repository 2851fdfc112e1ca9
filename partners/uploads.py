"""Checking a partner's upload of a run's results before anything is stored (plain Python over the
engine's types): every file of the run exactly once, under its anonymised name and sha256; each
file's examples exactly its rows (one per line, no more, no fewer), with the columns of the portal's
per-example CSV and values that fit the metric, every number finite. What passes becomes the
engine's `FileOutcome`s, aggregated by the engine's own `aggregate`, so the worker's `store_result`
stores them exactly as it stores a Celery worker's.

    {"files": [{"name": "task.csv", "sha256": "...", "examples": [
        {"line": 2, "value": 0.69, "correct": true, "predicted": " yes", "total_logprob": -0.1}, ...],
      "warnings": ["..."]}]}          # warnings: optional, the engine's warnings of that file
    a file the partner's model cannot score: {"name", "sha256", "error": "the engine's ModelError"}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from evaluation.engine.metrics import ExampleResult, FileScores, Metric, aggregate
from evaluation.engine.scoring import FileOutcome
from evaluation.engine.types import TaskFile

COLUMNS = ("line", "value", "correct", "predicted", "total_logprob")
MAX_PROBLEMS = 20


class UploadInvalid(Exception):
    def __init__(self, problems: list[str]):
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problem(s).")
        super().__init__(" ".join(shown))
        self.problems = shown


@dataclass(frozen=True)
class RunFile:
    """A file of the run as the partner knows it: its anonymised name, and the file itself."""

    name: str
    file: TaskFile


def _number(x) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _lines(ls: Sequence[int]) -> str:
    shown = ", ".join(str(x) for x in ls[:10])
    return shown + (f" and {len(ls) - 10} more" if len(ls) > 10 else "")


def _example(where: str, row, example, metric: Metric, problems: list[str]) -> ExampleResult | None:
    before = len(problems)
    value, correct, predicted, total = row["value"], row["correct"], row["predicted"], row["total_logprob"]
    if not _number(value) or not math.isfinite(value):
        problems.append(f"{where}: 'value' is {value!r}; every value must be a finite number.")
    if metric.has_accuracy:
        classes = tuple(example.classes)
        if not isinstance(correct, bool):
            problems.append(f"{where}: 'correct' is {correct!r}; {metric.name} needs true or false.")
        if predicted not in classes:
            problems.append(f"{where}: 'predicted' is {predicted!r}; it must be one of the row's classes {list(classes)}.")
        if not _number(total) or not math.isfinite(total):
            problems.append(f"{where}: 'total_logprob' is {total!r}; {metric.name} needs a finite number.")
        elif isinstance(correct, bool) and predicted in classes and correct != (classes.index(predicted) == example.answer_index):
            problems.append(f"{where}: 'correct' is {correct!r} but 'predicted' {predicted!r} "
                            f"{'is' if correct is False else 'is not'} the row's answer.")
    else:
        for key in ("correct", "predicted", "total_logprob"):
            if row[key] is not None:
                problems.append(f"{where}: '{key}' is {row[key]!r}; {metric.name} has none, send null.")
    if len(problems) > before:
        return None
    n_classes = len(example.classes) if metric.has_accuracy else None
    return ExampleResult(line=example.line, value=float(value), correct=correct, predicted=predicted,
                         total_logprob=None if total is None else float(total), n_classes=n_classes)


def _file_examples(name: str, rows, task_file: TaskFile, metric: Metric, problems: list[str]) -> list | None:
    if not isinstance(rows, list):
        problems.append(f"{name}: 'examples' must be a list of objects, one per row of the file.")
        return None
    by_line, before = {}, len(problems)
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or set(row) != set(COLUMNS):
            got = ", ".join(sorted(row)) if isinstance(row, dict) else type(row).__name__
            problems.append(f"{name}, example {i + 1}: has {got or 'no columns'}; give exactly the columns "
                            f"{', '.join(COLUMNS)}.")
            continue
        line = row["line"]
        if not isinstance(line, int) or isinstance(line, bool):
            problems.append(f"{name}, example {i + 1}: 'line' is {line!r}; give the row's line number in the file.")
        elif line in by_line:
            problems.append(f"{name}: line {line} appears twice; give each row once.")
        else:
            by_line[line] = row
    if len(problems) > before:
        return None
    expected = [ex.line for ex in task_file.examples]
    missing = [line for line in expected if line not in by_line]
    extra = sorted(set(by_line) - set(expected))
    if missing or extra:
        say = [f"{name}: {len(by_line)} example(s) for the file's {len(expected)} rows"]
        if missing:
            say.append(f"missing line(s) {_lines(missing)}")
        if extra:
            say.append(f"line(s) {_lines(extra)} are not rows of the file")
        problems.append("; ".join(say) + ". Give exactly one example per row.")
        return None
    results = [_example(f"{name}, line {ex.line}", by_line[ex.line], ex, metric, problems) for ex in task_file.examples]
    return None if any(r is None for r in results) else results


def _entry(i: int, entry, expected: dict[str, RunFile], run_label: str, problems: list[str]) -> tuple[str, dict] | None:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not isinstance(entry.get("sha256"), str):
        problems.append(f"files[{i}]: give an object with 'name', 'sha256' and 'examples'.")
        return None
    unknown = sorted(set(entry) - {"name", "sha256", "examples", "warnings", "error"})
    if unknown:
        problems.append(f"files[{i}] ({entry['name']}): unknown key(s) {', '.join(unknown)}; "
                        f"allowed: name, sha256, examples, warnings, error.")
    name = entry["name"]
    if name not in expected:
        problems.append(f"files[{i}]: {name} is not a file of {run_label}; its files are {', '.join(expected)}.")
        return None
    if entry["sha256"] != expected[name].file.sha256:
        problems.append(f"{name}: sha256 {entry['sha256'][:12]}… is not that of {run_label}'s {name} "
                        f"({expected[name].file.sha256[:12]}…); upload the results of this run's file.")
        return None
    return name, entry


def check_upload(payload, *, files: list[RunFile], metric: Metric, run_label: str) -> list[FileOutcome]:
    """The outcomes to store, one per file of the run in its order; UploadInvalid with every problem."""
    problems: list[str] = []
    if not isinstance(payload, dict) or not isinstance(payload.get("files"), list):
        raise UploadInvalid(['Send JSON {"files": [{"name", "sha256", "examples": [...]}, ...]}, one entry per file.'])
    expected = {f.name: f for f in files}
    given: dict[str, dict] = {}
    for i, entry in enumerate(payload["files"]):
        found = _entry(i, entry, expected, run_label, problems)
        if found is None:
            continue
        if found[0] in given:
            problems.append(f"{found[0]}: given twice; give each file once.")
        given[found[0]] = found[1]
    missing = [name for name in expected if name not in given]
    if missing and not problems:
        problems.append(f"{', '.join(missing)}: missing; give one entry for each file of {run_label} "
                        f"({', '.join(expected)}).")
    if problems:
        raise UploadInvalid(problems)
    outcomes = []
    for name, run_file in expected.items():
        entry = given[name]
        if entry.get("error") is not None:
            if not isinstance(entry["error"], str) or not entry["error"].strip() or entry.get("examples"):
                problems.append(f"{name}: 'error' is the engine's message when the model cannot score this file "
                                f"(a non-empty string), and then there are no examples.")
            else:
                outcomes.append(FileOutcome(file=run_file.file, scores=None, error=entry["error"].strip()[:2000]))
            continue
        warnings = entry.get("warnings", [])
        if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
            problems.append(f"{name}: 'warnings' must be a list of strings.")
            continue
        results = _file_examples(name, entry.get("examples"), run_file.file, metric, problems)
        if results is not None:
            scores = FileScores(examples=results, aggregate=aggregate(results, metric), warnings=list(warnings))
            outcomes.append(FileOutcome(file=run_file.file, scores=scores, error=None))
    if problems:
        raise UploadInvalid(problems)
    return outcomes
