"""Restore: round trips on both engines and across them, conflicts (copy, skip, fail,
replace, dry run) and group selection, the command's exit codes, the committed vectors,
a new organization's checks beside its indexes and a replace that builds them again.
What a restore refuses and what a failed or killed one leaves: test_restore_failures.py."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cheel.cli.main import cli
from cheel.demo import DemoOptions, create_demo
from cheel.errors import IntegrityError, NotFound, RestoreConflict
from cheel.restore import RestoreOptions, plan_restore, run_restore
from cheel.store import organizations
from helpers import fingerprint, group_uids
from restore_support import PW, backup, contents, demo  # noqa: F401
from vectors_support import ok_cases


def _url(request, engine):
    if engine == "sqlite":
        return None
    return f"{request.getfixturevalue('pg_url')}/{request.getfixturevalue('pg_dbname')()}"


@pytest.mark.parametrize("source,target", [("sqlite", "sqlite"), ("postgres", "postgres"),
                                           ("sqlite", "postgres"), ("postgres", "sqlite")])
def test_round_trip_content_is_identical(request, catalog, tmp_path, source, target):
    create_demo(catalog, DemoOptions(name="Source", entries=3000, seed=3,
                                     postgres=_url(request, source)))
    path = backup(catalog, "Source", tmp_path)
    report = run_restore(catalog, RestoreOptions(path, "Copy", create=True,
                                                 postgres=_url(request, target)), PW)
    assert report.created and all(g.action == "new" for g in report.groups)
    assert catalog.find("Copy").engine == target
    original, restored = contents(catalog, "Source"), contents(catalog, "Copy")
    assert set(original) == set(restored)
    for name in original:
        for table, rows in original[name].items():
            assert restored[name][table] == rows, (name, table)
    assert sum(len(r) for r in original["Groupe Helvetia"].values()) > 3000


def test_cross_engine_and_back(request, catalog, tmp_path):
    create_demo(catalog, DemoOptions(name="Source", entries=1500, seed=5))
    (tmp_path / "a").mkdir()
    first = backup(catalog, "Source", tmp_path / "a")
    run_restore(catalog, RestoreOptions(first, "OnPG", create=True,
                                        postgres=_url(request, "postgres")), PW)
    second = backup(catalog, "OnPG", tmp_path)
    run_restore(catalog, RestoreOptions(second, "BackHome", create=True), PW)
    assert contents(catalog, "Source") == contents(catalog, "BackHome")


def test_restore_into_org_with_overlapping_keys(demo, tmp_path):  # noqa: F811
    path = backup(demo, "Demo SA", tmp_path, groups=["Atelier Keller GmbH"])
    create_demo(demo, DemoOptions(name="Other", entries=2000, seed=99))
    before = contents(demo, "Other")
    # another seed: other uids, overlapping surrogate keys, same group names
    report = run_restore(demo, RestoreOptions(path, "Other"), PW)
    assert [g.action for g in report.groups] == ["new"]
    after = contents(demo, "Other")
    restored_name = report.groups[0].target_name
    assert restored_name != "Atelier Keller GmbH" or "Atelier Keller GmbH" not in before
    for name, content in before.items():
        assert after[name] == content  # the groups already there are untouched
    src = contents(demo, "Demo SA", ignore_uids=True)["Atelier Keller GmbH"]
    assert contents(demo, "Other", ignore_uids=True)[restored_name] == src
    # the demo generator reuses group names: the restored group is renamed, the report says so
    assert "Atelier Keller GmbH" in before
    assert report.groups[0].renamed and restored_name.startswith("Atelier Keller GmbH (")
    assert report.groups[0].company_names[report.groups[0].companies[0].uid] != \
        "Atelier Keller GmbH"


def test_copy_twice_then_skip_and_fail(demo, tmp_path):  # noqa: F811
    path = backup(demo, "Demo SA", tmp_path, groups=["Boulangerie Favre Sàrl"])
    src = contents(demo, "Demo SA", ignore_uids=True)["Boulangerie Favre Sàrl"]
    r1 = run_restore(demo, RestoreOptions(path, "Demo SA", on_conflict="copy"), PW)
    r2 = run_restore(demo, RestoreOptions(path, "Demo SA", on_conflict="copy"), PW)
    n1, n2 = r1.groups[0].target_name, r2.groups[0].target_name
    assert n1 != n2 and n1.startswith("Boulangerie Favre Sàrl (") and r1.groups[0].renamed
    uids = group_uids(demo, "Demo SA")
    assert len({uids["Boulangerie Favre Sàrl"], uids[n1], uids[n2]}) == 3
    after = contents(demo, "Demo SA", ignore_uids=True)
    assert after[n1] == src and after[n2] == src
    fp = fingerprint(demo, "Demo SA")
    r3 = run_restore(demo, RestoreOptions(path, "Demo SA", on_conflict="skip"), PW)
    assert r3.groups[0].action == "skip"
    with pytest.raises(RestoreConflict) as e:
        run_restore(demo, RestoreOptions(path, "Demo SA"), PW)
    assert "Boulangerie Favre Sàrl" in e.value.message and "replace" in e.value.hint
    assert fingerprint(demo, "Demo SA") == fp


def test_replace_gives_back_exactly_the_backup(demo, tmp_path):  # noqa: F811
    path = backup(demo, "Demo SA", tmp_path, groups=["Groupe Helvetia"])
    original = contents(demo, "Demo SA")
    with organizations.opened(demo, "Demo SA") as (_, db):
        gid = db.scalar("SELECT id FROM company_groups WHERE name = 'Groupe Helvetia'")
        cid = db.scalar("SELECT min(id) FROM companies WHERE group_id = ?", (gid,))
        with db.transaction():
            # modified, deleted and added rows
            db.execute("UPDATE contacts SET name = 'Changed' WHERE group_id = ?", (gid,))
            eid = db.scalar("SELECT max(id) FROM journal_entries WHERE company_id = ?", (cid,))
            db.execute("DELETE FROM documents WHERE entry_id = ?", (eid,))
            db.execute("UPDATE invoices SET entry_id = NULL WHERE entry_id = ?", (eid,))
            db.execute("UPDATE payments SET entry_id = NULL WHERE entry_id = ?", (eid,))
            db.execute("DELETE FROM entry_lines WHERE entry_id = ?", (eid,))
            db.execute("DELETE FROM journal_entries WHERE id = ?", (eid,))
            organizations.create_company(db, "Newcomer SA", group="Groupe Helvetia")
    assert contents(demo, "Demo SA")["Groupe Helvetia"] != original["Groupe Helvetia"]
    report = run_restore(demo, RestoreOptions(path, "Demo SA", on_conflict="replace"), PW)
    assert report.groups[0].action == "replace" and not report.groups[0].renamed
    assert contents(demo, "Demo SA") == original


def book_in_turn(catalog, org, times=5):
    """Entries of Helvetia and of Keller booked in turn, each with a line: the two groups'
    ids interleave in journal_entries and entry_lines."""
    with organizations.opened(catalog, org) as (_, db):
        with db.transaction():
            for _ in range(times):
                for group in ("Groupe Helvetia", "Atelier Keller GmbH"):
                    gid = db.scalar("SELECT id FROM company_groups WHERE name = ?", (group,))
                    eid = db.scalar("SELECT max(e.id) FROM journal_entries e JOIN companies c "
                                    "ON c.id = e.company_id WHERE c.group_id = ?", (gid,))
                    new = db.scalar("SELECT max(id) FROM journal_entries") + 1
                    db.execute("INSERT INTO journal_entries (id, company_id, fiscal_year_id, "
                               "number, date, description, journal, created_at) SELECT ?, "
                               "company_id, fiscal_year_id, number + 1000, date, 'in turn', "
                               "journal, created_at FROM journal_entries WHERE id = ?",
                               (new, eid))
                    db.execute("INSERT INTO entry_lines (id, entry_id, account_id, debit, "
                               "credit) SELECT (SELECT max(id) + 1 FROM entry_lines), ?, "
                               "account_id, 0, 0 FROM entry_lines WHERE entry_id = ? LIMIT 1",
                               (new, eid))


def test_replace_where_the_groups_ids_interleave(demo, tmp_path, monkeypatch):  # noqa: F811
    """A group's rows whose ids run from its lowest to its highest without another group's
    in between are deleted as a range of the table; where another group's rows lie in
    between (entries booked for two groups in turn), row by row: either way the replaced
    group comes back exactly and the other groups keep every row."""
    from cheel.store.sqlite import SQLiteDatabase

    book_in_turn(demo, "Demo SA")
    path = backup(demo, "Demo SA", tmp_path, groups=["Groupe Helvetia"])
    original = contents(demo, "Demo SA")
    deletes = []
    real = SQLiteDatabase.execute

    def execute(self, sql, params=()):
        if sql.startswith("DELETE"):
            deletes.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(SQLiteDatabase, "execute", execute)
    report = run_restore(demo, RestoreOptions(path, "Demo SA", on_conflict="replace"), PW)
    monkeypatch.undo()
    assert report.groups[0].action == "replace"
    by_range = {d.split()[2] for d in deletes if "BETWEEN" in d}
    by_rows = {d.split()[2] for d in deletes if "BETWEEN" not in d}
    assert {"journal_entries", "entry_lines"} <= by_rows  # Keller's entries in between
    assert {"journal_entries", "entry_lines"}.isdisjoint(by_range) and by_range  # the others
    assert contents(demo, "Demo SA") == original


def test_replace_on_postgresql(catalog, tmp_path, pg_url, pg_dbname):
    """The same replace into a PostgreSQL organization: a group whose entries interleave
    with another group's comes back exactly, the other groups keep every row."""
    create_demo(catalog, DemoOptions(name="Pg SA", entries=3000, seed=7,
                                     postgres=f"{pg_url}/{pg_dbname()}"))
    book_in_turn(catalog, "Pg SA")
    path = backup(catalog, "Pg SA", tmp_path, groups=["Groupe Helvetia"])
    original = contents(catalog, "Pg SA")
    with organizations.opened(catalog, "Pg SA") as (_, db):
        with db.transaction():
            db.execute("UPDATE contacts SET name = 'Changed' WHERE group_id = (SELECT id FROM "
                       "company_groups WHERE name = 'Groupe Helvetia')")
    report = run_restore(catalog, RestoreOptions(path, "Pg SA", on_conflict="replace"), PW)
    assert report.groups[0].action == "replace"
    assert contents(catalog, "Pg SA") == original


def test_dry_run_changes_nothing(demo, tmp_path):  # noqa: F811
    path = backup(demo, "Demo SA", tmp_path)
    fp = fingerprint(demo, "Demo SA")
    report = run_restore(demo, RestoreOptions(path, "Demo SA", on_conflict="copy",
                                              dry_run=True), PW)
    assert report.dry_run and len(report.groups) == 3
    assert report.rows["entry_lines"] == 3000
    assert fingerprint(demo, "Demo SA") == fp
    assert not demo.exists("Nowhere")
    run_restore(demo, RestoreOptions(path, "Nowhere", create=True, dry_run=True), PW)
    assert not demo.exists("Nowhere")


def test_group_selection(demo, tmp_path):  # noqa: F811
    path = backup(demo, "Demo SA", tmp_path)
    _, plans = plan_restore(demo, RestoreOptions(path, "X", create=True,
                                                 groups=["Demo SA/atelier keller gmbh"]), PW)
    assert [p.name for p in plans] == ["Atelier Keller GmbH"]
    with pytest.raises(NotFound):
        plan_restore(demo, RestoreOptions(path, "X", create=True, groups=["Nope"]), PW)
    with pytest.raises(NotFound):
        plan_restore(demo, RestoreOptions(path, "Missing"), PW)


def test_cli_restore_exit_codes(demo, tmp_path):  # noqa: F811
    path = backup(demo, "Demo SA", tmp_path, groups=["Atelier Keller GmbH"])
    runner = CliRunner()
    base = ["--data-dir", str(demo.data_dir), "restore", str(path)]
    env = {"CHEEL_PASSWORD": PW}
    r = runner.invoke(cli, base + ["--into", "Demo SA"], env=env)
    assert r.exit_code == 5 and "Atelier Keller GmbH" in r.output + r.stderr
    r = runner.invoke(cli, base + ["--into", "Demo SA", "--on-conflict", "copy", "--json"],
                      env=env)
    assert r.exit_code == 0, r.output
    import json

    rep = json.loads(r.stdout)
    assert rep["groups"][0]["action"] == "copy" and rep["rows"]["entry_lines"] > 0
    r = runner.invoke(cli, base + ["--into", "Demo SA", "--on-conflict", "skip", "--dry-run"],
                      env=env)
    assert r.exit_code == 0 and "Would restore 0 group" in r.output
    r = runner.invoke(cli, base + ["--into", "Demo SA"], env={"CHEEL_PASSWORD": "wrong"})
    assert r.exit_code == 3
    r = runner.invoke(cli, base, env=env)
    assert r.exit_code == 2 and "--into" in r.output + r.stderr
    r = runner.invoke(cli, base + ["--into", "New SA"], env=env)
    assert r.exit_code == 1 and "--create" in r.output + r.stderr
    r = runner.invoke(cli, base + ["--into", "New SA", "--create"], env=env)
    assert r.exit_code == 0 and "new organization" in r.output
    assert PW not in r.output


@pytest.mark.parametrize("case", ok_cases(), ids=lambda c: c["id"])
def test_committed_vectors_keep_restoring(catalog, case):
    """Backups made by earlier versions (committed files) restore, and stay restorable."""
    path = case["path"]
    report = run_restore(catalog, RestoreOptions(path, "From vector", create=True),
                         case.get("password"))
    assert sum(report.rows.values()) == sum(case["rows"].values())
    info = organizations.describe(catalog, catalog.find("From vector"))
    assert len(info["groups"]) == len(report.groups)


def test_v1_vector_restores_into_postgres(catalog, pg_url, pg_dbname):
    case = next(c for c in ok_cases() if c["name"] == "v1-ok-encrypted")
    url = f"{pg_url}/{pg_dbname()}"
    run_restore(catalog, RestoreOptions(case["path"], "PG vector", create=True,
                                        postgres=url), case["password"])
    run_restore(catalog, RestoreOptions(case["path"], "SQLite vector", create=True),
                case["password"])
    assert contents(catalog, "PG vector") == contents(catalog, "SQLite vector")


@pytest.mark.parametrize("failing", ["check", "balance", "index"])
def test_new_sqlite_checks_beside_the_indexes_fail_whole(demo, tmp_path, monkeypatch, failing):  # noqa: F811
    """A new SQLite organization's checks run on a second connection while its indexes are
    built (the balance check once the index it walks is there): a failing check stops the
    index builds, a failing index build the checks, and either failure is the one said,
    with nothing left behind."""
    from cheel.restore import checks
    from cheel.store import sqlite

    path = backup(demo, "Demo SA", tmp_path)
    if failing == "check":
        def count_check(t, gids, bulk):
            def run(db):
                raise IntegrityError("a check said no", cause="counts")
            return run
        monkeypatch.setattr(checks, "count_check", count_check)
        match = "a check said no"
    elif failing == "balance":
        def balance_check(table, lo, hi):
            def run(db):
                assert db.scalar("SELECT count(*) FROM sqlite_master WHERE name = "
                                 "'ix_entry_lines_entry_id'") == 1
                raise IntegrityError("entries do not balance", cause="balance")
            return run
        monkeypatch.setattr(checks, "balance_check", balance_check)
        match = "entries do not balance"
    else:
        indexes = sqlite.foreign_key_indexes
        monkeypatch.setattr(sqlite, "foreign_key_indexes", lambda: indexes() + [
            ("ix_none", "no_table", "CREATE INDEX ix_none ON no_table (x)")])
        match = "no such table"
    with pytest.raises(Exception, match=match):
        run_restore(demo, RestoreOptions(path, "Fresh", create=True), PW)
    assert not demo.exists("Fresh")
    assert sorted(p.name for p in demo.data_dir.glob("fresh*")) == []


def test_replace_that_rewrites_most_rows_builds_the_indexes_again(demo, tmp_path,  # noqa: F811
                                                                  monkeypatch):
    """Replacing a group that holds most of a table's rows drops that table's indexes in the
    transaction and builds them after the load: the same indexes after it, the same ones
    (and the same rows) after a replace that fails."""
    from cheel.restore import checks, load

    monkeypatch.setattr(load, "REBUILT_FROM", 1)
    path = backup(demo, "Demo SA", tmp_path, groups=["Groupe Helvetia"])
    original = contents(demo, "Demo SA")

    def indexes():
        with organizations.opened(demo, "Demo SA") as (_, db):
            return db.query("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                            "ORDER BY name")

    before = indexes()
    report = run_restore(demo, RestoreOptions(path, "Demo SA", on_conflict="replace"), PW)
    assert report.groups[0].action == "replace"
    assert contents(demo, "Demo SA") == original and indexes() == before
    fp = fingerprint(demo, "Demo SA")

    def count_check(t, gids, bulk):
        def run(db):
            assert db.scalar("SELECT count(*) FROM sqlite_master WHERE name = "
                             "'ix_entry_lines_entry_id'") == 1  # built before the checks
            raise IntegrityError("a check said no", cause="counts")
        return run

    monkeypatch.setattr(checks, "count_check", count_check)
    with pytest.raises(IntegrityError, match="a check said no"):
        run_restore(demo, RestoreOptions(path, "Demo SA", on_conflict="replace"), PW)
    assert fingerprint(demo, "Demo SA") == fp and indexes() == before


def test_the_keys_check_looks_rows_up_only_where_a_range_has_gaps(demo):  # noqa: F811
    """A key inside its parent's range is taken for a row that exists only where the parent
    holds every id of that range; a parent with a gap is looked up row by row. Either way a
    key to a missing row, or out of the range, is found."""
    from cheel.restore.checks import keys_check
    from cheel.store import schema

    fks = schema.table("entry_lines").foreign_keys
    with organizations.opened(demo, "Demo SA") as (_, db):
        statements = []

        class Seen:  # the database, with the statements the check runs written down
            def execute(self, sql, params=()):
                statements.append(sql)
                return db.execute(sql, params)

            def scalar(self, sql, params=()):
                return db.scalar(sql, params)

        def check(**shrink):
            statements.clear()
            lo, hi = db.execute("SELECT min(id), max(id) FROM entry_lines").fetchone()
            inside = {c.name: tuple(db.execute(f"SELECT min(id), max(id) FROM {c.ref}")
                                    .fetchone()) for c in fks}
            inside.update(shrink)
            keys_check("entry_lines", fks, lo, hi, inside)(Seen())
            return statements[-1]

        assert "JOIN" not in check()  # every parent dense: no look-ups, nothing wrong
        elo, ehi = db.execute("SELECT min(id), max(id) FROM journal_entries").fetchone()
        with pytest.raises(IntegrityError, match="point to journal_entries"):
            check(entry_id=(elo + 1, ehi))  # dense, and keys below the range
        db.execute("PRAGMA foreign_keys = OFF")
        db.execute("BEGIN")
        try:
            gap = db.scalar("SELECT entry_id FROM entry_lines WHERE id = (SELECT max(id) / 2 "
                            "FROM entry_lines)")
            db.execute("DELETE FROM journal_entries WHERE id = ?", (gap,))
            with pytest.raises(IntegrityError, match="point to journal_entries"):
                check()  # a gap: looked up, and the lines of the missing entry found
            assert "LEFT JOIN journal_entries" in statements[-1]
            assert "LEFT JOIN accounts" not in statements[-1]  # still dense
        finally:
            db.execute("ROLLBACK")
