"""Restore company groups from a backup into an organization, all or nothing.

Rows get new ids by a constant shift per (source organization, table): every id of the
backup moves above the target's highest id, and every foreign key moves with the table it
points to. That keeps memory flat (no id map) however large the group is. Organization-level
rows (users, languages) are matched by their natural key instead, and added when missing.
Everything happens in one transaction that commits only after the whole file has been
verified and the restored data checked.
"""

from __future__ import annotations

import contextlib
import gc
import operator
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .archive.container import ContainerReader
from .errors import AlreadyExists, IntegrityError, NotFound, UnsupportedVersion
from . import restore_checks as RC
from .restore_plan import COPY, REPLACE, SKIP, GroupPlan, RestoreOptions, backup_groups, decide, select_groups
from .store import schema as S
from .store.catalog import Catalog, OrgEntry, check_name, safe_name
from .store.engines import POSTGRES, Check, Database, RowWriter
from .store.organizations import (create_organization, create_pg_database, drop_database,
                                  open_database, seed_organization)
from .store.pgserver import (database_name, pg_check_free, pg_drop_database,
                             pg_rename_database, with_database)
from .store.scope import scoped_from
from .store.unfinished import claimed, pg_sweep, pg_temporary_name, sqlite_sweep
from .verify import ChunkStream, inspect_backup, open_file

FINISH_CONNECTIONS = 2  # keys and checks of a new PostgreSQL database, as pg_restore --jobs 2
Password = Callable[[], str | None] | str | None
Progress = Callable[[int, int], None]


@dataclass
class RestoreReport:
    file: str
    target: str
    created: bool
    dry_run: bool
    encrypted: bool
    groups: list[GroupPlan]
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {"file": self.file, "target": self.target, "created": self.created,
                "dry_run": self.dry_run, "encrypted": self.encrypted,
                "groups": [g.as_dict() for g in self.groups], "rows": self.rows,
                "seconds": round(self.seconds, 3)}


def check_compatible(manifest: dict) -> None:
    """Backups of this or older schema versions restore; their columns must be known."""
    version = manifest.get("schema_version")
    if not isinstance(version, int) or version > S.SCHEMA_VERSION:
        raise UnsupportedVersion(
            f"this backup uses schema version {version}, newer than this cheel "
            f"({S.SCHEMA_VERSION})", hint="upgrade cheel to restore it")
    for t in manifest["tables"]:
        if t["name"] not in S.BY_NAME:
            raise UnsupportedVersion(f'this backup holds an unknown table "{t["name"]}"')
        known = set(S.BY_NAME[t["name"]].column_names)
        for c in t["columns"]:
            if c["name"] not in known:
                raise UnsupportedVersion(
                    f'this backup holds an unknown column {t["name"]}.{c["name"]}')


def plan_restore(catalog: Catalog, options: RestoreOptions, password: Password = None
                 ) -> tuple[dict, list[GroupPlan]]:
    """Read the manifest and decide what happens to each group; changes nothing."""
    manifest = inspect_backup(options.file, password)
    check_compatible(manifest)
    groups = select_groups(backup_groups(manifest), options.groups)
    if options.create:
        if catalog.exists(options.into):
            raise AlreadyExists(f'an organization named "{options.into}" already exists',
                                hint="drop --create to restore into it")
        return manifest, decide(None, groups, options)
    if not catalog.exists(options.into):
        raise NotFound(f'there is no organization named "{options.into}"',
                       hint="add --create to create it from the backup")
    db = open_database(catalog, catalog.find(options.into))
    try:
        return manifest, decide(db, groups, options)
    finally:
        db.close()


def run_restore(catalog: Catalog, options: RestoreOptions, password: Password = None,
                progress: Progress | None = None) -> RestoreReport:
    started = time.monotonic()
    early = None
    if options.create and options.postgres and not options.dry_run:
        check_name(options.into)
        if not catalog.exists(options.into):  # else plan_restore says so
            early = _EarlyDatabase(options.postgres, _final_name(options))
    try:
        manifest, groups = plan_restore(catalog, options, password)
        report = RestoreReport(str(options.file), options.into, options.create,
                               options.dry_run, bool(manifest.get("encrypted")), groups)
        restored = [g for g in groups if g.restored]
        for t in S.TABLES:
            report.rows[t.name] = sum(g.rows.get(t.name, 0) for g in restored)
        if options.dry_run:
            report.seconds = time.monotonic() - started
            return report
        entry, db, final_db = _open_target(catalog, options, manifest, groups, early)
    except BaseException:
        if early:
            early.discard()
        raise
    try:
        # A new organization is marked as unfinished until listed (see store/unfinished).
        with claimed(catalog, entry) if options.create else contextlib.nullcontext():
            # A new PostgreSQL database stays unlisted (under a temporary name) until it is
            # complete, so its rows may commit before its keys are built and checked on
            # several connections, as pg_restore --jobs does. Anything else is one transaction.
            split = options.create and db.engine == POSTGRES
            loader = _Loader(db, manifest, groups, bulk=options.create)
            with db.bulk_load(fresh=options.create):
                with db.transaction():
                    loader.load(options.file, password, progress)
                    if not split:
                        loader.finish()
                if split:
                    loader.finish(connections=FINISH_CONNECTIONS)
            if options.create:
                db.close()
                entry = _finish_created(catalog, entry, final_db)
    except BaseException:
        with contextlib.suppress(Exception):
            db.close()
        if options.create:
            with contextlib.suppress(Exception):
                drop_database(catalog, entry)
        raise
    else:
        with contextlib.suppress(Exception):
            db.close()
    report.seconds = time.monotonic() - started
    return report


def _open_target(catalog: Catalog, options: RestoreOptions, manifest: dict,
                 groups: list[GroupPlan], early: "_EarlyDatabase | None"
                 ) -> tuple[OrgEntry, Database, str | None]:
    """The target's entry and database; for ``--create`` on PostgreSQL the entry points to
    a temporary database (made by ``early``), and the name it gets once complete is
    returned too."""
    if not options.create:
        entry = catalog.find(options.into)
        return entry, open_database(catalog, entry), None
    first = next((o for o in manifest["organizations"]
                  if any(g.org_index == o["index"] for g in groups)), None)
    langs = (first or {}).get("languages") or ["fr", "de", "it", "en"]
    if not options.postgres:
        sqlite_sweep(catalog)  # first, what killed restores left behind
        # As pg_restore does: a new database gets its keys and indexes after the data is in.
        entry = create_organization(catalog, options.into, langs, register=False, bulk=True)
        return entry, open_database(catalog, entry), None
    final = _final_name(options)
    early = early or _EarlyDatabase(options.postgres, final)
    entry = OrgEntry(options.into, POSTGRES, early.result())
    try:
        db = open_database(catalog, entry)
        seed_organization(db, langs)
    except BaseException:
        with contextlib.suppress(Exception):
            drop_database(catalog, entry)
        raise
    return entry, db, final


def _final_name(options: RestoreOptions) -> str:
    """The name a new PostgreSQL organization's database gets once complete."""
    assert options.postgres
    return (database_name(options.postgres)
            or f"cheel_{safe_name(options.into).replace('-', '_')}")


class _EarlyDatabase:
    """A new PostgreSQL organization's empty database (tables without keys, under a
    temporary name), made on a second thread while the backup's manifest is read: an
    encrypted file's key derivation (scrypt, about a second by design) and CREATE DATABASE
    then wait on different cores instead of one after the other."""

    def __init__(self, url: str, final: str):
        self.url, self.final = url, final
        self.location: str | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._make, name="cheel-new-database",
                                        daemon=True)
        self._thread.start()

    def _make(self) -> None:
        try:
            pg_check_free(self.url, self.final)  # before the load, not at its end
            pg_sweep(self.url)  # first, what killed restores left behind
            location = with_database(self.url, pg_temporary_name())
            # As pg_restore does: keys and indexes come after the data is in.
            create_pg_database(location, bulk=True)
            self.location = location
        except BaseException as e:  # noqa: B036 - handed to the caller by result()
            self.error = e

    def result(self) -> str:
        """The new database's URL, once made; raises what stopped it."""
        self._thread.join()
        if self.error is not None:
            raise self.error
        assert self.location
        return self.location

    def discard(self) -> None:
        """Drop the database (the restore stopped before using it)."""
        self._thread.join()
        if self.location:
            with contextlib.suppress(Exception):
                pg_drop_database(self.location, database_name(self.location) or "")


def _finish_created(catalog: Catalog, entry: OrgEntry, final: str | None) -> OrgEntry:
    """Give a new PostgreSQL database its final name, then list the organization."""
    if entry.engine == POSTGRES and final:
        temp = database_name(entry.location)
        assert temp is not None
        pg_rename_database(entry.location, temp, final)
        entry = OrgEntry(entry.name, POSTGRES, with_database(entry.location, final))
    catalog.add(entry)
    return entry


class _Loader:
    """Streams the backup's chunks into the open transaction and checks the result."""

    def __init__(self, db: Database, manifest: dict, groups: list[GroupPlan],
                 bulk: bool = False):
        self.db = db
        self.bulk = bulk  # a new database: its schema is completed after the load
        self.manifest = manifest
        self.plans = {(g.org_index, g.key): g for g in groups if g.restored}
        self.columns = {t["name"]: [c["name"] for c in t["columns"]]
                        for t in manifest["tables"]}
        self.org_maps: dict[tuple[int, str], dict[int, int]] = {}
        self.delta: dict[tuple[int, str], int] = {}
        self.ranges: dict[tuple[int, str], tuple[int, int]] = {}
        self.writer = RowWriter(db)  # while the chunks are loaded: the engine's, see run

    def load(self, file: Path | str, password: Password, progress: Progress | None) -> None:
        """Read the whole file (verifying it) into the open transaction."""
        for g in self.plans.values():
            if g.action == REPLACE and g.replaces_id is not None:
                self._delete_group(g.replaces_id)
        self._compute_deltas()
        if self.bulk:
            self.db.start_loading([t.name for t in S.group_tables()])
        total = sum(sum(g.rows.values()) for g in self.plans.values())
        done = 0
        if progress:
            progress(0, total)
        with open_file(file) as f, self.db.row_writer() as self.writer, _no_cycle_scans():
            reader = ContainerReader(f, password)
            for chunk in ChunkStream(reader):
                if chunk.scope == "org":
                    self.writer.flush()  # its rows are looked up and inserted one by one
                    self._load_org_rows(chunk.org, chunk.table, chunk.rows)
                    continue
                plan = self.plans.get((chunk.org, chunk.scope))
                if plan is None:
                    continue
                done += self._load_group_chunk(plan, chunk)
                if progress:
                    progress(done, total)

    def finish(self, connections: int = 1) -> None:
        """Check what the load left in the target (a new database gets its keys first)."""
        checks = self._checks()
        if self.bulk:
            self.db.complete_schema(checks, connections)
        else:
            for check in checks:
                check.run(self.db)
        self.db.after_explicit_ids([t.name for t in S.TABLES])

    # -- replace ----------------------------------------------------------------------
    def _delete_group(self, group_id: int) -> None:
        for t in reversed(S.group_tables()):
            frm, grp = scoped_from(t)
            self.db.execute(f"DELETE FROM {t.name} WHERE id IN "
                            f"(SELECT t0.id FROM {frm} WHERE {grp} = ?)", (group_id,))

    # -- ids --------------------------------------------------------------------------
    def _compute_deltas(self) -> None:
        orgs = sorted({g.org_index for g in self.plans.values()})
        for t in S.group_tables():
            base = self.db.max_id(t.name)
            for o in orgs:
                spans = [g.ids[t.name] for g in self.plans.values()
                         if g.org_index == o and t.name in g.ids]
                if not spans:
                    continue
                lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
                delta = base + 1 - lo
                self.delta[(o, t.name)] = delta
                self.ranges[(o, t.name)] = (lo + delta, hi + delta)
                base = hi + delta

    def _load_org_rows(self, org: int, table: str, rows: list[list]) -> None:
        t = S.table(table)
        cols = self.columns[table]
        keys = [cols.index(k) for k in t.natural_key]
        idx = cols.index("id")
        mapping = self.org_maps.setdefault((org, table), {})
        where = " AND ".join(f"{k} = ?" for k in t.natural_key)
        for row in rows:
            key = [row[i] for i in keys]
            found = self.db.scalar(f"SELECT id FROM {table} WHERE {where}", key)
            if found is None:
                values = {c: v for c, v in zip(cols, row) if c != "id"}
                if table == "languages":  # appended after the target's own languages
                    values["position"] = (self.db.scalar(
                        "SELECT COALESCE(MAX(position), -1) FROM languages") or 0) + 1
                found = self.db.insert(table, values)
            mapping[row[idx]] = found

    def _load_group_chunk(self, plan: GroupPlan, chunk) -> int:
        """Load one chunk; returns its row count."""
        self._load_group_rows(plan, chunk.table, chunk.rows)
        return len(chunk.rows)

    def _load_group_rows(self, plan: GroupPlan, table: str, rows: list[tuple]) -> None:
        t = S.table(table)
        cols = self.columns[table]
        o = plan.org_index
        shifts: list[tuple[int, int]] = []
        maps: list[tuple[int, dict[int, int]]] = []
        for i, name in enumerate(cols):
            c = t.column(name)
            ref = t.name if c.type == "id" else c.ref
            if ref is None:
                continue
            if S.table(ref).scope == S.ORG:
                mapping = self.org_maps.get((o, ref), {})
                used = set(map(operator.itemgetter(i), rows))  # in C: no Python per row
                used.discard(None)
                if not used <= mapping.keys():
                    raise IntegrityError(
                        f"the backup references a {ref} row that it does not hold")
                if any(mapping[v] != v for v in used):  # else the ids are the target's too
                    maps.append((i, mapping))
            else:
                shifts.append((i, self.delta.get((o, ref), 0)))
        renamed = table in (S.GROUP_TABLE, S.COMPANY_TABLE)
        if renamed or maps:
            rows = [list(r) for r in rows]  # decoded rows are tuples; these get edited
        if table == S.GROUP_TABLE:
            i_uid, i_name = cols.index("uid"), cols.index("name")
            for r in rows:
                r[i_uid], r[i_name] = plan.target_uid, plan.target_name
        elif table == S.COMPANY_TABLE:
            i_uid, i_name = cols.index("uid"), cols.index("name")
            for r in rows:
                old = r[i_uid]
                r[i_uid], r[i_name] = plan.company_uids[old], plan.company_names[old]
        for i, mapping in maps:
            for r in rows:
                v = r[i]
                if v is not None:
                    r[i] = mapping[v]
        self.writer.write(table, cols, rows, shifts)

    # -- checks -------------------------------------------------------------------------
    def _checks(self) -> list[Check]:
        """What must hold in the target once the rows are in, each check one query or a few."""
        db, checks = self.db, []
        for (o, table), (lo, hi) in self.ranges.items():
            t = S.table(table)
            fks = t.foreign_keys
            if self.bulk and db.engine == POSTGRES:
                fks = []  # its foreign keys are added, and so validated, by PostgreSQL
            if fks:
                checks.append(Check(f"keys {o} {table}", RC.keys_check(table, fks, lo, hi),
                                    (table, *(c.ref for c in fks))))
            if table == S.BALANCED.table:
                b = S.BALANCED
                plo, phi = self.ranges.get((o, t.column(b.key).ref), (0, -1))
                # A table just loaded looks empty to PostgreSQL's planner.
                checks.append(Check(f"balance {o}", RC.balance_check(table, plo, phi), (table,),
                                    (table, (b.key,)) if self.bulk else None))
        gids = {}
        for plan in self.plans.values():
            gid_delta = self.delta.get((plan.org_index, S.GROUP_TABLE))
            old_id = plan.ids.get(S.GROUP_TABLE, [None])[0]
            if gid_delta is None or old_id is None:
                raise IntegrityError(f'the backup holds no row for the group "{plan.name}"')
            gids[old_id + gid_delta] = plan
        for t in S.group_tables():
            read = (t.name, *(ref for _, ref in S.scope_chain(t) if ref != S.GROUP_TABLE))
            checks.append(Check(f"count {t.name}", RC.count_check(t, gids, self.bulk), read))
        return checks


@contextlib.contextmanager
def _no_cycle_scans() -> Iterator[None]:
    """Pause Python's cycle collector: a load decodes millions of short-lived row tuples,
    none part of a cycle, which it would otherwise scan again and again (a tenth of a
    PostgreSQL load's time). Reference counting still frees every chunk."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


__all__ = ["RestoreOptions", "RestoreReport", "plan_restore", "run_restore", "COPY", "SKIP"]
