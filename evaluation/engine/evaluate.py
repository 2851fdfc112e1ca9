"""Evaluate a validated task on a list of models: the command line's logic (no Django).

    report = read_task_zip(path, metric=metric, task_name=name)
    summary = evaluate_task(report, metric=metric, models=[ModelSpec("path/to/model")],
                            out_dir=Path("evaluation-name"))

Each model is loaded once (`backends.load_backend`) and scores every file of the task through
`scoring.score_report`, the function the portal's workers call too; a tqdm bar counts examples
scored over all models. Into `out_dir`:

* ``<file stem>__<model slug>.csv`` per file and model: ``line, value, correct, predicted,
  total_logprob`` (one row per example, floats written in full precision, text cells quoted and
  neutralised against spreadsheet formulas: `safecsv`);
* ``summary.json``::

    {"files": [{"name", "kind", "models": [{"model", "params", "n", "mean", "sem", "accuracy",
                                              "class_mass", "baseline"}]}],
     "errors": [{"model", "file", "message"}],
     "warnings": [{"model", "file", "message"}]}

  ``files`` keeps the task's file order and, inside, the order of `models`; a model that failed on
  a file is missing from that file's ``models`` and has an entry in ``errors`` instead (``file`` is
  None when the model could not be loaded at all). ``accuracy`` and ``class_mass`` are None where
  the metric has none (sequence_prob). ``baseline`` is `Metric.baseline` (what it means:
  `Metric.baseline_description`). ``warnings`` start with the task's own warnings passed in
  `task_warnings` (``model`` None), then each model's scoring warnings.
* ``plot.html``: `plots.scaling_figure` with plotly.js inlined (no CDN).

A `ModelError` while scoring a file, or any error while loading a model, is recorded for that
model (and file) and the others still run.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .metrics import Metric, get_metric
from .safecsv import write_csv
from .scoring import FileOutcome, score_report
from .types import Issue, TaskReport


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
    if spec.startswith("pretrained:"):
        return spec[len("pretrained:"):]
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


def _unique_slugs(specs: Sequence[ModelSpec]) -> list[str]:
    slugs: list[str] = []
    for spec in specs:
        slug, k = model_slug(spec), 2
        while slug in slugs:
            slug, k = f"{model_slug(spec)}-{k}", k + 1
        slugs.append(slug)
    return slugs


def _file_stem(name: str) -> str:
    stem = Path(name).stem
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "file"


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def evaluate_task(report: TaskReport, *, metric: Metric | str, models: Sequence[ModelSpec | str],
                  out_dir: Path | None, progress: bool = True, cache_dir: Path | None = None,
                  device: str | None = None, dtype: str | None = None, title: str | None = None,
                  task_warnings: Sequence[Issue] = ()) -> dict:
    """Score every file of `report` on every model; write the outputs into `out_dir` (if given).

    Returns the summary (the structure of summary.json). ``progress=False`` draws no bar at all:
    neither this function's nor transformers' (and huggingface_hub's) loading bars.
    """
    from tqdm.auto import tqdm

    from .backends import progress_bars

    metric = get_metric(metric)
    if not report.valid:
        raise ValueError("the task has errors; evaluate only a valid report")
    specs = [m if isinstance(m, ModelSpec) else ModelSpec(str(m)) for m in models]
    summary: dict[str, Any] = {
        "files": [{"name": f.name, "kind": f.kind, "models": []} for f in report.files],
        "errors": [],
        "warnings": [{"model": None, "file": w.file, "message": w.message} for w in task_warnings],
    }
    if out_dir is not None:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
    per_model = sum(len(f.examples) for f in report.files)
    with progress_bars(progress), tqdm(total=per_model * len(specs), unit="ex", desc="scoring",
                                       disable=not progress, dynamic_ncols=True) as bar:
        for k, (spec, slug) in enumerate(zip(specs, _unique_slugs(specs))):
            bar.set_postfix_str(spec.label, refresh=False)
            start = k * per_model

            def advance(done: int, total: int, start=start) -> None:
                bar.update(start + done - bar.n)

            _evaluate_model(report, metric, spec, summary, progress=advance,
                            load={"cache_dir": cache_dir, "device": device, "dtype": dtype},
                            csv_prefix=None if out_dir is None else (out_dir, slug))
            bar.update(start + per_model - bar.n)
    if out_dir is not None:
        from .plots import write_scaling_html

        (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        write_scaling_html(summary, out_dir / "plot.html", metric=metric, title=title)
    return summary


def _evaluate_model(report: TaskReport, metric: Metric, spec: ModelSpec, summary: dict, *,
                    progress, load: dict, csv_prefix: tuple[Path, str] | None) -> None:
    """Load one model, score every file, and add its rows, errors and warnings to `summary`."""
    from .backends import load_backend

    try:
        backend = load_backend(spec.spec, params=spec.params, **load)
    except Exception as exc:  # a model that cannot be loaded must not stop the others
        summary["errors"].append({"model": spec.label, "file": None,
                                  "message": f"could not load the model: {type(exc).__name__}: {exc}"})
        return
    params = spec.params if spec.params is not None else getattr(backend, "params", None)
    try:
        outcomes = score_report(report, metric=metric, backend=backend, progress=progress)
    finally:
        backend.close()
    for entry, outcome in zip(summary["files"], outcomes):
        _record(entry, outcome, summary, metric=metric, label=spec.label, params=params)
        if outcome.scores is not None and csv_prefix is not None:
            folder, slug = csv_prefix
            _write_examples(folder / f"{_file_stem(outcome.file.name)}__{slug}.csv", outcome.scores.examples)


def _record(entry: dict, outcome: FileOutcome, summary: dict, *, metric: Metric, label: str,
            params: int | None) -> None:
    name = outcome.file.name
    if outcome.error is not None:
        summary["errors"].append({"model": label, "file": name, "message": outcome.error})
        return
    summary["warnings"] += [{"model": label, "file": name, "message": str(w)} for w in outcome.scores.warnings]
    agg = outcome.scores.aggregate
    entry["models"].append({
        "model": label,
        "params": int(params) if params is not None else None,
        "n": int(agg.n),
        "mean": _num(agg.mean),
        "sem": _num(agg.sem),
        "accuracy": _num(agg.accuracy),
        "class_mass": _num(agg.class_mass),
        "baseline": _num(metric.baseline(agg)),
    })


def _write_examples(path: Path, examples) -> None:
    """One row per example; a predicted class is text from the task file, neutralised (safecsv)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        write_csv(f, header=["line", "value", "correct", "predicted", "total_logprob"],
                  rows=([ex.line, ex.value, ex.correct, ex.predicted, ex.total_logprob] for ex in examples))


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


def format_table(summary: dict, *, metric: Metric | str) -> str:
    """The summary as a text table, then one line saying what the baseline column means."""
    rows = [list(TABLE_COLUMNS)] + summary_rows(summary)
    widths = [max(len(r[c]) for r in rows) for c in range(len(TABLE_COLUMNS))]
    numeric = {2, 3, 4, 5, 6, 7, 8}
    lines = []
    for k, r in enumerate(rows):
        cells = [r[c].rjust(widths[c]) if c in numeric and k else r[c].ljust(widths[c]) for c in range(len(r))]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(f"baseline: {get_metric(metric).baseline_description}")
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
