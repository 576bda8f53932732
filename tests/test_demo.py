"""``create_demo`` on real SQLite files and a real PostgreSQL server: check digits, integrity,
determinism (the books' content: test_demo_books.py)."""

from __future__ import annotations

import pytest

from cheel.demo import MIN_ENTRIES, DemoOptions, create_demo
from cheel.errors import AlreadyExists
from cheel.store import schema
from cheel.store.catalog import Catalog
from cheel.store.organizations import describe, opened

from demo_support import LINES, db_of, content_hash, ide_valid, qr_valid

pytest_plugins = ["demo_support"]  # its fixture: demo, one organization per engine


def test_check_digit_references():
    # Published examples: the UID of the Swiss Federal Chancellery and a SIX QR reference.
    assert ide_valid("CHE-116.281.710")
    assert not ide_valid("CHE-116.281.711")
    assert qr_valid("210000000003139471430009017")
    assert not qr_valid("210000000003139471430009018")


# -- integrity ------------------------------------------------------------------------------
def test_exact_number_of_lines_and_progress(demo):
    db, calls = db_of(demo), demo[3]
    assert db.scalar("SELECT count(*) FROM entry_lines") == LINES
    assert calls and calls[-1] == (LINES, LINES)
    done = [c[0] for c in calls]
    assert done == sorted(done)
    assert all(total == LINES for _, total in calls)


@pytest.mark.postgres
def test_postgres_demo_has_planner_statistics(tmp_path, pg_url, pg_dbname):
    """A bulk-filled PostgreSQL demo is analyzed: its planner knows how the rows spread."""
    catalog = Catalog(tmp_path / "data")
    entry = create_demo(catalog, DemoOptions(name="Stats SA", entries=500,
                                             postgres=f"{pg_url}/{pg_dbname()}"))
    with opened(catalog, entry.name) as (_, db):
        analyzed = {t for (t,) in db.query("SELECT DISTINCT tablename FROM pg_stats "
                                           "WHERE schemaname = 'public'")}
    assert {"journal_entries", "entry_lines", "companies"} <= analyzed


def test_registered_in_catalog(demo):
    catalog, entry = demo[0], demo[1]
    assert catalog.find("Demo SA").engine == entry.engine
    info = describe(catalog, entry)
    assert info["languages"] == ["fr", "de", "it", "en"]
    assert {g["name"] for g in info["groups"]} == {
        "Groupe Helvetia", "Boulangerie Favre Sàrl", "Atelier Keller GmbH"}


def test_every_foreign_key_resolves(demo):
    db = db_of(demo)
    checked = 0
    for t in schema.TABLES:
        for c in t.foreign_keys:
            dangling = db.scalar(
                f"SELECT count(*) FROM {t.name} t0 LEFT JOIN {c.ref} r ON r.id = t0.{c.name} "
                f"WHERE t0.{c.name} IS NOT NULL AND r.id IS NULL")
            assert dangling == 0, f"{t.name}.{c.name} has {dangling} dangling references"
            if not c.nullable:
                assert db.scalar(f"SELECT count(*) FROM {t.name} WHERE {c.name} IS NULL") == 0
            checked += 1
    assert checked >= 30


def test_references_stay_inside_their_group(demo):
    """A row only references group data of its own company group."""
    db = db_of(demo)
    group_of: dict[str, dict[int, int]] = {schema.GROUP_TABLE: {
        r[0]: r[0] for r in db.query("SELECT id FROM company_groups")}}
    for t in schema.TABLES:
        if t.scope == schema.ORG or t.name == schema.GROUP_TABLE:
            continue
        parent = t.column(t.via).ref
        group_of[t.name] = {i: group_of[parent][p] for i, p in
                            db.query(f"SELECT id, {t.via} FROM {t.name}")}
    for t in schema.TABLES:
        if t.name not in group_of or t.name == schema.GROUP_TABLE:
            continue
        for c in t.foreign_keys:
            if c.ref not in group_of or c.name == t.via:
                continue
            for rid, ref in db.query(f"SELECT id, {c.name} FROM {t.name} "
                                     f"WHERE {c.name} IS NOT NULL"):
                assert group_of[c.ref][ref] == group_of[t.name][rid], (t.name, c.name, rid)


def test_every_entry_balances(demo):
    db = db_of(demo)
    assert db.scalar("SELECT count(*) FROM (SELECT entry_id FROM entry_lines GROUP BY entry_id "
                     "HAVING sum(debit) <> sum(credit)) x") == 0
    assert db.scalar("SELECT count(*) FROM journal_entries e WHERE NOT EXISTS "
                     "(SELECT 1 FROM entry_lines l WHERE l.entry_id = e.id)") == 0
    assert db.scalar("SELECT count(*) FROM entry_lines WHERE debit < 0 OR credit < 0 "
                     "OR (debit = 0 AND credit = 0) OR (debit <> 0 AND credit <> 0)") == 0
    sizes = {r[0] for r in db.query(
        "SELECT count(*) FROM entry_lines GROUP BY entry_id")}
    assert {2, 3, 4, 5} <= sizes


def test_entries_are_dated_in_their_fiscal_year_and_numbered(demo):
    db = db_of(demo)
    assert db.scalar(
        "SELECT count(*) FROM journal_entries e JOIN fiscal_years f ON f.id = e.fiscal_year_id "
        "WHERE e.date < f.start_date OR e.date > f.end_date OR f.company_id <> e.company_id") == 0
    assert db.scalar(
        "SELECT count(*) FROM (SELECT fiscal_year_id, number FROM journal_entries "
        "GROUP BY fiscal_year_id, number HAVING count(*) > 1) x") == 0
    years = db.query("SELECT company_id, name, closed FROM fiscal_years "
                     "ORDER BY company_id, name")
    assert len(years) == 15
    for _company, name, closed in years:
        assert closed == (name == "2023")
    # every fiscal year of every company has entries
    assert db.scalar("SELECT count(DISTINCT fiscal_year_id) FROM journal_entries") == 15


def test_journal_has_every_kind_of_entry(demo):
    db = db_of(demo)
    journals = {r[0] for r in db.query("SELECT DISTINCT journal FROM journal_entries")}
    assert {"sales", "purchases", "bank", "payroll", "cash", "general"} <= journals

    def accounts_of(eid):
        return sorted(r[0] for r in db.query(
            "SELECT a.number FROM entry_lines l JOIN accounts a ON a.id = l.account_id "
            "WHERE l.entry_id = ?", (eid,)))

    wages = db.query("SELECT id FROM journal_entries WHERE journal = 'payroll' LIMIT 5")
    assert wages and all(accounts_of(e) == ["1020", "2270", "5000", "5700"] for e, in wages)
    rent = db.scalar(
        "SELECT count(*) FROM entry_lines l JOIN accounts a ON a.id = l.account_id "
        "WHERE a.number = '6000' AND l.debit > 0")
    assert rent >= 12
    purchases = db.query("SELECT id FROM journal_entries WHERE journal = 'purchases' "
                         "AND id IN (SELECT entry_id FROM entry_lines WHERE vat_code_id "
                         "IS NOT NULL) LIMIT 5")
    assert purchases and all("1170" in accounts_of(e) for e, in purchases)
    # quarterly VAT settlements clear output tax against input tax
    settlements = db.query("SELECT id FROM journal_entries WHERE description LIKE 'Décompte TVA%'")
    assert settlements
    for e, in settlements:
        accounts = set(accounts_of(e))
        assert accounts <= {"2200", "1170", "1020"} and accounts & {"2200", "1170"}


def test_lines_distributed_most_to_helvetia(demo):
    db = db_of(demo)
    per = dict(db.query(
        "SELECT c.name, count(*) FROM entry_lines l JOIN journal_entries e ON e.id = l.entry_id "
        "JOIN companies c ON c.id = e.company_id GROUP BY c.name"))
    assert len(per) == 5
    helvetia = sum(n for name, n in per.items() if name.startswith("Helvetia"))
    assert helvetia == pytest.approx(0.8 * LINES, abs=5)
    assert per["Helvetia Services SA"] == max(per.values())


# -- determinism ----------------------------------------------------------------------------
@pytest.mark.postgres
def test_same_seed_same_content_on_both_engines(tmp_path, pg_url, pg_dbname):
    catalog = Catalog(tmp_path)
    a = create_demo(catalog, DemoOptions(name="On SQLite", entries=900, seed=3))
    b = create_demo(catalog, DemoOptions(name="On PostgreSQL", entries=900, seed=3,
                                         postgres=f"{pg_url}/{pg_dbname()}"))
    with opened(catalog, a.name) as (_, da), opened(catalog, b.name) as (_, dbb):
        assert content_hash(da) == content_hash(dbb)


def test_same_seed_same_content_other_seed_differs(tmp_path):
    hashes = []
    for i, seed in enumerate((11, 11, 12)):
        catalog = Catalog(tmp_path / f"c{i}")
        entry = create_demo(catalog, DemoOptions(entries=700, seed=seed))
        with opened(catalog, entry.name) as (_, db):
            hashes.append(content_hash(db))
            assert db.scalar("SELECT count(*) FROM entry_lines") == 700
    assert hashes[0] == hashes[1]
    assert hashes[0] != hashes[2]


def test_tiny_request_gets_the_minimum(tmp_path):
    catalog = Catalog(tmp_path)
    entry = create_demo(catalog, DemoOptions(entries=10))
    with opened(catalog, entry.name) as (_, db):
        assert db.scalar("SELECT count(*) FROM entry_lines") == MIN_ENTRIES
        assert db.scalar("SELECT count(DISTINCT company_id) FROM journal_entries") == 5
        assert db.scalar("SELECT count(*) FROM invoices") >= 5


@pytest.mark.parametrize("lines", [MIN_ENTRIES + 1, 1234, 3001])
def test_line_count_is_exact(tmp_path, lines):
    catalog = Catalog(tmp_path)
    entry = create_demo(catalog, DemoOptions(entries=lines, seed=lines))
    with opened(catalog, entry.name) as (_, db):
        assert db.scalar("SELECT count(*) FROM entry_lines") == lines
        assert db.scalar("SELECT count(*) FROM (SELECT entry_id FROM entry_lines "
                         "GROUP BY entry_id HAVING sum(debit) <> sum(credit)) x") == 0


def test_existing_name_is_refused_and_nothing_is_left(tmp_path):
    catalog = Catalog(tmp_path)
    create_demo(catalog, DemoOptions(entries=MIN_ENTRIES))
    files = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(AlreadyExists):
        create_demo(catalog, DemoOptions(entries=MIN_ENTRIES))
    assert sorted(p.name for p in tmp_path.iterdir()) == files
    assert [e.name for e in catalog.list()] == ["Demo SA"]


def test_failure_drops_the_half_made_database(tmp_path):
    catalog = Catalog(tmp_path)

    def boom(done, total):
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        create_demo(catalog, DemoOptions(entries=MIN_ENTRIES), progress=boom)
    assert catalog.list() == []
    assert not list(tmp_path.glob("*.sqlite*"))
