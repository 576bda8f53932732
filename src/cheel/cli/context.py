"""State shared by the commands of one run, and output helpers."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

import click
from rich.console import Console

from ..store.catalog import Catalog


@dataclass
class Ctx:
    catalog: Catalog
    debug: bool = False
    console: Console = field(default_factory=lambda: Console(highlight=False))


def is_interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def human_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"
