"""The targets restored into: which organizations a data dir lists, their fingerprints, what
a group holds (``tests/helpers.py``: ``group_content``, ``fingerprint``, and
``cheel.store.organizations.opened``: adapt here when they change), PostgreSQL databases made
for each file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cheel.store import organizations
from cheel.store.catalog import Catalog, OrgEntry
from helpers import fingerprint, group_content

from .content import normalize
from .sample_files import EXISTING


def list_pg_existing(data_dir: Path, url: str) -> None:
    """Make ``data_dir``'s catalog list EXISTING at ``url`` (a copy of the template)."""
    catalog = Catalog(data_dir)
    catalog.remove(EXISTING)
    catalog.add(OrgEntry(EXISTING, "postgres", url))


def org_names(data_dir: Path) -> list[str]:
    return [e.name for e in Catalog(data_dir).list()]


def org_fingerprint(data_dir: Path, name: str) -> str:
    return fingerprint(Catalog(data_dir), name)


def group_uids(data_dir: Path, name: str) -> list[str]:
    with organizations.opened(Catalog(data_dir), name) as (_, db):
        return [g.uid for g in organizations.list_groups(db)]


def target_content(data_dir: Path, org: str, uid: str, ignore_uids: bool) -> dict:
    """``helpers.group_content`` of a group in the target, decimals as numbers. A foreign key
    leaving the group (which ``group_content`` cannot rank) is said as such."""
    with organizations.opened(Catalog(data_dir), org) as (_, db):
        with db.snapshot():
            try:
                content = group_content(db, uid, ignore_uids)
            except KeyError as e:
                return {"<error>": f"a restored row refers to a row outside its group ({e})"}
            except AssertionError:
                return {"<error>": f"no group with uid {uid}"}
    return normalize(content)


@dataclass
class PgTargets:
    """PostgreSQL for the targets: NEW is created on ``server`` (database ``make_name()``),
    EXISTING is a copy of database ``template`` made for each file."""

    server: str
    template: str
    make_name: Callable[[], str]

    def _conn(self):
        import psycopg

        return psycopg.connect(self.server + "/postgres", autocommit=True)

    def clone(self) -> str:
        name = self.make_name()
        with self._conn() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def drop(self, *names: str | None) -> None:
        with self._conn() as conn:
            for n in names:
                if n:
                    conn.execute(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')

    def databases(self) -> set[str]:
        with self._conn() as conn:
            return {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
