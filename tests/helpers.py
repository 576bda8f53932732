"""Comparing organizations by content, whatever their surrogate keys or engine."""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
import sys

from cheel.store import organizations
from cheel.store import schema
from cheel.store.scope import select_sql


def group_content(db, group_uid: str, ignore_uids: bool = False) -> dict[str, list[tuple]]:
    """A group's rows with ids replaced by each row's rank in its table (by id), foreign keys
    by the referenced row's rank, and organization rows by their natural key."""
    gid = db.scalar("SELECT id FROM company_groups WHERE uid = ?", (group_uid,))
    assert gid is not None, group_uid
    ranks: dict[str, dict[int, int]] = {}
    raw: dict[str, list[tuple]] = {}
    for t in schema.group_tables():
        cols = t.backup_columns
        exprs = [db.select_expr(c, "t0") for c in cols]
        rows = [tuple(r) for batch in db.stream(select_sql(t, exprs), (gid,)) for r in batch]
        ranks[t.name] = {r[0]: i for i, r in enumerate(rows)}
        raw[t.name] = rows
    org_keys = {}
    for t in schema.org_tables():
        keys = ", ".join(t.natural_key)
        org_keys[t.name] = {r[0]: r[1:] for r in db.query(f"SELECT id, {keys} FROM {t.name}")}
    out: dict[str, list[tuple]] = {}
    for t in schema.group_tables():
        cols = t.backup_columns
        rows = []
        for r in raw[t.name]:
            vals = []
            for c, v in zip(cols, r):
                if c.type == "id":
                    v = ranks[t.name][v]
                elif c.ref and v is not None:
                    v = (org_keys[c.ref][v] if schema.table(c.ref).scope == schema.ORG
                         else ranks[c.ref][v])
                elif ignore_uids and c.name in t.new_uid_on_copy + ("name",) and \
                        t.name in (schema.GROUP_TABLE, "companies"):
                    v = None
                elif isinstance(v, memoryview):
                    v = bytes(v)
                vals.append(v)
            rows.append(tuple(vals))
        out[t.name] = rows
    return out


def fingerprint(catalog, name: str) -> str:
    """SHA-256 of every row of every table of an organization, in id order."""
    h = hashlib.sha256()
    with organizations.opened(catalog, name) as (_, db):
        for t in schema.TABLES:
            exprs = [db.select_expr(c, "t0") for c in t.columns]
            for batch in db.stream(f"SELECT {', '.join(exprs)} FROM {t.name} t0 ORDER BY t0.id"):
                for r in batch:
                    h.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v
                                        for v in r)).encode())
    return h.hexdigest()


def group_uids(catalog, name: str) -> dict[str, str]:
    with organizations.opened(catalog, name) as (_, db):
        return {g.name: g.uid for g in organizations.list_groups(db)}


def bulk_organization(catalog, name: str, postgres: str | None = None):
    """A listed organization whose database was made for a bulk load (no keys yet on
    PostgreSQL, as a restore into a new organization has it before complete_schema)."""
    from cheel.store import staging

    new = staging.begin(catalog, name, postgres)
    new.open(["fr", "de"], bulk=True)
    return new.publish()


HOLD = """
import sys, time
from cheel.store.catalog import Catalog
from cheel.store.locks import organization_in_use
with organization_in_use(Catalog(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    time.sleep(60)
"""


@contextlib.contextmanager
def lock_held(catalog, name: str):
    """For the block, another process holds the organization's lock as a running backup or
    restore does (shared); it is killed at the end, which frees the lock."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(catalog.data_dir), name],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield holder
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def database_exists(pg_url: str, name: str) -> bool:
    """Whether the PostgreSQL server of ``pg_url`` has a database ``name``."""
    import psycopg

    with psycopg.connect(pg_url + "/postgres") as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() \
            is not None


def run_cli(catalog, *args: str, env: dict | None = None):
    """``cheel --data-dir DATA ARGS…`` in this process (click's runner), with ``env`` only
    added to the environment."""
    from click.testing import CliRunner

    from cheel.cli.main import cli

    return CliRunner().invoke(cli, ["--data-dir", str(catalog.data_dir), *args],
                              env=env or {}, catch_exceptions=False)
