"""The catalog: the list of organizations kept in the data directory.

``catalog.json`` holds name, engine and location of each organization and nothing else:
never a password (PostgreSQL URLs are stored redacted; libpq's PGPASSWORD or .pgpass supply
the password at run time). Writes go to a temporary file renamed into place, under a lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

import platformdirs

from ..errors import AlreadyExists, NotFound, said
from .ddl import POSTGRES, SQLITE
from .names import check_name, find_by_name  # check_name: also imported from here
from .pgserver import redact_url

CATALOG_FILE = "catalog.json"


def default_data_dir() -> Path:
    env = os.environ.get("CHEEL_DATA_DIR")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("cheel", appauthor=False))


@dataclass
class OrgEntry:
    name: str
    engine: str  # sqlite | postgres
    location: str  # file name inside the data dir, or a PostgreSQL URL without password
    owned: bool = True  # cheel made the database (deleting the organization drops it)

    @property
    def shown_location(self) -> str:
        """The location fit for output: a PostgreSQL URL never shows a password (even one
        an older catalog kept)."""
        return redact_url(self.location) if self.engine == POSTGRES else self.location


def safe_name(name: str) -> str:
    """A file-name-safe, lower-case ASCII form of ``name``."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text or "org"


def _match(entries: list[OrgEntry], name: str) -> OrgEntry | None:
    return find_by_name(entries, name, lambda entry: entry.name)


@contextlib.contextmanager
def private_file(path: Path) -> Iterator[BinaryIO]:
    """``path`` opened for writing (created if missing, emptied), readable by its owner only
    whatever the umask or the mode an older file had."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as f:
        yield f


class Catalog:
    def __init__(self, data_dir: Path | str | None = None):
        self.data_dir = Path(data_dir) if data_dir else default_data_dir()

    @property
    def path(self) -> Path:
        return self.data_dir / CATALOG_FILE

    def _read(self) -> list[OrgEntry]:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            raise NotFound(said("the catalog {path} cannot be read: {error}",
                                path=self.path, error=e)) from e
        return [OrgEntry(**o) for o in raw.get("organizations", [])]

    def ensure_data_dir(self) -> None:
        """Create the data directory if missing, readable by its owner only."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def _write(self, entries: list[OrgEntry]) -> None:
        self.ensure_data_dir()
        tmp = self.path.with_suffix(".json.tmp")
        data = {"organizations": [asdict(e) for e in entries]}
        with private_file(tmp) as f:
            f.write(json.dumps(data, indent=2, ensure_ascii=False).encode())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    @contextlib.contextmanager
    def locked(self) -> Iterator[list[OrgEntry]]:
        """Read-modify-write the catalog under an exclusive lock."""
        self.ensure_data_dir()
        with private_file(self.data_dir / ".catalog.lock") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries = self._read()
            yield entries
            self._write(entries)

    def list(self) -> list[OrgEntry]:
        return self._read()

    def find(self, name: str) -> OrgEntry:
        entries = self._read()
        entry = _match(entries, name)
        if entry is None:
            known = ", ".join(e.name for e in entries)
            raise NotFound(said('there is no organization named "{name}"', name=name),
                           hint=said("known organizations: {known}", known=known) if known
                           else said("there are no organizations yet"))
        return entry

    def exists(self, name: str) -> bool:
        return _match(self._read(), name) is not None

    def add(self, entry: OrgEntry) -> None:
        entry.name = check_name(entry.name)
        if entry.engine == POSTGRES:
            entry.location = redact_url(entry.location)
        with self.locked() as entries:
            if _match(entries, entry.name) is not None:
                raise AlreadyExists(said('an organization named "{name}" already exists',
                                         name=entry.name))
            entries.append(entry)

    def remove(self, name: str) -> None:
        with self.locked() as entries:
            entry = _match(entries, name)
            entries[:] = [e for e in entries if e is not entry]

    def rename(self, name: str, new_name: str) -> OrgEntry:
        """Give the entry ``name`` the name ``new_name`` (checked, and free: the same name
        in another spelling is the entry's own)."""
        new_name = check_name(new_name)
        with self.locked() as entries:
            entry = _match(entries, name)
            if entry is None:
                raise NotFound(said('there is no organization named "{name}"', name=name))
            other = _match([e for e in entries if e is not entry], new_name)
            if other is not None:
                raise AlreadyExists(said('an organization named "{name}" already exists',
                                         name=new_name),
                                    hint=said("choose another name"))
            entry.name = new_name
            return entry

    def sqlite_path(self, entry: OrgEntry) -> Path:
        assert entry.engine == SQLITE
        p = Path(entry.location)
        return p if p.is_absolute() else self.data_dir / p

    def new_sqlite_location(self, name: str) -> str:
        base = safe_name(name)
        candidate, n = f"{base}.sqlite", 1
        while (self.data_dir / candidate).exists():
            n += 1
            candidate = f"{base}-{n}.sqlite"
        return candidate
