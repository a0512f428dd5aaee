"""The layering of the packages: no import cycle, counting imports inside functions.

Every ``import`` and ``from ... import`` of ``autograd_engine`` and ``nn`` (at module level, in
functions, under ``TYPE_CHECKING`` excepted: those are read by type checkers only) is an edge
between two modules; the graph must have no cycle but the allowed ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd_engine", "nn")

# The one cycle allowed: Jupyter's lazy picture of a Value (Value._repr_mimebundle_ -> teach.viz),
# which must stay a method of Value and needs the drawing code only when a notebook shows one.
ALLOWED = {("autograd_engine.value", "autograd_engine.teach.viz")}
# Left for later work, each named so the test also sees when it is gone: MLP.to_torch/from_torch import nn.torch_bridge,
# which imports the modules (the bridge should depend on the modules only).
KNOWN = {
    ("nn.micrograd_modules", "nn.torch_bridge"),
    ("nn.torch_bridge", "nn.micrograd_modules"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The package modules ``path`` imports, wherever the import statement is."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node)
            for child in node.body for n in ast.walk(child)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                up = parts[: len(parts) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in modules:  # a name inside a module: the module itself
                t = t.rpartition(".")[0]
            if t and t != name and not (name.startswith(t + ".") and t in PACKAGES):
                found.add(t)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {_module_name(p) for p in paths}
    return {_module_name(p): _imports(p, modules) for p in paths}


def cycles(graph: dict[str, set[str]], ignore: set[tuple[str, str]]) -> list[list[str]]:
    """One cycle through each edge that closes one (ignoring the edges in ``ignore``)."""
    out = []
    for a, targets in sorted(graph.items()):
        for b in sorted(targets):
            if (a, b) in ignore:
                continue
            path = _path(graph, b, a, ignore)
            if path:
                out.append([a, *path])
    return out


def _path(graph, start: str, goal: str, ignore) -> list[str] | None:
    stack, seen = [(start, [start])], {start}
    while stack:
        node, path = stack.pop()
        if node == goal:
            return path
        for nxt in sorted(graph.get(node, ())):
            if nxt not in seen and (node, nxt) not in ignore:
                seen.add(nxt)
                stack.append((nxt, path + [nxt]))
    return None


def test_no_import_cycle_counting_imports_inside_functions():
    found = cycles(import_graph(), ALLOWED | KNOWN)
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_known_cycles_are_still_there_and_the_checker_sees_them():
    graph = import_graph()
    for a, b in KNOWN:  # when one is fixed, remove it from KNOWN
        assert b in graph[a], (a, b)
    assert cycles({"x": {"y"}, "y": {"x"}}, set()) == [["x", "y", "x"], ["y", "x", "y"]]


def test_the_core_imports_nothing_above_it():
    graph = import_graph()
    assert graph["autograd_engine.rules"] == set()
    assert graph["autograd_engine.backprop"] <= {"autograd_engine.checks"}
    assert "autograd_engine.value" not in graph["autograd_engine.backprop"]
