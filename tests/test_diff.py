"""Diff (issue 20): a backup against its live organization after scripted changes (entries,
lines, contacts inserted, updated and deleted, a VAT rate changed), on SQLite and
PostgreSQL: the diff names exactly those, with the balances they move computed exactly;
a restored copy (other ids) shows no change; two backups around the changes name the
same; renumbered rows change what points to them; rows out of id order compare the same;
memory stays flat. The command line: test_diff_cli.py; the shared organization and the
scripted changes: diff_support.py."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from cheel.demo import DemoOptions, create_demo
from cheel.diff import DiffOptions, diff
from cheel.restore import RestoreOptions, run_restore
from cheel.store.organizations import opened
from cheel.store.staging import drop_database

from backup_support import backup
from diff_support import (ENGINES, GROUP, LINES, ORG, books,  # noqa: F401
                          check_names_the_changes, mode)
from sound_fixtures import run_cheel_child


def test_a_diff_names_exactly_the_scripted_changes(books, mode):  # noqa: F811
    report = diff(books.catalog, DiffOptions(books.before, against=ORG))
    assert report.differs
    check_names_the_changes(report, books.expected)


def test_two_backups_around_the_changes_name_the_same(books, mode):  # noqa: F811
    against = diff(books.catalog, DiffOptions(books.before, against=ORG)).as_dict()
    between = diff(books.catalog, DiffOptions(books.before, other=books.after)).as_dict()
    check_names_the_changes(diff(books.catalog, DiffOptions(books.before, other=books.after)),
                            books.expected)
    for d in (against, between):
        d.pop("after"), d.pop("seconds")
        for g in d["groups"]:
            g.pop("organization_after")
    assert between == against
    same = diff(books.catalog, DiffOptions(books.after, other=books.after))
    assert not same.differs


def test_a_restored_copy_with_other_ids_shows_no_change(books, tmp_path, mode):  # noqa: F811
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


@pytest.fixture(scope="module", params=ENGINES)
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
def test_rows_out_of_id_order_compare_the_same(books, tmp_path, monkeypatch, how):  # noqa: F811
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
    check_names_the_changes(diff(books.catalog, DiffOptions(crafted, against=ORG)),
                            books.expected)
