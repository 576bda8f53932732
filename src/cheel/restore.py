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
import dataclasses
import gc
import operator
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .archive.age import Unlocker
from .archive.manifest import MAX_ID, Manifest
from .archive.reader import BackupReader, open_file
from .errors import (AlreadyExists, CheelError, DamagedFile, IntegrityError, NotFound)
from . import restore_checks
from .restore_plan import REPLACE, GroupPlan, RestoreOptions, backup_groups, decide, select_groups
from .soundness import SoundReader, check_manifest
from .store import schema as S
from .store.catalog import Catalog, OrgEntry, safe_name
from .store.names import check_name
from .store.engines import POSTGRES, Check, Database, RowWriter
from .store.organizations import (create_organization, create_pg_database, drop_database,
                                  open_database, seed_organization)
from .store.pgserver import (database_name, pg_check_free, pg_drop_database,
                             pg_rename_database, with_database)
from .store.scope import scoped_from
from .store.unfinished import claimed, pg_sweep, pg_temporary_name, sqlite_sweep
from .verify import BackupInfo, Unlock, inspect_backup, unlocker_of

FINISH_CONNECTIONS = 2  # keys and checks of a new PostgreSQL database, as pg_restore --jobs 2
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


def plan_restore(catalog: Catalog, options: RestoreOptions, unlock: Unlock = None
                 ) -> tuple[BackupInfo, list[GroupPlan]]:
    """Read the manifest and decide what happens to each group; changes nothing."""
    info = inspect_backup(options.file, unlocker_of(unlock))
    check_manifest(info.manifest)  # a newer schema is refused here, not after the load
    groups = select_groups(backup_groups(info.manifest), options.groups)
    if options.create:
        if catalog.exists(options.into):
            raise AlreadyExists(f'an organization named "{options.into}" already exists',
                                hint="drop --create to restore into it")
        return info, decide(None, groups, options)
    if not catalog.exists(options.into):
        raise NotFound(f'there is no organization named "{options.into}"',
                       hint="add --create to create it from the backup")
    db = open_database(catalog, catalog.find(options.into))
    try:
        return info, decide(db, groups, options)
    finally:
        db.close()


def run_restore(catalog: Catalog, options: RestoreOptions, unlock: Unlock = None,
                progress: Progress | None = None) -> RestoreReport:
    """Restore as ``options`` say, all or nothing. The file is read through the rules of a
    sound file (:mod:`cheel.soundness`) and nothing commits before its last byte is
    checked; ``--dry-run`` reads and checks the whole file too, and changes nothing."""
    started = time.monotonic()
    unlocker = unlocker_of(unlock)
    early = None
    if options.create:  # a new organization's name is stored as typed names are
        options = dataclasses.replace(options, into=check_name(options.into))
    if options.create and options.postgres and not options.dry_run:
        if not catalog.exists(options.into):  # else plan_restore says so
            early = _EarlyDatabase(options.postgres, _final_name(options))
    try:
        info, groups = plan_restore(catalog, options, unlocker)
        report = RestoreReport(str(options.file), options.into, options.create,
                               options.dry_run, info.encrypted, groups)
        if options.dry_run:
            _check_whole_file(options.file, unlocker, progress)
            report.rows = _restored_rows(info.manifest, groups)
            report.seconds = time.monotonic() - started
            return report
        entry, db, final_db = _open_target(catalog, options, info.manifest, groups, early)
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
            with db.bulk_load(fresh=options.create), _refusals_are_damage():
                with db.transaction():
                    if not options.create:
                        # Names and ids are chosen under the lock that keeps other writers
                        # of groups out until this commits: two restores at once each see
                        # what the other restored.
                        db.lock_groups()
                        decide(db, groups, options)
                    loader = _Loader(db, groups, bulk=options.create)
                    loader.load(options.file, unlocker, progress)
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
    report.rows = _restored_rows(info.manifest, groups)
    report.seconds = time.monotonic() - started
    return report


def _restored_rows(manifest: Manifest, groups: list[GroupPlan]) -> dict[str, int]:
    """Rows per table the restore writes: its groups' rows, and the organization rows of
    their organizations (matched by natural key, or added)."""
    restored = [g for g in groups if g.restored]
    orgs = {g.org_index for g in restored}
    rows = {}
    for t in S.TABLES:
        if t.scope == S.ORG:
            rows[t.name] = sum(o.org_rows.get(t.name, 0) for o in manifest.organizations
                               if o.index in orgs)
        else:
            rows[t.name] = sum(g.rows.get(t.name, 0) for g in restored)
    return rows


def _check_whole_file(file: Path | str, unlocker: Unlocker, progress: Progress | None) -> None:
    """Read the file through every rule of a sound file, as verify does."""
    with open_file(file) as f:
        sound = SoundReader(BackupReader(f, unlocker), whole_file_rules=True)
        total = sound.manifest.total_rows
        for _ in sound:
            if progress:
                progress(sound.rows, total)


@contextlib.contextmanager
def _refusals_are_damage() -> Iterator[None]:
    """What the target's engine refuses in the restored rows (a value repeated that must be
    unique, an entry that does not balance, a value its type refuses) is the file's fault:
    said as ``DamagedFile``, as verify says it of the same file."""
    try:
        yield
    except IntegrityError as e:
        if e.cause in ("unique", "balance"):
            raise DamagedFile(e.message) from None
        raise
    except Exception as e:
        why = _engine_refusal(e)
        if why is None:
            raise
        raise DamagedFile(f"the backup holds rows its target refuses ({why}); nothing was "
                          "restored") from None


def _engine_refusal(e: Exception) -> str | None:
    import sqlite3

    if isinstance(e, sqlite3.IntegrityError):
        text = str(e)
        if text.startswith("UNIQUE constraint failed: "):
            columns = text.split(": ", 1)[1].split(", ")
            table = columns[0].split(".")[0]
            return (f"a value that must be unique is repeated: {table}: "
                    + ", ".join(c.split(".")[-1] for c in columns))
        return text
    if isinstance(e, sqlite3.OperationalError) and "integer overflow" in str(e):
        return "amounts too large for the database to add up"
    psycopg = sys.modules.get("psycopg")  # loaded only where a PostgreSQL target is
    if psycopg is not None and isinstance(e, (psycopg.errors.IntegrityError,
                                              psycopg.errors.DataError)):
        text = str(e).strip().splitlines()
        first = text[0] if text else type(e).__name__
        if isinstance(e, psycopg.errors.UniqueViolation):
            return f"a value that must be unique is repeated: {first}"
        return first
    return None


def _open_target(catalog: Catalog, options: RestoreOptions, manifest: Manifest,
                 groups: list[GroupPlan], early: "_EarlyDatabase | None"
                 ) -> tuple[OrgEntry, Database, str | None]:
    """The target's entry and database; for ``--create`` on PostgreSQL the entry points to
    a temporary database (made by ``early``), and the name it gets once complete is
    returned too."""
    if not options.create:
        entry = catalog.find(options.into)
        return entry, open_database(catalog, entry), None
    first = next((o for o in manifest.organizations
                  if any(g.org_index == o.index for g in groups)), None)
    langs = first.languages if first else ["fr", "de", "it", "en"]
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

    def __init__(self, db: Database, groups: list[GroupPlan], bulk: bool = False):
        self.db = db
        self.bulk = bulk  # a new database: its schema is completed after the load
        self.plans = {(g.org_index, g.key): g for g in groups if g.restored}
        # A sound file's chunks hold the schema's backup columns, in its order.
        self.columns = {t.name: [c.name for c in t.backup_columns] for t in S.TABLES}
        self.org_maps: dict[tuple[int, str], dict[int, int]] = {}
        self.delta: dict[tuple[int, str], int] = {}
        self.ranges: dict[tuple[int, str], tuple[int, int]] = {}
        self.writer = RowWriter(db)  # while the chunks are loaded: the engine's, see run

    def load(self, file: Path | str, unlocker: Unlocker, progress: Progress | None) -> None:
        """Read the whole file (every rule of a sound file checked) into the open
        transaction."""
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
            # The database enforces unique keys and balances itself before it commits.
            for chunk in SoundReader(BackupReader(f, unlocker), whole_file_rules=False):
                if chunk.scope == "org":
                    self.writer.flush()  # its rows are looked up and inserted one by one
                    self._load_org_rows(chunk.org, chunk.table, chunk.rows)
                    continue
                plan = self.plans.get((chunk.org, chunk.scope))
                if plan is None:
                    continue
                self._load_group_rows(plan, chunk.table, chunk.rows)
                done += len(chunk.rows)
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
        """Each (organization, table) of the file moves above the target's highest id."""
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
                if hi + delta > MAX_ID:
                    raise CheelError(f"restoring this backup would take the ids of {t.name} "
                                     f"past {MAX_ID}; nothing was restored")
                self.delta[(o, t.name)] = delta
                self.ranges[(o, t.name)] = (lo + delta, hi + delta)
                base = hi + delta
            self.db.reserve_ids(t.name, base)

    def _load_org_rows(self, org: int, table: str, rows: list[tuple]) -> None:
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
                # A key of a group table must land among the rows restored for its source
                # organization (not merely on some row of the target).
                inside = {c.name: self.ranges.get((o, c.ref), (0, -1)) for c in fks
                          if S.table(c.ref).scope != S.ORG}
                checks.append(Check(f"keys {o} {table}",
                                    restore_checks.keys_check(table, fks, lo, hi, inside),
                                    (table, *(c.ref for c in fks))))
            if table == S.BALANCED.table:
                b = S.BALANCED
                plo, phi = self.ranges.get((o, t.column(b.key).ref), (0, -1))
                # A table just loaded looks empty to PostgreSQL's planner.
                checks.append(Check(f"balance {o}", restore_checks.balance_check(table, plo, phi),
                                    (table,),
                                    (table, (b.key,)) if self.bulk else None))
        gids = {}
        for plan in self.plans.values():
            gid_delta = self.delta.get((plan.org_index, S.GROUP_TABLE))
            old_id = plan.ids.get(S.GROUP_TABLE, (None,))[0]
            if gid_delta is None or old_id is None:
                raise IntegrityError(f'the backup holds no row for the group "{plan.name}"')
            gids[old_id + gid_delta] = plan
        for t in S.group_tables():
            read = (t.name, *(ref for _, ref in S.scope_chain(t) if ref != S.GROUP_TABLE))
            checks.append(Check(f"count {t.name}",
                                restore_checks.count_check(t, gids, self.bulk), read))
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
