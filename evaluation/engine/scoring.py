"""Score a validated task on one loaded model: the one function the command line and the portal's
Celery task both call (no Django, no files written, no progress bars drawn).

    outcomes = score_report(report, metric=get_metric("classification"), backend=backend,
                            progress=lambda done, total: ...)

A model that cannot score one file (a `ModelError`, say a continuation longer than the model's
context window) does not stop the others: that file's outcome carries the error instead of scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .metrics import FileScores, Metric, get_metric, score_examples
from .types import Backend, ModelError, TaskFile, TaskReport

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileOutcome:
    file: TaskFile  # the file scored (its name, kind, index, sha256 ...)
    scores: FileScores | None  # examples, aggregate and warnings; None when `error` is set
    error: str | None  # a ModelError's message when this model cannot score this file


class _ExampleCounter:
    """Turns the backend's "n more continuations scored" into examples scored over all files.

    Within a file, examples are counted in proportion to the continuations scored (a backend
    scores them in its own order, not example by example); a file counts in full once scored.
    `progress` is called only when the count grows, and a last time with done == total.
    """

    def __init__(self, total: int, progress: Progress | None):
        self.total, self.progress = total, progress
        self.done = 0
        self.file_start = self.file_examples = self.file_requests = self.requests_done = 0

    def start_file(self, task_file: TaskFile, metric: Metric) -> None:
        self.file_start = self.done
        self.file_examples = len(task_file.examples)
        self.file_requests = sum(metric.request_count(ex) for ex in task_file.examples)
        self.requests_done = 0

    def requests_scored(self, n: int) -> None:
        self.requests_done += n
        if self.file_requests:
            within = min(self.file_examples, self.requests_done * self.file_examples // self.file_requests)
            self._advance(self.file_start + within)

    def finish_file(self) -> None:
        self._advance(self.file_start + self.file_examples)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)

    def _advance(self, done: int) -> None:
        if done > self.done:
            self.done = done
            if self.progress is not None and done < self.total:  # done == total is finish()'s
                self.progress(done, self.total)


def score_report(report: TaskReport, *, metric: Metric | str, backend: Backend,
                 files: Sequence[TaskFile] | None = None,
                 progress: Progress | None = None) -> list[FileOutcome]:
    """Score `files` (default: every file of the valid `report`) in order, one outcome per file.

    progress(done, total) is called with the examples scored so far and the total examples of
    `files`, as work goes, and a last time with done == total. A ModelError for one file is that
    file's `error`; other exceptions (including any raised by `progress`) propagate.
    """
    if not report.valid:
        raise ValueError("the task has errors; score only a valid report")
    metric = get_metric(metric)
    files = list(report.files if files is None else files)
    counter = _ExampleCounter(sum(len(f.examples) for f in files), progress)
    outcomes = []
    for task_file in files:
        counter.start_file(task_file, metric)
        try:
            scores = score_examples(task_file.examples, metric=metric, backend=backend,
                                    progress=counter.requests_scored)
            outcomes.append(FileOutcome(file=task_file, scores=scores, error=None))
        except ModelError as exc:
            outcomes.append(FileOutcome(file=task_file, scores=None, error=str(exc)))
        counter.finish_file()
    counter.finish()
    return outcomes
