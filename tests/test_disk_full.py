"""A disk that fills up (or a file that may not grow) in the middle of a write is said as
such, in one sentence: never "cannot rollback - no transaction is active" (the ROLLBACK
after SQLite rolled back by itself), never a traceback, and the organization unchanged."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.demo import DemoOptions, create_demo
from cheel.errors import DiskFull
from cheel.store import organizations
from cheel.store.catalog import Catalog
from cheel.web.i18n import error_view

from helpers import fingerprint

CHEEL = [sys.executable, "-c", "from cheel.cli.main import main; main()"]


SIZES = {"at-commit": 20_000, "mid-load": 60_000}  # lines of the backup restored


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Backups of two demos: one whose rows fit SQLite's page cache (the restore's first
    write to disk is its commit) and one that does not (pages spill to disk while rows are
    loaded, and SQLite rolls the transaction back itself when a write fails); and a
    data folder holding "Cible SA", a small demo to restore them into."""
    base = tmp_path_factory.mktemp("disk-full")
    backups = {}
    for key, lines in SIZES.items():
        source = Catalog(base / key)
        create_demo(source, DemoOptions("Source SA", entries=lines, seed=3))
        plan = plan_backup(source, BackupOptions(["Source SA"], base / key, log2n=10))
        backups[key] = run_backup(source, plan).path
    target = Catalog(base / "target")
    create_demo(target, DemoOptions("Cible SA", entries=500, seed=4))
    return backups, target.data_dir


@pytest.fixture
def target(made, tmp_path) -> Catalog:
    """A fresh copy of the data folder holding "Cible SA"."""
    shutil.copytree(made[1], tmp_path / "target")
    return Catalog(tmp_path / "target")


def restore_args(data_dir, backup) -> list[str]:
    return [*CHEEL, "--data-dir", str(data_dir), "restore", str(backup), "--into", "Cible SA",
            "--on-conflict", "copy"]


def assert_one_sentence(stderr: str, first_line: str) -> None:
    lines = stderr.splitlines()
    assert lines[0] == first_line, stderr
    assert len(lines) == 2 and lines[1].startswith("Hint: "), stderr
    assert "cannot rollback" not in stderr and "Traceback" not in stderr


def test_sqlite_full_in_a_transaction_is_disk_full(catalog):
    """SQLite's own "database or disk is full" (here: its page limit) inside a transaction."""
    organizations.create_organization(catalog, "Petite SA")
    with organizations.opened(catalog, "Petite SA") as (_, db):
        organizations.create_company(db, "Alpha SA")
        before = fingerprint(catalog, "Petite SA")
        pages = db.scalar("PRAGMA page_count")
        db.execute(f"PRAGMA max_page_count = {pages + 2}")
        with pytest.raises(DiskFull) as caught:
            with db.transaction():
                company = db.scalar("SELECT id FROM companies")
                for i in range(2000):
                    db.insert("documents", {"company_id": company, "filename": f"{i}.pdf",
                                            "mime_type": "application/pdf",
                                            "content": os.urandom(1000),
                                            "created_at": "2024-01-01 00:00:00"})
        assert caught.value.message == ("the disk holding the organization is full; "
                                        "nothing was changed")
        assert error_view(caught.value)["title"] == "Le disque est plein ; rien n'a été modifié."
        assert not db.conn.in_transaction
        db.execute(f"PRAGMA max_page_count = {1 << 30}")
        organizations.create_group(db, "Après")  # the connection works on
    assert fingerprint(catalog, "Petite SA") != before
    with organizations.opened(catalog, "Petite SA") as (_, db):
        assert db.scalar("SELECT count(*) FROM documents") == 0


def test_postgres_disk_full_is_said_as_such():
    import psycopg

    from cheel.store.postgres import disk_full

    plain = disk_full(psycopg.errors.DiskFull("could not extend file: No space left on device"))
    assert isinstance(plain, DiskFull)
    assert plain.message == "the disk of the PostgreSQL server is full; nothing was changed"
    assert disk_full(psycopg.errors.UniqueViolation("duplicate key")) is None


@pytest.mark.parametrize("when", list(SIZES))
def test_file_size_limit_mid_restore(made, target, when):
    """The limit makes every write past it fail (EFBIG), which SQLite reports as a disk I/O
    error: said in one sentence, the restore rolled back, the target unchanged."""
    backup = made[0][when]
    before = fingerprint(target, "Cible SA")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        # Above the shared-memory file (32 KiB), well below the WAL the restore writes.
        resource.setrlimit(resource.RLIMIT_FSIZE, (512 << 10, 512 << 10))

    r = subprocess.run(restore_args(target.data_dir, backup), capture_output=True, text=True,
                       preexec_fn=limit, timeout=300)
    assert r.returncode == 1, r.stderr
    assert_one_sentence(r.stderr, "Error: The organization's database file could not be read "
                                  "or written (disk I/O error: SQLITE_IOERR_WRITE); "
                                  "nothing was changed.")
    assert fingerprint(target, "Cible SA") == before
    r = subprocess.run(restore_args(target.data_dir, backup), capture_output=True, text=True,
                       timeout=300)  # and once the limit is gone, it works
    assert r.returncode == 0, r.stderr
    assert fingerprint(target, "Cible SA") != before


def _mount_namespaces() -> bool:
    try:
        return subprocess.run(["unshare", "-Urm", "true"], capture_output=True,
                              timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _mount_namespaces(), reason="needs unshare -Urm (a user and mount "
                    "namespace) to mount a small tmpfs without privileges")
@pytest.mark.parametrize("when", list(SIZES))
def test_full_disk_mid_restore(made, target, tmp_path, when):
    """A real full disk: the target's data folder on a tmpfs with room for it and a few
    hundred KiB more (ENOSPC, which SQLite reports as SQLITE_FULL)."""
    before = fingerprint(target, "Cible SA")
    used = sum(p.stat().st_size for p in target.data_dir.iterdir())
    mount, after, stderr = tmp_path / "mnt", tmp_path / "after", tmp_path / "stderr"
    mount.mkdir()
    after.mkdir()
    script = textwrap.dedent("""\
        set -e
        mount -t tmpfs -o size="$SIZE" tmpfs "$MOUNT"
        cp -a "$TARGET/." "$MOUNT/"
        set +e
        "$@" 2>"$STDERR"
        code=$?
        cp -a "$MOUNT/." "$AFTER/"
        exit $code
        """)
    env = dict(os.environ, SIZE=str(used + (384 << 10)), MOUNT=str(mount),
               TARGET=str(target.data_dir), AFTER=str(after), STDERR=str(stderr))
    r = subprocess.run(["unshare", "-Urm", "sh", "-c", script, "sh",
                        *restore_args(mount, made[0][when])], env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 1, (r.stdout, r.stderr, stderr.read_text())
    assert_one_sentence(stderr.read_text(), "Error: The disk holding the organization is "
                                            "full; nothing was changed.")
    assert fingerprint(Catalog(after), "Cible SA") == before
