"""Evaluate a validated task on a list of models: the command line's logic (no Django).

    report = read_task_zip(path, metric=metric, task_name=name)
    summary = evaluate_task(report, metric=metric, models=[ModelSpec("path/to/model")],
                            out_dir=Path("evaluation-name"))

Each model is loaded once (`backends.load_backend`) and scores every file of the task
(`metrics.score_examples`); a tqdm bar counts examples scored over all models. Into `out_dir`:

* ``<file stem>__<model slug>.csv`` per file and model: ``line, value, correct, predicted,
  total_logprob`` (one row per example, floats written in full precision);
* ``summary.json``::

    {"files": [{"name", "kind", "models": [{"model", "params", "n", "mean", "sem", "accuracy",
                                              "class_mass", "baseline"}]}],
     "errors": [{"model", "file", "message"}],
     "warnings": [{"model", "file", "message"}]}

  ``files`` keeps the task's file order and, inside, the order of `models`; a model that failed on
  a file is missing from that file's ``models`` and has an entry in ``errors`` instead (``file`` is
  None when the model could not be loaded at all). ``accuracy`` and ``class_mass`` are None where
  the metric has none (sequence_prob).
  ``baseline`` is the chance baseline: for ``classification`` the loss of a uniform guess over the
  classes (mean of log(number of classes)), for ``sequence_prob`` what `metrics` reports as the
  baseline loss (None if it defines none), and for ``logodds`` / ``absolute_logodds`` 0.0 — the
  value of a model whose odds do not move between the two prompts.
* ``plot.html``: `plots.scaling_figure` with plotly.js inlined (no CDN).

A `ModelError` while loading a model or scoring a file (say a logodds class that is not a single
token for that tokenizer) is recorded for that model (and file) and the others still run.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .types import ModelError, TaskReport

LOSS_METRICS = ("classification", "sequence_prob")


@dataclass(frozen=True)
class ModelSpec:
    """A model to evaluate: a spec for `load_backend`, an optional parameter count and label."""

    spec: str
    params: int | None = None  # overrides the backend's own count (plot's x axis)
    name: str | None = None  # shown in tables and plots; default: the spec

    @property
    def label(self) -> str:
        return self.name or self.spec


def display_name(spec: str) -> str:
    """A short name for tables: the GGUF file, the folder's name, the served model, or the hub id."""
    if spec.startswith("openai:") and "#" in spec:
        return spec.rsplit("#", 1)[1].partition("?")[0]
    if "::" in spec:
        return Path(spec.split("::", 1)[1]).stem
    if Path(spec).exists():
        return Path(spec).resolve().name
    return spec


def model_slug(spec: ModelSpec) -> str:
    """A short file-name-safe name for a model: folder or file name, hub id, or served model."""
    s = spec.name or display_name(spec.spec).replace("/", "--")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", s).strip("-.")
    return slug or "model"


def _file_stem(name: str) -> str:
    stem = Path(name).stem
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "file"


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _baseline(metric: str, aggregate) -> float | None:
    if metric in LOSS_METRICS:
        return _num(getattr(aggregate, "baseline_loss", None))
    return 0.0


def evaluate_task(report: TaskReport, *, metric: str, models: Sequence[ModelSpec | str],
                  out_dir: Path | None, progress: bool = True, cache_dir: Path | None = None,
                  device: str | None = None, dtype: str | None = None,
                  title: str | None = None) -> dict:
    """Score every file of `report` on every model; write the outputs into `out_dir` (if given).

    Returns the summary (the structure of summary.json).
    """
    from tqdm.auto import tqdm

    from .backends import load_backend
    from .metrics import score_examples
    from .plots import write_scaling_html

    if not report.valid:
        raise ValueError("the task has errors; evaluate only a valid report")
    specs = [m if isinstance(m, ModelSpec) else ModelSpec(str(m)) for m in models]
    slugs: list[str] = []
    for spec in specs:
        slug, k = model_slug(spec), 2
        while slug in slugs:
            slug, k = f"{model_slug(spec)}-{k}", k + 1
        slugs.append(slug)

    files_out: list[dict[str, Any]] = [{"name": f.name, "kind": f.kind, "models": []} for f in report.files]
    errors: list[dict] = []
    warnings: list[dict] = []
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)

    total = sum(len(f.examples) for f in report.files) * len(specs)
    bar = tqdm(total=total, unit="ex", desc="scoring", disable=not progress, dynamic_ncols=True)
    done = 0
    try:
        for spec, slug in zip(specs, slugs):
            bar.set_postfix_str(spec.label, refresh=False)
            try:
                backend = load_backend(spec.spec, cache_dir=cache_dir, device=device, dtype=dtype,
                                       params=spec.params)
            except Exception as exc:  # a model that cannot be loaded must not stop the others
                errors.append({"model": spec.label, "file": None,
                               "message": f"could not load the model: {type(exc).__name__}: {exc}"})
                done += sum(len(f.examples) for f in report.files)
                bar.update(done - bar.n)
                continue
            params = spec.params if spec.params is not None else getattr(backend, "params", None)
            try:
                for i, task_file in enumerate(report.files):
                    target = done + len(task_file.examples)
                    try:
                        scores = score_examples(task_file.examples, metric=metric, backend=backend,
                                                progress=_ExampleProgress(bar, done, task_file.examples, metric))
                    except ModelError as exc:
                        errors.append({"model": spec.label, "file": task_file.name, "message": str(exc)})
                        done = target
                        bar.update(done - bar.n)
                        continue
                    done = target
                    bar.update(done - bar.n)
                    for w in scores.warnings:
                        warnings.append({"model": spec.label, "file": task_file.name, "message": str(w)})
                    agg = scores.aggregate
                    files_out[i]["models"].append({
                        "model": spec.label,
                        "params": int(params) if params is not None else None,
                        "n": int(agg.n),
                        "mean": _num(agg.mean),
                        "sem": _num(agg.sem),
                        "accuracy": _num(agg.accuracy),
                        "class_mass": _num(agg.class_mass),
                        "baseline": _baseline(metric, agg),
                    })
                    if out_dir is not None:
                        _write_examples(out_dir / f"{_file_stem(task_file.name)}__{slug}.csv", scores.examples)
            finally:
                close = getattr(backend, "close", None)
                if close is not None:
                    close()
    finally:
        bar.close()

    summary = {"files": files_out, "errors": errors, "warnings": warnings}
    if out_dir is not None:
        (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        write_scaling_html(summary, out_dir / "plot.html", metric=metric, title=title)
    return summary


class _ExampleProgress:
    """Turns the backend's "n more continuations scored" into examples on the bar."""

    def __init__(self, bar, start: int, examples, metric: str):
        self.bar, self.start, self.n_examples = bar, start, len(examples)
        if metric == "classification":
            self.n_requests = sum(len(ex.classes) for ex in examples)
        elif metric == "sequence_prob":
            self.n_requests = len(examples)
        else:
            self.n_requests = 4 * len(examples)
        self.requests_done = 0

    def __call__(self, n: int) -> None:
        self.requests_done += n
        if self.n_requests:
            at = self.start + min(self.n_examples, self.requests_done * self.n_examples // self.n_requests)
            if at > self.bar.n:
                self.bar.update(at - self.bar.n)


def _write_examples(path: Path, examples) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["line", "value", "correct", "predicted", "total_logprob"])
        for ex in examples:
            writer.writerow([ex.line, _cell(ex.value), _cell(ex.correct), _cell(ex.predicted),
                             _cell(ex.total_logprob)])


def _cell(x) -> str:
    if x is None:
        return ""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, float):
        return repr(x)
    return str(x)


# --- a text table for the command line -----------------------------------------------------

TABLE_COLUMNS = ("file", "model", "params", "n", "mean", "sem", "accuracy", "class mass", "baseline")


def summary_rows(summary: dict) -> list[list[str]]:
    rows = []
    for f in summary["files"]:
        for m in f["models"]:
            rows.append([
                f["name"], display_name(m["model"]), _fmt_params(m["params"]), str(m["n"]), _fmt(m["mean"]),
                _fmt(m["sem"]), _fmt(m["accuracy"]), _fmt(m["class_mass"]), _fmt(m["baseline"]),
            ])
    return rows


def format_table(summary: dict) -> str:
    rows = [list(TABLE_COLUMNS)] + summary_rows(summary)
    widths = [max(len(r[c]) for r in rows) for c in range(len(TABLE_COLUMNS))]
    numeric = {2, 3, 4, 5, 6, 7, 8}
    lines = []
    for k, r in enumerate(rows):
        cells = [r[c].rjust(widths[c]) if c in numeric and k else r[c].ljust(widths[c]) for c in range(len(r))]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.4f}"


def _fmt_params(p) -> str:
    if p is None:
        return "-"
    for unit, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if p >= size:
            return f"{p / size:.3g}{unit}"
    return str(p)
