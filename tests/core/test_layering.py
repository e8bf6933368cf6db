"""The layering of docs/DESIGN.md, read from the source with ``ast``: grid.py knows no files,
the wings do not import each other, and no landcarbon modules import each other in a cycle.

Every import statement counts, wherever it stands: at module level, inside a function
(a lazy import is still a dependency) or under ``if TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

WINGS = ("landuse", "carbon", "erosion", "sinks")

ALLOWED_CYCLE_EDGES: dict[tuple[str, str], str] = {}
"""Imports that close a cycle, each with why it is still there; removing the edge must leave
no cycle, and an edge that no longer exists must be taken out of this list."""


def _modules() -> dict[str, Path]:
    """Dotted name -> file of every module of the package (a package by its __init__)."""
    out = {}
    for path in sorted((SRC / "landcarbon").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imported(tree: ast.AST, package: str) -> Iterator[tuple[str, int]]:
    """(dotted name, line) of everything ``tree`` imports; ``from a import b`` yields
    ``a.b`` (which is ``a`` itself when b is no module)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, up level - 1
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            yield from ((f"{base}.{alias.name}", node.lineno) for alias in node.names)


@functools.cache
def _graph() -> dict[str, dict[str, int]]:
    """Importer -> {imported landcarbon module: first line}, self-imports left out."""
    modules = _modules()
    graph: dict[str, dict[str, int]] = {name: {} for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for target, line in _imported(ast.parse(path.read_text(encoding="utf-8")), package):
            while target not in modules and "." in target:  # a name inside a module
                target = target.rpartition(".")[0]
            if target in modules and target != name:
                graph[name].setdefault(target, line)
    return graph


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v) :]
            del stack[stack.index(v) :]
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def _describe(cycle: list[str], graph: dict[str, dict[str, int]]) -> str:
    edges = [f"{a} -> {b} (line {graph[a][b]})" for a in cycle for b in graph[a] if b in cycle]
    return "; ".join(edges)


def test_grid_knows_no_files():
    """grid.py (layer 1) imports of landcarbon only errors, and of rasterio only its CRS
    types: no raster or table reader, no path handling; rioxarray only to register the
    ``.rio`` accessor of an array it is given, never to open a file."""
    assert set(_graph()["landcarbon.grid"]) == {"landcarbon.errors"}
    tree = ast.parse((SRC / "landcarbon" / "grid.py").read_text(encoding="utf-8"))
    imported = {name for name, _ in _imported(tree, "landcarbon")}
    readers = sorted(
        n
        for n in imported
        if n.split(".")[0] in {"rasterio", "rioxarray", "xarray", "pathlib", "os", "io"}
        and not n.startswith(("rasterio.crs.", "rasterio.errors."))
        and n != "rioxarray"
    )
    assert readers == []
    source = (SRC / "landcarbon" / "grid.py").read_text(encoding="utf-8")
    assert "open_rasterio" not in source and "rasterio.open" not in source


def test_no_import_cycles():
    graph = {importer: dict(targets) for importer, targets in _graph().items()}
    stale = [edge for edge in ALLOWED_CYCLE_EDGES if edge[1] not in graph[edge[0]]]
    assert stale == [], "allowed edges that no longer exist: take them out of the list"
    for importer, imported in ALLOWED_CYCLE_EDGES:
        del graph[importer][imported]
    cycles = [_describe(cycle, graph) for cycle in _cycles(graph)]
    assert cycles == []


def _wing(module: str) -> str | None:
    """The wing (``landuse``, ``carbon``, ...) ``module`` belongs to, None outside them."""
    part = module.split(".")[1:2]
    return part[0] if part and part[0] in WINGS else None


def test_wings_do_not_import_each_other():
    crossings = [
        f"{a} -> {b} (line {line})"
        for a, targets in _graph().items()
        for b, line in targets.items()
        if _wing(a) and _wing(b) and _wing(a) != _wing(b)
    ]
    assert crossings == []


def test_cycle_finder_finds_function_level_cycles():
    graph = {"a": {"b": 1}, "b": {"c": 3}, "c": {"a": 9}, "d": {"a": 2}}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _describe(["a", "b", "c"], graph) == "a -> b (line 1); b -> c (line 3); c -> a (line 9)"
    tree = ast.parse("def f():\n    from landcarbon.raster import read_grid\n")
    assert list(_imported(tree, "landcarbon")) == [("landcarbon.raster.read_grid", 2)]
