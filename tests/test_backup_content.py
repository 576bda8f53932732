"""Backups end to end, what a backup holds and where it goes: a group's rows and nothing
else, small id ranges, a whole organization and the organization rows it references, a NUL
character, several organizations and the group choice with them; file names, never
overwriting, the destination checked before any work and created private; one snapshot
while another process writes. Column types and chunking: test_backup.py.

Real files, real SQLite, real PostgreSQL (skipped with a reason when the server is not
reachable, unless CHEEL_REQUIRE_PG=1).
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

import cheel.backup.plan
from cheel.backup import BackupOptions, create_destination, plan_backup
from cheel.errors import CheelError, DestinationError, UsageError
from cheel.store import organizations
from cheel.store import schema, scope
from cheel.store.catalog import Catalog
from cheel.verify import verify_backup

from backup_support import PYTHON, backup, make_org, mv, read_backup, table_rows


# -- group content -------------------------------------------------------------------------
def _owner_group(db) -> dict[str, dict[int, int]]:
    """For every group-level row: the id of the group it belongs to, found in Python by
    following the declared foreign keys (an oracle independent of cheel's scope SQL)."""
    owner: dict[str, dict[int, int]] = {}
    for t in schema.group_tables():
        if t.name == schema.GROUP_TABLE:
            owner[t.name] = {r[0]: r[0] for r in db.query("SELECT id FROM company_groups")}
            continue
        ref = t.column(t.via).ref
        owner[t.name] = {rid: owner[ref][parent]
                         for rid, parent in db.query(f"SELECT id, {t.via} FROM {t.name}")}
    return owner


@pytest.mark.parametrize("group, users, languages", [
    ("Muster Gruppe", ["admin", "marie"], ["de", "fr"]),
    ("Solo Sàrl", ["admin"], ["de", "fr"]),
])
def test_group_backup_holds_its_rows_and_nothing_else(catalog, dest, engine_url, group, users,
                                                      languages):
    mv.build_sample(catalog, "Sample", postgres=engine_url)
    with organizations.opened(catalog, "Sample") as (_, db):
        owner = _owner_group(db)
        gid = organizations.find_group(db, group).id
        companies = sorted(c.name for c in organizations.find_group(db, group).companies)
    result = backup(catalog, ["Sample"], dest, groups=[group])
    manifest, data = read_backup(result.path)
    (org,) = manifest["organizations"]
    assert [g["name"] for g in org["groups"]] == [group]
    assert sorted(c["name"] for c in org["groups"][0]["companies"]) == companies
    for t in schema.group_tables():
        mine = sorted(i for i, g in owner[t.name].items() if g == gid)
        got = [r[0] for r in data.get((0, "g1", t.name), [])]
        assert got == mine, t.name
    assert sorted(r["login"] for r in table_rows(manifest, data, "users")) == users
    assert sorted(r["code"] for r in table_rows(manifest, data, "languages")) == languages
    assert {k[1] for k in data} <= {"org", "g1"}
    assert sorted(result.companies) == companies


def _add_late_line(db, group_id: int) -> None:
    """A line added late to the group's first entry: its id comes after every other."""
    first, account = db.query(
        "SELECT e.id, l.account_id FROM journal_entries e JOIN entry_lines l "
        "ON l.entry_id = e.id JOIN companies c ON c.id = e.company_id "
        "WHERE c.group_id = ? ORDER BY e.id LIMIT 1", (group_id,))[0]
    db.insert("entry_lines", {"entry_id": first, "account_id": account,
                              "debit": 0, "credit": 0, "text": "late line"})


def test_small_id_ranges_hold_every_row_of_the_group(catalog, dest, engine_url, monkeypatch):
    """Read in ranges of a few ids (PostgreSQL bounds each range's parents by the ids its
    rows point to), a group's lines come out whole and in id order, even lines added late
    to an early entry, whose parent lies far outside the range's usual parents."""
    from cheel.backup import snapshot_reader
    mv.build_sample(catalog, "Sample", postgres=engine_url)
    with organizations.opened(catalog, "Sample") as (_, db):
        group = organizations.find_group(db, "Muster Gruppe")
        gid = group.id
        with db.transaction():
            for g in (gid, organizations.find_group(db, "Solo Sàrl").id):
                _add_late_line(db, g)
        owner = _owner_group(db)
    monkeypatch.setattr(snapshot_reader, "UNIT_ROWS", {"sqlite": 3, "postgres": 3})
    monkeypatch.setattr(snapshot_reader, "DENSE", 0.0)  # every table in ranges
    manifest, data = read_backup(backup(catalog, ["Sample"], dest,
                                        groups=["Muster Gruppe"]).path)
    for t in schema.group_tables():
        mine = sorted(i for i, g in owner[t.name].items() if g == gid)
        assert [r[0] for r in data.get((0, "g1", t.name), [])] == mine, t.name
    texts = [r for r in table_rows(manifest, data, "entry_lines") if r["text"] == "late line"]
    assert len(texts) == 1


def test_whole_organization_holds_every_row_and_only_the_referenced_org_rows(
        catalog, dest, engine_url, monkeypatch):
    """Every group of an organization: the organization rows come from the foreign keys'
    indexes (hans and two languages are referenced by no row), and a group's id range is
    read without joins only where every id in it is the group's. A line added late to
    Muster Gruppe's first entry takes an id past Solo Sàrl's lines: Solo's range stays
    whole, Muster's does not."""
    mv.build_sample(catalog, "Sample", postgres=engine_url)
    with organizations.opened(catalog, "Sample") as (_, db):
        gid = organizations.find_group(db, "Muster Gruppe").id
        with db.transaction():
            _add_late_line(db, gid)
        owner = _owner_group(db)
        groups = {g.name: g.id for g in organizations.list_groups(db)}
    from cheel.backup import snapshot_reader
    ranges = []

    def select_range_sql(t, *args, **kwargs):
        ranges.append((t.name, kwargs["whole"]))
        return scope.select_range_sql(t, *args, **kwargs)

    monkeypatch.setattr(snapshot_reader, "SMALL_GROUP_ROWS", 0)  # every group in ranges
    monkeypatch.setattr(snapshot_reader, "select_range_sql", select_range_sql)
    manifest, data = read_backup(backup(catalog, ["Sample"], dest).path)
    assert ("entry_lines", True) in ranges and ("entry_lines", False) in ranges
    (org,) = manifest["organizations"]
    for g in org["groups"]:
        for t in schema.group_tables():
            mine = sorted(i for i, o in owner[t.name].items() if o == groups[g["name"]])
            assert [r[0] for r in data.get((0, g["key"], t.name), [])] == mine, t.name
    assert sorted(r["login"] for r in table_rows(manifest, data, "users")) == ["admin", "marie"]
    assert sorted(r["code"] for r in table_rows(manifest, data, "languages")) == ["de", "fr"]


def test_a_nul_character_fails_the_backup(catalog, dest):
    make_org(catalog, "Nul")
    with organizations.opened(catalog, "Nul") as (_, db):
        organizations.create_company(db, "Nul AG")
        with db.transaction():
            db.execute("UPDATE contacts SET name = 'A' || char(0) || 'B'")
    with pytest.raises(CheelError, match="holds a NUL character"):
        backup(catalog, ["Nul"], dest)
    assert list(dest.iterdir()) == []


def test_whole_organization_and_several_organizations(catalog, dest):
    mv.build_sample(catalog, "Erste")
    mv.build_sample(catalog, "Zweite")
    result = backup(catalog, ["Erste", "Zweite"], dest)
    assert result.path.name.startswith("erste+zweite_")
    manifest, data = read_backup(result.path)
    assert [(o["index"], o["name"]) for o in manifest["organizations"]] == \
        [(0, "Erste"), (1, "Zweite")]
    assert {k[:2] for k in data} == {(o, s) for o in (0, 1) for s in ("org", "g1", "g2")}
    assert result.groups == ["Muster Gruppe", "Solo Sàrl"] * 2
    assert len(result.companies) == 6


def test_group_choice_with_several_organizations_is_a_usage_error(catalog, dest):
    make_org(catalog, "A")
    make_org(catalog, "B")
    with pytest.raises(UsageError) as info:
        plan_backup(catalog, BackupOptions(["A", "B"], dest, ["G"]))
    assert info.value.exit_code == 2


# -- names, no overwrite, destination ------------------------------------------------------
def test_file_name_and_never_overwriting(catalog, dest):
    make_org(catalog, "Müller & Söhne AG")
    with organizations.opened(catalog, "Müller & Söhne AG") as (_, db):
        organizations.create_company(db, "Müller AG")
    before = datetime.now().replace(microsecond=0)
    first = backup(catalog, ["Müller & Söhne AG"], dest)
    m = re.fullmatch(r"muller-sohne-ag_(\d{8}-\d{6})\.cheelbackup", first.path.name)
    assert m, first.path.name
    stamp = datetime.strptime(m[1], "%Y%m%d-%H%M%S")
    assert before <= stamp <= datetime.now()
    # Same second, twice more, and a foreign file already holding the next name.
    now = datetime(2025, 1, 2, 3, 4, 5)
    name = "muller-sohne-ag_20250102-030405"
    (dest / f"{name}.cheelbackup").write_bytes(b"not ours")
    second = backup(catalog, ["Müller & Söhne AG"], dest, now=now)
    third = backup(catalog, ["Müller & Söhne AG"], dest, now=now)
    assert second.path.name == f"{name}-2.cheelbackup"
    assert third.path.name == f"{name}-3.cheelbackup"
    assert (dest / f"{name}.cheelbackup").read_bytes() == b"not ours"
    for r in (first, second, third):
        verify_backup(r.path)
        assert r.size == r.path.stat().st_size
    assert not [p for p in dest.iterdir() if p.name.endswith(".part")]


def test_destination_is_checked_before_any_work(catalog, tmp_path, monkeypatch):
    make_org(catalog, "Ziel")

    def no_database(*a, **k):
        raise AssertionError("a database was opened before the destination was checked")

    monkeypatch.setattr(cheel.backup.plan, "open_database", no_database)
    missing = tmp_path / "nowhere" / "deeper"
    with pytest.raises(DestinationError, match="does not exist") as info:
        plan_backup(catalog, BackupOptions(["Ziel"], missing))
    assert info.value.exit_code == 1
    assert info.value.hint == "create it first, or choose an existing folder"
    assert not missing.exists()
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(DestinationError, match="not a folder"):
        plan_backup(catalog, BackupOptions(["Ziel"], a_file))
    if os.geteuid() == 0:  # root writes anywhere a permission allows nothing special
        readonly = Path("/proc/self")
    else:
        readonly = tmp_path / "ro"
        readonly.mkdir()
        readonly.chmod(0o555)
    with pytest.raises(DestinationError, match="not writable"):
        plan_backup(catalog, BackupOptions(["Ziel"], readonly))


def test_a_destination_folder_is_created_private_when_asked(catalog, tmp_path):
    make_org(catalog, "Ziel")
    with organizations.opened(catalog, "Ziel") as (_, db):
        organizations.create_company(db, "Ziel AG")
    dest = tmp_path / "a" / "b"
    assert create_destination(dest) == dest
    assert [oct(p.stat().st_mode & 0o777) for p in (tmp_path / "a", dest)] == ["0o700"] * 2
    assert plan_backup(catalog, BackupOptions(["Ziel"], dest)).dest == dest
    assert create_destination(dest) == dest  # already there: nothing to do
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(DestinationError, match="cannot be created: Not a directory"):
        create_destination(a_file / "sub")


# -- a writer in another process during the backup -----------------------------------------
WRITER = textwrap.dedent("""
    import random, sys
    from cheel.store.catalog import Catalog
    from cheel.store.organizations import opened
    data_dir, org = sys.argv[1], sys.argv[2]
    rng = random.Random(99)
    with opened(Catalog(data_dir), org) as (_, db):
        company, year = db.query("SELECT company_id, id FROM fiscal_years ORDER BY id")[0]
        gid = db.scalar("SELECT group_id FROM companies WHERE id = ?", (company,))
        accounts = [r[0] for r in db.query(
            "SELECT id FROM accounts WHERE group_id = ? ORDER BY id", (gid,))][:20]
        number = 10_000_000
        while True:
            number += 1
            with db.transaction():
                eid = db.insert("journal_entries", {
                    "company_id": company, "fiscal_year_id": year, "number": number,
                    "date": "2024-06-30", "description": "concurrent", "journal": "main",
                    "created_at": "2024-06-30 12:00:00"})
                amounts = [rng.randint(1, 10**7) for _ in range(rng.randint(1, 4))]
                for a in amounts:
                    db.insert("entry_lines", {"entry_id": eid, "account_id": rng.choice(accounts),
                                              "debit": a, "credit": 0})
                db.insert("entry_lines", {"entry_id": eid, "account_id": accounts[0],
                                          "debit": 0, "credit": sum(amounts)})
            print(number, flush=True)
""")


def _entries(catalog: Catalog, org: str) -> int:
    with organizations.opened(catalog, org) as (_, db):
        return int(db.scalar("SELECT count(*) FROM journal_entries"))


def test_backup_is_one_snapshot_while_another_process_writes(catalog, dest, engine_url):
    from cheel.demo import DemoOptions, create_demo

    create_demo(catalog, DemoOptions(name="Busy", entries=20_000, postgres=engine_url))
    writer = subprocess.Popen([PYTHON, "-c", WRITER, str(catalog.data_dir), "Busy"],
                              stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(20):  # the writer is running and committing
            assert writer.stdout.readline(), "the writer process stopped"
        # Keep reading its output: a full pipe would stop the writer mid-test.
        threading.Thread(target=writer.stdout.read, daemon=True).start()

        def slow(done, total):  # widen the window between tables
            time.sleep(0.01)

        before = _entries(catalog, "Busy")
        result = backup(catalog, ["Busy"], dest, progress=slow)
        after = _entries(catalog, "Busy")
    finally:
        writer.kill()
        writer.wait()
    assert writer.returncode is not None
    verified = verify_backup(result.path)
    manifest, data = read_backup(result.path)
    entries = table_rows(manifest, data, "journal_entries")
    lines = table_rows(manifest, data, "entry_lines")
    assert before <= len(entries) < after, "the writer committed nothing during the backup"
    assert sum(manifest["rows"].values()) == verified.rows
    ids = {e["id"] for e in entries}
    sums: dict[int, list[int]] = {}
    for line in lines:
        assert line["entry_id"] in ids, "a line whose entry is not in the backup"
        s = sums.setdefault(line["entry_id"], [0, 0, 0])
        s[0] += line["debit"]
        s[1] += line["credit"]
        s[2] += 1
    assert set(sums) == ids, "an entry without its lines"
    unbalanced = [e for e, (d, c, _) in sums.items() if d != c]
    assert not unbalanced
    assert all(n >= 2 for _, _, n in sums.values())
    concurrent = [e for e in entries if e["description"] == "concurrent"]
    assert concurrent, "the backup holds none of the writer's entries"


def test_a_file_name_says_which_organizations_it_holds():
    from cheel.backup.plan import OrgSelection, file_stem
    from cheel.store.catalog import OrgEntry

    def of(*names):
        return [OrgSelection(OrgEntry(n, "sqlite", "x.sqlite"), []) for n in names]

    assert file_stem(of("Demo SA")) == "demo-sa"
    assert file_stem(of("Demo SA", "Zürich AG", "Müller & Co")) == "demo-sa+zurich-ag+muller-co"
    assert file_stem(of("A", "B", "C", "D", "E")) == "a+b+3-more"
