"""A backup's record: a small JSON file beside it (``NAME.cheelbackup.json``).

What a listing and a pruning need without opening the backup, which may be encrypted: when
it was made, its size and SHA-256, which organization, groups and companies it holds, the
fiscal years of each company (for the legal floor), every verification of it and every
drill (a restore into a throwaway organization, compared with what the file declares).
Written by ``cheel backup`` once the file has its final name, added to by ``cheel verify``
and ``cheel drill``.

An encrypted backup hides every name inside it: its record keeps the organization's name
(the file's name says it already) and the uids of its groups and companies, never their
names, so a record left on a server tells no more than the file does. An unencrypted
backup's record also keeps the names.

The record is a convenience, never trusted over the file: its size must match the file's
for it to count (read cheaply, for listings), and ``cheel verify``, which reads every byte,
also compares the SHA-256 (a file changed since it was written fails); a backup without a
valid record is never deleted by a pruning.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import msgspec

from .. import __version__
from ..destinations import Destination, split_location
from ..destinations.folder import FolderDestination
from ..errors import CheelError

FORMAT = "cheel-backup-record"
SUFFIX = ".json"  # after the backup's own name: demo-sa_20261205-101500.cheelbackup.json
MAX_RECORD_SIZE = 1 << 20
CHANGED = "ChangedSinceWritten"  # a verification's error: not the file the record describes


class FiscalYearRecord(msgspec.Struct, frozen=True):
    name: str
    start: str
    end: str
    closed: bool


class CompanyRecord(msgspec.Struct, frozen=True):
    uid: str
    name: str | None  # None when the backup is encrypted
    fiscal_years: list[FiscalYearRecord]


class GroupRecord(msgspec.Struct, frozen=True):
    uid: str
    name: str | None
    companies: list[CompanyRecord]


class OrganizationRecord(msgspec.Struct, frozen=True):
    name: str
    groups: list[GroupRecord]


class Verification(msgspec.Struct, frozen=True):
    at: str  # ISO 8601, UTC
    ok: bool
    cheel: str  # the version that verified
    error: str | None = None  # the error's class when not ok


class DrillResult(msgspec.Struct, frozen=True):
    """One drill of the backup: its figures, never a name or an amount (a record of an
    encrypted backup tells no more than the file does)."""

    at: str  # ISO 8601, UTC: when it started
    ok: bool
    cheel: str  # the version that drilled
    seconds: float = 0.0  # from start to the throwaway removed
    engine: str = "sqlite"  # what the throwaway organization was: sqlite or postgres
    tables: int = 0  # tables whose row counts were compared
    rows: int = 0  # rows restored and counted
    accounts: int = 0  # accounts whose balances were compared
    differences: int = 0  # figures that differed (DrillMismatch)
    error: str | None = None  # the error's class when not ok


class BackupRecord(msgspec.Struct):
    format: str
    version: int
    file: str  # the backup's file name
    size: int
    sha256: str
    created_at: str
    encrypted: bool
    organizations: list[OrganizationRecord]
    verifications: list[Verification] = []
    drills: list[DrillResult] = []  # absent from records written before drills: none

    @property
    def verified(self) -> bool:
        """Its latest verification passed."""
        return bool(self.verifications) and self.verifications[-1].ok

    @property
    def failed(self) -> bool:
        return bool(self.verifications) and not self.verifications[-1].ok

    @property
    def last_verified_at(self) -> str | None:
        return self.verifications[-1].at if self.verified else None

    @property
    def last_drill(self) -> DrillResult | None:
        return self.drills[-1] if self.drills else None

    @property
    def last_drilled_at(self) -> str | None:
        """When it was last drilled with success (an older success still proves it)."""
        return next((d.at for d in reversed(self.drills) if d.ok), None)


_decoder = msgspec.json.Decoder(BackupRecord)


def record_name(name: str) -> str:
    return name + SUFFIX


def record_path(backup: Path) -> Path:
    return backup.with_name(record_name(backup.name))


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def encode(record: BackupRecord) -> bytes:
    return msgspec.json.format(msgspec.json.encode(record), indent=2) + b"\n"


def write_record_to(destination: Destination, record: BackupRecord) -> None:
    """Write the record beside its backup, complete or not at all."""
    destination.write_small(record_name(record.file), encode(record))


def record_at(destination: Destination, name: str, size: int | None = None
              ) -> tuple[BackupRecord | None, bool]:
    """The record of the backup ``name`` (None if it has none, or one that is malformed or
    names another file) and whether it still matches the file by its size (``size`` when
    the caller knows it)."""
    data = destination.read_small(record_name(name), MAX_RECORD_SIZE)
    if data is None:
        return None, False
    try:
        record = _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None, False
    if record.format != FORMAT or record.file != name:
        return None, False
    if size is None:
        try:
            size = destination.size(name)
        except (OSError, CheelError):
            return record, False
    return record, size == record.size


def read_record(backup: Path) -> BackupRecord | None:
    """The record of a backup in a folder, if it has a valid one."""
    record, matches = record_at(FolderDestination(backup.parent), backup.name)
    return record if matches else None


def write_record(backup: Path, record: BackupRecord) -> None:
    write_record_to(FolderDestination(backup.parent), record)


KEPT = 20  # verifications, and drills, a record keeps (the newest)


def _amend(location: str, amend: Callable[[BackupRecord, bool], None]) -> bool:
    """``amend(record, matches)`` the record of the backup at ``location`` and write it
    back, if it has a valid one; True if it was written."""
    destination, name = split_location(location)
    try:
        record, matches = record_at(destination, name)
    except CheelError:
        return False
    if record is None:
        return False
    amend(record, matches)
    try:
        write_record_to(destination, record)
    except (OSError, CheelError):
        return False
    return True


def _changed(record: BackupRecord, matches: bool, digest: tuple[int, str] | None) -> bool:
    """The file is not the one the record describes (by its size, or the size and SHA-256
    of the bytes just read)."""
    return not matches or (digest is not None and digest != (record.size, record.sha256))


def add_verification(location: str, ok: bool, error: str | None = None,
                     digest: tuple[int, str] | None = None) -> bool:
    """Add a verification to the record of the backup at ``location``, if it has a valid
    one; True if it was recorded. ``digest``: the size and SHA-256 of the bytes verified,
    which must be the record's (else the file changed since it was written: a failure)."""

    def amend(record: BackupRecord, matches: bool) -> None:
        failed = ok and _changed(record, matches, digest)
        record.verifications = [*record.verifications, Verification(
            now_utc(), ok and not failed, __version__, CHANGED if failed else error)][-KEPT:]

    return _amend(location, amend)


def add_drill(location: str, result: DrillResult,
              digest: tuple[int, str] | None = None) -> bool:
    """Add a drill's result to the record of the backup at ``location``, as
    :func:`add_verification` adds a verification (a drill that passed on a file that is no
    longer the one the record describes is recorded as failed: ``ChangedSinceWritten``)."""

    def amend(record: BackupRecord, matches: bool) -> None:
        drill = result
        if drill.ok and _changed(record, matches, digest):
            drill = msgspec.structs.replace(drill, ok=False, error=CHANGED)
        record.drills = [*record.drills, drill][-KEPT:]

    return _amend(location, amend)


def new_record(name: str, size: int, sha256: str, created_at: str, encrypted: bool,
               organizations: list[tuple[str, list]], fiscal_years: dict) -> BackupRecord:
    """The record of a backup just stored: ``organizations`` as (name, its GroupInfo
    list), ``fiscal_years`` as {(organization name, company id): [(name, start, end,
    closed), …]}."""

    def named(text: str) -> str | None:
        return None if encrypted else text

    return BackupRecord(
        FORMAT, 1, name, size, sha256, created_at, encrypted,
        [OrganizationRecord(org, [
            GroupRecord(g.uid, named(g.name), [
                CompanyRecord(c.uid, named(c.name), [
                    FiscalYearRecord(str(n), str(start), str(end), bool(closed))
                    for n, start, end, closed in fiscal_years.get((org, c.id), [])])
                for c in g.companies])
            for g in groups])
         for org, groups in organizations])
