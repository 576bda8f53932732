"""The backups found in a destination folder, each with its record when it has a valid one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..backup.plan import EXTENSION
from ..errors import DestinationError, said
from .record import BackupRecord, record_state


@dataclass
class Listed:
    path: Path
    size: int
    modified: str  # the file's own time, ISO 8601 UTC (what is known without a record)
    record: BackupRecord | None  # None unless valid and still describing the file
    changed: bool = False  # it has a record, but the file is no longer the one it describes

    @property
    def created_at(self) -> str:
        return self.record.created_at if self.record else self.modified

    @property
    def organizations(self) -> list[str]:
        return [o.name for o in self.record.organizations] if self.record else []

    def as_dict(self) -> dict:
        r = self.record
        return {
            "file": str(self.path), "size": self.size, "created_at": self.created_at,
            "record": r is not None, "changed_since_written": self.changed,
            "organizations": self.organizations,
            "groups": [{"uid": g.uid, "name": g.name} for o in r.organizations
                       for g in o.groups] if r else [],
            "encrypted": r.encrypted if r else None,
            "verified": r.verified if r else False,
            "verification_failed": r.failed if r else False,
            "last_verified_at": r.last_verified_at if r else None,
        }


def list_backups(dest: Path | str, organization: str | None = None) -> list[Listed]:
    """The backups of ``dest`` (a folder), oldest first; with ``organization``, only those
    whose record names it."""
    folder = Path(dest).expanduser()
    if not folder.is_dir():
        raise DestinationError(said("the destination folder {path} does not exist",
                                    path=folder.absolute()))
    found = []
    for path in sorted(folder.iterdir()):
        if not path.name.endswith(EXTENSION) or path.name.startswith(".") or \
                not path.is_file():
            continue
        stat = path.stat()
        record, matches = record_state(path)
        listed = Listed(path, stat.st_size,
                        datetime.fromtimestamp(int(stat.st_mtime), timezone.utc).isoformat(),
                        record if matches else None, changed=record is not None and not matches)
        if organization is None or organization in listed.organizations:
            found.append(listed)
    found.sort(key=lambda b: (b.created_at, b.path.name))
    return found
