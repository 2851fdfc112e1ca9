"""evaluation/engine is a plain Python library: GPU workers and the command line use it without Django."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_whole_engine_loads_no_django():
    code = ("import sys, pkgutil, importlib, evaluation.engine as e\n"
            "names = [m.name for m in pkgutil.walk_packages(e.__path__, 'evaluation.engine.')]\n"
            "[importlib.import_module(n) for n in names]\n"
            "print(len(names), sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n")
    # evaluation/__init__.py is empty, so importing the package itself brings in nothing of the project
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    count, loaded = out.stdout.split(" ", 1)
    assert int(count) >= 10 and loaded.strip() == "[]"
