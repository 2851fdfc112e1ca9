"""No import cycle among the project's own modules (DESIGN.md), lazy imports included.

The graph is built from the source with `ast`, so it sees what Python would import: `import a.b`,
`from a import b` (an edge to the module `a.b` when `b` is a module, to `a` otherwise), relative
imports, and imports inside functions and classes, which a cycle hides behind as easily as one at
the top. A package is every folder at the repository's root with an `__init__.py`.
"""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
CYCLES_SHOWN_PER_GROUP = 20


def module_files(root: Path) -> dict[str, Path]:
    """{dotted module name: file} for every module of the packages at `root`'s top level."""
    modules = {}
    for init in sorted(root.glob("*/__init__.py")):
        for path in sorted(init.parent.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    """The module a `from ... import` names, with its dots resolved against the importing module."""
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[:len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The project's modules that `module` imports anywhere in its file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module, path, node)
            for alias in node.names:
                found.add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source)
    return {_known_prefix(name, known) for name in found} - {None, module}


def _known_prefix(name: str, known: set[str]) -> str | None:
    """The longest part of a dotted name that is one of the project's modules (None: not ours)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in known:
            return ".".join(parts[:end])
    return None


def import_graph(root: Path) -> nx.DiGraph:
    files = module_files(root)
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for module, path in files.items():
        graph.add_edges_from((module, imported) for imported in imports_of(module, path, set(files)))
    return graph


def cycles(graph: nx.DiGraph) -> list[str]:
    """One line per cycle, grouped by the strongly connected parts of the graph."""
    lines = []
    for group in sorted(sorted(g) for g in nx.strongly_connected_components(graph) if len(g) > 1):
        for cycle in itertools.islice(nx.simple_cycles(graph.subgraph(group)), CYCLES_SHOWN_PER_GROUP):
            start = cycle.index(min(cycle))
            cycle = cycle[start:] + cycle[:start]
            lines.append(" -> ".join(cycle + cycle[:1]))
    return sorted(lines)


def test_the_project_has_no_import_cycle():
    assert cycles(import_graph(ROOT)) == []


def test_the_check_finds_a_cycle_and_the_edges_of_a_known_import(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def later():\n    from pkg.sub.c import thing\n")
    (package / "sub" / "c.py").write_text("import pkg.a\nthing = 1\n")
    (package / "sub" / "d.py").write_text("from ..sub import c\nfrom .. import NAME\n")
    graph = import_graph(tmp_path)
    assert sorted(graph.edges) == [("pkg.a", "pkg.b"), ("pkg.b", "pkg.sub.c"), ("pkg.sub.c", "pkg.a"),
                                   ("pkg.sub.d", "pkg"), ("pkg.sub.d", "pkg.sub.c")]
    assert cycles(graph) == ["pkg.a -> pkg.b -> pkg.sub.c -> pkg.a"]

    project = import_graph(ROOT)
    # `from . import dispatch, worker` in evaluation/tasks.py: the modules, not the package
    assert {"evaluation.dispatch", "evaluation.worker"} <= set(project.successors("evaluation.tasks"))
    # function-level imports: the evaluation app's ready() imports its receivers, the worker the backends
    assert project.has_edge("evaluation.apps", "evaluation.receivers")
    assert project.has_edge("evaluation.worker", "evaluation.engine.backends")
    assert project.has_edge("portal.models", "evaluation.engine.metrics")  # `from evaluation.engine.metrics import`
