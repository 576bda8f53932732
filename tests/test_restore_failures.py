"""Restore, all or nothing: damaged, unbalanced and self-consistent but wrong files are
refused and leave the target as it was; a killed restore leaves it unchanged, and what
killed ones leave is swept (files, PostgreSQL databases); a new PostgreSQL organization
that fails or stops before loading leaves no database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from cheel.demo import DemoOptions, create_demo
from cheel.errors import AlreadyExists, DamagedFile, WrongPassword
from cheel.restore import RestoreOptions, run_restore
from cheel.verify import verify_backup
from cheel.store import organizations
from cheel.store import staging
from helpers import fingerprint
from restore_support import PW, backup, contents, demo  # noqa: F401


def test_bad_files_leave_the_target_unchanged(demo, tmp_path):  # noqa: F811
    path = backup(demo, "Demo SA", tmp_path)
    fp = fingerprint(demo, "Demo SA")
    data = path.read_bytes()
    cases = {
        "flipped": data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0x40])
        + data[len(data) // 2 + 1:],
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


def test_unbalanced_data_is_refused(demo, tmp_path, engine_url):  # noqa: F811
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


def test_a_reference_to_a_user_the_backup_does_not_hold_is_refused(demo, tmp_path,  # noqa: F811
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


def test_lines_filed_under_another_group_are_refused(demo, tmp_path, monkeypatch,  # noqa: F811
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


def _refused_both_ways(demo, tmp_path, monkeypatch, engine_url, method, replacement, match):  # noqa: F811
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
    old_idle, old_busy = (f"{unfinished.PG_PREFIX}{now - 7200}_t1",
                          f"{unfinished.PG_PREFIX}{now - 7200}_t2")
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
