"""The embedded engine: one SQLite file per organization."""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import CheelError, DiskError, DiskFull, NotFound, said
from . import schema
from .ddl import foreign_key_indexes, index_name
from .engines import SQLITE, Check, Database


class SQLiteDatabase(Database):
    engine = SQLITE
    drops_indexes_cheaply = True

    def __init__(self, path: Path | str, create: bool = False):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise NotFound(said("the database file {path} does not exist", path=self.path))
        if create:  # readable by its owner only; SQLite gives its -wal and -shm files this mode
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self.conn = sqlite3.connect(str(self.path), isolation_level=None,
                                    check_same_thread=False, timeout=60)
        try:
            self.conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.DatabaseError as e:  # not a database at all: overwritten, damaged
            self.conn.close()
            raise disk_failure(e) or NotFound(
                said("the database file {path} is not a database any more: {why}",
                     path=self.path, why=str(e)[:200]),
                hint=said("restore the organization from its newest verified backup")) from e
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return self.conn.execute(sql, params)
        except sqlite3.Error as e:
            raise disk_failure(e) or e

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5000) -> Iterator[list]:
        cur = self.conn.execute(sql, params)
        while True:
            rows = cur.fetchmany(size)
            if not rows:
                return
            yield rows

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        self.insert_shifted(table, columns, rows, ())  # type: ignore[arg-type]

    def insert_shifted(self, table: str, columns: Sequence[str], rows: list[list],
                       shifts: Sequence[tuple[int, int]]) -> None:
        # SQLite adds the shift in C: no per-value Python work on the hot path. Rows go
        # ROWS_PER_INSERT at a time in one multi-row INSERT: Python's sqlite3 pays about a
        # microsecond per statement run (reset, step, bookkeeping) on top of binding the
        # values, so a statement per row cost more than the insert itself (1,000,000 entry
        # lines: 1.8 s of CPU one row a statement, 1.0 s 256 rows a statement).
        if not rows:
            return
        shift = dict(shifts)
        width = len(columns)
        one = "(" + ", ".join(f"? + {shift[i]}" if shift.get(i) else "?"
                              for i in range(width)) + ")"
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        per = max(1, min(ROWS_PER_INSERT, MAX_VARIABLES // width))
        values = _flat_values(table, columns, rows)
        whole = len(rows) // per * per * width  # values of the full statements
        try:
            if whole:
                self.conn.executemany(head + ", ".join([one] * per),
                                      _slices(values, 0, whole, per * width))
            if whole < len(values):
                self.conn.executemany(head + one, _slices(values, whole, len(values), width))
        except sqlite3.Error as e:
            raise disk_failure(e) or e

    @contextlib.contextmanager
    def _outermost_transaction(self) -> Iterator[None]:
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.execute("COMMIT")
        except BaseException:
            self._roll_back()
            raise

    def _roll_back(self) -> None:
        """End the open transaction without keeping anything. SQLite has already rolled it
        back after a full disk or an I/O error; a failing ROLLBACK never hides the error
        that led here (SQLite recovers the file's last committed state when next opened)."""
        if self.conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.conn.execute("ROLLBACK")

    @contextlib.contextmanager
    def bulk_load(self, fresh: bool = False) -> Iterator[None]:
        # Foreign keys are checked by the loader itself, for the loaded rows only, before it
        # commits; SQLite's own per-row check would only repeat that work. The page cache
        # (4 MiB, which also bounds CREATE INDEX's in-memory sort) was as fast as 16 MiB here
        # and keeps memory flat as the data grows. (Sorting on two threads, PRAGMA threads,
        # made CREATE INDEX no faster and memory grow.)
        self.conn.execute("PRAGMA foreign_keys = OFF")
        self.conn.execute("PRAGMA cache_size = -4096")
        if fresh:
            # A new file nobody lists yet, deleted if the load fails: no journal needed
            # (pages are written once, not to the WAL and then again); made durable below.
            self.conn.execute("PRAGMA journal_mode = OFF")
            self.conn.execute("PRAGMA synchronous = OFF")
        ok = False
        try:
            yield
            ok = True
        finally:
            self.conn.execute("PRAGMA cache_size = -2000")
            self.conn.execute("PRAGMA foreign_keys = ON")
            if fresh and ok:
                self.conn.execute("PRAGMA synchronous = FULL")
                self.conn.execute("PRAGMA journal_mode = WAL")
                fd = os.open(self.path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)

    def complete_schema(self, checks: Sequence[Check] = (), connections: int = 1) -> None:
        if connections < 2 or self.conn.in_transaction:
            super().complete_schema(checks)
            return
        # The loaded rows are committed in a new, unlisted file: the indexes are built on
        # this connection while a second one runs the checks, as pg_restore --jobs 2 does
        # (both statements run in C without the GIL). WAL lets the reader go on while the
        # writer writes; only the index pages pass through the WAL. 1,000,000 lines:
        # 2.0 s -> 1.1 s for this phase with the second core free (indexes 1.0 s, checks
        # 1.0 s). The indexes a check walks (``analyze``: its columns) are built first,
        # each committed at once, and that check runs once they are.
        self.conn.execute("PRAGMA journal_mode = WAL")
        walked = {index_name(c.analyze[0], col) for c in checks if c.analyze
                  for col in c.analyze[1]}
        builds = sorted(foreign_key_indexes(), key=lambda b: b[0] not in walked)
        helper = SQLiteDatabase(self.path)
        helper.conn.execute("PRAGMA query_only = ON")
        helper.conn.execute("PRAGMA cache_size = -4096")
        built = threading.Event()  # the walked indexes exist (or the builds stopped)
        failed: list[BaseException] = []

        def check_beside() -> None:
            try:
                for check in sorted(checks, key=lambda c: c.analyze is not None):
                    if check.analyze:
                        built.wait()
                        if failed:
                            return
                    check.run(helper)
            except BaseException as e:  # noqa: B036 - raised below, in the caller's thread
                failed.append(e)
                self.conn.interrupt()  # the indexes are not worth finishing

        thread = threading.Thread(target=check_beside, name="cheel-checks", daemon=True)
        thread.start()
        try:
            for name, _, stmt in builds:
                self.execute(stmt)
                walked.discard(name)
                if not walked:
                    built.set()
        except BaseException as e:
            stopped = not failed  # this side failed first: the checks are stopped
            if stopped:
                failed.append(e)
                helper.conn.interrupt()
            built.set()
            thread.join()
            helper.close()
            if not stopped:
                raise failed[0] from None  # a check failed and interrupted the indexes
            raise
        built.set()
        thread.join()
        helper.close()
        if failed:
            raise failed[0]
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # all in the file, then fsynced

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        # In WAL mode a read transaction sees one snapshot, taken at its first read,
        # while writers go on.
        self.conn.execute("BEGIN DEFERRED")
        try:
            self.conn.execute("SELECT count(*) FROM meta").fetchone()
            yield
        finally:
            self._roll_back()

    @contextlib.contextmanager
    def shared_snapshot(self, helpers: int) -> Iterator[list[Database]]:
        # No writer can commit while one connection holds the write lock: every reader that
        # starts its read transaction meanwhile sees the same state. Writers wait (busy
        # timeout) only for the few milliseconds this takes.
        lock = sqlite3.connect(str(self.path), isolation_level=None, timeout=60)
        clones = [SQLiteDatabase(self.path) for _ in range(helpers)]
        try:
            with contextlib.ExitStack() as stack:
                lock.execute("BEGIN IMMEDIATE")
                try:
                    for db in [self, *clones]:
                        stack.enter_context(db.snapshot())
                finally:
                    lock.execute("ROLLBACK")
                yield clones
        finally:
            lock.close()
            for db in clones:
                db.close()

    def concat_rows_expr(self, expr: str) -> str:
        return f"CAST(group_concat({expr}, char(10)) AS BLOB)"

    def as_bytes(self, expr: str) -> str:
        return f"CAST({expr} AS BLOB)"

    def json_row_expr(self, cols: Sequence[schema.Column], alias: str) -> str | None:
        if any(c.type == "binary" for c in cols):
            return None  # SQLite has no base64: Python encodes these (few) rows
        return f"json_array({', '.join(f'{alias}.{c.name}' for c in cols)})"

    def close(self) -> None:
        self.conn.close()

    def size(self) -> int:
        total = 0
        for suffix in ("", "-wal"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                total += p.stat().st_size
        return total


def disk_failure(e: sqlite3.Error) -> CheelError | None:
    """SQLite's "database or disk is full" or disk I/O error as the error a user meets
    (the statement, and any transaction it was in, rolled back); None for other errors."""
    code = getattr(e, "sqlite_errorcode", None)
    if code is None:
        return None
    plain: CheelError
    if code & 0xFF == sqlite3.SQLITE_FULL:
        plain = DiskFull(said("the disk holding the organization is full; nothing was changed"),
                         hint=said("free some space and try again"))
    elif code & 0xFF == sqlite3.SQLITE_IOERR:
        plain = DiskError(said("the organization's database file could not be read or written "
                               "({error}: {code}); nothing was changed",
                               error=e, code=getattr(e, "sqlite_errorname", code)),
                          hint=said("check the disk holding it: free space, file-size limits "
                                    "(ulimit -f) and hardware errors"))
    else:
        return None
    plain.__cause__ = e
    return plain


# Rows of one multi-row INSERT (see insert_shifted), within SQLite's limit of 32,766 bound
# values a statement: 128 and 512 rows measured the same as 256.
ROWS_PER_INSERT = 256
MAX_VARIABLES = 32_766

_NAN_FOR_NONE = {None: math.nan}.get


def _flat_values(table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> list:
    """The values of ``rows``, row after row, in one list, with NaN for None in the
    nullable columns, which SQLite stores as NULL.

    Python's sqlite3 binds an int, a float or a str in C but looks every None up in its
    adapter registry first: 0.45 µs per value, most of a row's cost when half its columns
    are NULL (entry lines). The swap runs in C too (``map`` over ``dict.get``), one column
    at a time over a strided slice of the list (transposing the rows with ``zip`` and back
    cost 0.8 s of CPU for 1,000,000 entry lines, this 0.23 s)."""
    t = schema.BY_NAME.get(table)
    width = len(columns)
    values = list(itertools.chain.from_iterable(rows))
    if len(values) != width * len(rows):
        raise ValueError(f"rows of {table} of another length than its {width} columns")
    for i, name in enumerate(columns):
        if t is None or t.column(name).nullable:
            column = values[i::width]
            values[i::width] = map(_NAN_FOR_NONE, column, column)
    return values


def _slices(values: list, start: int, stop: int, size: int) -> Iterator[list]:
    """``values[start:stop]`` in consecutive slices of ``size``, cut in C."""
    return map(values.__getitem__, map(slice, range(start, stop, size),
                                       range(start + size, stop + size, size)))


def remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(str(path) + suffix)
