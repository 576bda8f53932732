"""Restore: round trips on both engines and across them, conflicts, all-or-nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.cli.main import cli
from cheel.demo import DemoOptions, create_demo
from cheel.errors import (AlreadyExists, DamagedFile, IntegrityError, NotFound, RestoreConflict,
                          WrongPassword)
from cheel.restore import RestoreOptions, plan_restore, run_restore
from cheel.verify import verify_backup
from cheel.store import organizations
from cheel.store import staging
from helpers import fingerprint, group_content, group_uids
from vectors_support import ok_cases

PW = "correct horse"


def backup(catalog, org, dest, groups=(), password=PW):
    plan = plan_backup(catalog, BackupOptions([org], dest, list(groups), password, log2n=10))
    return run_backup(catalog, plan).path


def contents(catalog, org, ignore_uids=False):
    with organizations.opened(catalog, org) as (_, db):
        with db.snapshot():
            return {g.name: group_content(db, g.uid, ignore_uids) for g in organizations.list_groups(db)}


@pytest.fixture
def demo(catalog):
    create_demo(catalog, DemoOptions(name="Demo SA", entries=3000, seed=7))
    return catalog


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


def test_restore_into_org_with_overlapping_keys(demo, tmp_path):
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


def test_copy_twice_then_skip_and_fail(demo, tmp_path):
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


def test_replace_gives_back_exactly_the_backup(demo, tmp_path):
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


def test_dry_run_changes_nothing(demo, tmp_path):
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


def test_group_selection(demo, tmp_path):
    path = backup(demo, "Demo SA", tmp_path)
    _, plans = plan_restore(demo, RestoreOptions(path, "X", create=True,
                                                 groups=["Demo SA/atelier keller gmbh"]), PW)
    assert [p.name for p in plans] == ["Atelier Keller GmbH"]
    with pytest.raises(NotFound):
        plan_restore(demo, RestoreOptions(path, "X", create=True, groups=["Nope"]), PW)
    with pytest.raises(NotFound):
        plan_restore(demo, RestoreOptions(path, "Missing"), PW)


def test_bad_files_leave_the_target_unchanged(demo, tmp_path):
    path = backup(demo, "Demo SA", tmp_path)
    fp = fingerprint(demo, "Demo SA")
    data = path.read_bytes()
    cases = {
        "flipped": data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0x40]) + data[len(data) // 2 + 1:],
        "truncated": data[: len(data) - 1000],
        "garbage": data + b"garbage",
    }
    for name, content in cases.items():
        bad = tmp_path / f"{name}.cheelbackup"
        bad.write_bytes(content)
        with pytest.raises(DamagedFile):
            run_restore(demo, RestoreOptions(bad, "Demo SA", on_conflict="replace"), PW)
        with pytest.raises(DamagedFile):
            run_restore(demo, RestoreOptions(bad, "Fresh", create=True), PW)
        assert not demo.exists("Fresh")
    with pytest.raises(WrongPassword):
        run_restore(demo, RestoreOptions(path, "Demo SA", on_conflict="replace"), "nope")
    assert fingerprint(demo, "Demo SA") == fp
    assert sorted(p.name for p in demo.data_dir.iterdir() if p.suffix == ".sqlite") == \
        ["demo-sa.sqlite"]


def test_unbalanced_data_is_refused(demo, tmp_path, engine_url):
    create_demo(demo, DemoOptions(name="Src", entries=500, seed=2, postgres=engine_url))
    with organizations.opened(demo, "Src") as (_, db):
        with db.transaction():
            db.execute("UPDATE entry_lines SET debit = debit + 1 WHERE id = "
                       "(SELECT min(id) FROM entry_lines WHERE debit > 0)")
    path = backup(demo, "Src", tmp_path)
    fp = fingerprint(demo, "Demo SA")
    # The file's fault, said as verify says it (exit 4), and the target left as it was.
    with pytest.raises(DamagedFile, match="do not balance"):
        verify_backup(path, PW)
    with pytest.raises(DamagedFile) as e:
        run_restore(demo, RestoreOptions(path, "Demo SA"), PW)
    assert "balance" in e.value.message
    assert fingerprint(demo, "Demo SA") == fp


def test_a_reference_to_a_user_the_backup_does_not_hold_is_refused(demo, tmp_path,
                                                                  monkeypatch, engine_url):
    """A self-consistent file (counts, checksums) whose entries name a user it lacks."""
    from cheel.backup import snapshot_reader

    describe = snapshot_reader.SnapshotReader.describe

    def lose_a_user(self):
        out = describe(self)
        dropped = self.org_ids["users"].pop()
        out["org_rows"]["users"] -= 1
        assert dropped
        return out

    _refused_both_ways(demo, tmp_path, monkeypatch, engine_url, "describe", lose_a_user,
                       "points to users rows the backup does not hold")


def test_lines_filed_under_another_group_are_refused(demo, tmp_path, monkeypatch,
                                                     engine_url):
    """A self-consistent file (counts, checksums, balances) in which one entry's lines,
    stored with the first group, point to an entry of the second: the restore would mix
    the groups up, and must refuse, into a new database as into an existing one."""
    from cheel.backup import snapshot_reader

    group_chunks = snapshot_reader.SnapshotReader.group_chunks

    def misfiled(self, k, t):
        for data, rows in group_chunks(self, k, t):
            if k == 1 and t.name == "entry_lines":
                lines = json.loads(data)
                i = [c.name for c in t.backup_columns].index("entry_id")
                moved, other = lines[0][i], self.described[1]["ids"]["journal_entries"][0]
                for line in lines:
                    if line[i] == moved:
                        line[i] = other
                data = json.dumps(lines, ensure_ascii=False, separators=(",", ":")).encode()
            yield data, rows

    _refused_both_ways(demo, tmp_path, monkeypatch, engine_url, "group_chunks", misfiled,
                       "entry_lines.entry_id values in the group .* point to journal_entries "
                       "rows outside the group")


def _refused_both_ways(demo, tmp_path, monkeypatch, engine_url, method, replacement, match):
    """Back a demo up with ``SnapshotReader.<method>`` replaced (a self-consistent but wrong
    file), then verify it and restore it as copies and into a new organization: each must
    refuse it as damaged with ``match`` and leave nothing behind."""
    from cheel.backup import snapshot_reader

    create_demo(demo, DemoOptions(name="Src", entries=500, seed=2, postgres=engine_url))
    monkeypatch.setattr(snapshot_reader.SnapshotReader, method, replacement)
    path = backup(demo, "Src", tmp_path)
    monkeypatch.undo()
    fp = fingerprint(demo, "Demo SA")
    with pytest.raises(DamagedFile, match=match):
        verify_backup(path, PW)
    for options in (RestoreOptions(path, "Demo SA", on_conflict="copy"),
                    RestoreOptions(path, "Fresh", create=True)):
        with pytest.raises(DamagedFile, match=match):
            run_restore(demo, options, PW)
    assert fingerprint(demo, "Demo SA") == fp
    assert not demo.exists("Fresh")


def test_cli_restore_exit_codes(demo, tmp_path):
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


KILL_SCRIPT = """
import sys
from cheel.store.catalog import Catalog
from cheel.restore import RestoreOptions, run_restore
c = Catalog(sys.argv[1])
print("start", flush=True)
run_restore(c, RestoreOptions(sys.argv[2], sys.argv[3], create=sys.argv[4] == "1",
                              on_conflict="replace"), "correct horse")
print("done", flush=True)
"""


@pytest.mark.slow
def test_sigkill_during_restore_leaves_target_unchanged(catalog, tmp_path):
    create_demo(catalog, DemoOptions(name="Big", entries=120_000, seed=4))
    path = backup(catalog, "Big", tmp_path)
    fp = fingerprint(catalog, "Big")
    finished = 0
    for delay in (0.3, 0.8, 1.5, 2.5):
        for create in ("0", "1"):
            target = "Big" if create == "0" else "Created"
            proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(catalog.data_dir),
                                     str(path), target, create], stdout=subprocess.PIPE,
                                    text=True)
            assert proc.stdout.readline().strip() == "start"
            time.sleep(delay)
            os.kill(proc.pid, signal.SIGKILL)
            out = proc.communicate()[0]
            finished += "done" in out
            if "done" in out and create == "0":
                fp = fingerprint(catalog, "Big")  # replaced for real: the new state
            assert fingerprint(catalog, "Big") == fp
            if "done" not in out:
                assert not catalog.exists("Created")
            elif create == "1":
                staging.drop_database(catalog, catalog.find("Created"))
                catalog.remove("Created")
    assert finished < 8  # at least some kills landed mid-restore
    # The next restore --create removes what the killed ones left: no unlisted file stays.
    run_restore(catalog, RestoreOptions(path, "After kills", create=True), PW)
    listed = {catalog.sqlite_path(e).name for e in catalog.list()}
    assert {p.name for p in catalog.data_dir.glob("*.sqlite")} == listed
    assert not list(catalog.data_dir.glob(".*.restoring*"))


def test_sweep_removes_only_unlisted_files_whose_restore_is_gone(catalog):
    from cheel.store import staging, unfinished

    organizations.create_organization(catalog, "Kept SA")
    kept = catalog.sqlite_path(catalog.find("Kept SA"))
    running = staging.begin(catalog, "Running SA")  # a new organization still being filled
    running.open(["fr"])
    orphan = staging.begin(catalog, "Orphan SA")
    orphan.open(["fr"])
    orphan.db.close()
    orphan_path = catalog.sqlite_path(orphan.entry)
    orphan._claim.release()  # ... as a killed restore leaves it: unlisted, marker unlocked
    unfinished.marker_of(orphan_path).touch()
    unfinished.marker_of(kept).touch()  # a stale mark beside a listed organization
    running_path = catalog.sqlite_path(running.entry)
    assert unfinished.sqlite_sweep(catalog) == [orphan_path]
    assert running_path.exists() and unfinished.marker_of(running_path).exists()
    assert not orphan_path.exists() and not unfinished.marker_of(orphan_path).exists()
    assert kept.exists() and not unfinished.marker_of(kept).exists()
    running.publish()
    assert not unfinished.marker_of(running_path).exists()  # unmarked once listed
    assert catalog.exists("Running SA") and not catalog.exists("Orphan SA")


@pytest.mark.postgres
def test_postgres_sweep_drops_only_old_idle_temporary_databases(pg_url):
    import psycopg
    from psycopg import sql

    from cheel.store import unfinished

    now = int(time.time())
    old_idle, old_busy = f"{unfinished.PG_PREFIX}{now - 7200}_t1", f"{unfinished.PG_PREFIX}{now - 7200}_t2"
    recent, foreign = f"{unfinished.PG_PREFIX}{now - 60}_t3", f"{unfinished.PG_PREFIX}nostamp_t4"
    names = [old_idle, old_busy, recent, foreign]
    with psycopg.connect(pg_url + "/postgres", autocommit=True) as admin:
        for n in names:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(n)))
        try:
            with psycopg.connect(f"{pg_url}/{old_busy}"):  # a restore still connected
                assert unfinished.pg_sweep(pg_url) == [old_idle]
            left = {r[0] for r in admin.execute(
                "SELECT datname FROM pg_database WHERE datname = ANY(%s)", (names,))}
            assert left == {old_busy, recent, foreign}
        finally:
            for n in names:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(n)))




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


def test_failed_create_on_postgres_leaves_no_database(catalog, tmp_path, pg_url, pg_dbname,
                                                      temporary_databases):
    create_demo(catalog, DemoOptions(name="Src", entries=500, seed=2))
    path = backup(catalog, "Src", tmp_path)
    data = path.read_bytes()
    bad = tmp_path / "cut.cheelbackup"
    bad.write_bytes(data[: len(data) - 500])

    final = pg_dbname()
    with pytest.raises(DamagedFile):
        run_restore(catalog, RestoreOptions(bad, "PG fail", create=True,
                                            postgres=f"{pg_url}/{final}"), PW)
    assert temporary_databases.made and temporary_databases(final) == set()
    assert not catalog.exists("PG fail")
    report = run_restore(catalog, RestoreOptions(path, "PG ok", create=True,
                                                 postgres=f"{pg_url}/{final}"), PW)
    assert report.created and catalog.find("PG ok").location.endswith("/" + final)
    assert temporary_databases() == set()  # renamed to its final name


def test_create_on_postgres_stopped_before_loading_leaves_no_database(catalog, tmp_path,
                                                                       pg_url, pg_dbname,
                                                                       temporary_databases):
    """The new database is made while the file's key is derived; a wrong password, an
    existing name or a server error still leaves nothing behind."""
    import psycopg

    create_demo(catalog, DemoOptions(name="Src", entries=300, seed=2))
    path = backup(catalog, "Src", tmp_path)

    def restoring() -> set[str]:
        return temporary_databases()

    before = restoring()
    with pytest.raises(WrongPassword):
        run_restore(catalog, RestoreOptions(path, "New", create=True,
                                            postgres=f"{pg_url}/{pg_dbname()}"), "wrong")
    assert restoring() == before and not catalog.exists("New")
    taken = pg_dbname()
    with psycopg.connect(pg_url + "/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {taken}")
    with pytest.raises(AlreadyExists):  # the final name is taken: found before it loads
        run_restore(catalog, RestoreOptions(path, "New", create=True,
                                            postgres=f"{pg_url}/{taken}"), PW)
    assert restoring() == before and not catalog.exists("New")
    report = run_restore(catalog, RestoreOptions(path, "New", create=True,
                                                 postgres=f"{pg_url}/{pg_dbname()}"), PW)
    assert report.created and restoring() == before
    assert contents(catalog, "New") == contents(catalog, "Src")


@pytest.mark.parametrize("failing", ["check", "balance", "index"])
def test_new_sqlite_checks_beside_the_indexes_fail_whole(demo, tmp_path, monkeypatch, failing):
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


def test_replace_that_rewrites_most_rows_builds_the_indexes_again(demo, tmp_path,
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
