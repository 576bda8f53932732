"""The layout's rules, read from the code's own ``import`` statements (module level and inside
functions alike): no import circle anywhere in cheel, the core free of the interfaces, and
each lower layer free of the ones above it (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "cheel"
INTERFACE_LIBRARIES = {"click", "rich", "starlette", "jinja2", "uvicorn", "babel", "multipart"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; ``from x import y`` counts x.y when
    y is a module of cheel, else x)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for a in node.names:
                candidate = f"{base}.{a.name}"
                out.add(candidate if candidate in MODULES else base)
    return out


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {name: {m for m in imports_of(path) if m in MODULES and m != name}
         for name, path in MODULES.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read():
    assert "cheel.restore.run" in GRAPH["cheel.cli.restore"] or \
        "cheel.restore" in GRAPH["cheel.cli.restore"]
    assert "cheel.store.schema" in GRAPH["cheel.soundness"]


def test_no_import_circle():
    # A package's __init__ re-exports its modules: an edge into the package from one of its
    # own modules would be a circle of the package's making, and counts.
    assert cycles(GRAPH) == []


CORE = [m for m in MODULES if not m.startswith(("cheel.cli", "cheel.web"))]


@pytest.mark.parametrize("module", sorted(CORE))
def test_the_core_knows_no_interface(module):
    """The core never imports the command line, the web UI, or their libraries: they are
    thin layers that pass plain option objects to it."""
    imported = imports_of(MODULES[module])
    assert not {m for m in imported if m.startswith(("cheel.cli", "cheel.web"))}
    assert not {m.split(".")[0] for m in imported} & INTERFACE_LIBRARIES


@pytest.mark.parametrize("layer, allowed", [
    ("cheel.store", ("cheel.store", "cheel.errors")),
    ("cheel.archive", ("cheel.archive", "cheel.errors")),
])
def test_lower_layers_import_only_themselves(layer, allowed):
    """The store knows nothing of backups; the file format knows nothing of databases."""
    for name in (m for m in MODULES if m.startswith(layer)):
        outside = {m for m in GRAPH[name] if not m.startswith(allowed)}
        assert not outside, f"{name} imports {sorted(outside)}"
