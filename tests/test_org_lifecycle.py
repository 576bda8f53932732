"""Deleting and renaming organizations (issue 21): what goes, what stays, and never while a
backup or a restore of the organization runs."""

from __future__ import annotations

import pytest

from cheel.errors import AlreadyExists, OrganizationBusy, UsageError
from cheel.store import locks, organizations
from cheel.store.catalog import OrgEntry

from helpers import database_exists, fingerprint, lock_held


def test_delete_a_sqlite_organization(catalog):
    organizations.create_organization(catalog, "Weg AG")
    path = catalog.sqlite_path(catalog.find("Weg AG"))
    assert path.exists()
    deleted = organizations.delete_organization(catalog, "weg ag")  # as names compare
    assert deleted.dropped and deleted.entry.name == "Weg AG"
    assert not catalog.exists("Weg AG") and not path.exists()
    assert not list(catalog.data_dir.glob(path.name + "*"))


@pytest.mark.postgres
def test_delete_a_postgresql_organization_drops_its_database(catalog, pg_url, pg_dbname):
    name = pg_dbname()
    organizations.create_organization(catalog, "Weg PG", postgres=f"{pg_url}/{name}")
    assert database_exists(pg_url, name)
    assert organizations.delete_organization(catalog, "Weg PG").dropped
    assert not database_exists(pg_url, name) and not catalog.exists("Weg PG")


@pytest.mark.postgres
def test_a_database_cheel_did_not_make_is_only_unlisted(catalog, pg_url, pg_dbname):
    name = pg_dbname()
    entry = organizations.create_organization(catalog, "Fremd", postgres=f"{pg_url}/{name}")
    catalog.remove("Fremd")
    catalog.add(OrgEntry("Fremd", entry.engine, entry.location, owned=False))
    deleted = organizations.delete_organization(catalog, "Fremd")
    assert not deleted.dropped and not catalog.exists("Fremd")
    assert database_exists(pg_url, name)  # left on its server, as said


def test_delete_and_rename_wait_for_no_one_but_refuse_while_a_backup_runs(catalog):
    organizations.create_organization(catalog, "Beschäftigt AG")
    before = fingerprint(catalog, "Beschäftigt AG")
    with lock_held(catalog, "beschäftigt ag"):
        with pytest.raises(OrganizationBusy, match="is running"):
            organizations.delete_organization(catalog, "Beschäftigt AG")
        with pytest.raises(OrganizationBusy):
            organizations.rename_organization(catalog, "Beschäftigt AG", "Frei AG")
    assert fingerprint(catalog, "Beschäftigt AG") == before
    # The lock dies with the process that held it: a killed backup locks nothing.
    organizations.rename_organization(catalog, "Beschäftigt AG", "Frei AG")
    assert organizations.delete_organization(catalog, "Frei AG").dropped


def test_a_backup_holds_the_lock_while_it_runs(catalog, dest, monkeypatch):
    """During the backup (here: while it reads its first chunk), the organization is in use."""
    from cheel.backup import BackupOptions, plan_backup, run_backup
    from cheel.backup import snapshot_reader

    organizations.create_organization(catalog, "Läuft AG")
    with organizations.opened(catalog, "Läuft AG") as (_, db):
        organizations.create_company(db, "Läuft AG", new_group="Läuft")
    seen = []
    chunks = snapshot_reader.SnapshotReader.org_chunks

    def during(self, table):
        try:
            with locks.organization_in_use(catalog, "Läuft AG", exclusive=True):
                seen.append("free")
        except OrganizationBusy:
            seen.append("busy")
        yield from chunks(self, table)

    monkeypatch.setattr(snapshot_reader.SnapshotReader, "org_chunks", during)
    run_backup(catalog, plan_backup(catalog, BackupOptions(["Läuft AG"], dest)))
    assert seen and set(seen) == {"busy"}
    with locks.organization_in_use(catalog, "Läuft AG", exclusive=True):
        pass  # free again once it ended


def test_rename(catalog):
    organizations.create_organization(catalog, "Alt AG")
    organizations.create_organization(catalog, "Andere AG")
    before = fingerprint(catalog, "Alt AG")
    location = catalog.find("Alt AG").location
    entry = organizations.rename_organization(catalog, "Alt AG", "  Neu AG ")
    assert entry.name == "Neu AG" and entry.location == location  # the database stays
    assert not catalog.exists("Alt AG") and fingerprint(catalog, "Neu AG") == before
    organizations.rename_organization(catalog, "Neu AG", "NEU AG")  # its own name, recased
    assert catalog.find("neu ag").name == "NEU AG"
    with pytest.raises(AlreadyExists):
        organizations.rename_organization(catalog, "NEU AG", "andere ag")
    with pytest.raises(UsageError, match="control character"):
        organizations.rename_organization(catalog, "NEU AG", "Zeile\nZwei")
    assert [e.name for e in catalog.list()] == ["NEU AG", "Andere AG"]
