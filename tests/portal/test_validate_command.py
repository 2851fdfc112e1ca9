"""`manage.py validate_submission`, run as a real subprocess the way an organizer runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.datasets import (
    logodds_rows,
    make_zip,
    syllogism_classification_rows,
    to_csv_bytes,
)

ROOT = Path(__file__).resolve().parents[2]


def run_command(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **(env or {})}
    return subprocess.run([sys.executable, "manage.py", "validate_submission", *args],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)


def test_valid_zip_exits_0_with_exact_json(tmp_path):
    rows = logodds_rows(n=600, seed=2)
    path = tmp_path / "upload.zip"
    path.write_bytes(make_zip({"pair-task-PART1.csv": to_csv_bytes(rows[:300]),
                               "pair-task-PART2.csv": to_csv_bytes(rows[300:]),
                               "pair-task-CONTROL1.csv": to_csv_bytes(rows[:10])}))
    result = run_command(str(path), "--metric", "logodds", "--task-name", "pair-task", "--json")
    assert result.returncode == 0, result.stderr
    columns = ["prompt", "other_prompt", "classes", "answer_index"]
    assert json.loads(result.stdout) == {
        "valid": True,
        "files": [
            {"name": "pair-task-PART1.csv", "kind": "part", "index": 1, "rows": 300, "columns": columns},
            {"name": "pair-task-PART2.csv", "kind": "part", "index": 2, "rows": 300, "columns": columns},
            {"name": "pair-task-CONTROL1.csv", "kind": "control", "index": 1, "rows": 10,
             "columns": columns},
        ],
        "errors": [],
        "warnings": [{"file": None, "line": None, "column": None,
                      "message": "The task has 600 examples; aim for about 1000 so that the "
                                 "scaling trend is measured precisely."}],
    }


def test_broken_zip_exits_1_with_exact_errors(tmp_path):
    rows = syllogism_classification_rows(n=300, seed=0)
    rows[0]["classes"] = "[' Yes', ' No'"
    rows[1]["answer_index"] = 3
    path = tmp_path / "upload.zip"
    path.write_bytes(make_zip({"syllogisms.csv": to_csv_bytes(rows), "notes.txt": b"draft"}))
    args = (str(path), "--metric", "classification", "--task-name", "syllogisms")

    result = run_command(*args, "--json", "--author-name", "Grace Hopper",
                         "--author-email", "grace@example.org")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["errors"] == [
        {"file": "notes.txt", "line": None, "column": None,
         "message": "Only CSV files belong in the zip; remove this file (the task's files are "
                    "syllogisms.csv for a task in one file, or syllogisms-PART1.csv, "
                    "syllogisms-PART2.csv, … for a task in several parts, plus optional controls "
                    "syllogisms-CONTROL1.csv, syllogisms-CONTROL2.csv, …)."},
        {"file": "syllogisms.csv", "line": 2, "column": "classes",
         "message": "Example 1: classes \"[' Yes', ' No'\" is not a Python list literal; write it like "
                    "[\" Yes\", \" No\"], with every class in quotes and the brackets closed."},
        {"file": "syllogisms.csv", "line": 13, "column": "answer_index",
         "message": "Example 2: answer_index is 3 but classes has 2 classes (positions 0 to 1); give the "
                    "position of the correct class, counting from 0."},
    ]
    assert report["files"] == [{"name": "syllogisms.csv", "kind": "main", "index": None,
                                "rows": 300, "columns": ["prompt", "classes", "answer_index"]}]

    table = run_command(*args)
    assert table.returncode == 1
    assert ("syllogisms.csv, line 13, column 'answer_index': Example 2: answer_index is 3 but classes has 2 classes "
            "(positions 0 to 1); give the position of the correct class, counting from 0."
            in table.stdout.splitlines())
    assert "INVALID: fix the errors above and check again." in table.stdout


def test_limits_come_from_settings(tmp_path):
    path = tmp_path / "upload.zip"
    path.write_bytes(make_zip({f"t-CONTROL{i}.csv": b"x" for i in range(1, 4)}))
    result = run_command(str(path), "--metric", "classification", "--task-name", "t", "--json",
                         env={"UPLOAD_MAX_ENTRIES": "2"})
    assert result.returncode == 1
    assert json.loads(result.stdout)["errors"] == [
        {"file": None, "line": None, "column": None,
         "message": "The zip has 3 entries; the limit is 2. Upload only the task's CSV files."}]
