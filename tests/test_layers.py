"""The package's imports point one way: no cycle between modules, and each part imports only what its row of
the layer table (`evol.layers.ALLOWED`) allows.

Every `import` and `from ... import` of every module counts, wherever it is written (top level, inside a
function, under `if TYPE_CHECKING:`): a deferred import hides a cycle from Python, not from a reader. So does
`importlib.import_module("evol.x")` (an f-string counts up to its first placeholder).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from evol.layers import ALLOWED, drawing, layers

ROOT = Path(__file__).resolve().parents[1]

def part_of(module: str) -> str:
    """The part a dotted module belongs to: `evol.llm.client` -> `llm`, `evol` -> `evol`."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def above(part: str, allowed: dict[str, tuple[str, ...]] = ALLOWED) -> set[str]:
    """The parts that import ``part``, directly or through others: an import of one of them points upwards."""
    found: set[str] = set()
    grew = True
    while grew:
        grew = False
        for src, dsts in allowed.items():
            if src not in found and (part in dsts or found.intersection(dsts)):
                found.add(src)
                grew = True
    return found


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
            elif isinstance(node, ast.Call) and _imported_by_name(node, package):
                targets.add(known(_imported_by_name(node, package)))
        graph[name] = {t for t in targets if t and t != name}
    return graph


def _imported_by_name(call: ast.Call, package: str) -> str:
    """The module an ``import_module("...")`` / ``__import__("...")`` call names in ``package``, else ''."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in ("import_module", "__import__") or not call.args:
        return ""
    arg = call.args[0]
    if isinstance(arg, ast.JoinedStr):  # f"pkg.commands.{name}": the constant head names the package
        arg = arg.values[0] if arg.values else arg
    text = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else ""
    text = text.rstrip(".")
    return text if text == package or text.startswith(package + ".") else ""


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


def part_arrows(graph: dict[str, set[str]]) -> dict[tuple[str, str], str]:
    """(part, part) -> one module import that makes that arrow, for every import between two parts."""
    return {(part_of(src), part_of(dst)): f"{src} -> {dst}" for src, dsts in sorted(graph.items())
            for dst in sorted(dsts, reverse=True) if part_of(src) != part_of(dst)}


def violations(graph: dict[str, set[str]], allowed: dict[str, tuple[str, ...]]) -> list[str]:
    """'a -> b' for every module import between two parts that the table does not allow, and parts it lacks."""
    missing = sorted({f"{part}: not in the layer table" for name in graph if (part := part_of(name)) not in allowed})
    return missing + sorted(f"{src} -> {dst}" for src, dsts in graph.items() for dst in dsts
                            if part_of(src) != part_of(dst) and part_of(dst) not in allowed.get(part_of(src), ()))


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(ROOT, "evol")


def test_no_import_cycle_between_modules(graph: dict[str, set[str]]) -> None:
    assert len(graph) > 100 and "evol.dedup.index" in graph["evol.dedup"]  # the whole package was read
    assert cycles(graph) == []


def test_every_part_imports_only_what_the_layer_table_allows(graph: dict[str, set[str]]) -> None:
    assert violations(graph, ALLOWED) == []


def test_the_layer_table_lists_every_part_and_only_arrows_in_use(graph: dict[str, set[str]]) -> None:
    assert set(ALLOWED) == {part_of(name) for name in graph}
    used = part_arrows(graph)
    unused = sorted(f"{src} -> {dst}" for src, dsts in ALLOWED.items() for dst in dsts if (src, dst) not in used)
    assert unused == []  # an arrow nothing uses is a loophole: drop it from evol/layers.py
    assert layers()["errors"] == 0 and layers()["cli"] > layers()["commands"] > layers()["pipeline"]


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_an_upward_import_from_any_part_is_caught(graph: dict[str, set[str]], part: str) -> None:
    """Inject one import from ``part`` to a part above it (for a top part: to one it does not import)."""
    others = sorted(above(part)) or sorted(set(ALLOWED) - set(ALLOWED[part]) - {part})
    target = others[0]
    src = min(name for name in graph if part_of(name) == part)
    dst = min(name for name in graph if part_of(name) == target)
    injected = {name: set(dsts) for name, dsts in graph.items()}
    injected[src].add(dst)
    assert violations(injected, ALLOWED) == [f"{src} -> {dst}"]


def test_a_cycle_in_the_table_or_an_unknown_part_is_refused() -> None:
    with pytest.raises(ValueError, match="cycle"):
        layers({**ALLOWED, "errors": ("cli",)})
    with pytest.raises(ValueError, match="not in the layer table"):
        layers({**ALLOWED, "errors": ("nowhere",)})
    assert violations({"evol.newpart": {"evol.errors"}}, ALLOWED) == ["newpart: not in the layer table",
                                                                      "evol.newpart -> evol.errors"]


def test_python_m_evol_layers_prints_the_graph_and_the_architecture_doc_shows_it() -> None:
    printed = subprocess.run([sys.executable, "-m", "evol.layers"], capture_output=True, text=True, check=True,
                             cwd=ROOT).stdout
    assert printed == drawing() + "\n"
    assert " 0  errors" in printed.splitlines() and re.match(r"\d+  __main__      -> cli\n", printed)
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    shown = re.search(r"<!-- python -m evol.layers -->\n```text\n(.*?)```", doc, re.S)
    assert shown is not None, "docs/architecture.md lacks the layer drawing"
    assert shown.group(1) == printed  # redraw: python -m evol.layers


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
        "low/z.py": "import importlib\nimportlib.import_module('pkg.top')\n",
        "low/w.py": "import importlib\ndef h(n):\n    importlib.import_module(f'pkg.top.{n}')\n",
        "top/__init__.py": "", "top/y.py": "",
    })
    graph = import_graph(root, "pkg")
    assert cycles(graph) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
    assert graph["pkg.low.x"] == {"pkg.top.y"} and graph["pkg.low.z"] == graph["pkg.low.w"] == {"pkg.top"}
    allowed = {"pkg": (), "a": ("b",), "b": ("a",), "c": ("d",), "d": ("c",), "low": (), "top": ()}
    assert violations(graph, allowed) == ["pkg.low.w -> pkg.top", "pkg.low.x -> pkg.top.y", "pkg.low.z -> pkg.top"]
    (root / "pkg" / "b.py").write_text("def f():\n    pass\n")
    assert cycles(import_graph(root, "pkg")) == [["pkg.c", "pkg.d"]]
