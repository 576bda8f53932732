"""Files and folders that hold an organization's data are its owner's alone, whatever the
umask: the data folder 0700, the catalog and its lock 0600, every SQLite organization (and
its -wal and -shm files) 0600, every backup 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cheel.demo import DemoOptions, create_demo
from cheel.restore import run_restore
from cheel.restore import RestoreOptions
from cheel.store import organizations

from backup_support import backup


@pytest.fixture
def open_umask():
    """The most permissive umask: a file is private only if cheel made it so."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def assert_private(data_dir: Path) -> None:
    assert mode(data_dir) == 0o700
    for p in data_dir.iterdir():
        assert mode(p) == (0o700 if p.is_dir() else 0o600), (p.name, oct(mode(p)))


def test_data_folder_catalog_and_organizations(catalog, open_umask):
    assert not catalog.data_dir.exists()
    organizations.create_organization(catalog, "Privée SA")
    assert_private(catalog.data_dir)
    assert {p.name for p in catalog.data_dir.iterdir()} == {
        "catalog.json", ".catalog.lock", "privee-sa.sqlite"}
    with organizations.opened(catalog, "Privée SA") as (entry, db):
        organizations.create_company(db, "Alpha SA")  # a write: the -wal and -shm files exist now
        path = catalog.sqlite_path(entry)
        for suffix in ("-wal", "-shm"):
            assert mode(Path(f"{path}{suffix}")) == 0o600, suffix
        assert_private(catalog.data_dir)


def test_an_older_catalog_becomes_private(catalog, open_umask):
    catalog.data_dir.mkdir(mode=0o755)
    catalog.path.write_text('{"organizations": []}')
    os.chmod(catalog.path, 0o644)
    organizations.create_organization(catalog, "Alpha SA")
    assert mode(catalog.path) == 0o600
    assert mode(catalog.data_dir) == 0o755  # not cheel's folder: left as its owner made it


def test_demo_restore_and_backup_files(catalog, dest, open_umask):
    create_demo(catalog, DemoOptions("Démo SA", entries=500))
    assert_private(catalog.data_dir)
    result = backup(catalog, ["Démo SA"], dest)
    assert mode(result.path) == 0o600
    record = result.path.with_name(result.path.name + ".json")  # its record, as private
    assert mode(record) == 0o600
    assert sorted(p.name for p in dest.iterdir()) == [result.path.name, record.name]  # no .part
    run_restore(catalog, RestoreOptions(result.path, "Restaurée SA", create=True))
    assert catalog.find("Restaurée SA")
    assert_private(catalog.data_dir)
    encrypted = backup(catalog, ["Restaurée SA"], dest, password="pw")
    assert mode(encrypted.path) == 0o600
    assert mode(encrypted.path.with_name(encrypted.path.name + ".json")) == 0o600
