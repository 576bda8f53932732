"""New organizations that a restore is still filling, and what a killed restore leaves.

A restore with ``--create`` fills a database nobody lists yet: on PostgreSQL one named
``cheel_restoring_<unix time>_<random>``, renamed when complete; on SQLite the file it will
keep, beside a marker file locked for as long as the restore runs. If the process is killed,
neither is listed, yet both hold accounting data. The next ``restore --create`` removes them:
on SQLite only files whose marker nobody holds and that the catalog does not list; on
PostgreSQL only temporary databases older than an hour that nobody is connected to (a running
restore always is, but for the instant between its load and the rename).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import time
from pathlib import Path

from .catalog import Catalog, OrgEntry
from .engines import SQLITE
from .pgserver import with_database

PG_PREFIX = "cheel_restoring_"
PG_MIN_AGE = 3600.0  # seconds
MARKER = ".restoring"


def pg_temporary_name(prefix: str = PG_PREFIX) -> str:
    return f"{prefix}{int(time.time())}_{secrets.token_hex(5)}"


def pg_sweep(url: str, min_age: float = PG_MIN_AGE, prefix: str = PG_PREFIX) -> list[str]:
    """Drop the temporary databases of killed restores on this server (or what else was
    named by :func:`pg_temporary_name` with ``prefix``); returns their names."""
    import psycopg
    from psycopg import sql

    dropped: list[str] = []
    now = time.time()
    with contextlib.suppress(psycopg.Error):  # another user's server: not ours to fail on
        with psycopg.connect(with_database(url, "postgres"), autocommit=True,
                             connect_timeout=10) as conn:
            names = [r[0] for r in conn.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s",
                (prefix.replace("_", r"\_") + "%",))]
            for name in names:
                stamp = name[len(prefix):].split("_")[0]
                if not stamp.isdigit() or now - int(stamp) < min_age:
                    continue
                try:  # without FORCE: refused while anyone is connected
                    conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
                except psycopg.Error:
                    continue
                dropped.append(name)
    return dropped


def marker_of(path: Path) -> Path:
    """The file that marks the SQLite organization at ``path`` as unfinished."""
    return path.with_name(f".{path.name}{MARKER}")


class Claim:
    """Marks a new, unlisted SQLite organization as being filled, until :meth:`release`.
    List it before releasing: the mark goes only after."""

    def __init__(self, catalog: Catalog, entry: OrgEntry):
        self._marker = marker_of(catalog.sqlite_path(entry))
        # Locked before it gets its name, so that no sweep ever finds it unlocked.
        self._part = self._marker.with_name(f"{self._marker.name}.{secrets.token_hex(4)}")
        self._fd = os.open(self._part, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            os.rename(self._part, self._marker)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        if self._fd < 0:
            return
        for p in (self._part, self._marker):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
        os.close(self._fd)
        self._fd = -1


def sqlite_sweep(catalog: Catalog) -> list[Path]:
    """Remove the files of killed SQLite restores; returns the removed databases' paths."""
    from .sqlite import remove_sqlite_files

    removed: list[Path] = []
    if not catalog.data_dir.is_dir():
        return removed
    for marker in catalog.data_dir.glob(f".*{MARKER}"):
        path = marker.with_name(marker.name[1:-len(MARKER)])
        try:
            fd = os.open(marker, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held by a running restore
            if os.stat(marker).st_ino != os.fstat(fd).st_ino:
                continue  # its restore finished (and unmarked it) while we looked
            listed = {catalog.sqlite_path(e).resolve() for e in catalog.list()
                      if e.engine == SQLITE}  # read now: it lists before it unmarks
            if path.resolve() not in listed:
                remove_sqlite_files(path)
                removed.append(path)
            marker.unlink()
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed
