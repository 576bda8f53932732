"""The backups found in a destination (a folder or a bucket), each with its record when it
has a valid one."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import msgspec

from ..destinations import Destination, open_destination
from ..destinations.base import EXTENSION, StoredFile
from .record import SUFFIX, BackupRecord, record_at


@dataclass
class Listed:
    name: str  # its name in the destination
    size: int
    modified: str  # the file's own time, ISO 8601 UTC (what is known without a record)
    record: BackupRecord | None  # None unless valid and still describing the file
    changed: bool = False  # it has a record, but the file is no longer the one it describes
    location: str = ""  # its path or URL, as a user gives it back

    @property
    def created_at(self) -> str:
        return self.record.created_at if self.record else self.modified

    @property
    def organizations(self) -> list[str]:
        return [o.name for o in self.record.organizations] if self.record else []

    def as_dict(self) -> dict:
        r = self.record
        return {
            "file": self.location or self.name, "size": self.size,
            "created_at": self.created_at, "record": r is not None,
            "changed_since_written": self.changed,
            "organizations": self.organizations,
            "groups": [{"uid": g.uid, "name": g.name} for o in r.organizations
                       for g in o.groups] if r else [],
            "encrypted": r.encrypted if r else None,
            "verified": r.verified if r else False,
            "verification_failed": r.failed if r else False,
            "last_verified_at": r.last_verified_at if r else None,
            "last_drill": msgspec.to_builtins(r.last_drill) if r and r.last_drill else None,
            "last_drilled_at": r.last_drilled_at if r else None,
        }


def list_backups(dest: str | Destination, organization: str | None = None,
                 prefix: str = "") -> list[Listed]:
    """The backups of ``dest`` (a folder or a URL), oldest first; with ``organization``,
    only those whose record names it; with ``prefix``, only the files whose name begins so
    (the others' records are not even read)."""
    destination = open_destination(dest) if isinstance(dest, str) else dest
    stored = destination.files(prefix)
    names = {f.name for f in stored}

    def read(f: StoredFile) -> Listed:
        record, matches = record_at(destination, f.name, f.size) \
            if f.name + SUFFIX in names else (None, False)
        return Listed(f.name, f.size, f.modified, record if matches else None,
                      changed=record is not None and not matches,
                      location=destination.location(f.name))

    backups = [f for f in stored if f.name.endswith(EXTENSION)]
    if destination.parallel_reads > 1 and len(backups) > 1:
        # a record is a request of its own: one after the other, a remote destination of
        # thousands of backups would be listed at the pace of its round trips
        with ThreadPoolExecutor(destination.parallel_reads) as pool:
            every = list(pool.map(read, backups))
    else:
        every = [read(f) for f in backups]
    found = [b for b in every if organization is None or organization in b.organizations]
    found.sort(key=lambda b: (b.created_at, b.name))
    return found
