"""The public release of a contest's benchmark: one zip that loads with Hugging Face `datasets` and runs with
lm-evaluation-harness, made by the organizers' button (the contest's review page) and by
`manage.py export_release`, once a round's awards are announced.

What it holds is what selectors.release_of reads (the accepted tasks of the announced rounds, and of each
only what was published); this module lays it out, in one folder `<slug>-benchmark/`:

    README.md                  the dataset card: YAML front matter (license, configs with data_files,
                               task_categories, size_categories, pretty_name, tags; written by huggingface_hub's
                               DatasetCardData) and the card itself (templates/reviews/release/README.md)
    metadata.json              the release and each task: authors' names, description, prize, "why it won",
                               causes, human validation, published example, results on every series; each
                               optional part null where missing, and named in the task's `missing`
    data/<task>.jsonl          one config per task: the examples of its non-control files as the engine reads
                               them (`classes` a list), and `part`
    lm_eval/<slug>.yaml        the group; lm_eval/<slug>_<task>.yaml one task each; lm_eval/utils.py the
                               contest's metrics (reviews/lm_eval_utils.py)
    SHA256SUMS                 every other file's SHA-256

One licence (the contest's ReleaseSettings, CC BY 4.0 by default) is named by the card's `license`, the
header line of each YAML and of utils.py, and metadata.json. Every text passes through the release's
redactor (no email address; no username of the tasks' owners, reviewers or validators); an example it changed
is listed in its task's `changed_examples`, since the portal's results were computed on the examples as
submitted.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata as package_metadata
from pathlib import Path
from typing import BinaryIO

from django.template.loader import render_to_string
from django.utils import timezone
from huggingface_hub import DatasetCardData

from evaluation.engine.metrics import get_metric
from evaluation.selectors import FileResults, SeriesResults
from portal.models import Contest

from . import selectors, taskzip
from .export import DESCRIPTION_FIELDS, examples_of, stored_files
from .redaction import Redactor
from .selectors.release import Release, ReleasedTask
from .services import ReviewsRefused

UTILS = Path(__file__).with_name("lm_eval_utils.py")
TASK_CLASSES = {"classification": "ClassificationTask", "sequence_prob": "SequenceProbTask",
                "logodds": "LogoddsTask", "absolute_logodds": "AbsoluteLogoddsTask"}
VALUE_NAMES = {"classification": "loss", "sequence_prob": "loss", "logodds": "logodds",
               "absolute_logodds": "absolute_logodds"}  # what utils.py calls each metric's value
HUB_TASK_CATEGORIES = {"classification": "multiple-choice", "sequence_prob": "text-generation",
                       "logodds": "multiple-choice", "absolute_logodds": "multiple-choice"}
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"))
OPTIONAL_PARTS = ("results", "human_validation", "causes", "published_example", "why_it_won")


class ReleaseRefused(ReviewsRefused):
    """Nothing can be released yet; the message says why and what to do first."""

    status = 409


def size_category(examples: int) -> str:
    """The Hub's size category of a dataset of this many examples."""
    return next((name for limit, name in SIZE_CATEGORIES if examples < limit), "n>1T" if examples > 10**12 else "other")


def _version(package: str) -> str | None:
    try:
        return package_metadata.version(package)
    except package_metadata.PackageNotFoundError:
        return None


@dataclass
class TaskData:
    """A released task's examples, as released."""

    task: ReleasedTask
    config: str  # the dataset config's and the data file's name
    lm_eval_task: str
    rows: list[dict]
    changed: list[int]  # the rows (from 0) that the redactor changed

    @property
    def metric(self) -> str:
        return self.task.version.metric


def _scrub(value, redactor: Redactor):
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, list):
        return [_scrub(v, redactor) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, redactor) for k, v in value.items()}
    return value


def _task_data(task: ReleasedTask, *, group: str, redactor: Redactor) -> TaskData:
    rows, changed = [], []
    for file, example in examples_of(task.version, stored_files(task.version)):
        record = {name: value for name, value in example.items() if name != "line"}
        record["part"] = file["index"] if file["kind"] == "part" else None
        scrubbed = _scrub(record, redactor)
        if scrubbed != record:
            changed.append(len(rows))
        rows.append(scrubbed)
    return TaskData(task=task, config=task.name, lm_eval_task=f"{group}_{task.name}", rows=rows, changed=changed)


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


# --- results and the other parts -----------------------------------------------------------------------------


def _number(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def _series(rows: list[SeriesResults]) -> list[dict]:
    return [{"name": s.series.name, "held_out": s.series.is_private, "x_axis": s.series.x_axis,
             "models": [{"name": p.model.name, "params": p.model.params, "flops": p.model.flops, "n": p.result.n,
                         "mean": _number(p.result.mean), "sem": _number(p.result.sem),
                         "accuracy": _number(p.result.accuracy), "class_mass": _number(p.result.class_mass),
                         "baseline": _number(p.result.baseline)} for p in s.points],
             "trend": s.trend.as_dict() if s.trend else None} for s in rows]


def _results(task: ReleasedTask) -> dict | None:
    """The task's results on every series: pooled over its non-control files (`task`, what lm-eval's run over
    its config compares with) and per file; None when no model has scored the whole task."""
    results = task.results
    if results.task is None or not any(s.points for s in results.task.series):
        return None
    files: list[FileResults] = [f for f in results.files if f.kind != "control" and not f.shots]
    return {"version": task.version.number, "metric": results.metric,
            "task": {"examples": results.task.rows, "series": _series(results.task.series)},
            "files": [{"file": f.name, "part": f.index, "examples": f.rows, "series": _series(f.series)}
                      for f in files]}


def _higher_is_better(task: ReleasedTask) -> bool:
    """What the task's YAML tells lm-eval of its value: the portal's direction (metrics.worse_direction over
    the whole task's per-model means, so a logodds task's own sign decides)."""
    means = [p.result.mean for s in (task.results.task.series if task.results.task else []) for p in s.points]
    return get_metric(task.version.metric).worse_direction(means) == -1


def _validation(task: ReleasedTask) -> dict | None:
    """The agreement of the task's latest validation (reviews/agreement.py), numbers that name nobody: never an
    answer, a validator or an example that disagrees."""
    summary = task.validation
    if summary is None:
        return None
    a = summary.agreement
    return {"version": summary.version_number, "examples": summary.examples, "validators": summary.validators,
            "answers": a.answers, "agreeing": a.agreeing, "agreement": a.share,
            "interval_95": list(a.interval) if a.interval else None,
            "examples_answered": a.examples, "majority_agreeing": a.majority_agreeing, "ties": a.ties,
            "human_agreement": a.human_agreement,
            "human_interval_95": list(a.human_interval) if a.human_interval else None,
            "skips": a.skips, "complete": a.complete}


def _published_example(task: ReleasedTask, redactor: Redactor) -> dict | None:
    chosen = task.published_example
    if chosen is None:
        return None
    return {"version": chosen.version.number, "file": chosen.file_name, "line": chosen.line,
            "example": _scrub(chosen.example, redactor)}


def _task_metadata(data: TaskData, redactor: Redactor) -> dict:
    task, version = data.task, data.task.version
    prize = task.prize
    entry = {
        "name": task.name, "config": data.config, "data_file": f"data/{data.config}.jsonl",
        "lm_eval_task": data.lm_eval_task, "metric": version.metric, "shot_setting": version.shot_setting,
        "round": task.submission.round.number, "version": version.number, "examples": len(data.rows),
        "authors": [redactor.text(name) for name in task.authors],
        "description": {name: _scrub(getattr(version, name), redactor) for name in DESCRIPTION_FIELDS},
        "prize": {"tier": prize.tier, "round": prize.award.round.number} if prize else None,
        "why_it_won": redactor.text(task.why_it_won) if task.why_it_won else None,
        "causes": [redactor.text(c) for c in task.causes] or None,
        "human_validation": _validation(task),
        "published_example": _published_example(task, redactor),
        "results": _results(task),
        "changed_examples": data.changed,
    }
    applicable = [p for p in OPTIONAL_PARTS if p != "why_it_won" or prize is not None]
    entry["missing"] = [p for p in applicable if entry[p] is None]
    return entry


def _metadata(release: Release, data: list[TaskData], *, group: str, now: datetime) -> dict:
    licence = release.licence
    return {
        "name": f"{release.contest.name} benchmark", "contest": release.contest.slug, "created_at": now.isoformat(),
        "licence": {"spdx": licence.spdx, "name": licence.name, "url": licence.url, "hub": licence.hub},
        "rounds": [{"number": r.number, "name": str(r),
                    "awards_announced_at": r.review_round.awards_announced_at.isoformat()} for r in release.rounds],
        "lm_eval": {"group": group, "include_path": "lm_eval/", "tested_with": {
            "lm_eval": _version("lm_eval"), "datasets": _version("datasets")}},
        "tasks": [_task_metadata(d, release.redactor) for d in data],
    }


# --- the card, the lm-eval tasks, the checksums ----------------------------------------------------------------


def _header(release: Release) -> str:
    """The line each YAML and utils.py opens with."""
    licence = release.licence
    return (f"# Part of the {release.contest.name} benchmark, released under {licence.name} "
            f"({licence.spdx}, {licence.url}).\n")


def _task_yaml(data: TaskData, *, header: str, data_path: str, higher_is_better: bool) -> str:
    metric = data.metric
    pair = metric in ("logodds", "absolute_logodds")
    lines = [f"task: {data.lm_eval_task}", f"class: !function utils.{TASK_CLASSES[metric]}",
             "dataset_path: json", "dataset_kwargs:", "  data_files:", f"    test: {data_path}", "test_split: test"]
    if metric == "sequence_prob":
        lines += ["output_type: loglikelihood", "doc_to_text: prompt", "doc_to_target: completion"]
    else:
        lines += ["output_type: multiple_choice", f"doc_to_text: {'other_prompt' if pair else 'prompt'}",
                  "doc_to_choice: classes", "doc_to_target: answer_index"]
    lines += ['target_delimiter: ""', "metric_list:"]
    if metric != "sequence_prob":
        lines += ["  - metric: acc", "    aggregation: mean", "    higher_is_better: true"]
    lines += [f"  - metric: !function utils.{VALUE_NAMES[metric]}", "    aggregation: mean",
              f"    higher_is_better: {'true' if higher_is_better else 'false'}", "metadata:", "  version: 1"]
    return header + "\n".join(lines) + "\n"


def _group_yaml(group: str, data: list[TaskData], *, header: str) -> str:
    return header + "\n".join([f"group: {group}", "task:", *(f"  - {d.lm_eval_task}" for d in data),
                               "metadata:", "  version: 1"]) + "\n"


def _cell(text: str) -> str:
    """Text for a cell of the card's Markdown table."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(tasks: list[dict]) -> list[list[str]]:
    """The card's table of tasks: name, metric, examples, round, prize, human agreement, causes, what is missing."""
    rows = []
    for t in tasks:
        v = t["human_validation"]
        if v is None or v["agreement"] is None:
            agreement = "missing" if v is None else "no answer yet"
        else:
            low, high = v["interval_95"]
            ties = f" ({v['ties']} ties)" if v["ties"] else ""
            agreement = (f"{100 * v['agreement']:.1f}% of {v['answers']} answers (95% CI {100 * low:.1f}–"
                         f"{100 * high:.1f}%); the majority confirms {v['majority_agreeing']} of "
                         f"{v['examples_answered']} examples{ties}{'' if v['complete'] else ', unfinished'}")
        prize = f"{t['prize']['tier']} (round {t['prize']['round']})" if t["prize"] else "accepted"
        rows.append([_cell(x) for x in (t["name"], t["metric"], t["examples"], t["round"], prize, agreement,
                                        ", ".join(t["causes"] or ["missing"]), ", ".join(t["missing"]) or "nothing")])
    return rows


def _bibtex(release: Release, tasks: list[dict], *, year: int) -> str:
    """A BibTeX entry per task (its authors), then the Inverse Scaling paper's."""
    def braced(text: str) -> str:
        return text.replace("{", "(").replace("}", ")")

    entries = [f"@misc{{{release.contest.slug}-{t['name']},\n"
               f"  title = {{{braced(t['name'])}: a task of the {braced(release.contest.name)}}},\n"
               f"  author = {{{braced(' and '.join(t['authors']))}}},\n"
               f"  year = {{{year}}},\n"
               f"  note = {{Released under {release.licence.spdx}}}\n}}" for t in tasks]
    entries.append("@article{mckenzie2023inverse,\n  title = {Inverse Scaling: When Bigger Isn't Better},\n"
                   "  author = {McKenzie, Ian R. and others},\n  journal = {Transactions on Machine Learning Research},"
                   "\n  year = {2023}\n}")
    return "\n\n".join(entries)


def _card(release: Release, data: list[TaskData], meta: dict, *, group: str, folder: str, now: datetime) -> str:
    examples = sum(len(d.rows) for d in data)
    card_data = DatasetCardData(
        license=release.licence.hub, pretty_name=meta["name"], size_categories=[size_category(examples)],
        task_categories=sorted({HUB_TASK_CATEGORIES[d.metric] for d in data}),
        tags=["inverse-scaling", "lm-evaluation-harness"],
        configs=[{"config_name": d.config, "data_files": [{"split": "test", "path": f"data/{d.config}.jsonl"}]}
                 for d in data])
    tasks = meta["tasks"]
    body = render_to_string("reviews/release/README.md", {
        "release": release, "meta": meta, "tasks": tasks, "group": group, "folder": folder, "examples": examples,
        "first": data[0].config, "table": _table(tasks), "bibtex": _bibtex(release, tasks, year=now.year),
        "pair_tasks": [t["name"] for t in tasks if t["metric"] in ("logodds", "absolute_logodds")]})
    return f"---\n{card_data.to_yaml()}\n---\n{body.lstrip()}"


def write_release(contest: Contest, target: BinaryIO, *, now: datetime | None = None) -> list[str]:
    """Write the contest's public release into `target` (a zip); returns the released task names. Raises
    ReleaseRefused (nothing to release yet: no announced round, or no accepted task in them) and
    export.ExportFailed (a stored task cannot be read back), before writing anything."""
    refusal = selectors.release_refusal(contest)
    if refusal:
        raise ReleaseRefused(refusal)
    release = selectors.release_of(contest)
    now = now or timezone.now()
    group, folder = contest.slug, f"{contest.slug}-benchmark"
    data = [_task_data(task, group=group, redactor=release.redactor) for task in release.tasks]
    meta = _metadata(release, data, group=group, now=now)
    header = _header(release)
    members = [("README.md", _card(release, data, meta, group=group, folder=folder, now=now).encode("utf-8")),
               ("metadata.json", (json.dumps(meta, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))]
    members += [(f"data/{d.config}.jsonl", _jsonl(d.rows)) for d in data]
    members.append((f"lm_eval/{group}.yaml", _group_yaml(group, data, header=header).encode("utf-8")))
    members += [(f"lm_eval/{d.lm_eval_task}.yaml",
                 _task_yaml(d, header=header, data_path=f"data/{d.config}.jsonl",
                            higher_is_better=_higher_is_better(d.task)).encode("utf-8")) for d in data]
    members.append(("lm_eval/utils.py", (header + UTILS.read_text()).encode("utf-8")))
    sums = "".join(f"{hashlib.sha256(body).hexdigest()}  {name}\n" for name, body in sorted(members))
    members.append(("SHA256SUMS", sums.encode("utf-8")))
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in members:
            taskzip.add_member(archive, f"{folder}/{name}", body)
    return [d.task.name for d in data]
