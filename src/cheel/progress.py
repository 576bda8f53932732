"""How long work tells how far it is: one protocol for the core, the CLI and the web UI."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Called as work proceeds with what is done and what there is to do (rows), so far."""

    def __call__(self, done: int, total: int) -> None: ...
