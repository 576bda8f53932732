"""The layout of the user interfaces (cheel.web, cheel.cli), read from their import statements:
no module imports one that imports it back (even from inside a function), none imports
another's underscore name, and none renames a module to one or two letters."""

from __future__ import annotations

import ast
from pathlib import Path

import cheel

PACKAGE = Path(cheel.__file__).resolve().parent
UI_PACKAGES = ("web", "cli")


def ui_modules() -> dict[str, Path]:
    """``cheel.web.app`` → its file, for every module of the UI packages."""
    found = {}
    for package in UI_PACKAGES:
        for path in sorted((PACKAGE / package).glob("*.py")):
            name = f"cheel.{package}" if path.stem == "__init__" else f"cheel.{package}.{path.stem}"
            found[name] = path
    return found


def imports(name: str, path: Path) -> list[tuple[str, list[ast.alias], int]]:
    """Every import of a module, anywhere in it: (absolute module, names, line)."""
    package = name if path.stem == "__init__" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [alias], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[:len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.append((base, node.names, node.lineno))
    return found


def ui_edges(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Which UI modules each UI module imports (``from . import x`` counts as module x)."""
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, aliases, _ in imports(name, path):
            targets = {module} | {f"{module}.{a.name}" for a in aliases}
            edges[name] |= {t for t in targets if t in modules and t != name}
    return edges


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Each import circle once, as the path that closes it."""
    found, done = [], set()

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(edges[node]):
            if target in path:
                found.append(path[path.index(target):] + [target])
            elif target not in done:
                visit(target, path + [target])
        done.add(node)

    for start in sorted(edges):
        if start not in done:
            visit(start, [start])
    return found


def test_no_import_circle_among_ui_modules():
    modules = ui_modules()
    assert "cheel.web.app" in modules and "cheel.cli.main" in modules
    assert circles(ui_edges(modules)) == []


def test_the_circle_finder_finds_a_circle():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(edges) == [["a", "b", "c", "a"]]


def test_no_private_name_or_short_alias_across_ui_modules():
    problems = []
    for name, path in ui_modules().items():
        for module, aliases, line in imports(name, path):
            for alias in aliases:
                dunder = alias.name.startswith("__") and alias.name.endswith("__")
                if alias.name.startswith("_") and not dunder:  # __version__ is public
                    problems.append(f"{path.name}:{line} imports {module}.{alias.name}")
                if alias.asname is not None and len(alias.asname) <= 2:
                    problems.append(f"{path.name}:{line} imports {alias.name} as {alias.asname}")
    assert problems == []
