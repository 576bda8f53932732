"""What the diff tests share (test_diff.py, test_diff_cli.py): a demo organization backed
up, changed by a script (entries, lines, contacts inserted, updated and deleted, a VAT
rate changed) and backed up again, on SQLite and PostgreSQL (the fixture ``books``, one
per engine and module); how a backup is read against its organization (``mode``); what
the changes are (:class:`Expected`) and the check that a diff names exactly them. The
modules import the fixtures by name (``# noqa: F401``), as they do browser_support's."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from cheel.demo import DemoOptions, create_demo
from cheel.store.organizations import opened
from cheel.store.staging import drop_database

from backup_support import backup

ORG = "Diff SA"
GROUP = "Atelier Keller GmbH"  # one company: its entries, contacts and VAT codes change
LINES = 1500


@dataclass
class Expected:
    """What the scripted changes did, as the diff must say it."""

    company: str = ""
    fiscal_year: str = ""
    added: list[int] = field(default_factory=list)  # entry numbers
    removed: list[int] = field(default_factory=list)
    changed: dict[int, dict] = field(default_factory=dict)  # number → what changed
    lines: dict[str, int] = field(default_factory=dict)  # added/removed/changed counts
    contacts: dict[str, str] = field(default_factory=dict)  # kind → contact name
    parts_removed: dict[str, int] = field(default_factory=dict)  # addresses, communications
    vat: tuple = ()  # (code, valid_from, before, after)
    balances: dict[tuple[str, str], tuple[Decimal, Decimal]] = field(default_factory=dict)


def _sums(db, group_id: int) -> dict[tuple[str, str], int]:
    """(fiscal year name, account number) → debit − credit, in centimes."""
    return {(fy, number): int(total) for fy, number, total in db.query(
        "SELECT f.name, a.number, SUM(l.debit) - SUM(l.credit) FROM entry_lines l "
        "JOIN accounts a ON a.id = l.account_id JOIN journal_entries e ON e.id = l.entry_id "
        "JOIN fiscal_years f ON f.id = e.fiscal_year_id WHERE a.group_id = ? "
        "GROUP BY f.name, a.number", (group_id,))}


def _free_entries(db, company_id: int, fy_id: int) -> list[tuple[int, int]]:
    """(id, number) of the fiscal year's entries nothing else points to, by number."""
    return [tuple(r) for r in db.query(
        "SELECT e.id, e.number FROM journal_entries e WHERE e.company_id = ? "
        "AND e.fiscal_year_id = ? "
        "AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.entry_id = e.id) "
        "AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.entry_id = e.id) "
        "AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.entry_id = e.id) "
        "ORDER BY e.number", (company_id, fy_id))]


def _lines(db, entry_id: int) -> list[tuple]:
    return [tuple(r) for r in db.query("SELECT id, account_id, debit, credit FROM entry_lines "
                                       "WHERE entry_id = ? ORDER BY id", (entry_id,))]


def _cuttable(lines: list[tuple]) -> bool:
    """The last line has another line on its side (debit or credit) to take its amount."""
    last = lines[-1]
    return any((r[2] > 0) == (last[2] > 0) for r in lines[:-1])


def script_changes(db) -> Expected:
    """Insert, update and delete entries, lines and contacts of GROUP, change a VAT rate;
    what the diff must name."""
    x = Expected()
    gid = db.scalar("SELECT id FROM company_groups WHERE name = ?", (GROUP,))
    company_id, x.company = db.query("SELECT id, name FROM companies WHERE group_id = ?",
                                     (gid,))[0]
    fy_id, x.fiscal_year = db.query("SELECT id, name FROM fiscal_years WHERE company_id = ? "
                                    "ORDER BY start_date DESC", (company_id,))[0]
    before = _sums(db, gid)
    free = _free_entries(db, company_id, fy_id)
    every = [tuple(r) for r in db.query("SELECT id, number FROM journal_entries "
                                        "WHERE fiscal_year_id = ? ORDER BY number", (fy_id,))]
    e_cut, n_cut = next((i, n) for i, n in every if _cuttable(_lines(db, i)))
    free = [(i, n) for i, n in free if i != e_cut]
    (e_update, n_update), (e_delete, n_delete) = free[0], free[1]
    (e_amounts, n_amounts), (e_insert, n_insert) = free[2], free[3]
    accounts = [r[0] for r in db.query("SELECT id FROM accounts WHERE group_id = ? "
                                       "ORDER BY number", (gid,))]
    user = db.scalar("SELECT MIN(id) FROM users")
    with db.transaction():
        # an entry added: the next number, two lines of 123.45
        number = int(db.scalar("SELECT MAX(number) FROM journal_entries WHERE fiscal_year_id = ?",
                               (fy_id,))) + 1
        new = db.insert("journal_entries", {
            "company_id": company_id, "fiscal_year_id": fy_id, "number": number,
            "date": db.scalar("SELECT end_date FROM fiscal_years WHERE id = ?", (fy_id,)),
            "reference": "D-1", "description": "Écriture ajoutée après la sauvegarde",
            "journal": "d", "created_by": user, "created_at": "2026-12-01 09:00:00"})
        for account, debit, credit in ((accounts[3], 12345, 0), (accounts[7], 0, 12345)):
            db.insert("entry_lines", {"entry_id": new, "account_id": account, "debit": debit,
                                      "credit": credit})
        x.added.append(number)
        # an entry's description changed
        db.execute("UPDATE journal_entries SET description = ? WHERE id = ?",
                   ("Libellé corrigé", e_update))
        x.changed[n_update] = {"fields": ["description"], "lines": {}}
        # an entry deleted, with its lines
        gone = len(_lines(db, e_delete))
        db.execute("DELETE FROM entry_lines WHERE entry_id = ?", (e_delete,))
        db.execute("DELETE FROM journal_entries WHERE id = ?", (e_delete,))
        x.removed.append(n_delete)
        # lines changed: a debit and a credit 10.00 more (still balanced)
        lines = _lines(db, e_amounts)
        debit_line = next(r for r in lines if r[2])
        credit_line = next(r for r in lines if r[3])
        db.execute("UPDATE entry_lines SET debit = debit + 1000 WHERE id = ?", (debit_line[0],))
        db.execute("UPDATE entry_lines SET credit = credit + 1000 WHERE id = ?",
                   (credit_line[0],))
        x.changed[n_amounts] = {"fields": [], "lines": {"changed": 2}}
        # lines added to an entry: 5.00 from one account to another
        for account, debit, credit in ((accounts[5], 500, 0), (accounts[6], 0, 500)):
            db.insert("entry_lines", {"entry_id": e_insert, "account_id": account,
                                      "debit": debit, "credit": credit, "text": "ajoutée"})
        x.changed[n_insert] = {"fields": [], "lines": {"added": 2}}
        # a line deleted: the entry's last line, its amount moved to another line of its side
        lines = _lines(db, e_cut)
        last = lines[-1]
        other = next(r for r in lines[:-1] if (r[2] > 0) == (last[2] > 0))
        column = "debit" if last[2] else "credit"
        db.execute(f"UPDATE entry_lines SET {column} = {column} + ? WHERE id = ?",
                   (last[2] or last[3], other[0]))
        db.execute("DELETE FROM entry_lines WHERE id = ?", (last[0],))
        x.changed[n_cut] = {"fields": [], "lines": {"changed": 1, "removed": 1}}
        x.lines = {"added": 4, "removed": gone + 1, "changed": 3}
        # contacts: one added, one renamed, one deleted (with its addresses, communications)
        db.insert("contacts", {"group_id": gid, "kind": "firm", "name": "Fiduciaire Nouvelle SA",
                               "language": "fr", "created_at": "2026-12-02 10:00:00"})
        x.contacts["added"] = "Fiduciaire Nouvelle SA"
        renamed_id, old_name = db.query(
            "SELECT id, name FROM contacts WHERE group_id = ? AND kind = 'firm' ORDER BY id",
            (gid,))[0]
        db.execute("UPDATE contacts SET name = ? WHERE id = ?", (old_name + " (renommée)",
                                                                renamed_id))
        x.contacts["changed"] = old_name + " (renommée)"
        loose = db.query(
            "SELECT c.id, c.name, c.first_name FROM contacts c WHERE c.group_id = ? AND c.id <> ? "
            "AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.contact_id = c.id) "
            "AND NOT EXISTS (SELECT 1 FROM companies k WHERE k.contact_id = c.id) "
            "AND NOT EXISTS (SELECT 1 FROM contacts f WHERE f.firm_id = c.id) "
            "AND EXISTS (SELECT 1 FROM communications m WHERE m.contact_id = c.id) "
            "ORDER BY c.id", (gid, renamed_id))[0]
        x.contacts["removed"] = " ".join(v for v in loose[1:] if v)
        for part in ("addresses", "communications"):
            x.parts_removed[part] = int(db.scalar(f"SELECT count(*) FROM {part} "
                                                  f"WHERE contact_id = ?", (loose[0],)))
            db.execute(f"DELETE FROM {part} WHERE contact_id = ?", (loose[0],))
        db.execute("DELETE FROM contacts WHERE id = ?", (loose[0],))
        # a VAT rate changed
        vid, code, valid_from, rate = db.query(
            f"SELECT id, code, {db.select_expr(_col('vat_codes', 'valid_from'), 'v')}, "
            f"{db.select_expr(_col('vat_codes', 'rate'), 'v')} FROM vat_codes v "
            "WHERE group_id = ? AND rate > 0 ORDER BY code", (gid,))[0]
        db.execute("UPDATE vat_codes SET rate = ? WHERE id = ?", ("9.99", vid))
        x.vat = (code, valid_from, rate, "9.99")
    after = _sums(db, gid)
    for key in before.keys() | after.keys():
        b, a = before.get(key, 0), after.get(key, 0)
        if a != b:
            x.balances[key] = (Decimal(b).scaleb(-2), Decimal(a).scaleb(-2))
    return x


def _col(table: str, name: str):
    from cheel.store import schema

    return schema.table(table).column(name)


@dataclass
class Books:
    catalog: object
    engine: str
    before: Path  # the backup before the changes
    after: Path  # the backup after them
    expected: Expected
    server: str | None


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=ENGINES)
def books(request, tmp_path_factory):
    """A demo organization backed up, changed by script_changes, backed up again."""
    from cheel.store.catalog import Catalog

    root = tmp_path_factory.mktemp(f"diff-{request.param}")
    catalog = Catalog(root / "data")
    server = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    made = []
    postgres = f"{server}/cheel_test_diff_{uuid.uuid4().hex[:10]}" if server else None
    made.append(create_demo(catalog, DemoOptions(ORG, LINES, seed=7, postgres=postgres)))
    dest = root / "out"
    dest.mkdir()
    first = backup(catalog, [ORG], dest).path
    with opened(catalog, ORG) as (_, db):
        expected = script_changes(db)
    second_dest = root / "out2"
    second_dest.mkdir()
    second = backup(catalog, [ORG], second_dest).path
    yield Books(catalog, request.param, Path(first), Path(second), expected, server)
    for entry in catalog.list():
        drop_database(catalog, entry)


@pytest.fixture(params=["whole", "by-range", "given-up"])
def mode(request, monkeypatch):
    """How a backup is read against its own organization: every row spooled ("whole"),
    every family compared by id range first ("by-range", cheel.diff.aligned), or by range
    and then given up for too many touched units ("given-up"): the same differences."""
    from cheel.diff import aligned

    monkeypatch.setattr(aligned, "ALIGN_ROWS", 10**12 if request.param == "whole" else 1)
    if request.param == "given-up":
        monkeypatch.setattr(aligned, "MAX_TOUCHED", 0)
    return request.param


def _group(report, name=GROUP):
    return next(g for g in report.groups if g.name == name)


def check_names_the_changes(report, x: Expected) -> None:
    others = [g for g in report.groups if g.name != GROUP]
    assert others and all(g.status == "same" for g in others), \
        [(g.name, g.status, g.rows()) for g in others]
    g = _group(report)
    assert g.status == "changed"
    assert set(g.rows()) == {"journal_entries", "entry_lines", "contacts", "addresses",
                             "communications", "vat_codes"}, g.rows()
    company = next(c for c in g.companies if c.name == x.company)
    entries = company.tables["journal_entries"]
    assert (entries.added, entries.removed, entries.changed) == \
        (len(x.added), len(x.removed), len(x.changed))
    by_kind: dict[str, dict[int, object]] = {}
    for change in entries.changes:
        assert change.key["fiscal_year_id"][1] in company.fiscal_years
        assert company.fiscal_years[change.key["fiscal_year_id"][1]] == x.fiscal_year
        by_kind.setdefault(change.kind, {})[change.key["number"]] = change
    assert sorted(by_kind["added"]) == x.added and sorted(by_kind["removed"]) == x.removed
    assert sorted(by_kind["changed"]) == sorted(x.changed)
    for number, what in x.changed.items():
        change = by_kind["changed"][number]
        assert [f for f, _, _ in change.changes] == what["fields"], number
        counts = {}
        for line in change.parts.get("entry_lines", []):
            counts[line.kind] = counts.get(line.kind, 0) + 1
        assert counts == what["lines"], (number, counts)
    added = by_kind["added"][x.added[0]]
    assert added.values["description"] == "Écriture ajoutée après la sauvegarde"
    assert [(p.kind, p.values["debit"], p.values["credit"]) for p in
            added.parts["entry_lines"]] == [("added", 12345, 0), ("added", 0, 12345)]
    lines = company.tables["entry_lines"]
    assert {"added": lines.added, "removed": lines.removed, "changed": lines.changed} == x.lines
    contacts = g.tables["contacts"]
    assert (contacts.added, contacts.removed, contacts.changed) == (1, 1, 1)
    assert {c.kind: c.label for c in contacts.changes} == x.contacts
    renamed = next(c for c in contacts.changes if c.kind == "changed")
    assert [f for f, _, _ in renamed.changes] == ["name"]
    for part, n in x.parts_removed.items():
        if n:
            assert (g.tables[part].removed, g.tables[part].added, g.tables[part].changed) == \
                (n, 0, 0)
    vat = g.tables["vat_codes"]
    assert (vat.added, vat.removed, vat.changed) == (0, 0, 1)
    code, valid_from, rate, new_rate = x.vat
    assert vat.changes[0].key == {"code": code, "valid_from": valid_from}
    assert vat.changes[0].changes == [("rate", rate, new_rate)]
    # the balances: exactly those the changes moved, before → after, as Decimal francs
    got = {(b.fiscal_year, b.account): (b.before, b.after) for b in company.balances}
    assert got == x.balances
    for b in company.balances:
        assert isinstance(b.difference, Decimal) and b.difference == b.after - b.before
        assert b.difference.as_tuple().exponent == -2
