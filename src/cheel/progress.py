"""How long work tells how far it is: one protocol for the core, the CLI and the web UI.

Work calls its progress with the rows done and the rows to do, and the phase it is in. A
progress may also stop the work: whatever it raises (``errors.Interrupted`` when the user
cancels) unwinds the work as any failure does, so nothing is left half done (a backup's
``.part`` file is removed, a restore rolls back or drops its new organization).
"""

from __future__ import annotations

from typing import Protocol

# The phases work goes through, as the interfaces name them to the user.
ROWS = "rows"  # rows read, written or checked: done and total count rows
CHECKS = "checks"  # a restore checks what it loaded (keys, counts, balances) before commit
FIGURES = "figures"  # a drill reads the file's figures: done and total count bytes


class Progress(Protocol):
    """Called as work proceeds with what is done and what there is to do (rows), so far."""

    def __call__(self, done: int, total: int, phase: str = ROWS) -> None: ...
