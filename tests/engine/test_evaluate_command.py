"""`manage.py evaluate_submission` end to end (a subprocess, as a person runs it; the baseline lines of
its table in this process) and `evaluate_task` in-process for per-model errors and parameter counts.

Two tiny GPT-2-style models of different sizes are saved to folders; the task zip comes from
tests/datasets.py (300 syllogism rows in the main file, 20 in a control file).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import plotly.offline
import pytest
from django.core.management import call_command

from evaluation.engine.backends import load_backend
from evaluation.engine.evaluate import ModelSpec, evaluate_task
from evaluation.engine.metrics import score_examples
from evaluation.engine.taskfile import read_task_csv, read_task_zip
from evaluation.engine.types import TaskReport
from tests.datasets import (
    lambada_sequence_prob_rows,
    logodds_rows,
    make_zip,
    syllogism_classification_rows,
    to_csv_bytes,
)
from tests.engine.tiny_models import save

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 256  # the syllogism prompts (about 220 tokens) fit: nothing is cut
MODEL_KEYS = ["model", "params", "n", "mean", "sem", "accuracy", "class_mass", "baseline"]


def run_command(*args: str) -> subprocess.CompletedProcess:
    # LOG_LEVEL=WARNING: the portal's INFO logs at start-up (django-axes' banner) are not the command's output
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", PYTHONWARNINGS="ignore", LOG_LEVEL="WARNING")
    return subprocess.run([sys.executable, "manage.py", "evaluate_submission", *map(str, args)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("evaluate")


@pytest.fixture(scope="module")
def models(workdir) -> dict[str, Path]:
    return {"small": save("gpt2", "xs", workdir / "tiny-xs", window=WINDOW),
            "large": save("gpt2", "s", workdir / "tiny-s", window=WINDOW)}


@pytest.fixture(scope="module")
def task_zip(workdir) -> Path:
    path = workdir / "syllo.zip"
    path.write_bytes(make_zip({
        "syllo.csv": to_csv_bytes(syllogism_classification_rows(n=300, seed=0)),
        "syllo-CONTROL1.csv": to_csv_bytes(syllogism_classification_rows(n=20, seed=7)),
    }))
    return path


@pytest.fixture(scope="module")
def run(workdir, models, task_zip):
    out = workdir / "out"
    proc = run_command(task_zip, "--metric", "classification", "--task-name", "syllo",
                       "--model", models["small"], "--model", models["large"], "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, out


def test_json_summary_has_the_exact_structure(run, models):
    proc, out = run
    summary = json.loads(proc.stdout)
    assert summary == json.loads((out / "summary.json").read_text())
    assert list(summary) == ["files", "errors", "warnings"]
    assert summary["errors"] == [] and summary["warnings"] == []
    assert [(f["name"], f["kind"]) for f in summary["files"]] == [("syllo.csv", "main"),
                                                                  ("syllo-CONTROL1.csv", "control")]
    params = {}
    for name, folder in models.items():
        from transformers import AutoModelForCausalLM

        params[name] = sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(folder).parameters())
    assert params["small"] < params["large"]
    for f, n in zip(summary["files"], (300, 20)):
        assert list(f) == ["name", "kind", "models"]
        assert [m["model"] for m in f["models"]] == [str(models["small"]), str(models["large"])]
        for m, size in zip(f["models"], ("small", "large")):
            assert list(m) == MODEL_KEYS
            assert (m["params"], m["n"]) == (params[size], n)
            assert m["baseline"] == pytest.approx(math.log(2), abs=1e-12)  # two classes: chance loss
            assert 0 <= m["accuracy"] <= 1 and 0 < m["class_mass"] <= 1
            assert m["mean"] > 0 and m["sem"] > 0


def test_csvs_hold_the_numbers_of_score_examples(run, models, task_zip):
    _, out = run
    summary = json.loads((out / "summary.json").read_text())
    report = read_task_zip(task_zip, metric="classification", task_name="syllo")
    assert sorted(p.name for p in out.glob("*.csv")) == [
        "syllo-CONTROL1__tiny-s.csv", "syllo-CONTROL1__tiny-xs.csv", "syllo__tiny-s.csv", "syllo__tiny-xs.csv"]
    for size, slug in (("small", "tiny-xs"), ("large", "tiny-s")):
        backend = load_backend(str(models[size]))
        for task_file, file_summary in zip(report.files, summary["files"]):
            with open(out / f"{Path(task_file.name).stem}__{slug}.csv", newline="") as f:
                rows = list(csv.DictReader(f))
            assert list(rows[0]) == ["line", "value", "correct", "predicted", "total_logprob"]
            assert [int(r["line"]) for r in rows] == [ex.line for ex in task_file.examples]
            # the summary's mean is the mean of the CSV's values
            entry = next(m for m in file_summary["models"] if m["model"] == str(models[size]))
            assert sum(float(r["value"]) for r in rows) / len(rows) == pytest.approx(entry["mean"], rel=1e-12)
            assert sum(r["correct"] == "true" for r in rows) / len(rows) == pytest.approx(entry["accuracy"])
            if task_file.kind != "control":
                continue  # scoring the 300-row file again here would only cost time
            scores = score_examples(task_file.examples, metric="classification", backend=backend)
            for row, ex in zip(rows, scores.examples):
                assert float(row["value"]) == pytest.approx(ex.value, abs=1e-5)
                assert float(row["total_logprob"]) == pytest.approx(ex.total_logprob, abs=1e-5)
                assert row["correct"] == ("true" if ex.correct else "false")
                assert row["predicted"] == ex.predicted
        backend.close()


def test_plot_html_inlines_plotly_js(run):
    _, out = run
    html = (out / "plot.html").read_text(encoding="utf-8")
    plotly_js = plotly.offline.get_plotlyjs()
    assert plotly_js in html
    assert not re.search(r"<script[^>]*\bsrc=", html)  # no script is fetched: no CDN, no https://
    # the bundle itself names cdn.plot.ly once (a default for geo maps); nothing else does
    assert html.count("cdn.plot.ly") == plotly_js.count("cdn.plot.ly")
    assert '"type":"log"' in html.replace(" ", "")  # log x axis
    assert "syllo.csv (main)" in html and "syllo-CONTROL1.csv (control)" in html


def test_table_is_printed(run, models):
    proc, _ = run
    lines = proc.stderr.splitlines()  # with --json the table goes to stderr
    header = next(i for i, line in enumerate(lines) if line.startswith("file "))
    assert lines[header].split() == ["file", "model", "params", "n", "mean", "sem", "accuracy", "class",
                                     "mass", "baseline"]
    rows = [line.split() for line in lines[header + 2: header + 6]]
    assert [(r[0], r[1], r[3], r[-1]) for r in rows] == [
        ("syllo.csv", models["small"].name, "300", "0.6931"),
        ("syllo.csv", models["large"].name, "300", "0.6931"),
        ("syllo-CONTROL1.csv", models["small"].name, "20", "0.6931"),
        ("syllo-CONTROL1.csv", models["large"].name, "20", "0.6931"),
    ]


def test_invalid_zip_prints_every_error_and_exits_1(workdir, models):
    rows = syllogism_classification_rows(n=300, seed=0)
    rows[3]["answer_index"] = 2
    rows[7]["classes"] = "[' Yes', ' No'"
    bad = workdir / "bad.zip"
    bad.write_bytes(make_zip({"syllo.csv": to_csv_bytes(rows), "other.csv": b"a,b\n1,2\n"}))
    out = workdir / "never"
    proc = run_command(bad, "--metric", "classification", "--task-name", "syllo", "--model", models["small"],
                       "--out", out)
    assert proc.returncode == 1
    assert proc.stdout == ""
    errors = [line for line in proc.stderr.splitlines() if not line.startswith("warning: ")]
    assert errors == [
        "other.csv: The file name does not follow the naming rule; name the files syllo.csv for a task "
        "in one file, or syllo-PART1.csv, syllo-PART2.csv, … for a task in several parts, plus optional "
        "controls syllo-CONTROL1.csv, syllo-CONTROL2.csv, ….",
        "syllo.csv, line 35, column 'answer_index': Example 4: answer_index is 2 but classes has 2 classes (positions 0 to 1); give "
        "the position of the correct class, counting from 0.",
        "syllo.csv, line 79, column 'classes': Example 8: classes \"[' Yes', ' No'\" is not a Python list literal; write it like "
        "[\" Yes\", \" No\"], with every class in quotes and the brackets closed.",
        f"{bad}: 3 error(s); nothing was scored.",
    ]
    assert not out.exists()


def test_params_must_match_the_models(task_zip):
    proc = run_command(task_zip, "--metric", "classification", "--task-name", "syllo",
                       "--model", "a", "--model", "b", "--params", "1")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "CommandError: --params gives 1 counts for 2 --model; give one per model, in order."


def test_evaluate_task_reports_model_errors_and_uses_given_params(workdir, models):
    """A model that cannot be loaded and a file a model cannot score are reported; the rest runs."""
    rows = logodds_rows(n=6, seed=0)  # classes " A", " B": two tokens each for the tiny tokenizers, scored whole
    too_long = [dict(r, classes=str([" yes" * 300, " no"])) for r in rows]  # 300 tokens: past the window
    files = []
    for name, data, kind in (("lo.csv", to_csv_bytes(rows), "main"), ("lo-PART1.csv", to_csv_bytes(too_long), "part")):
        task_file, errors, _ = read_task_csv(name, data, metric="logodds", kind=kind)
        assert not errors
        files.append(task_file)
    out = workdir / "logodds-out"
    missing = workdir / "no-such-model"
    summary = evaluate_task(TaskReport(files=files), metric="logodds", out_dir=out, progress=False, models=[
        ModelSpec(str(models["large"]), params=2000),
        ModelSpec(str(missing), params=500),
        ModelSpec(str(models["small"]), params=1000),
    ])
    assert [(f["name"], [(m["model"], m["params"]) for m in f["models"]]) for f in summary["files"]] == [
        ("lo.csv", [(str(models["large"]), 2000), (str(models["small"]), 1000)]),
        ("lo-PART1.csv", []),
    ]
    for m in summary["files"][0]["models"]:
        assert list(m) == MODEL_KEYS
        assert m["n"] == 6 and m["baseline"] == 0.0 and m["class_mass"] > 0
    message = f"a continuation of 300 tokens does not fit the model's window of {WINDOW} tokens"
    assert [(e["model"], e["file"]) for e in summary["errors"]] == [
        (str(models["large"]), "lo-PART1.csv"), (str(missing), None), (str(models["small"]), "lo-PART1.csv")]
    assert [e["message"] for e in summary["errors"]][0::2] == [message, message]
    assert summary["errors"][1]["message"].startswith("could not load the model: ")
    assert sorted(p.name for p in out.glob("*.csv")) == ["lo__tiny-s.csv", "lo__tiny-xs.csv"]
    assert json.loads((out / "summary.json").read_text()) == summary
    html = (out / "plot.html").read_text(encoding="utf-8")
    # the plot's points are ordered by the given parameter counts
    assert re.search(r'"x":\[1000,2000\]', html.replace(" ", ""))


# --- a task still being written, progress bars, the baseline line --------------------------------

BAR_MARKS = ("█", "%|", "it/s", "ex/s", "Loading", "\r")


@pytest.fixture(scope="module")
def small_task(workdir) -> Path:
    path = workdir / "small.zip"
    path.write_bytes(make_zip({"small.csv": to_csv_bytes(syllogism_classification_rows(n=20, seed=3))}))
    return path


def test_fewer_than_300_rows_are_scored_with_a_warning_and_no_progress_draws_no_bar(workdir, models, small_task):
    out = workdir / "small-out"
    proc = run_command(small_task, "--metric", "classification", "--task-name", "small", "--model", models["small"],
                       "--out", out, "--no-progress")
    assert proc.returncode == 0, proc.stderr[-3000:]
    too_few = ("The task has 20 examples in its non-control files; the contest requires at least 300, so add "
               "more examples.")
    assert proc.stderr.splitlines() == [f"warning: {too_few}"]  # and nothing else: no bar, no loading line
    assert not any(mark in proc.stderr for mark in BAR_MARKS)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["warnings"] == [{"model": None, "file": None, "message": too_few}]
    assert summary["files"][0]["models"][0]["n"] == 20
    lines = proc.stdout.splitlines()
    assert lines[-2] == ("baseline: the loss of a uniform guess over the classes (mean of log(number of "
                         "classes))")


def test_without_no_progress_the_bars_are_drawn(workdir, models, small_task):
    """The other side of the test above: the bars it must silence do exist."""
    proc = run_command(small_task, "--metric", "classification", "--task-name", "small", "--model", models["small"],
                       "--out", workdir / "small-bars")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Loading weights" in proc.stderr and "scoring" in proc.stderr and "█" in proc.stderr


@pytest.mark.parametrize("metric, rows, baseline", [
    ("sequence_prob", lambda: lambada_sequence_prob_rows(n=12, seed=1),
     "baseline: none (a completion has no chance level)"),
    ("logodds", lambda: [dict(r, classes=str([" yes", " Yes"])) for r in logodds_rows(n=12, seed=1)],
     "baseline: 0 = the odds of the answer do not move between the two prompts"),
])
def test_the_baseline_line_says_what_the_column_means(workdir, models, metric, rows, baseline):
    """In this process (the tests above run the command as a person does): only the table is checked."""
    path = workdir / f"{metric}.zip"
    path.write_bytes(make_zip({"b.csv": to_csv_bytes(rows())}))
    stdout = io.StringIO()
    call_command("evaluate_submission", str(path), "--metric", metric, "--task-name", "b",
                 "--model", str(models["small"]), "--out", str(workdir / f"{metric}-out"), "--no-progress",
                 stdout=stdout, stderr=io.StringIO())
    table = stdout.getvalue().splitlines()
    assert table[-2] == baseline
    value = table[2].split()[-1]
    assert value == ("-" if metric == "sequence_prob" else "0.0000")
