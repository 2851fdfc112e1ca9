"""The engine's shared vocabulary: typed examples, scoring requests and results.

Plain Python, no Django: the portal's validator, the Celery workers and the command line all
speak these types.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class ClassificationExample:
    line: int  # line in the CSV file as a person counts it (header = line 1)
    prompt: str
    classes: tuple[str, ...]
    answer_index: int


@dataclass(frozen=True)
class SequenceProbExample:
    line: int
    prompt: str
    completion: str


@dataclass(frozen=True)
class LogoddsExample:
    line: int
    prompt: str
    other_prompt: str
    classes: tuple[str, str]
    answer_index: int


Example = ClassificationExample | SequenceProbExample | LogoddsExample


@dataclass(frozen=True)
class Issue:
    """One problem (error or warning) found in an upload, located as precisely as possible."""

    file: str | None
    line: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}

    def as_text(self) -> str:
        """One line for a terminal: "task.csv, line 5, column 'classes': message"."""
        where = []
        if self.file:
            where.append(self.file)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class TaskFile:
    """One CSV of a task: `kind` is main | part | control; `index` is the N of PARTN/CONTROLN.

    A few-shot variant (fewshot.py) has `shots` > 0 and names the file it was made from in
    `source`; its `sha256` is that of the CSV the variant writes.
    """

    name: str
    kind: str
    index: int | None
    rows: int
    columns: list[str]
    examples: list[Example] = field(default_factory=list)
    sha256: str = ""
    shots: int = 0
    source: str | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "index": self.index, "rows": self.rows,
                "columns": list(self.columns)}


@dataclass
class TaskReport:
    """What reading an upload found: the files, and every error and warning at once."""

    files: list[TaskFile] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {
            "valid": self.valid,
            "files": [f.as_dict() for f in self.files],
            "errors": [e.as_dict() for e in self.errors],
            "warnings": [w.as_dict() for w in self.warnings],
        }


# --- scoring ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreRequest:
    """Score `continuation` given `context`: the sum of the continuation's token log-probs."""

    context: str
    continuation: str


@dataclass(frozen=True)
class Score:
    logprob: float  # sum over the continuation's tokens, computed in fp32
    n_tokens: int  # how many tokens the continuation became for this model
    boundary_fallback: bool = False  # continuation did not start on a token boundary
    truncated: bool = False  # the context was cut from the left to fit the window


class Backend(Protocol):
    """A language model that can score continuations. Every backend passes the same suite."""

    # Names exactly the weights and tokenizer that produce the numbers (backends/identity.py: a
    # hub model's commit, a folder's content hash, a GGUF file's sha256). The engine keeps no
    # result cache; the portal's evaluation app upserts results on (model identity, task file
    # sha256, metric), so an unchanged file is never scored twice on the same model.
    identity: str
    params: int | None  # number of parameters where known (for scaling plots); None if unknown

    def score(self, requests: Sequence[ScoreRequest], progress=None) -> list[Score]:
        """One Score per request, in order. `progress(n)` is called as n more are done."""
        ...

    def close(self) -> None: ...


class ModelError(Exception):
    """A task cannot be scored on a model (say a continuation longer than its context window)."""
