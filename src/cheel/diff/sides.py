"""The two sides of a diff: a live organization, or a backup file's groups spooled to a
temporary SQLite database, each a :class:`Database` the keyed queries read in key order.

A backup's rows come table after table, each in id order, never in key order; they are
read once, through the sound reader (every rule of a sound file, as a restore reads it),
and the chosen groups' rows, with their organization's rows (users, languages), are
written as they go by to one temporary SQLite file per organization of the file (ids are
unique per organization), in the cheel schema without its keys or indexes: SQLite then
sorts them on disk, its page cache capped, so memory stays the backup reader's whatever
the groups' size. The files live in a private temporary folder, removed whatever happens.

A live organization is read in one snapshot (a read transaction), so a diff sees one
state even while others write.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..archive.age import Unlocker
from ..archive.reader import BackupReader
from ..destinations import open_location
from ..soundness import SoundReader
from ..store import schema
from ..store.catalog import Catalog
from ..store.engines import Database
from ..store.organizations import list_groups, open_database
from ..store.sqlite import SQLiteDatabase

CACHE_KIB = 2 * 1024  # the spool's page cache: its sorts spill to disk beyond it
_TYPES = {"id": "INTEGER PRIMARY KEY", "int": "INTEGER", "bool": "INTEGER", "binary": "BLOB"}


@dataclass
class GroupAt:
    """A group on one side: the database its rows are read from and its id there."""

    db: Database | None  # None: not read (a group the diff only names)
    id: int
    uid: str
    name: str
    org: str  # the organization it belongs to (in a file: its source organization)
    companies: dict[str, str] = field(default_factory=dict)  # uid → name
    rows: dict[str, int] = field(default_factory=dict)  # rows per table, when known


@dataclass
class Live:
    """A live organization's groups, and a second connection to the same snapshot."""

    groups: list[GroupAt]
    helper: Database


@contextlib.contextmanager
def live_side(catalog: Catalog, name: str) -> Iterator[Live]:
    """The groups of organization ``name``, read in one snapshot while the block runs."""
    entry = catalog.find(name)
    db = open_database(catalog, entry)
    try:
        with db.shared_snapshot(1) as helpers:
            yield Live([GroupAt(db, g.id, g.uid, g.name, entry.name,
                                {c.uid: c.name for c in g.companies})
                        for g in list_groups(db)], helpers[0])
    finally:
        db.close()


class Spool:
    """The temporary databases of one file's groups (use as a context manager)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="cheel-diff-"))
        self.dbs: dict[int, SQLiteDatabase] = {}

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        for db in self.dbs.values():
            with contextlib.suppress(Exception):
                db.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def database(self, org: int) -> SQLiteDatabase:
        db = self.dbs.get(org)
        if db is None:
            db = SQLiteDatabase(self.folder / f"org{org}.sqlite", create=True)
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "foreign_keys = OFF",
                           "temp_store = FILE", f"cache_size = -{CACHE_KIB}",
                           "locking_mode = EXCLUSIVE"):
                db.execute(f"PRAGMA {pragma}")
            for t in schema.TABLES:
                columns = ", ".join(f"{c.name} {_TYPES.get(c.type, 'TEXT')}"
                                    for c in t.backup_columns)
                db.execute(f"CREATE TABLE {t.name} ({columns})")
            db.execute("BEGIN")
            self.dbs[org] = db
        return db

    def read(self, file: Path | str, unlocker: Unlocker, wanted: set[tuple[int, str]],
             counted: Callable[[int], None] | None = None, whole_file_rules: bool = False,
             takers: dict | None = None) -> int:
        """Read the whole file through the sound reader, writing the rows of the groups
        ``wanted`` (organization index, group key) and of their organizations; returns the
        rows read (``counted``: told the rows of each chunk). ``takers``: by group, what
        may take a chunk instead (``take(table, rows, data)`` true), told its group's ``end()``."""
        orgs = {o for o, _ in wanted}
        takers = takers or {}
        current = None
        with open_location(file) as f:
            reader = BackupReader(f, unlocker)
            if takers:
                reader = _Peeking(reader, takers)  # type: ignore[assignment]
            sound = SoundReader(reader, whole_file_rules=whole_file_rules)
            for chunk in sound:
                where = (chunk.org, chunk.scope)
                if current is not None and where != current:
                    takers[current].end()
                    current = None
                if where in takers:
                    current = where
                    taken = takers[where].take(chunk.table, chunk.rows, chunk.data)
                else:
                    taken = False
                if not taken and (where in wanted or (chunk.scope == "org" and chunk.org in orgs)):
                    cols = [c.name for c in schema.table(chunk.table).backup_columns]
                    self.database(chunk.org).insert_rows(chunk.table, cols, chunk.rows)
                if counted:
                    counted(len(chunk.rows))
            if current is not None:
                takers[current].end()
            rows = sound.rows
        for db in self.dbs.values():
            if db.conn.in_transaction:
                db.execute("COMMIT")
        return rows

    def groups(self, org: int, org_name: str) -> list[GroupAt]:
        """The groups written of organization ``org`` of the file."""
        db = self.dbs.get(org)
        if db is None:
            return []
        return [GroupAt(db, g.id, g.uid, g.name, org_name,
                        {c.uid: c.name for c in g.companies}) for g in list_groups(db)]


class _Peeking:
    """A backup reader whose chunks are shown (``peek(table, data)``) to their group's
    taker before the sound reader decodes them."""

    def __init__(self, reader: BackupReader, takers: dict):
        self._reader, self._takers = reader, takers

    def __getattr__(self, name: str):
        return getattr(self._reader, name)

    def chunks(self):
        for chunk in self._reader.chunks():
            taker = self._takers.get((chunk.where.org, chunk.where.scope))
            if taker is not None:
                taker.peek(chunk.where.table, chunk.data)
            yield chunk
