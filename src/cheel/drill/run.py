"""A drill from start to end: the backup restored into a throwaway organization with every
check a restore makes, its figures compared with the file's, the result recorded beside the
backup, the throwaway removed.

A backup at an address (s3://, sftp://) is fetched once into the throwaway's folder (its
size and SHA-256 taken on the way), then restored and read from there.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__
from ..backups.record import DrillResult, add_drill
from ..destinations import is_url, open_location
from ..destinations.base import HashingReader
from ..errors import DamagedFile, DrillMismatch, IntegrityError, Text, UsageError, joined, said
from ..progress import Progress
from ..restore import RestoreOptions, run_restore
from ..store.engines import POSTGRES, SQLITE
from ..store.organizations import opened
from ..verify import Unlock, unlocker_of
from .figures import Difference, compare, measure, tally_file
from .throwaway import terminations_interrupt, throwaway

ENGINES = (SQLITE, POSTGRES)
# What a drill records as a failure besides DrillMismatch: the file is unsound, or its
# restore fails a check. A missing password, an unreachable server, a full disk or Ctrl-C
# say nothing of the backup: not recorded.
VERDICTS = (DamagedFile, IntegrityError)


@dataclass
class DrillOptions:
    """What to drill (a backup's path or URL) and where its throwaway organization goes."""

    file: Path | str
    engine: str = SQLITE  # sqlite, or postgres (then ``postgres`` names the server)
    postgres: str | None = None  # the PostgreSQL server's URL (its database is not used)
    scratch: Path | str | None = None  # the folder the throwaway's folder is made in
    record: bool = True  # add the result to the backup's record

    def checked(self) -> DrillOptions:
        if self.engine not in ENGINES:
            raise UsageError(said("--engine is sqlite or postgres"))
        if self.engine == POSTGRES and not self.postgres:
            raise UsageError(said("a drill on PostgreSQL needs the server: --postgres URL"))
        if self.engine == SQLITE and self.postgres:
            raise UsageError(said("--postgres goes with --engine postgres"))
        return self


@dataclass
class DrillReport:
    file: str
    engine: str
    at: str  # ISO 8601, UTC
    encrypted: bool = False
    seconds: float = 0.0
    groups: int = 0
    companies: int = 0
    tables: int = 0  # tables whose row counts were compared
    rows: int = 0  # rows restored and counted
    accounts: int = 0  # accounts whose debits and credits were compared
    differences: list[Difference] = field(default_factory=list)
    recorded: bool = False  # the result is in the backup's record

    @property
    def ok(self) -> bool:
        return not self.differences

    def result(self, error: str | None = None) -> DrillResult:
        return DrillResult(self.at, self.ok and error is None, __version__,
                           round(self.seconds, 3), self.engine, self.tables, self.rows,
                           self.accounts, len(self.differences),
                           error or (None if self.ok else DrillMismatch.__name__))

    def as_dict(self) -> dict:
        return {"file": self.file, "ok": self.ok, "engine": self.engine, "at": self.at,
                "encrypted": self.encrypted, "seconds": round(self.seconds, 3),
                "groups": self.groups, "companies": self.companies, "tables": self.tables,
                "rows": self.rows, "accounts": self.accounts,
                "differences": [d.as_dict() for d in self.differences],
                "recorded": self.recorded}


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def run_drill(options: DrillOptions, unlock: Unlock = None,
              progress: Progress | None = None) -> DrillReport:
    """Drill the backup ``options.file``; its report when the restored organization holds
    what the file declares. Raises what a restore raises for the file (recorded as a
    failed drill when it is the file's fault, see :data:`VERDICTS`), and
    ``DrillMismatch`` (its ``report`` attached) when a figure differs."""
    options = options.checked()
    started = time.monotonic()
    location = str(options.file)
    report = DrillReport(location, options.engine, now_utc())
    unlocker = unlocker_of(unlock)
    digest = None
    try:
        with terminations_interrupt(), throwaway(
                options.postgres if options.engine == POSTGRES else None,
                options.scratch) as spot:
            file: Path | str = options.file
            if is_url(location):
                file, digest = _fetch(location, spot.folder / "drilled.cheelbackup")
            restored = run_restore(spot.catalog, RestoreOptions(
                file, spot.name, create=True, postgres=spot.postgres), unlocker, progress)
            tally = tally_file(file, unlocker, restored.groups, progress)
            digest = digest or tally.digest
            with opened(spot.catalog, spot.name) as (_, db):
                found = measure(db, tally.figures)
            names = {g.target_uid: g.target_name for g in restored.groups}
            report.differences = compare(tally.figures, found, names)
            report.encrypted = restored.encrypted
            report.groups = sum(1 for g in restored.groups if g.restored)
            report.companies = sum(len(g.companies) for g in restored.groups if g.restored)
            report.tables = len(tally.figures.rows)
            report.rows = sum(found.rows.values())
            report.accounts = len(tally.figures.accounts)
    except VERDICTS as e:
        report.seconds = time.monotonic() - started
        if options.record:
            add_drill(location, report.result(type(e).__name__), digest)
        raise
    report.seconds = time.monotonic() - started
    if options.record:
        report.recorded = add_drill(location, report.result(), digest)
    if not report.ok:
        raise mismatch(report)
    return report


def mismatch(report: DrillReport) -> DrillMismatch:
    first = report.differences[:3]
    more = len(report.differences) - len(first)
    details: list[Text | str] = [d.text for d in first]
    if more:
        details.append(said("{count} more", count=more))
    count = len(report.differences)
    error = DrillMismatch(
        said("the drill restored {file}, but one figure differs from what it declares: "
             "{details}", file=report.file, details=joined(details)) if count == 1 else
        said("the drill restored {file}, but {count} figures differ from what it declares: "
             "{details}", file=report.file, count=count, details=joined(details)),
        hint=said("a restore of this backup would not give back what was backed up: keep "
                  "older backups, and report it with the file"))
    error.report = report
    return error


def _fetch(location: str, path: Path) -> tuple[Path, tuple[int, str]]:
    """The backup at ``location`` copied to ``path``; its size and SHA-256."""
    with HashingReader(open_location(location)) as source, open(path, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
        return path, source.digest()

