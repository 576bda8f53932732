"""Schema, catalog and organizations on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sqlite3

import psycopg
import pytest

from cheel.errors import AlreadyExists, DatabaseUnreachable, NotFound, UsageError
from cheel.store import organizations
from cheel.store import staging
from cheel.store.languages import language_codes
from cheel.store import schema
from cheel.store.catalog import Catalog
from cheel.store.ddl import ddl
from cheel.store.sqlite import SQLiteDatabase
from cheel.store.scope import scoped_from

from helpers import bulk_organization


def test_every_table_declares_its_scope_and_keys():
    for t in schema.TABLES:
        assert t.scope in (schema.ORG, schema.GROUP, schema.COMPANY)
        if t.scope == schema.ORG:
            assert t.natural_key, t.name
        else:
            hops = schema.scope_chain(t)
            assert t.name == schema.GROUP_TABLE or hops[-1][1] == schema.GROUP_TABLE
    # company tables reach their scope through the companies table
    for t in schema.TABLES:
        if t.scope == schema.COMPANY and t.name != "companies":
            assert "companies" in [ref for _, ref in schema.scope_chain(t)], t.name


def test_scope_columns_are_indexed_on_both_engines():
    for engine in ("sqlite", "postgres"):
        stmts = "\n".join(ddl(engine))
        for t in schema.group_tables():
            if t.via:
                assert f"ON {t.name} ({t.via})" in stmts


def test_reading_one_group_uses_indexes(catalog):
    entry = organizations.create_organization(catalog, "Plan SA")
    db = SQLiteDatabase(catalog.sqlite_path(entry))
    try:
        for t in schema.group_tables():
            frm, grp = scoped_from(t)
            plan = " ".join(str(r) for r in db.query(
                f"EXPLAIN QUERY PLAN SELECT t0.id FROM {frm} WHERE {grp} = ?", (1,)))
            assert "SCAN t0" not in plan.replace("SCAN t0 USING", "USING"), (t.name, plan)
    finally:
        db.close()


def test_money_and_rates_are_never_float():
    for t in schema.TABLES:
        for c in t.columns:
            assert c.type in ("id", "int", "bool", "text", "decimal", "date", "timestamp",
                              "binary")
    assert schema.table("entry_lines").column("debit").type == "int"
    assert schema.table("vat_codes").column("rate").type == "decimal"


def test_schema_version_is_stored(engine_url, catalog):
    entry = organizations.create_organization(catalog, "Version SA", postgres=engine_url)
    with organizations.opened(catalog, entry.name) as (_, db):
        assert db.schema_version() == schema.SCHEMA_VERSION
        assert language_codes(db) == ["fr", "de", "it", "en"]


def test_groups_and_companies(engine_url, catalog):
    entry = organizations.create_organization(catalog, "Fidu SA", ["de", "fr"], postgres=engine_url)
    with organizations.opened(catalog, entry.name) as (_, db):
        a = organizations.create_company(db, "Alpha AG", new_group="Gruppe Alpha", legal_form="AG")
        b = organizations.create_company(db, "Beta AG", group="Gruppe Alpha")
        solo = organizations.create_company(db, "Solo GmbH")
        groups = {g.name: g for g in organizations.list_groups(db)}
        assert [c.name for c in groups["Gruppe Alpha"].companies] == ["Alpha AG", "Beta AG"]
        assert [c.name for c in groups["Solo GmbH"].companies] == ["Solo GmbH"]
        assert a.uid != b.uid != solo.uid
        with pytest.raises(AlreadyExists):
            organizations.create_group(db, "gruppe alpha")
        with pytest.raises(AlreadyExists):
            organizations.create_company(db, "Alpha AG", group="Gruppe Alpha")
        with pytest.raises(NotFound):
            organizations.create_company(db, "Gamma AG", group="Nope")
        # by uid too
        assert organizations.find_group(db, groups["Solo GmbH"].uid).name == "Solo GmbH"
    info = organizations.describe(catalog, entry)
    assert info["languages"] == ["de", "fr"]
    assert info["rows"]["companies"] == 3
    alpha = next(g for g in info["groups"] if g["name"] == "Gruppe Alpha")
    assert alpha["rows"]["companies"] == 2 and alpha["rows"]["contacts"] == 2


def test_catalog_never_stores_a_password(catalog, pg_url, pg_dbname):
    name = pg_dbname()
    url = pg_url.replace("postgres@", "postgres:topsecret@") + "/" + name
    entry = organizations.create_organization(catalog, "Secret SA", postgres=url)
    text = catalog.path.read_text()
    assert "topsecret" not in text
    assert json.loads(text)["organizations"][0]["location"].endswith("/" + name)
    assert entry.engine == "postgres"


def test_catalog_rejects_duplicates_and_unknowns(catalog):
    organizations.create_organization(catalog, "Dupont SA")
    with pytest.raises(AlreadyExists):
        organizations.create_organization(catalog, "dupont sa")
    with pytest.raises(NotFound) as e:
        catalog.find("Durand SA")
    assert "Dupont SA" in e.value.hint
    with pytest.raises(UsageError):
        organizations.create_organization(catalog, "  ")
    with pytest.raises(UsageError):
        organizations.create_organization(catalog, "X", ["fr", "xx"])


def test_unreachable_postgres_is_one_sentence(catalog):
    with pytest.raises(DatabaseUnreachable) as e:
        organizations.create_organization(catalog, "Far SA", postgres="postgresql://postgres@127.0.0.1:1")
    assert "cannot connect to PostgreSQL" in e.value.message
    assert not catalog.exists("Far SA")


def test_failed_creation_leaves_nothing(catalog, monkeypatch):
    def boom(db, langs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(staging, "seed_organization", boom)
    with pytest.raises(RuntimeError):
        organizations.create_organization(catalog, "Half SA")
    assert not catalog.exists("Half SA")
    assert not list(catalog.data_dir.glob("half-sa*"))


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CHEEL_DATA_DIR", str(tmp_path / "env"))
    assert Catalog().data_dir == tmp_path / "env"


def test_bulk_inserted_rows_keep_nulls_and_any_text(engine_url, catalog):
    """insert_rows (the restore's bulk path: NaN for None on SQLite, preformatted COPY text
    on PostgreSQL) stores NULL as NULL, never as a number, and any text as it is."""
    entry = organizations.create_organization(catalog, "Bulk SA", postgres=engine_url)
    cols = ["id", "group_id", "kind", "name", "first_name", "firm_id", "language",
            "created_by", "created_at"]
    nasty = "tab\there, new\nline, \\N, back\\slash, \r, NaN, null, \u00e9\u20ac\U0001f600"
    rows = [
        (1, None, "firm", "No first name", None, None, None, None, "2026-01-02 03:04:05"),
        (2, None, "person", nasty, "", 1, "de", None, "2026-01-02 03:04:05"),
        (3, None, "person", "\\N", "NaN", 1, None, None, "2026-01-02 03:04:05"),
    ]
    with organizations.opened(catalog, entry.name) as (_, db):
        gid = organizations.create_group(db, "Bulk").id
        rows = [(r[0], gid, *r[2:]) for r in rows]
        with db.transaction():
            db.insert_rows("contacts", cols, rows)
        back = db.query("SELECT id, group_id, kind, name, first_name, firm_id, language, "
                        "created_by FROM contacts ORDER BY id")
        assert back == [r[:8] for r in rows]
        nulls = db.scalar("SELECT count(*) FROM contacts WHERE first_name IS NULL AND "
                          "firm_id IS NULL AND language IS NULL AND created_by IS NULL")
        assert nulls == 1
        if db.engine == "sqlite":
            kinds = db.query("SELECT typeof(first_name), typeof(firm_id) FROM contacts "
                             "WHERE id = 1")
            assert kinds == [("null", "null")]
        refused = (sqlite3.IntegrityError, psycopg.errors.NotNullViolation)
        with pytest.raises(refused):  # a None where none is allowed stays None: refused
            with db.transaction():
                db.insert_rows("contacts", cols, [(4, gid, "firm", None, None, None, None,
                                                   None, "2026-01-02 03:04:05")])


def test_row_writer_keeps_every_batch_in_order_and_aborts_on_error(engine_url, catalog):
    """The restore's writer: batches of one table may share one COPY on PostgreSQL; a
    change of table, flush() or the block's end finishes it; shifts apply; an error inside
    the block leaves nothing of the load behind."""
    entry = organizations.create_organization(catalog, "Writer SA", postgres=engine_url)
    cols = ["id", "group_id", "code", "name", "decimals"]
    with organizations.opened(catalog, entry.name) as (_, db):
        gid = organizations.create_group(db, "Writer").id
        with db.transaction(), db.row_writer() as w:
            w.write("currencies", cols, [(1, gid, "CHF", "Franc", 2)])
            w.write("currencies", cols, [(2, gid, "EUR", "Euro", 2)])
            w.write("vat_codes", ["id", "group_id", "code", "kind", "rate", "valid_from"],
                    [(1, gid, "N81", "sales", "8.10", "2024-01-01")])
            w.write("currencies", cols, [(1, gid, "USD", "Dollar", 2)], shifts=[(0, 10)])
            w.flush()
            assert db.scalar("SELECT count(*) FROM currencies") == 3  # visible after flush
            w.write("currencies", cols, [(2, gid, "GBP", "Pound", 2)], shifts=[(0, 10)])
        assert db.query("SELECT id, code FROM currencies ORDER BY id") == [
            (1, "CHF"), (2, "EUR"), (11, "USD"), (12, "GBP")]
        assert db.scalar("SELECT count(*) FROM vat_codes") == 1
        with pytest.raises(ZeroDivisionError):
            with db.transaction(), db.row_writer() as w:
                w.write("currencies", cols, [(20, gid, "JPY", "Yen", 0)])
                1 / 0  # while the COPY is open
        assert db.scalar("SELECT count(*) FROM currencies") == 4
        dup = (sqlite3.IntegrityError, psycopg.errors.UniqueViolation)
        with pytest.raises(dup):  # a refused row fails the load, at the latest when it ends
            with db.transaction(), db.row_writer() as w:
                w.write("currencies", cols, [(21, gid, "SEK", "Krona", 2)])
                w.write("currencies", cols, [(1, gid, "NOK", "Krone", 2)])
        assert db.scalar("SELECT count(*) FROM currencies") == 4


@pytest.mark.postgres
def test_loading_freezes_only_empty_tables_in_their_transaction(catalog, pg_url, pg_dbname):
    """start_loading empties (for COPY FREEZE) only the empty tables of a database without
    foreign keys, and only the transaction that emptied them writes frozen rows; no row is
    ever lost."""
    keyed = organizations.create_organization(catalog, "Keyed SA", postgres=f"{pg_url}/{pg_dbname()}")
    with organizations.opened(catalog, keyed.name) as (_, db):
        gid = organizations.create_group(db, "Keyed").id
        with db.transaction():
            db.start_loading(["company_groups", "currencies"])  # keys: nothing emptied
            db.insert_rows("currencies", ["group_id", "code", "name", "decimals"],
                           [(gid, "CHF", "Franc", 2)])
        assert db.scalar("SELECT count(*) FROM company_groups") == 1
    entry = bulk_organization(catalog, "Freeze SA", f"{pg_url}/{pg_dbname()}")
    with organizations.opened(catalog, entry.name) as (_, db):
        gid = organizations.create_group(db, "Kept").id
        cols = ["id", "group_id", "code", "name", "decimals"]
        with db.transaction():
            db.start_loading(["company_groups", "currencies"])
            db.insert_rows("currencies", cols, [(1, gid, "CHF", "Franc", 2),
                                                (2, gid, "EUR", "Euro", 2)])
        assert db.scalar("SELECT count(*) FROM company_groups") == 1  # not emptied
        with db.transaction():  # a later transaction: plain COPY, which would fail frozen
            db.insert_rows("currencies", cols, [(3, gid, "USD", "Dollar", 2)])
        assert db.query("SELECT code FROM currencies ORDER BY id") == [("CHF",), ("EUR",),
                                                                       ("USD",)]
