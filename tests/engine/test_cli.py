"""`isp-eval` in this process (evaluation.engine.cli.main): validate and score a zip or a CSV, exact output
and exit statuses, and the portal's `validate_submission` and `evaluate_submission` giving the very same
output, since they are the same code. The installed command in a fresh virtualenv: test_package.py."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from evaluation.engine.backends import load_backend
from evaluation.engine.cli import main
from evaluation.engine.metrics import score_examples
from evaluation.engine.taskfile import read_task_zip
from tests.datasets import logodds_rows, make_zip, syllogism_classification_rows, to_csv_bytes
from tests.engine.tiny_models import save

WINDOW = 256  # the syllogism prompts (about 220 tokens) fit

TOO_FEW_20 = ("The task has 20 examples in its non-control files; the contest requires at least 300, so add "
              "more examples.")
AIM_300 = "The task has 300 examples; aim for about 1000 so that the scaling trend is measured precisely."
VALID = "VALID: the upload follows the contest's file rules."
INVALID = "INVALID: fix the errors above and check again."


def run(capsys, *argv) -> tuple[int, list[str], list[str]]:
    status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def syllo_zip(folder) -> Path:
    path = folder / "syllo.zip"
    path.write_bytes(make_zip({"syllo.csv": to_csv_bytes(syllogism_classification_rows(n=300, seed=0))}))
    return path


# --- validate -------------------------------------------------------------------------------------------

def test_validate_a_valid_zip_named_after_its_task(capsys, syllo_zip):
    status, out, err = run(capsys, "validate", syllo_zip, "--metric", "classification")
    assert status == 0 and err == []
    assert out == [
        "file       kind     index     rows  columns",
        "syllo.csv  main                300  prompt, classes, answer_index",
        "",
        "0 errors",
        "",
        "1 warning",
        AIM_300,
        "",
        VALID,
    ]


def test_validate_a_csv_as_json(capsys, folder):
    path = folder / "pair-task.csv"
    path.write_bytes(to_csv_bytes(logodds_rows(n=300, seed=2)))
    status, out, err = run(capsys, "validate", path, "--metric", "logodds", "--json")
    assert status == 0 and err == []
    assert json.loads("\n".join(out)) == {
        "valid": True,
        "files": [{"name": "pair-task.csv", "kind": "main", "index": None, "rows": 300,
                   "columns": ["prompt", "other_prompt", "classes", "answer_index"]}],
        "errors": [],
        "warnings": [{"file": None, "line": None, "column": None, "message": AIM_300}],
    }


def test_validate_a_csv_whose_rows_are_wrong_exits_1_with_every_error(capsys, folder):
    rows = syllogism_classification_rows(n=300, seed=0)
    rows[1]["answer_index"] = 3
    rows[4]["classes"] = "[' Yes', ' No'"
    path = folder / "syllogisms.csv"
    path.write_bytes(to_csv_bytes(rows))
    status, out, err = run(capsys, "validate", path, "--metric", "classification")
    assert status == 1 and err == []
    assert out == [
        "file            kind     index     rows  columns",
        "syllogisms.csv  main                300  prompt, classes, answer_index",
        "",
        "2 errors",
        "syllogisms.csv, line 13, column 'answer_index': Example 2: answer_index is 3 but classes has 2 classes (positions "
        "0 to 1); give the position of the correct class, counting from 0.",
        "syllogisms.csv, line 46, column 'classes': Example 5: classes \"[' Yes', ' No'\" is not a Python list literal; "
        "write it like [\" Yes\", \" No\"], with every class in quotes and the brackets closed.",
        "",
        "1 warning",
        AIM_300,
        "",
        INVALID,
    ]


def test_task_name_overrides_the_file_stem(capsys, folder):
    """The CSV is judged as the zip holding only it: under another task name its name is wrong."""
    path = folder / "draft.csv"
    path.write_bytes(to_csv_bytes(logodds_rows(n=300, seed=2)))
    status, out, _ = run(capsys, "validate", path, "--metric", "logodds", "--task-name", "pair-task", "--json")
    assert status == 1
    assert json.loads("\n".join(out))["errors"] == [
        {"file": "draft.csv", "line": None, "column": None,
         "message": "The file name does not follow the naming rule; name the files pair-task.csv for a task in "
                    "one file, or pair-task-PART1.csv, pair-task-PART2.csv, … for a task in several parts, plus "
                    "optional controls pair-task-CONTROL1.csv, pair-task-CONTROL2.csv, …."},
        {"file": None, "line": None, "column": None,
         "message": "The zip has no task file; add pair-task.csv (or pair-task-PART1.csv, pair-task-PART2.csv, … "
                    "for a task in several parts)."},
    ]
    status, _, _ = run(capsys, "validate", path, "--metric", "logodds", "--task-name", "draft")
    assert status == 0


def test_a_csv_over_the_uncompressed_limit_is_refused_unread(folder):
    from evaluation.engine.taskfile import Limits, read_task_path

    path = folder / "big.csv"
    path.write_bytes(to_csv_bytes(logodds_rows(n=50, seed=2)))
    limits = Limits(max_uncompressed_bytes=path.stat().st_size - 1)
    report = read_task_path(path, metric="logodds", task_name="big", limits=limits)
    assert [e.as_text() for e in report.errors] == [
        f"big.csv: The file is {path.stat().st_size / 1024:.1f} kB; the limit for a task's files is "
        f"{limits.max_uncompressed_bytes / 1024:.1f} kB uncompressed. Make the task smaller."]


def test_validate_a_missing_file_or_no_subcommand(capsys, folder):
    status, out, err = run(capsys, "validate", folder / "nope.zip", "--metric", "classification")
    assert (status, out) == (1, [])
    assert err == [f"isp-eval validate: error: {folder / 'nope.zip'} is not a file; give the path of the task's "
                   f"zip or CSV."]
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err


def test_validate_submission_prints_what_isp_eval_prints(capsys, folder):
    rows = syllogism_classification_rows(n=300, seed=0)
    rows[1]["answer_index"] = 3
    path = folder / "mixed.zip"
    path.write_bytes(make_zip({"mixed.csv": to_csv_bytes(rows), "notes.txt": b"draft"}))
    for extra in ((), ("--json",)):
        status, out, _ = run(capsys, "validate", path, "--metric", "classification", *extra)
        stdout = io.StringIO()
        with pytest.raises(SystemExit) as exit_info:
            call_command("validate_submission", str(path), "--metric", "classification", "--task-name", "mixed",
                         *extra, stdout=stdout)
        assert exit_info.value.code == status == 1
        assert stdout.getvalue().splitlines() == out
    # what was compared holds the errors
    assert [(e["file"], e["line"]) for e in json.loads(out[0])["errors"]] == [("notes.txt", None), ("mixed.csv", 13)]


# --- score ----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def models(folder) -> dict[str, Path]:
    return {"small": save("gpt2", "xs", folder / "tiny-xs", window=WINDOW),
            "large": save("gpt2", "s", folder / "tiny-s", window=WINDOW)}


@pytest.fixture(scope="module")
def small_csv(folder) -> Path:
    path = folder / "small.csv"
    path.write_bytes(to_csv_bytes(syllogism_classification_rows(n=20, seed=3)))
    return path


def test_score_a_csv_writes_the_files_with_the_engines_numbers(capsys, folder, models, small_csv):
    out_dir = folder / "score-out"
    status, out, err = run(capsys, "score", small_csv, "--metric", "classification", "--model", models["small"],
                           "--model", models["large"], "--out", out_dir, "--no-progress")
    assert status == 0
    assert err == [f"warning: {TOO_FEW_20}"]
    assert out[0].split() == ["file", "model", "params", "n", "mean", "sem", "accuracy", "class", "mass", "baseline"]
    assert [(r.split()[0], r.split()[1], r.split()[3]) for r in out[2:4]] == [
        ("small.csv", "tiny-xs", "20"), ("small.csv", "tiny-s", "20")]
    assert out[-2:] == ["baseline: the loss of a uniform guess over the classes (mean of log(number of classes))",
                        f"wrote {out_dir}/summary.json, {out_dir}/plot.html and per-example CSVs"]
    assert sorted(p.name for p in out_dir.iterdir()) == ["plot.html", "small__tiny-s.csv", "small__tiny-xs.csv",
                                                         "summary.json"]
    summary = json.loads((out_dir / "summary.json").read_text())
    assert summary["warnings"] == [{"model": None, "file": None, "message": TOO_FEW_20}]
    report = read_task_zip(make_zip({"small.csv": small_csv.read_bytes()}), metric="classification",
                           task_name="small", min_examples_is_error=False)
    for size, slug, entry in zip(("small", "large"), ("tiny-xs", "tiny-s"), summary["files"][0]["models"]):
        backend = load_backend(str(models[size]), device="cpu")
        want = score_examples(report.files[0].examples, metric="classification", backend=backend)
        with open(out_dir / f"small__{slug}.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        assert [int(r["line"]) for r in rows] == [ex.line for ex in want.examples]
        assert [float(r["value"]) for r in rows] == pytest.approx([ex.value for ex in want.examples], abs=1e-9)
        assert [r["predicted"] for r in rows] == [ex.predicted for ex in want.examples]
        assert (entry["model"], entry["n"], entry["params"]) == (str(models[size]), 20, backend.params)
        assert entry["mean"] == pytest.approx(want.aggregate.mean, abs=1e-9)
        assert entry["accuracy"] == pytest.approx(want.aggregate.accuracy, abs=1e-12)


def test_evaluate_submission_writes_what_isp_eval_writes(capsys, folder, models, small_csv):
    """The same code: the same table on stdout and the same summary.json, byte for byte."""
    task_zip = folder / "small.zip"
    task_zip.write_bytes(make_zip({"small.csv": small_csv.read_bytes()}))
    cli_dir, portal_dir = folder / "via-cli", folder / "via-portal"
    status, out, err = run(capsys, "score", task_zip, "--metric", "classification", "--model", models["small"],
                           "--out", cli_dir, "--no-progress", "--params", "1000")
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("evaluate_submission", str(task_zip), "--metric", "classification", "--task-name", "small",
                 "--model", str(models["small"]), "--out", str(portal_dir), "--no-progress", "--params", "1000",
                 stdout=stdout, stderr=stderr)
    assert status == 0
    assert stdout.getvalue().replace(str(portal_dir), "OUT").splitlines() == [
        line.replace(str(cli_dir), "OUT") for line in out]
    assert stderr.getvalue().splitlines() == err == [f"warning: {TOO_FEW_20}"]
    assert (portal_dir / "summary.json").read_bytes() == (cli_dir / "summary.json").read_bytes()
    assert json.loads((cli_dir / "summary.json").read_text())["files"][0]["models"][0]["params"] == 1000


def test_score_refuses_an_invalid_task_and_a_wrong_invocation(capsys, folder, models, small_csv):
    rows = syllogism_classification_rows(n=20, seed=3)
    rows[0]["classes"] = "[' Yes', ' No'"
    bad = folder / "bad.csv"
    bad.write_bytes(to_csv_bytes(rows))
    out_dir = folder / "never"
    status, out, err = run(capsys, "score", bad, "--metric", "classification", "--model", models["small"],
                           "--out", out_dir, "--no-progress")
    assert (status, out) == (1, [])
    assert err == [
        f"warning: {TOO_FEW_20}",
        "bad.csv, line 2, column 'classes': Example 1: classes \"[' Yes', ' No'\" is not a Python list literal; write it like "
        "[\" Yes\", \" No\"], with every class in quotes and the brackets closed.",
        f"{bad}: 1 error(s); nothing was scored.",
    ]
    assert not out_dir.exists()

    status, out, err = run(capsys, "score", bad, "--metric", "classification", "--model", "a", "--model", "b",
                           "--params", "1", "--out", out_dir)
    assert (status, out) == (1, [])
    assert err == ["isp-eval score: error: --params gives 1 counts for 2 --model; give one per model, in order."]
    status, out, err = run(capsys, "score", small_csv, "--metric", "classification", "--model", models["small"],
                           "--out", small_csv, "--no-progress")
    assert (status, out) == (1, [])
    assert err == [f"warning: {TOO_FEW_20}",
                   f"isp-eval score: error: {small_csv} is a file; give --out a folder (it is made if missing)."]
    with pytest.raises(SystemExit) as exit_info:  # --out is required here (evaluate_submission has a default)
        main(["score", str(bad), "--metric", "classification", "--model", "a"])
    assert exit_info.value.code == 2
    assert "the following arguments are required: --out" in capsys.readouterr().err
