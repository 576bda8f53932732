"""Pruning a destination: the backups its rules do not keep are deleted, with their records."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from ..destinations import open_destination
from ..errors import CheelError, DestinationError, PreviewOutdated, said
from .listing import list_backups
from .record import record_name
from .retention import Decision, KeepRules, decide


@dataclass
class PruneOptions:
    dest: str  # a folder or a URL
    rules: KeepRules
    organization: str | None = None
    dry_run: bool = False
    # The backups a preview (a dry run) showed as deleted, when a user confirms it: the
    # pruning deletes them only if it decides the same, else nothing (PreviewOutdated).
    expected: list[str] | None = None
    # Only the files whose name begins so: a plan's run prunes each organization's own
    # files without reading the records of the whole destination each time (100
    # organizations of 7 backups: 46 ms an organization, growing with the fleet)
    prefix: str = ""


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
    destination = open_destination(options.dest)
    backups = list_backups(destination, options.organization, options.prefix)
    decisions = decide(backups, options.rules, now)
    doomed = sorted(d.backup.name for d in decisions if not d.keep)
    if options.expected is not None and not options.dry_run and \
            doomed != sorted(options.expected):
        raise PreviewOutdated(
            said("the backups this pruning would delete are no longer those of its preview "
                 "({count} now, {shown} shown): nothing was deleted", count=len(doomed),
                 shown=len(options.expected)),
            hint=said("look at the new preview before confirming again"))
    deleted: list[str] = []
    if not options.dry_run:
        for d in decisions:
            if d.keep:
                continue
            try:
                destination.delete(d.backup.name)
            except OSError as e:
                raise DestinationError(said("cannot delete {path}: {why}; the backups deleted "
                                            "before it are: {deleted}", path=d.backup.location,
                                            why=e.strerror or str(e),
                                            deleted=", ".join(deleted) or "-")) from None
            with contextlib.suppress(OSError, CheelError):
                destination.delete(record_name(d.backup.name))
            deleted.append(d.backup.name)
    return PruneReport(decisions, options.dry_run, deleted)
