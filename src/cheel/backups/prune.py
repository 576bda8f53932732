"""Pruning a destination: the backups its rules do not keep are deleted, with their records."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import DestinationError, said
from .listing import list_backups
from .record import record_path
from .retention import Decision, KeepRules, decide


@dataclass
class PruneOptions:
    dest: Path | str
    rules: KeepRules
    organization: str | None = None
    dry_run: bool = False


@dataclass
class PruneReport:
    decisions: list[Decision]
    dry_run: bool
    deleted: list[str]

    @property
    def freed(self) -> int:
        return sum(d.backup.size for d in self.decisions if not d.keep)

    def as_dict(self) -> dict:
        return {"dry_run": self.dry_run, "deleted": self.deleted, "freed": self.freed,
                "backups": [d.as_dict() for d in self.decisions]}


def prune(options: PruneOptions, now: datetime | None = None) -> PruneReport:
    """Decide for every backup of the destination, then (unless a dry run) delete what no
    rule, floor or rail keeps: each backup file first, then its record (a record without
    its file is ignored; a file without its record is never deleted)."""
    options.rules.check()
    backups = list_backups(options.dest, options.organization)
    decisions = decide(backups, options.rules, now)
    deleted: list[str] = []
    if not options.dry_run:
        for d in decisions:
            if d.keep:
                continue
            try:
                d.backup.path.unlink()
            except OSError as e:
                raise DestinationError(said("cannot delete {path}: {why}; the backups deleted "
                                            "before it are: {deleted}", path=d.backup.path,
                                            why=e.strerror or str(e),
                                            deleted=", ".join(deleted) or "none")) from None
            with contextlib.suppress(OSError):
                record_path(d.backup.path).unlink()
            deleted.append(d.backup.path.name)
    return PruneReport(decisions, options.dry_run, deleted)
