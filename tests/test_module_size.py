"""No module of the project's own, outside migrations and tests, is over 500 lines (DESIGN.md: a module of many
concerns is split by subject before it grows). bench/ and scripts are the project's own too."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 500
SKIPPED = {".venv", "tests", "migrations", "var", "node_modules", ".git"}


def too_long(root: Path, *, limit: int = LIMIT) -> list[str]:
    """'path: N lines' for each Python module under `root` longer than `limit`, outside SKIPPED folders."""
    out = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if SKIPPED & set(relative.parts[:-1]) or relative.parts[0].startswith(".venv"):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            out.append(f"{relative}: {lines} lines")
    return out


def test_no_module_is_over_500_lines():
    assert too_long(ROOT) == []


def test_the_check_finds_a_long_module_and_skips_migrations_and_tests(tmp_path):
    (tmp_path / "app" / "migrations").mkdir(parents=True)
    (tmp_path / "tests").mkdir()
    (tmp_path / "app" / "long.py").write_text("x = 1\n" * 501)
    (tmp_path / "app" / "short.py").write_text("x = 1\n" * 500)
    (tmp_path / "app" / "migrations" / "0001_initial.py").write_text("x = 1\n" * 900)
    (tmp_path / "tests" / "test_big.py").write_text("x = 1\n" * 900)
    assert too_long(tmp_path) == ["app/long.py: 501 lines"]
