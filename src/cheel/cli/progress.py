"""A progress bar in a terminal, silence in scripts."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from ..progress import CHECKS, FIGURES, ROWS


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool | None = None,
                 ) -> Iterator[Callable[[int, int, str], None] | None]:
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield None
        return
    from rich.console import Console

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[unit]}"), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(label, total=None, unit="rows")

        def update(done: int, total: int, phase: str = ROWS) -> None:
            if phase == CHECKS:  # the restored rows are checked before they commit
                bar.update(task, description="Checking", unit="checks", completed=done,
                           total=total or None)
            elif phase == FIGURES:  # a drill reads the file's figures again
                bar.update(task, description="Comparing", unit="bytes", completed=done,
                           total=total or None)
            else:  # rows again after checks: the next file of a recovery
                bar.update(task, description=label, unit="rows", completed=done,
                           total=total or None)

        yield update
