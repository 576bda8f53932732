"""The throwaway organization a drill restores into, and its removal whatever happens.

A drill's organization lives in a data folder of its own, made for it in the system's
temporary folder (``cheel-drill-…``, 0700): a SQLite file there, or a PostgreSQL database
named ``cheel_drill_<unix time>_<random>`` on the server given. Both go when the drill ends,
however it ends: a failure, Ctrl-C, or SIGTERM (turned into Ctrl-C while a drill runs in
the main thread), the removal itself shielded from a second signal. What a killed process
(SIGKILL, a crash) leaves is removed by the next drill: folders whose lock nobody holds,
databases older than :data:`PG_STALE_AGE` that nobody is connected to.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..store.catalog import Catalog
from ..store.pgserver import pg_drop_database, with_database
from ..store.unfinished import pg_sweep, pg_temporary_name

DIR_PREFIX = "cheel-drill-"
PG_PREFIX = "cheel_drill_"
PG_STALE_AGE = 12 * 3600.0  # seconds: longer than any drill runs
LOCK = ".drill.lock"
UNLOCKED_AGE = 3600.0  # a folder without its lock file yet: only a killed drill's, this old
NAME = "Drill"  # the throwaway organization's name in its own catalog


@dataclass
class Throwaway:
    """Where a drill restores: its own catalog, the organization's name, and the
    PostgreSQL URL a restore with ``--create`` makes it at (None: SQLite)."""

    catalog: Catalog
    name: str
    postgres: str | None
    folder: Path  # the throwaway's own folder (the catalog's is inside it)


@contextlib.contextmanager
def throwaway(postgres_server: str | None = None, scratch: Path | str | None = None
              ) -> Iterator[Throwaway]:
    """A throwaway organization's place (SQLite, or on the PostgreSQL server of
    ``postgres_server``), in a new folder of ``scratch`` (default: the system's temporary
    folder); removed when the block ends, however it ends."""
    parent = Path(scratch) if scratch else Path(tempfile.gettempdir())
    sweep_folders(parent)
    if postgres_server:
        pg_sweep(postgres_server, PG_STALE_AGE, PG_PREFIX)
    folder = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=parent))
    lock = -1
    database = None
    try:
        lock = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(lock, fcntl.LOCK_EX)
        url = None
        if postgres_server:
            database = pg_temporary_name(PG_PREFIX)
            url = with_database(postgres_server, database)
        yield Throwaway(Catalog(folder / "data"), NAME, url, folder)
    finally:
        with signals_held():
            try:
                if database is not None:
                    assert postgres_server
                    pg_drop_database(postgres_server, database)  # IF EXISTS, WITH (FORCE)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
                if lock >= 0:
                    os.close(lock)


def sweep_folders(parent: Path) -> list[Path]:
    """Remove the folders killed drills left in ``parent`` (ours, their lock free)."""
    removed: list[Path] = []
    try:
        found = [p for p in parent.glob(DIR_PREFIX + "*") if p.is_dir()]
    except OSError:
        return removed
    for folder in found:
        try:
            if folder.stat().st_uid != os.getuid():
                continue
            fd = os.open(folder / LOCK, os.O_RDWR)
        except FileNotFoundError:  # not yet locked by its drill, or left before it was
            with contextlib.suppress(OSError):
                if time.time() - folder.stat().st_mtime > UNLOCKED_AGE:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(folder)
            continue
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held by a running drill
        except OSError:
            os.close(fd)
            continue
        try:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(fd)
    return removed


_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done (then they act as they would)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def terminations_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler stopping the job) unwinds the work as Ctrl-C does, so that the
    throwaway is removed; only in the main thread, and only where SIGTERM would kill."""
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
