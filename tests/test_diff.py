"""Diff (issue 20): a backup against its live organization after scripted changes (entries,
lines, contacts inserted, updated and deleted, a VAT rate changed), on SQLite and
PostgreSQL: the diff names exactly those, with the balances they move computed exactly;
a restored copy (other ids) shows no change; two backups around the changes name the
same; restore --dry-run says what replacing the group loses; memory stays flat."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from cheel.demo import DemoOptions, create_demo
from cheel.diff import DiffOptions, diff
from cheel.errors import NotFound, UsageError
from cheel.restore import RestoreOptions, run_restore
from cheel.store.organizations import opened
from cheel.store.staging import drop_database

from backup_support import PW, backup
from helpers import run_cli
from sound_fixtures import run_cheel_child

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


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
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


def _check_names_the_changes(report, x: Expected) -> None:
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


def test_a_diff_names_exactly_the_scripted_changes(books, mode):
    report = diff(books.catalog, DiffOptions(books.before, against=ORG))
    assert report.differs
    _check_names_the_changes(report, books.expected)


def test_two_backups_around_the_changes_name_the_same(books, mode):
    against = diff(books.catalog, DiffOptions(books.before, against=ORG)).as_dict()
    between = diff(books.catalog, DiffOptions(books.before, other=books.after)).as_dict()
    _check_names_the_changes(diff(books.catalog, DiffOptions(books.before, other=books.after)),
                             books.expected)
    for d in (against, between):
        d.pop("after"), d.pop("seconds")
        for g in d["groups"]:
            g.pop("organization_after")
    assert between == against
    same = diff(books.catalog, DiffOptions(books.after, other=books.after))
    assert not same.differs


def test_a_restored_copy_with_other_ids_shows_no_change(books, tmp_path, mode):
    """The backup restored into an organization that already holds rows (so that every id
    is shifted), on the same engine: the diff of the file against it names no change in
    any of the file's groups."""
    copy = f"Copie {books.engine} {mode}"
    postgres = f"{books.server}/cheel_test_diffcopy_{uuid.uuid4().hex[:10]}" \
        if books.server else None
    create_demo(books.catalog, DemoOptions(copy, 400, seed=8, postgres=postgres))
    with opened(books.catalog, copy) as (_, db):  # its own groups, named apart
        db.execute("UPDATE company_groups SET name = name || ' (autre)'")
        db.execute("UPDATE companies SET name = name || ' (autre)'")
        tops = {t: db.scalar(f"SELECT MAX(id) FROM {t}") for t in ("journal_entries",
                                                                   "entry_lines", "contacts")}
    run_restore(books.catalog, RestoreOptions(books.before, copy))
    report = diff(books.catalog, DiffOptions(books.before, against=copy))
    ours = [g for g in report.groups if g.before is not None]
    assert len(ours) == 3 and all(g.status == "same" for g in ours), \
        [(g.name, g.rows()) for g in ours]
    assert all(g.status == "only_after" for g in report.groups if g.before is None)
    with opened(books.catalog, copy) as (_, db):  # the restored rows do have other ids
        gid = db.scalar("SELECT id FROM company_groups WHERE name = ?", (GROUP,))
        low = db.scalar("SELECT MIN(e.id) FROM journal_entries e JOIN companies c "
                        "ON c.id = e.company_id WHERE c.group_id = ?", (gid,))
        assert low > tops["journal_entries"]


def test_the_command_prints_the_changes_and_json(books):
    x = books.expected
    out = run_cli(books.catalog, "diff", str(books.before), "--against", ORG,
                  "--group", GROUP, env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    text = out.output
    assert f"{GROUP}: changed" in text and "Fiscal year " + x.fiscal_year in text
    assert f"added {x.added[0]} " in text and f"removed {x.removed[0]} " in text
    assert "Libellé corrigé" in text and f"rate {x.vat[2]} → 9.99" in text
    assert x.contacts["added"] in text and x.contacts["changed"] in text
    data = json.loads(run_cli(books.catalog, "diff", str(books.before), "--against", ORG,
                              "--json").output)
    assert data["differs"] is True
    g = next(g for g in data["groups"] if g["name"] == GROUP)
    assert g["rows"]["journal_entries"] == {"added": 1, "removed": 1, "changed": 4}
    balances = [b for c in g["companies"] for b in c["balances"]]
    assert {(b["fiscal_year"], b["account"]): (b["before"], b["after"]) for b in balances} == \
        {k: (str(b), str(a)) for k, (b, a) in x.balances.items()}
    between = run_cli(books.catalog, "diff", str(books.before), str(books.after), "--json")
    assert json.loads(between.output)["differs"] is True


def test_restore_dry_run_says_what_replacing_loses(books, mode):
    x = books.expected
    out = run_cli(books.catalog, "restore", str(books.before), "--into", ORG, "--group", GROUP,
                  "--on-conflict", "replace", "--dry-run", env={"COLUMNS": "300"})
    assert out.exit_code == 0, out.output
    day = json.loads(run_cli(books.catalog, "inspect", str(books.before), "--json")
                     .output)["created_at"][:10]
    assert (f'Replacing "{GROUP}" loses 1 entry booked since {day}, undoes the changes to '
            f"4 entries, brings back 1 deleted entry, undoes ") in " ".join(out.output.split())
    assert f"and changes {len(x.balances)} balances" in " ".join(out.output.split())
    data = json.loads(run_cli(books.catalog, "restore", str(books.before), "--into", ORG,
                              "--on-conflict", "replace", "--dry-run", "--json").output)
    replacing = {r["group"]: r for r in data["replacing"]}
    assert set(replacing) == {GROUP, "Boulangerie Favre Sàrl", "Groupe Helvetia"}
    assert replacing[GROUP]["rows"]["journal_entries"] == {"added": 1, "removed": 1,
                                                           "changed": 4}
    assert replacing["Groupe Helvetia"]["sentence"] == \
        'replacing "Groupe Helvetia" loses nothing: it holds what the backup holds'
    with opened(books.catalog, ORG) as (_, db):  # nothing was replaced
        assert db.scalar("SELECT count(*) FROM contacts WHERE name = ?",
                         (x.contacts["added"],)) == 1


def test_groups_and_usage(books):
    with pytest.raises(NotFound):
        diff(books.catalog, DiffOptions(books.before, against=ORG, groups=["Nulle part"]))
    with pytest.raises(UsageError):
        diff(books.catalog, DiffOptions(books.before))
    report = diff(books.catalog, DiffOptions(books.before, against=ORG,
                                             groups=[f"{ORG}/Groupe Helvetia"]))
    assert [g.name for g in report.groups] == ["Groupe Helvetia"]
    both = run_cli(books.catalog, "diff", str(books.before), str(books.after), "--against", ORG)
    assert both.exit_code == 2 and "Error:" in both.output


def test_an_encrypted_backup_is_compared_with_its_password(books, tmp_path):
    dest = tmp_path / "enc"
    dest.mkdir()
    locked = backup(books.catalog, [ORG], dest, password=PW).path
    out = run_cli(books.catalog, "diff", str(locked), "--against", ORG, "--json",
                  env={"CHEEL_PASSWORD": PW})
    assert out.exit_code == 0 and json.loads(out.output)["differs"] is False
    wrong = run_cli(books.catalog, "diff", str(locked), "--against", ORG,
                    env={"CHEEL_PASSWORD": "faux"})
    assert wrong.exit_code == 3


@pytest.mark.parametrize("lines", [(80_000, 320_000)])
def test_memory_stays_flat_as_the_books_grow(tmp_path, lines):
    """``cheel diff FILE --against ORG`` in a child process, on books four times larger:
    its peak memory grows by less than 10 %."""
    from cheel.store.catalog import Catalog

    peaks = []
    for n in lines:
        catalog = Catalog(tmp_path / f"data{n}")
        create_demo(catalog, DemoOptions(ORG, n, seed=3))
        dest = tmp_path / f"out{n}"
        dest.mkdir()
        file = backup(catalog, [ORG], dest).path
        with opened(catalog, ORG) as (_, db):
            db.execute("UPDATE entry_lines SET text = 'changé' WHERE id % 97 = 0")
        run = run_cheel_child(["--data-dir", str(catalog.data_dir), "diff", str(file),
                               "--against", ORG, "--json"], timeout=300)
        assert run.code == 0, run.stderr
        changed = json.loads(run.stdout)["groups"]
        assert sum(g["rows"].get("entry_lines", {}).get("changed", 0) for g in changed) == \
            n // 97
        peaks.append(run.max_rss_mib)
    assert peaks[1] < peaks[0] * 1.10, peaks


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def renumbered(request, tmp_path_factory):
    """A demo organization backed up, then an account with lines renumbered and an entry
    that a payment points to renumbered: what points to them changes with them."""
    from cheel.store.catalog import Catalog

    root = tmp_path_factory.mktemp(f"diff-renumbered-{request.param}")
    catalog = Catalog(root / "data")
    server = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    postgres = f"{server}/cheel_test_diffnum_{uuid.uuid4().hex[:10]}" if server else None
    create_demo(catalog, DemoOptions(ORG, LINES, seed=5, postgres=postgres))
    dest = root / "out"
    dest.mkdir()
    file = Path(backup(catalog, [ORG], dest).path)
    with opened(catalog, ORG) as (_, db):
        gid = db.scalar("SELECT id FROM company_groups WHERE name = ?", (GROUP,))
        account, number = db.query(
            "SELECT a.id, a.number FROM accounts a WHERE a.group_id = ? AND EXISTS "
            "(SELECT 1 FROM entry_lines l WHERE l.account_id = a.id) ORDER BY a.number",
            (gid,))[0]
        entry, payment = db.query(
            "SELECT p.entry_id, p.id FROM payments p JOIN invoices i ON i.id = p.invoice_id "
            "JOIN companies c ON c.id = i.company_id WHERE c.group_id = ? "
            "AND p.entry_id IS NOT NULL ORDER BY p.id", (gid,))[0]
        lines = int(db.scalar("SELECT count(*) FROM entry_lines WHERE account_id = ?",
                              (account,)))
        in_entry = int(db.scalar("SELECT count(*) FROM entry_lines WHERE entry_id = ?",
                                 (entry,)))
        both = int(db.scalar("SELECT count(*) FROM entry_lines WHERE entry_id = ? AND "
                             "account_id = ?", (entry, account)))
        others = int(db.scalar("SELECT count(DISTINCT entry_id) FROM entry_lines WHERE "
                               "account_id = ? AND entry_id <> ?", (account, entry)))
        moved = db.query("SELECT a.id, a.contact_id FROM addresses a JOIN contacts c ON "
                         "c.id = a.contact_id WHERE c.group_id = ? ORDER BY a.id", (gid,))[0]
        with db.transaction():
            db.execute("UPDATE accounts SET number = ? WHERE id = ?", (number + "9", account))
            db.execute("UPDATE journal_entries SET number = number + 100000 WHERE id = ?",
                       (entry,))
            # a contact's address moved (the contact itself unchanged); two contacts made in
            # the same second, the second with an address
            db.execute("UPDATE addresses SET city = 'Ailleurs' WHERE id = ?", (moved[0],))
            for name in ("Jumelle A SA", "Jumelle B SA"):
                twin = db.insert("contacts", {"group_id": gid, "kind": "firm", "name": name,
                                              "created_at": "2026-12-03 10:00:00"})
            db.insert("addresses", {"contact_id": twin, "kind": "main", "postcode": "1000",
                                    "city": "Lausanne", "country": "CH"})
    yield catalog, file, {"number": number, "lines": lines, "in_entry": in_entry,
                          "both": both, "entries": others}
    for entry in catalog.list():
        drop_database(catalog, entry)


def test_renumbered_rows_change_what_points_to_them(renumbered, monkeypatch):
    """An account renumbered: it is removed and added (its number is its key), and each of
    its lines changed; an entry renumbered: removed and added with its lines, and the
    payment pointing to it changed. The same read by range (the account's lines and the
    payment unchanged in the file, their references' keys not) as read whole."""
    from cheel.diff import aligned

    catalog, file, x = renumbered
    reports = []
    for rows, touched in ((10**12, 10**9), (1, 10**9), (1, 0)):
        monkeypatch.setattr(aligned, "ALIGN_ROWS", rows)
        monkeypatch.setattr(aligned, "MAX_TOUCHED", touched)
        report = diff(catalog, DiffOptions(file, against=ORG)).as_dict()
        report.pop("seconds")
        reports.append(report)
    for other in reports[1:]:
        for mine, theirs in zip(reports[0]["groups"], other["groups"]):
            assert mine["rows"] == theirs["rows"], (mine["name"], mine["rows"], theirs["rows"])
        assert other == reports[0]
    g = next(g for g in reports[0]["groups"] if g["name"] == GROUP)
    rows = g["rows"]
    assert rows["accounts"] == {"added": 1, "removed": 1, "changed": 0}
    # its lines on the account make the other entries changed
    assert rows["journal_entries"] == {"added": 1, "removed": 1, "changed": x["entries"]}
    assert rows["entry_lines"] == {"added": x["in_entry"], "removed": x["in_entry"],
                                   "changed": x["lines"] - x["both"]}
    assert rows["payments"] == {"added": 0, "removed": 0, "changed": 1}
    assert rows["contacts"] == {"added": 2, "removed": 0, "changed": 1}
    assert rows["addresses"] == {"added": 1, "removed": 0, "changed": 1}
    contacts = {c["label"]: c for c in g["tables"]["contacts"]["changes"]}
    twin = contacts["Jumelle B SA"]
    assert twin["position"] == 2 and [p["kind"] for p in twin["parts"]["addresses"]] == \
        ["added"]
    assert contacts["Jumelle A SA"].get("parts", {}) == {}
    moved = next(c for c in contacts.values() if c["kind"] == "changed")
    assert moved["values"] == {} and [p["changes"] for p in moved["parts"]["addresses"]] == \
        [[{"field": "city", "before": moved["parts"]["addresses"][0]["changes"][0]["before"],
           "after": "Ailleurs"}]]
    accounts = [c for c in g["tables"]["accounts"]["changes"]]
    assert sorted((c["kind"], c["label"]) for c in accounts) == \
        [("added", x["number"] + "9"), ("removed", x["number"])]
    company = g["companies"][0]
    payment = company["tables"]["invoices"]["changes"][0]["parts"]["payments"][0]
    assert [c["field"] for c in payment["changes"]] == ["entry_id"]
    line = next(c for c in company["tables"]["journal_entries"]["changes"])
    assert line["kind"] in ("added", "removed")
    balances = company["balances"]
    assert balances and {b["account"] for b in balances} == {x["number"], x["number"] + "9"}


@pytest.mark.parametrize("how", ["reversed", "swapped", "moved"])
def test_rows_out_of_id_order_compare_the_same(books, tmp_path, monkeypatch, how):
    """A file whose group's rows are not in id order (as PostgreSQL returns a range whose
    rows were updated: an updated row moves to the end): the entry lines reversed, two
    lines of a chunk swapped, or the first invoice moved last (its chunk compared row by
    row, the rows below its range by their ids; the invoices pointing to entries compared
    by range, and through them to fiscal years): the same differences, read by range as
    read whole."""
    from cheel.diff import aligned
    from sound_fixtures import reseal, take_apart

    parts = take_apart(books.before.read_bytes())
    key = next(g["key"] for g in parts.manifest["organizations"][0]["groups"]
               if g["name"] == GROUP)
    names = parts.names("entry_lines", key)
    if how == "reversed":
        rows = parts.rows("entry_lines", key)[::-1]
        for name in names:
            n = len(parts.chunks[name])
            parts.chunks[name], rows = rows[:n], rows[n:]
    elif how == "swapped":
        chunk = parts.chunks[names[0]]
        chunk[1], chunk[2] = chunk[2], chunk[1]
    else:
        invoices = parts.names("invoices", key)
        parts.chunks[invoices[-1]].append(parts.chunks[invoices[0]].pop(0))
    crafted = tmp_path / f"{how}.cheelbackup"
    crafted.write_bytes(reseal(parts))
    reports = []
    for rows in (10**12, 1):
        monkeypatch.setattr(aligned, "ALIGN_ROWS", rows)
        for file in (books.before, crafted):
            report = diff(books.catalog, DiffOptions(file, against=ORG)).as_dict()
            report.pop("seconds"), report.pop("before")
            reports.append(report)
    assert all(r == reports[0] for r in reports[1:])
    _check_names_the_changes(diff(books.catalog, DiffOptions(crafted, against=ORG)),
                             books.expected)


def test_a_backup_at_an_address_is_compared_where_it_is(books, sftp_server, tmp_path):
    """``cheel diff sftp://…/FILE --against ORG``: read where it is, streaming; the same
    differences as the file on this disk, on either engine (CI runs every test)."""
    folder = tmp_path / "remote"
    folder.mkdir()
    (folder / books.before.name).write_bytes(books.before.read_bytes())
    url = sftp_server.url(folder / books.before.name)
    remote = run_cli(books.catalog, "diff", url, "--against", ORG, "--group", GROUP, "--json")
    local = run_cli(books.catalog, "diff", str(books.before), "--against", ORG, "--group", GROUP,
                    "--json")
    assert remote.exit_code == 0, remote.output
    mine, theirs = json.loads(remote.output), json.loads(local.output)
    assert mine["before"]["file"] == url and mine["groups"] == theirs["groups"]
