"""Organizations, company groups and companies: create, open, describe."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ..errors import AlreadyExists, NotFound, UsageError, said
from . import schema
from .catalog import Catalog, OrgEntry
from .engines import SQLITE, Database
from . import locks, staging
from .languages import DEFAULT_LANGUAGES, language_codes, parse_languages
from .names import check_name, find_by_name, name_key
from .postgres import PostgresDatabase
from .scope import count_sql
from .sqlite import SQLiteDatabase



def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def open_database(catalog: Catalog, entry: OrgEntry) -> Database:
    if entry.engine == SQLITE:
        db: Database = SQLiteDatabase(catalog.sqlite_path(entry))
    else:
        db = PostgresDatabase(entry.location)
    db.schema_version()
    return db


@contextlib.contextmanager
def opened(catalog: Catalog, name: str) -> Iterator[tuple[OrgEntry, Database]]:
    entry = catalog.find(name)
    db = open_database(catalog, entry)
    try:
        yield entry, db
    finally:
        db.close()


def create_organization(catalog: Catalog, name: str, languages: Sequence[str] = DEFAULT_LANGUAGES,
                        postgres: str | None = None) -> OrgEntry:
    """Create a new, empty organization (on the PostgreSQL server of ``postgres``, else as
    a SQLite file) and list it once it is complete (see :mod:`.staging`)."""
    langs = parse_languages(languages)
    new = staging.begin(catalog, name, postgres)
    try:
        new.open(langs)
        return new.publish()
    except BaseException:
        new.discard()
        raise


def location(catalog: Catalog, entry: OrgEntry) -> str:
    """Where the organization's database is, whatever folder one stands in: a SQLite file's
    absolute path, a PostgreSQL URL without password."""
    if entry.engine == SQLITE:
        return str(catalog.sqlite_path(entry).resolve())
    return entry.shown_location


def drops_database(entry: OrgEntry) -> bool:
    """Whether deleting the organization drops its database: a SQLite file always, a
    PostgreSQL database only if cheel made it (one it did not make stays on its server)."""
    return entry.engine == SQLITE or entry.owned


@dataclass
class Deleted:
    """What deleting an organization did: ``dropped`` its database, or only unlisted it
    (a PostgreSQL database cheel did not make is left on its server)."""

    entry: OrgEntry
    dropped: bool


def delete_organization(catalog: Catalog, name: str) -> Deleted:
    """Unlist the organization and drop its database (its SQLite file, or the PostgreSQL
    database cheel made for it); refused while a backup or a restore of it runs. If the
    database cannot be dropped, the organization is listed again and the error said."""
    entry = catalog.find(name)
    with locks.organization_in_use(catalog, entry.name, exclusive=True):
        catalog.remove(entry.name)  # first: nobody opens it while it goes
        if not drops_database(entry):
            return Deleted(entry, False)
        try:
            staging.drop_database(catalog, entry)
        except BaseException:
            catalog.add(entry)
            raise
    return Deleted(entry, True)


def rename_organization(catalog: Catalog, name: str, new_name: str) -> OrgEntry:
    """Give the organization another name (its database keeps its own); refused while a
    backup or a restore of it runs, or if the name is taken or breaks the name rule."""
    entry = catalog.find(name)
    new_name = check_name(new_name)
    with locks.organization_in_use(catalog, entry.name, exclusive=True):
        return catalog.rename(entry.name, new_name)


# -- groups and companies -----------------------------------------------------------------
@dataclass
class CompanyInfo:
    id: int
    uid: str
    name: str
    legal_form: str | None = None
    ide_number: str | None = None


@dataclass
class GroupInfo:
    id: int
    uid: str
    name: str
    companies: list[CompanyInfo] = field(default_factory=list)


def list_groups(db: Database) -> list[GroupInfo]:
    groups = {r[0]: GroupInfo(r[0], r[1], r[2]) for r in
              db.query("SELECT id, uid, name FROM company_groups ORDER BY name, id")}
    for cid, gid, uid, name, form, ide in db.query(
            "SELECT id, group_id, uid, name, legal_form, ide_number FROM companies "
            "ORDER BY name, id"):
        groups[gid].companies.append(CompanyInfo(cid, uid, name, form, ide))
    return list(groups.values())


def find_group(db: Database, key: str) -> GroupInfo:
    """A group by uid or name (see :func:`~cheel.store.names.name_key`)."""
    groups = list_groups(db)
    found = (next((g for g in groups if g.uid == key), None)
             or find_by_name(groups, key, lambda g: g.name))
    if found:
        return found
    known = ", ".join(g.name for g in groups)
    raise NotFound(said('there is no company group named "{key}"', key=key),
                   hint=said("known groups: {known}", known=known) if known else
                   said("there are no company groups yet"))


def create_group(db: Database, name: str, uid: str | None = None) -> GroupInfo:
    name = check_name(name, "group")
    if any(name_key(g.name) == name_key(name) for g in list_groups(db)):
        raise AlreadyExists(said('a company group named "{name}" already exists', name=name))
    uid = uid or str(uuid.uuid4())
    with db.transaction():
        gid = db.insert("company_groups", {"uid": uid, "name": name, "created_at": now_utc()})
    return GroupInfo(gid, uid, name)


def create_company(db: Database, name: str, group: str | None = None,
                   new_group: str | None = None, legal_form: str | None = None,
                   ide_number: str | None = None, vat_number: str | None = None) -> CompanyInfo:
    """Create a company that joins ``group`` or forms ``new_group`` (its own by default)."""
    name = check_name(name, "company")
    if group and new_group:
        raise UsageError(said("choose either an existing group or a new group, not both"))
    if any(name_key(c.name) == name_key(name) for g in list_groups(db) for c in g.companies):
        raise AlreadyExists(said('a company named "{name}" already exists', name=name))
    with db.transaction():
        if group:
            g = find_group(db, group)
        else:
            g = create_group(db, new_group or name)
        uid = str(uuid.uuid4())
        contact = db.insert("contacts", {"group_id": g.id, "kind": "firm", "name": name,
                                         "created_at": now_utc()})
        cid = db.insert("companies", {
            "group_id": g.id, "uid": uid, "name": name, "legal_form": legal_form,
            "ide_number": ide_number, "vat_number": vat_number, "contact_id": contact,
            "created_at": now_utc()})
    return CompanyInfo(cid, uid, name, legal_form, ide_number)


# -- describing ---------------------------------------------------------------------------
def group_counts(db: Database, group_id: int) -> dict[str, int]:
    return {t.name: int(db.scalar(count_sql(t), (group_id,)))
            for t in schema.group_tables()}


def describe(catalog: Catalog, entry: OrgEntry, counts: bool = True) -> dict:
    """A plain dict of an organization: engine, languages, groups, companies, row counts."""
    db = open_database(catalog, entry)
    try:
        with db.snapshot():
            out: dict = {
                "name": entry.name, "engine": entry.engine,
                "location": location(catalog, entry),
                "schema_version": db.schema_version(), "languages": language_codes(db),
                "size_bytes": db.size(), "groups": [],
            }
            for g in list_groups(db):
                item = {"uid": g.uid, "name": g.name,
                        "companies": [{"uid": c.uid, "name": c.name,
                                       "legal_form": c.legal_form,
                                       "ide_number": c.ide_number} for c in g.companies]}
                if counts:
                    item["rows"] = group_counts(db, g.id)
                out["groups"].append(item)
            if counts:
                out["rows"] = {t.name: int(db.scalar(f"SELECT count(*) FROM {t.name}"))
                               for t in schema.TABLES}
        return out
    finally:
        db.close()
