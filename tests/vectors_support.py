"""The committed test vectors: tests/vectors/v1 (format 1, kept as released) and
tests/vectors/v2 (format 2, made by make_vectors.py), each with its vectors.json."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

VECTORS = Path(__file__).parent / "vectors"
SETS = ("v1", "v2")


def spec(version: str) -> dict:
    return json.loads((VECTORS / version / "vectors.json").read_text("utf-8"))


def cases(versions: tuple[str, ...] = SETS) -> list[dict]:
    """Every case, with ``path`` (the file) and ``id`` (``<version>/<name>``) added."""
    out = []
    for version in versions:
        for case in spec(version)["vectors"]:
            out.append(dict(case, path=VECTORS / version / case["file"],
                            id=f"{version}/{case['name']}", version=version))
    return out


def ok_cases(versions: tuple[str, ...] = SETS) -> list[dict]:
    return [c for c in cases(versions) if c["expect"] == "ok"]


def load_script(name: str):
    """A module of tests/vectors (sample, assemble, make_vectors), imported from there (the
    folder holds scripts, not a package)."""
    if str(VECTORS) not in sys.path:
        sys.path.insert(0, str(VECTORS))
    return importlib.import_module(name)
