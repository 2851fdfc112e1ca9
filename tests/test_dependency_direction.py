"""The apps depend one way (DESIGN.md): `partners` may read `reviews`, `evaluation` and `portal`; `reviews`
may read `evaluation` and `portal`, `evaluation` may read `portal`, and every part may use the plain library `evaluation.engine`. The contest side never
imports the evaluation or the reviews (they connect to its hooks instead)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def forbidden_imports(app: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        bad = sorted(m for m in imported_modules(path)
                     if m.split(".")[0] in forbidden and not m.startswith("evaluation.engine"))
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_the_contest_side_imports_neither_the_evaluation_nor_the_reviews():
    assert forbidden_imports("portal", ("evaluation", "reviews")) == {}


def test_the_evaluation_never_imports_the_reviews():
    assert forbidden_imports("evaluation", ("reviews",)) == {}


def test_nothing_imports_the_partner_api():
    """partners/ sits on top (the evaluation's records, the reviews' audit log); no part reads it."""
    assert {app: forbidden_imports(app, ("partners",)) for app in ("portal", "evaluation", "reviews")} == {
        "portal": {}, "evaluation": {}, "reviews": {}}


def test_the_check_sees_an_import_where_there_is_one():
    assert "evaluation" in imported_modules(ROOT / "reviews" / "selectors" / "anonymity.py")  # from evaluation import selectors
    assert forbidden_imports("reviews", ("evaluation",))  # so the rule would catch such an import
