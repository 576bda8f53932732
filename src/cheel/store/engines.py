"""What an organization's database offers the rest of cheel, whichever engine holds it.

The two engines are :class:`~cheel.store.sqlite.SQLiteDatabase` (embedded, the default) and
:class:`~cheel.store.postgres.PostgresDatabase`. A :class:`Database` hides the differences
that matter to the rest of cheel: placeholders, DDL types, snapshots, bulk reads in canonical
form and bulk writes. Canonical values are the
ones the backup format carries: ``int``, ``str`` (text, decimal, date, timestamp), ``bytes``
(binary) and ``None``; bools are 0/1 ints.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import NotFound, said
from . import schema
from .ddl import POSTGRES, SQLITE, ddl, foreign_key_indexes, index_ddl

__all__ = ["Check", "Database", "RowWriter", "POSTGRES", "SQLITE", "shift_rows"]


@dataclass(frozen=True)
class Check:
    """A read-only look at loaded rows that raises if they are wrong: ``run(db)`` reads
    ``tables`` once their keys and indexes are built, after refreshing the planner's
    statistics of ``analyze`` (a table and some of its columns) where the engine keeps any."""

    name: str
    run: Callable[["Database"], None]
    tables: tuple[str, ...]
    analyze: tuple[str, tuple[str, ...]] | None = None


def shift_rows(rows: Sequence[Sequence], shifts: Sequence[tuple[int, int]]) -> Sequence[Sequence]:
    """``rows`` with ``delta`` added to column ``i`` for each ``(i, delta)`` (NULL stays);
    lists are edited in place, tuples copied."""
    if any(d for _, d in shifts) and rows and not isinstance(rows[0], list):
        rows = [list(r) for r in rows]
    for i, d in shifts:
        if d:
            for r in rows:
                v = r[i]
                if v is not None:
                    r[i] = v + d
    return rows


class RowWriter:
    """Bulk inserts of one load (see :meth:`Database.row_writer`); this one inserts each
    batch at once."""

    def __init__(self, db: "Database"):
        self.db = db

    def write(self, table: str, columns: Sequence[str], rows: Sequence[Sequence],
              shifts: Sequence[tuple[int, int]] = ()) -> None:
        """Insert ``rows``, shifted as :meth:`Database.insert_shifted` does."""
        self.db.insert_shifted(table, columns, rows, shifts)  # type: ignore[arg-type]

    def flush(self) -> None:
        """Finish what was written, so that other statements may run."""


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
        self.insert_rows(table, columns, shift_rows(rows, shifts))

    @contextlib.contextmanager
    def row_writer(self) -> Iterator["RowWriter"]:
        """A writer for the many batches of one load. Until the block ends or
        :meth:`RowWriter.flush` is called, run no other statement on this connection:
        consecutive batches of one table may still be travelling as one stream."""
        yield RowWriter(self)

    def insert(self, table: str, values: dict[str, Any]) -> int:
        """Insert one row and return its new id."""
        cols = list(values)
        marks = ", ".join("?" for _ in cols)
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks}) RETURNING id"
        return self.scalar(sql, list(values.values()))

    def select_expr(self, col: schema.Column, alias: str) -> str:
        """SQL expression that reads ``col`` in canonical form."""
        return f"{alias}.{col.name}"

    def json_row_expr(self, cols: Sequence[schema.Column], alias: str) -> str | None:
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

    # Whether dropping an index inside a transaction and building it again before commit
    # holds nobody up (SQLite's readers keep their snapshot; PostgreSQL's would wait).
    drops_indexes_cheaply = False

    def drop_indexes(self, tables: Sequence[str]) -> None:
        """In the open transaction: drop the foreign-key indexes of ``tables``."""
        for name, table, _ in foreign_key_indexes():
            if table in tables:
                self.execute(f"DROP INDEX IF EXISTS {name}")

    def create_indexes(self, tables: Sequence[str]) -> None:
        """Build again what :meth:`drop_indexes` dropped."""
        for _, table, stmt in foreign_key_indexes():
            if table in tables:
                self.execute(stmt)

    def max_id(self, table: str) -> int:
        return self.scalar(f"SELECT COALESCE(MAX(id), 0) FROM {table}") or 0

    def reserve_ids(self, table: str, last: int) -> None:
        """Ids up to ``last`` are taken by rows this transaction inserts with explicit ids:
        no other writer may be given one."""

    def lock_groups(self) -> None:
        """In a write transaction: no other writer adds or changes groups and companies
        until it ends (SQLite's write transaction already excludes every other writer)."""

    def after_explicit_ids(self, tables: Sequence[str]) -> None:
        """Let generated ids continue after rows inserted with explicit ids."""

    @contextlib.contextmanager
    def bulk_load(self, fresh: bool = False) -> Iterator[None]:
        """Settings for loading many rows in the next transaction; the caller checks keys.
        ``fresh``: the database is new and unlisted, and is thrown away if the load fails."""
        yield

    _depth = 0  # open transaction blocks on this connection

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction: all of it commits or none; a nested block joins the open one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self._outermost_transaction():
                yield
        finally:
            self._depth = 0

    @contextlib.contextmanager
    def _outermost_transaction(self) -> Iterator[None]:
        """Begin, then commit at the end of the block, or roll back if it raises."""
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
                         ("schema_version", str(schema.SCHEMA_VERSION)))

    def complete_schema(self, checks: Sequence[Check] = (), connections: int = 1) -> None:
        """Add what ``create_schema(bulk=True)`` left out, then run ``checks``. With
        ``connections`` > 1 (no transaction open, the loaded rows committed), an engine may
        spread the work over that many connections."""
        for stmt in index_ddl():
            self.execute(stmt)
        for check in checks:
            if check.analyze:
                self.analyze(*check.analyze)
            check.run(self)

    def schema_version(self) -> int:
        try:
            return int(self.scalar("SELECT value FROM meta WHERE key = 'schema_version'"))
        except Exception as e:  # an empty or foreign database
            raise NotFound(said("this database holds no cheel organization")) from e
