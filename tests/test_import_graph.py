"""No import cycles anywhere in ``casebook/``: imports inside functions count, only ``if TYPE_CHECKING:`` is exempt.

The graph is built from the source with ``ast`` (nothing is imported): relative imports are
resolved, and ``from a import b`` points at ``a.b`` when ``b`` is a submodule, else at ``a``.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "casebook"


def module_names(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module under the package, by dotted name (a package by its ``__init__``)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of this package that ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
            continue
        if node.level:
            base_parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(base_parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        for alias in node.names:
            submodule = f"{base}.{alias.name}"
            if submodule in modules:
                found.add(submodule)
            elif base in modules:
                found.add(base)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import edge that closes a loop, as the shortest cycle through it (deduplicated)."""
    found: dict[frozenset[tuple[str, str]], list[str]] = {}
    for source in sorted(graph):
        for target in sorted(graph[source]):
            back = _shortest_path(graph, target, source)
            if back is None:
                continue
            cycle = [source, *back]
            edges = frozenset(itertools.pairwise(cycle))
            found.setdefault(edges, cycle)
    return list(found.values())


def _shortest_path(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    paths = {start: [start]}
    queue = [start]
    for node in queue:
        if node == goal:
            return paths[node]
        for target in sorted(graph.get(node, ())):
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    return None


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    sources = {
        "__init__.py": "",
        "a.py": "from . import b\nfrom .sub import c\nimport pkg.d\n",
        "b.py": "def f():\n    from .sub.c import thing\n",
        "d.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\nelse:\n    from . import e\n"
        ),
        "e.py": "from .sub import helper\n",
        "sub/__init__.py": "from ..b import f\nhelper = 1\n",
        "sub/c.py": "from .. import a\nthing = 1\n",
    }
    for rel, text in sources.items():
        (pkg / rel).write_text(text, encoding="utf-8")
    modules = module_names(pkg)
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert graph["pkg.a"] == {"pkg.b", "pkg.sub.c", "pkg.d"}
    assert graph["pkg.b"] == {"pkg.sub.c"}  # inside a function: counts
    assert graph["pkg.d"] == {"pkg.e"}  # under TYPE_CHECKING: exempt; its else branch counts
    assert graph["pkg.e"] == {"pkg.sub"}  # a name from the package's __init__
    assert graph["pkg.sub"] == {"pkg.b"}
    assert cycles(graph) == [
        ["pkg.a", "pkg.b", "pkg.sub.c", "pkg.a"],
        ["pkg.a", "pkg.d", "pkg.e", "pkg.sub", "pkg.b", "pkg.sub.c", "pkg.a"],
        ["pkg.a", "pkg.sub.c", "pkg.a"],
    ]


def test_casebook_has_no_import_cycles() -> None:
    graph = import_graph()
    assert len(graph) > 50 and graph["casebook.cli"]  # the whole package was read
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(" → ".join(cycle) for cycle in found)
