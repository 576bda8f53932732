"""A new organization's life cycle: made unlisted, filled, then listed whole, or thrown away.

A restore into a new organization, a demo, even ``org create``, make the organization's
database first and list it in the catalog only once it is complete, so that nobody ever
sees half of one::

    new = staging.begin(catalog, "Neu AG", postgres_url=None)  # sweeps what killed runs left
    try:
        db = new.open(["de", "fr"], bulk=True)                  # the empty database, seeded
        ...fill db...
        entry = new.publish()                                   # listed; the name is final
    except BaseException:
        new.discard()                                           # dropped, as if never begun
        raise

On PostgreSQL the database is made on a second thread from :func:`begin` on, under a
temporary name (``cheel_restoring_…``), and renamed to its final name by :meth:`publish`: a
restore reads an encrypted file's manifest (scrypt, about a second by design) while the
server creates it. On SQLite the file keeps its name, marked as unfinished while it is
filled (:mod:`.unfinished`). What a killed process leaves behind is removed by the next
:func:`begin` on the same data folder or server.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Sequence

from ..errors import AlreadyExists, said
from .catalog import Catalog, OrgEntry, safe_name
from .engines import POSTGRES, SQLITE, Database
from .languages import parse_languages
from .names import check_name
from .pgserver import (database_name, pg_check_free, pg_create_database, pg_drop_database,
                       pg_rename_database, with_database)
from .postgres import PostgresDatabase
from .sqlite import SQLiteDatabase, remove_sqlite_files
from .unfinished import Claim, pg_sweep, pg_temporary_name, sqlite_sweep


class NewOrganization:
    """An organization being made (see :func:`begin`): ``open`` it, fill it, then
    ``publish`` or ``discard`` it."""

    def __init__(self, catalog: Catalog, name: str, postgres_url: str | None):
        self.catalog, self.name = catalog, name
        self.engine = POSTGRES if postgres_url else SQLITE
        self.db: Database | None = None
        self._bulk = False
        self._claim: Claim | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._done = False
        if postgres_url:
            self.final = database_name(postgres_url) or \
                f"cheel_{safe_name(name).replace('-', '_')}"
            self.location = with_database(postgres_url, pg_temporary_name())
            self._url = postgres_url
            self._thread = threading.Thread(target=self._make_pg, name="cheel-new-database",
                                            daemon=True)
            self._thread.start()
        else:
            catalog.ensure_data_dir()
            sqlite_sweep(catalog)  # first, what killed runs left behind
            self.location = catalog.new_sqlite_location(name)
            self.final = self.location
            self._claim = Claim(catalog, OrgEntry(name, SQLITE, self.location))

    @property
    def entry(self) -> OrgEntry:
        """Where the database is now (its temporary name on PostgreSQL)."""
        return OrgEntry(self.name, self.engine, self.location)

    def _make_pg(self) -> None:
        try:
            pg_check_free(self._url, self.final)  # before the work, not at its end
            pg_sweep(self._url)  # first, what killed runs left behind
            # Keys and indexes later, if the caller loads in bulk: decided in open(), but
            # the tables can be made now; the keys are then added by complete_schema.
            create_pg_database(self.location, bulk=True)
        except BaseException as e:  # noqa: B036 - handed to the caller by open()
            self._error = e

    def open(self, languages: Sequence[str], bulk: bool = False) -> Database:
        """The new, empty organization's database with its languages and admin user.
        ``bulk``: the caller loads it in bulk, then calls ``complete_schema``."""
        if self._thread is not None:
            self._thread.join()
            if self._error is not None:
                raise self._error
        self._bulk = bulk
        self.db = open_new_database(self.catalog, self.entry, bulk)
        seed_organization(self.db, languages)
        return self.db

    def publish(self) -> OrgEntry:
        """List the organization under its final name; it is complete. A new SQLite file is
        made durable first; a new PostgreSQL database gets its final name."""
        if self.db is not None:
            self.db.close()
            self.db = None
        entry = self.entry
        if self.engine == POSTGRES and self.final != self.location:
            temp = database_name(self.location)
            assert temp is not None
            pg_rename_database(self.location, temp, self.final)
            entry = OrgEntry(self.name, POSTGRES, with_database(self.location, self.final))
        self.catalog.add(entry)  # a name taken meanwhile: AlreadyExists, the caller discards
        self._done = True
        if self._claim is not None:
            self._claim.release()
        return entry

    def discard(self) -> None:
        """Throw the organization away (it was never listed)."""
        if self._done:
            return
        if self._thread is not None:
            self._thread.join()
        if self.db is not None:
            with contextlib.suppress(Exception):
                self.db.close()
            self.db = None
        with contextlib.suppress(Exception):
            if self.engine == SQLITE or self._error is None:
                drop_database(self.catalog, self.entry)
        if self._claim is not None:
            self._claim.release()
        self._done = True


def begin(catalog: Catalog, name: str, postgres_url: str | None = None) -> NewOrganization:
    """Start making the organization ``name`` (on the PostgreSQL server of ``postgres_url``,
    else as a SQLite file in the data folder); nothing is listed before ``publish``."""
    name = check_name(name)
    if catalog.exists(name):
        raise AlreadyExists(said('an organization named "{name}" already exists', name=name))
    return NewOrganization(catalog, name, postgres_url)


def open_new_database(catalog: Catalog, entry: OrgEntry, bulk: bool = False) -> Database:
    """The database of a new organization, with cheel's tables and no rows: a SQLite file
    made now (private to its owner), or the PostgreSQL database ``entry`` names, made with
    its tables by :func:`create_pg_database`. ``bulk``: its keys and indexes come later
    (:meth:`Database.complete_schema`), as a bulk load wants them."""
    if entry.engine == SQLITE:
        path = catalog.sqlite_path(entry)
        try:
            db: Database = SQLiteDatabase(path, create=True)
            db.create_schema(bulk)
        except BaseException:
            remove_sqlite_files(path)
            raise
        return db
    db = PostgresDatabase(entry.location)
    if not bulk:
        db.complete_schema()
    return db


def create_pg_database(location: str, bulk: bool = False) -> None:
    """Create the PostgreSQL database ``location`` names, with cheel's tables and no rows
    (``bulk``: see :meth:`Database.create_schema`); dropped again if that fails."""
    dbname = database_name(location)
    assert dbname
    pg_create_database(location, dbname)
    try:
        db = PostgresDatabase(location)
        try:
            db.create_schema(bulk)
        finally:
            db.close()
    except BaseException:
        pg_drop_database(location, dbname)
        raise


def drop_database(catalog: Catalog, entry: OrgEntry) -> None:
    if entry.engine == SQLITE:
        remove_sqlite_files(catalog.sqlite_path(entry))
    else:
        dbname = database_name(entry.location)
        assert dbname
        pg_drop_database(entry.location, dbname)


def seed_organization(db: Database, languages: Sequence[str]) -> None:
    """The rows every organization starts with: its languages and the admin user."""
    languages = parse_languages(languages)
    with db.transaction():
        for pos, code in enumerate(languages):
            db.insert("languages", {"code": code, "position": pos})
        db.insert("users", {"login": "admin", "name": "Administrateur", "role": "admin"})
