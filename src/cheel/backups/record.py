"""A backup's record: a small JSON file beside it (``NAME.cheelbackup.json``).

What a listing and a pruning need without opening the backup, which may be encrypted: when
it was made, its size and SHA-256, which organization, groups and companies it holds, the
fiscal years of each company (for the legal floor), and every verification of it. Written
by ``cheel backup`` once the file has its final name, added to by ``cheel verify``.

An encrypted backup hides every name inside it: its record keeps the organization's name
(the file's name says it already) and the uids of its groups and companies, never their
names, so a record left on a server tells no more than the file does. An unencrypted
backup's record also keeps the names.

The record is a convenience, never trusted over the file: its size and SHA-256 must match
the file's for it to count (a file replaced under the same name has no valid record), and
a backup without a valid record is never deleted by a pruning.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path

import msgspec

from .. import __version__

FORMAT = "cheel-backup-record"
SUFFIX = ".json"  # after the backup's own name: demo-sa_20261205-101500.cheelbackup.json
MAX_RECORD_SIZE = 1 << 20


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


_decoder = msgspec.json.Decoder(BackupRecord)


def record_path(backup: Path) -> Path:
    return backup.with_name(backup.name + SUFFIX)


def file_digest(path: Path) -> tuple[int, str]:
    """The size and SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
            size += len(block)
    return size, digest.hexdigest()


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def write_record(backup: Path, record: BackupRecord) -> None:
    """Write the record beside its backup, complete or not at all (a temporary name, then a
    rename)."""
    target = record_path(backup)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    # its owner's alone, as the backup is, whatever the umask
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
        f.write(msgspec.json.format(msgspec.json.encode(record), indent=2) + b"\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, target)


def read_record(backup: Path) -> BackupRecord | None:
    """The backup's record if it has a valid one: well formed, naming this file, and of the
    file's size and SHA-256; else None."""
    record, matches = record_state(backup)
    return record if matches else None


def record_state(backup: Path) -> tuple[BackupRecord | None, bool]:
    """The backup's record (None if it has none, or one that is malformed or names another
    file) and whether the file is still the one it describes (size and SHA-256)."""
    path = record_path(backup)
    try:
        if path.stat().st_size > MAX_RECORD_SIZE:
            return None, False
        record = _decoder.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None, False
    if record.format != FORMAT or record.file != backup.name:
        return None, False
    try:
        size, sha256 = file_digest(backup)
    except OSError:
        return record, False
    return record, (size, sha256) == (record.size, record.sha256)


def add_verification(backup: Path, ok: bool, error: str | None = None) -> bool:
    """Add a verification to the backup's record, if it has a valid one; True if it was
    recorded. A record that cannot be written is left as it was."""
    record = read_record(backup)
    if record is None:
        return False
    record.verifications = [*record.verifications,
                            Verification(now_utc(), ok, __version__, error)][-20:]
    try:
        write_record(backup, record)
    except OSError:
        return False
    return True


def new_record(backup: Path, created_at: str, encrypted: bool,
               organizations: list[tuple[str, list]], fiscal_years: dict) -> BackupRecord:
    """The record of a backup just written: ``organizations`` as (name, its GroupInfo
    list), ``fiscal_years`` as {(organization name, company id): [(name, start, end,
    closed), …]}."""
    size, sha256 = file_digest(backup)

    def named(name: str) -> str | None:
        return None if encrypted else name

    return BackupRecord(
        FORMAT, 1, backup.name, size, sha256, created_at, encrypted,
        [OrganizationRecord(org, [
            GroupRecord(g.uid, named(g.name), [
                CompanyRecord(c.uid, named(c.name), [
                    FiscalYearRecord(str(n), str(start), str(end), bool(closed))
                    for n, start, end, closed in fiscal_years.get((org, c.id), [])])
                for c in g.companies])
            for g in groups])
         for org, groups in organizations])
