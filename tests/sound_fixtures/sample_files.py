"""The honest files the mutations start from: the sample organization
(``tests/vectors/sample.py``: ``build_sample``, ``backup``) backed up plainly, in many
small chunks and encrypted; and the organization restored into (EXISTING). Touches cheel's
internals (``cheel.store.catalog``, ``cheel.store.organizations.create_company``): adapt
here when they change."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cheel.store import organizations
from cheel.store.catalog import Catalog
from vectors_support import load_script

SOURCE = "Quelle AG"
EXISTING = "Bestehend AG"
NEW = "Neu AG"
PASSWORD = "Eigenschaft-Passwort ü 15"

sample = load_script("sample")  # the sample organization and its deterministic backups


@dataclass
class Sources:
    """The honest files (bytes) and the template of the organization restored into."""

    files: dict[str, bytes]  # "plain", "multi" (many small chunks), "encrypted"
    passwords: dict[str, str | None]
    template: Path  # a data dir holding EXISTING (SQLite), copied for every example
    tmp: Path

    def __repr__(self) -> str:
        return f"<Sources in {self.tmp}>"

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(repr(self))


def make_sources(tmp: Path) -> Sources:
    """The sample organization (two groups, three companies, documents, users named as
    creators, a contact's firm) backed up whole: plainly, in many small chunks, encrypted;
    and a data dir holding EXISTING, an organization with the same groups (same uids, so a
    restore with ``--on-conflict copy`` copies them) and its own rows."""
    tmp.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(tmp / "source")
    dest = tmp / "out"
    dest.mkdir(exist_ok=True)
    sample.build_sample(catalog, SOURCE)
    files = {
        "plain": sample.backup(catalog, [SOURCE], dest, seed=11),
        "multi": sample.backup(catalog, [SOURCE], dest, seed=12, chunk_bytes=120),
        "encrypted": sample.backup(catalog, [SOURCE], dest, seed=13, password=PASSWORD),
    }
    template = tmp / "template"
    sample.build_sample(Catalog(template), EXISTING, uids_of=SOURCE)
    _own_group(Catalog(template))
    return Sources(files, {"plain": None, "multi": None, "encrypted": PASSWORD}, template, tmp)


def make_pg_existing(template: Path, server: str, dbname: str) -> None:
    """A data dir ``template`` listing EXISTING on PostgreSQL (database ``dbname``, then used
    as the template of every example's copy)."""
    sample.build_sample(Catalog(template), EXISTING, postgres=f"{server}/{dbname}",
                    uids_of=SOURCE)
    _own_group(Catalog(template))


def _own_group(catalog: Catalog) -> None:
    """EXISTING's own data besides the backup's groups: a group of its own."""
    with organizations.opened(catalog, EXISTING) as (_, db):
        organizations.create_company(db, "Eigene Firma AG", new_group="Eigene Gruppe",
                         legal_form="AG")
