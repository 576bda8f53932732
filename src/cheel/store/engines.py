"""The two database engines behind an organization: embedded SQLite and PostgreSQL.

A :class:`Database` hides the differences that matter to the rest of cheel: placeholders,
DDL types, snapshots, bulk reads in canonical form and bulk writes. Canonical values are the
ones the backup format carries: ``int``, ``str`` (text, decimal, date, timestamp), ``bytes``
(binary) and ``None``; bools are 0/1 ints.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import math
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..errors import DatabaseUnreachable, IntegrityError, NotFound
from . import schema as S

from .ddl import POSTGRES, SQLITE, ddl, index_ddl, key_ddl
from .pgserver import first_line, redact_url
_CURSORS = itertools.count(1)


class Database:
    engine: str

    # -- statements ----------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        raise NotImplementedError

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self.execute(sql, params).fetchall())

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.execute(sql, params).fetchone()
        return row[0] if row else None

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5000) -> Iterator[list]:
        """Yield batches of rows without holding the whole result."""
        raise NotImplementedError

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        raise NotImplementedError

    def insert_shifted(self, table: str, columns: Sequence[str], rows: list[list],
                       shifts: Sequence[tuple[int, int]]) -> None:
        """Insert ``rows`` adding ``delta`` to column ``i`` for each ``(i, delta)`` (NULL stays)."""
        if any(d for _, d in shifts) and rows and not isinstance(rows[0], list):
            rows = [list(r) for r in rows]
        for i, d in shifts:
            if d:
                for r in rows:
                    v = r[i]
                    if v is not None:
                        r[i] = v + d
        self.insert_rows(table, columns, rows)

    def insert(self, table: str, values: dict[str, Any]) -> int:
        """Insert one row and return its new id."""
        cols = list(values)
        marks = ", ".join("?" for _ in cols)
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}) RETURNING id"
        return self.scalar(sql, list(values.values()))

    def select_expr(self, col: S.Column, alias: str) -> str:
        """SQL expression that reads ``col`` in canonical form."""
        return f"{alias}.{col.name}"

    def json_row_expr(self, cols: Sequence[S.Column], alias: str) -> str | None:
        """SQL making one JSON array text per row, or None if Python encodes faster here."""
        return None

    def concat_rows_expr(self, expr: str) -> str:
        """Aggregate joining the texts of ``expr`` with newlines (as bytes where cheap)."""
        raise NotImplementedError

    def as_bytes(self, expr: str) -> str:
        """``expr`` (text) read as UTF-8 bytes where the engine can skip decoding it."""
        raise NotImplementedError

    def analyze(self, table: str | None = None, columns: Sequence[str] = ()) -> None:
        """Refresh the planner's statistics of these columns, of a table, or of every table
        (where the planner needs them)."""

    def start_loading(self, tables: Sequence[str]) -> None:
        """In the open transaction of a new, unlisted database: these tables are about to
        be filled by :meth:`insert_rows` within this same transaction."""

    def max_id(self, table: str) -> int:
        return self.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}") or 0

    def after_explicit_ids(self, tables: Sequence[str]) -> None:
        """Let generated ids continue after rows inserted with explicit ids."""

    @contextlib.contextmanager
    def bulk_load(self, fresh: bool = False) -> Iterator[None]:
        """Settings for loading many rows in the next transaction; the caller checks keys.
        ``fresh``: the database is new and unlisted, and is thrown away if the load fails."""
        yield

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        raise NotImplementedError
        yield

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One consistent read-only view of the database for the block's duration."""
        raise NotImplementedError
        yield

    @contextlib.contextmanager
    def shared_snapshot(self, helpers: int) -> Iterator[list["Database"]]:
        """A snapshot on this connection and on ``helpers`` new connections, all seeing
        exactly the same data, so that several threads can read one consistent state."""
        raise NotImplementedError
        yield []

    def close(self) -> None:
        raise NotImplementedError

    # -- schema --------------------------------------------------------------------------
    def create_schema(self, bulk: bool = False) -> None:
        """The tables. ``bulk=True`` is for loading a new database: it leaves out what a
        bulk load would maintain row by row (foreign-key indexes; on PostgreSQL the
        foreign-key constraints too), which :meth:`complete_schema` adds afterwards."""
        with self.transaction():
            for stmt in ddl(self.engine, bulk):
                self.execute(stmt)
            self.execute("INSERT INTO meta (key, value) VALUES (?, ?)",
                         ("schema_version", str(S.SCHEMA_VERSION)))

    def complete_schema(self) -> None:
        """Add what ``create_schema(bulk=True)`` left out (idempotent)."""
        for stmt in index_ddl():
            self.execute(stmt)

    def schema_version(self) -> int:
        try:
            return int(self.scalar("SELECT value FROM meta WHERE key = 'schema_version'"))
        except Exception as e:  # an empty or foreign database
            raise NotFound("this database holds no cheel organization") from e


class SQLiteDatabase(Database):
    engine = SQLITE

    def __init__(self, path: Path | str, create: bool = False):
        self.path = Path(path)
        if not create and not self.path.exists():
            raise NotFound(f"the database file {self.path} does not exist")
        self.conn = sqlite3.connect(str(self.path), isolation_level=None,
                                    check_same_thread=False, timeout=60)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.conn.execute("PRAGMA foreign_keys = ON")
        self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params)

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5000) -> Iterator[list]:
        cur = self.conn.execute(sql, params)
        while True:
            rows = cur.fetchmany(size)
            if not rows:
                return
            yield rows

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        marks = ", ".join("?" for _ in columns)
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                              _nulls_as_nan(table, columns, rows))

    def insert_shifted(self, table: str, columns: Sequence[str], rows: list[list],
                       shifts: Sequence[tuple[int, int]]) -> None:
        # SQLite adds the shift in C: no per-value Python work on the hot path.
        shift = dict(shifts)
        marks = ", ".join(f"? + {shift[i]}" if shift.get(i) else "?" for i in range(len(columns)))
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                              _nulls_as_nan(table, columns, rows))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.conn.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

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

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        # In WAL mode a read transaction sees one snapshot, taken at its first read,
        # while writers go on.
        self.conn.execute("BEGIN DEFERRED")
        try:
            self.conn.execute("SELECT count(*) FROM meta").fetchone()
            yield
        finally:
            self.conn.execute("ROLLBACK")

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

    def json_row_expr(self, cols: Sequence[S.Column], alias: str) -> str | None:
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


class PostgresDatabase(Database):
    engine = POSTGRES

    def __init__(self, url: str):
        import psycopg

        self.url = url
        try:
            # ISO dates and plain numbers whatever the server or database defaults say: the
            # text forms of dates and timestamps are what a backup stores. No JIT: compiling
            # a query costs 0.1-0.4 s, more than it saves on cheel's scans and checks.
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10,
                                        options="-c DateStyle=ISO,YMD -c IntervalStyle=postgres "
                                                "-c TimeZone=UTC -c extra_float_digits=3 "
                                                "-c jit=off")
        except psycopg.OperationalError as e:
            raise DatabaseUnreachable(
                f"cannot connect to PostgreSQL at {redact_url(url)}: {first_line(e)}",
                hint="check that the server runs and that the URL, PGPASSWORD or .pgpass are right",
            ) from e
        self._depth = 0
        self._frozen: set[str] = set()  # see start_loading

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(self._sql(sql), params or None)

    def stream(self, sql: str, params: Sequence[Any] = (), size: int = 5000) -> Iterator[list]:
        from psycopg.pq import TransactionStatus

        # A named (server-side) cursor needs a transaction; snapshots provide one.
        if self.conn.info.transaction_status == TransactionStatus.IDLE:
            with self.conn.transaction():
                yield from self.stream(sql, params, size)
            return
        with self.conn.cursor(name=f"cheel_stream_{next(_CURSORS)}") as cur:
            cur.itersize = size
            cur.execute(self._sql(sql), params or None)
            while True:
                rows = cur.fetchmany(size)
                if not rows:
                    return
                yield rows

    def start_loading(self, tables: Sequence[str]) -> None:
        # A table emptied in this transaction may take COPY's rows frozen: a third less
        # server time for the load (no visibility bookkeeping per row), and nothing else
        # can see the database before it commits. Only a bulk-created database qualifies
        # (no foreign keys yet, which TRUNCATE would refuse), and only its empty tables.
        if self.scalar("SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f')"):
            return
        empty = [t for t in tables if not self.scalar(f"SELECT EXISTS (SELECT 1 FROM {t})")]
        if empty:
            self.execute(f"TRUNCATE {', '.join(empty)}")
        self._frozen = set(empty)

    def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence]) -> None:
        # psycopg's row formatter (C) over every row, driven by map() in C, into one buffer
        # per batch: Copy.write_row would add two Python calls per row, most of the cost.
        from psycopg._copy_base import format_row_text

        freeze = " WITH (FREEZE)" if table in self._frozen else ""
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{freeze}") as copy:
                tx = copy.formatter.transformer
                # Slices of ~0.1 MB: the server parses one while the next is formatted.
                for i in range(0, len(rows), 1000):
                    buf = bytearray()
                    collections.deque(map(format_row_text, rows[i:i + 1000],
                                          itertools.repeat(tx), itertools.repeat(buf)),
                                      maxlen=0)
                    copy.write(buf)

    def complete_schema(self) -> None:
        import psycopg

        # More sort memory for building the keys, for this transaction only.
        self.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for name, stmt in key_ddl():  # primary and unique keys first: foreign keys need them
            if self.scalar("SELECT 1 FROM pg_constraint WHERE conname = ?", (name,)):
                continue
            try:
                self.execute(stmt)
            except psycopg.errors.UniqueViolation as e:
                raise IntegrityError(f"restored rows repeat a unique value "
                                     f"({first_line(e)}); nothing was restored") from None
        super().complete_schema()
        # One validating pass per key, as pg_restore does, instead of a check per row.
        for t in S.TABLES:
            for c in t.foreign_keys:
                name = f"fk_{t.name}_{c.name}"
                if self.scalar("SELECT 1 FROM pg_constraint WHERE conname = ?", (name,)):
                    continue
                try:
                    self.execute(f"ALTER TABLE {t.name} ADD CONSTRAINT {name} FOREIGN KEY "
                                 f"({c.name}) REFERENCES {c.ref} (id) "
                                 "DEFERRABLE INITIALLY DEFERRED")
                except psycopg.errors.ForeignKeyViolation as e:
                    raise IntegrityError(f"restored rows point to missing rows "
                                         f"({first_line(e)}); nothing was restored") from None

    # Text, not bytea: bytea travels hex-encoded (twice the size, then decoded); the UTF-8
    # text is turned into bytes in one C call by the reader.
    def concat_rows_expr(self, expr: str) -> str:
        return f"string_agg({expr}, E'\\n')"

    def as_bytes(self, expr: str) -> str:
        return expr

    def json_row_expr(self, cols: Sequence[S.Column], alias: str) -> str:
        """One JSON array text per row, built by the server (the backup's row encoding).

        Concatenated text rather than ``json_build_array``: about 10 % less server time,
        and no space after each comma (15 % less to compress), as SQLite writes it."""
        parts = []
        for c in cols:
            if c.type == "binary":
                v = f"to_json(translate(encode({alias}.{c.name}, 'base64'), E'\\n', ''))::text"
            elif c.type in ("id", "int", "bool"):
                v = f"({self.select_expr(c, alias)})::text"
            else:  # text, and decimals, dates and timestamps as their canonical text
                v = f"to_json({self.select_expr(c, alias)})::text"
            parts.append(f"coalesce({v}, 'null')")  # a NULL would void the whole row
        return "'[' || " + " || ',' || ".join(parts) + " || ']'"

    def select_expr(self, col: S.Column, alias: str) -> str:
        if col.type in ("date", "timestamp", "decimal"):
            return f"{alias}.{col.name}::text"
        if col.type == "bool":
            return f"{alias}.{col.name}::int"
        return f"{alias}.{col.name}"

    def analyze(self, table: str | None = None, columns: Sequence[str] = ()) -> None:
        cols = f" ({', '.join(columns)})" if columns else ""
        self.execute(f"ANALYZE {table or ''}{cols}")

    def after_explicit_ids(self, tables: Sequence[str]) -> None:
        for t in tables:
            self.execute(
                f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), "
                f"GREATEST((SELECT COALESCE(MAX(id), 0) FROM {t}), 1))")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self.conn.transaction():
                yield
        finally:
            self._depth = 0
            self._frozen = set()  # only the transaction that emptied them may freeze rows

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield
        finally:
            self.conn.execute("ROLLBACK")

    @contextlib.contextmanager
    def shared_snapshot(self, helpers: int) -> Iterator[list[Database]]:
        # As pg_dump --jobs does: the helpers import this transaction's exported snapshot.
        # They read text as its UTF-8 bytes: the rows' JSON goes to the file as bytes, so
        # decoding it into str (and encoding it back) would only cost time and memory.
        from psycopg.adapt import Loader

        class Utf8Bytes(Loader):
            def load(self, data: Any) -> bytes:
                return bytes(data)

        clones: list[PostgresDatabase] = []
        try:
            with self.snapshot():
                sid = self.scalar("SELECT pg_export_snapshot()")
                for _ in range(helpers):
                    db = PostgresDatabase(self.url)
                    db.conn.adapters.register_loader("text", Utf8Bytes)
                    clones.append(db)
                    db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    db.execute(f"SET TRANSACTION SNAPSHOT '{sid}'")
                yield clones
        finally:
            for db in clones:
                with contextlib.suppress(Exception):
                    db.conn.rollback()
                db.close()

    def close(self) -> None:
        self.conn.close()

    def size(self) -> int:
        return int(self.scalar("SELECT pg_database_size(current_database())"))


_NAN_FOR_NONE = {None: math.nan}.get


def _nulls_as_nan(table: str, columns: Sequence[str], rows: Sequence[Sequence]
                  ) -> Iterable[Sequence]:
    """``rows`` with NaN for None in the nullable columns, which SQLite stores as NULL.

    Python's sqlite3 binds an int, a float or a str in C but looks every None up in its
    adapter registry first: 0.45 µs per value, most of a row's cost when half its columns
    are NULL (entry lines). The swap runs in C too (``map`` over ``dict.get``), one column
    at a time."""
    t = S.BY_NAME.get(table)
    nullable = [i for i, name in enumerate(columns) if t is None or t.column(name).nullable]
    if not nullable or not rows:
        return rows
    cols: list[Iterable] = list(zip(*rows))
    for i in nullable:
        cols[i] = map(_NAN_FOR_NONE, cols[i], cols[i])
    return zip(*cols)


def remove_sqlite_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(str(path) + suffix)
