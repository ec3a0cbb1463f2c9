"""The package's imports point one way: no cycle between modules, and the lower layers import nothing above.

Every `import` and `from ... import` of every module counts, wherever it is written (top level, inside a
function, under `if TYPE_CHECKING:`): a deferred import hides a cycle from Python, not from a reader.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# layer -> modules (prefixes) it must never import
FORBIDDEN = {
    "evol.llm": ("evol.pipeline", "evol.stages", "evol.seeds", "evol.prompts", "evol.round", "evol.export",
                 "evol.rundir", "evol.plan", "evol.commands", "evol.cli", "evol.report", "evol.dedup",
                 "evol.decontam"),
    "evol.dedup": ("evol.decontam", "evol.llm", "evol.pipeline", "evol.stages", "evol.commands"),
    "evol.decontam": ("evol.llm", "evol.pipeline", "evol.stages", "evol.commands"),
    "evol.sim": ("evol.pipeline", "evol.stages", "evol.plan", "evol.commands"),
    "evol.rundir": ("evol.llm", "evol.stages", "evol.round", "evol.pipeline", "evol.plan", "evol.report",
                    "evol.commands"),
    "evol.stages": ("evol.round", "evol.pipeline", "evol.rundir", "evol.export", "evol.plan", "evol.report",
                    "evol.commands", "evol.cli"),
    "evol.round": ("evol.pipeline", "evol.plan", "evol.report", "evol.commands", "evol.cli"),
    "evol.pipeline": ("evol.plan", "evol.report", "evol.commands", "evol.cli"),
    "evol.report": ("evol.pipeline", "evol.plan", "evol.commands", "evol.cli"),
    "evol.datafields": ("evol",),  # the config marker sits below everything
}


def modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> file, for every .py under ``root/package`` (a package is its __init__)."""
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (``from pkg import name`` counts name when it is a module)."""
    mods = modules(root, package)

    def known(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        here = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str | None] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(known(a.name) for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here.split(".")[: len(here.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in mods else known(base))
        graph[name] = {t for t in targets if t and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def violations(graph: dict[str, set[str]], forbidden: dict[str, tuple[str, ...]]) -> list[str]:
    """'a -> b' for every import of a module of a layer from a module that layer must not import."""
    def within(name: str, prefix: str) -> bool:
        return name == prefix or name.startswith(prefix + ".")

    return sorted(f"{src} -> {dst}" for src, dsts in graph.items() for dst in dsts
                  for layer, banned in forbidden.items() if within(src, layer)
                  and any(within(dst, b) for b in banned))


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(ROOT, "evol")


def test_no_import_cycle_between_modules(graph: dict[str, set[str]]) -> None:
    assert len(graph) > 100 and "evol.dedup.index" in graph["evol.dedup"]  # the whole package was read
    assert cycles(graph) == []


def test_lower_layers_import_nothing_above_them(graph: dict[str, set[str]]) -> None:
    assert violations(graph, FORBIDDEN) == []


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_checks_see_cycles_hidden_in_functions_and_type_checking(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "from pkg.b import f\n",
        "b.py": "def f():\n    from pkg import a\n",  # deferred: Python would not notice
        "c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .d import D\n",
        "d.py": "from . import c\n",
        "low/__init__.py": "", "low/x.py": "def g():\n    import pkg.top.y\n",
        "top/__init__.py": "", "top/y.py": "",
    })
    graph = import_graph(root, "pkg")
    assert cycles(graph) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
    assert violations(graph, {"pkg.low": ("pkg.top",)}) == ["pkg.low.x -> pkg.top.y"]
    (root / "pkg" / "b.py").write_text("def f():\n    pass\n")
    assert cycles(import_graph(root, "pkg")) == [["pkg.c", "pkg.d"]]
