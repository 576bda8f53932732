"""Loading a backup's rows into the target, in its open transaction, and checking them.

Rows get new ids by a constant shift per (source organization, table): every id of the
backup moves above the target's highest id, and every foreign key moves with the table it
points to. That keeps memory flat (no id map) however large the group is. Organization-level
rows (users, languages) are matched by their natural key instead, and added when missing.
The file is read through the rules of a sound file (:mod:`cheel.soundness`) as the rows go
in; the checks of :mod:`.checks` run on what was loaded, before the caller commits.
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from ..archive.age import Unlocker
from ..archive.manifest import MAX_ID
from ..archive.reader import BackupReader
from ..destinations import open_location
from ..bulk import no_cycle_scans
from ..errors import CheelError, IntegrityError, said
from ..progress import CHECKS, Progress
from ..soundness import SoundReader
from ..store import schema
from ..store.engines import Database, RowWriter
from ..store.scope import fills_range, range_sql, scoped_from
from . import checks
from .plan import REPLACE, GroupPlan


# Fewest rows a restore writes into a table of an existing organization for its indexes to
# be dropped and built again after the load (see Loader._mostly_rewritten).
REBUILT_FROM = 10_000


class Loader:
    """Streams the backup's chunks into the open transaction and checks the result."""

    def __init__(self, db: Database, groups: list[GroupPlan], bulk: bool = False,
                 orgs: set[int] | None = None):
        self.db = db
        self.bulk = bulk  # a new database: its schema is completed after the load
        self.plans = {(g.org_index, g.key): g for g in groups if g.restored}
        # The source organizations whose organization rows (users, languages) come along:
        # those of the restored groups, unless the caller names them.
        self.orgs = {g.org_index for g in self.plans.values()} if orgs is None else orgs
        self.total = sum(sum(g.rows.values()) for g in self.plans.values())
        # A sound file's chunks hold the schema's backup columns, in its order.
        self.columns = {t.name: [c.name for c in t.backup_columns] for t in schema.TABLES}
        self.org_maps: dict[tuple[int, str], dict[int, int]] = {}
        self.delta: dict[tuple[int, str], int] = {}
        self.ranges: dict[tuple[int, str], tuple[int, int]] = {}
        self.writer = RowWriter(db)  # while the chunks are loaded: the engine's, see run
        self.rebuilt: list[str] = []  # tables whose indexes are built again after the load

    def load(self, file: Path | str, unlocker: Unlocker, progress: Progress | None) -> None:
        """Read the whole file (every rule of a sound file checked) into the open
        transaction."""
        self.begin()
        with self.writing():
            load_file(file, unlocker, progress, dict.fromkeys(self.orgs, self))

    def begin(self) -> None:
        """Before the first chunk: replaced groups deleted, ids reserved, tables readied."""
        self.rebuilt = [] if self.bulk else self._mostly_rewritten()
        self.db.drop_indexes(self.rebuilt)
        for g in self.plans.values():
            if g.action == REPLACE and g.replaces_id is not None:
                self._delete_group(g.replaces_id)
        self._compute_deltas()
        if self.bulk:
            self.db.start_loading([t.name for t in schema.group_tables()])

    def _mostly_rewritten(self) -> list[str]:
        """The tables this restore writes at least half as many rows into as they hold
        (and 10,000 or more): cheaper to index again after the load than row by row, where
        the engine can drop an index inside the transaction without holding its readers up.
        Replacing the 800,000-line group of a 1,000,000-line organization (SQLite): the
        deletes 1.6 s -> 0.8 s, the inserts 2.35 s -> 1.4 s, the indexes built again 0.75 s.
        """
        if not self.db.drops_indexes_cheaply:
            return []
        written = {t.name: sum(g.rows.get(t.name, 0) for g in self.plans.values())
                   for t in schema.group_tables() if t.foreign_keys}
        return [t for t, n in written.items()
                if n >= REBUILT_FROM and 2 * n >= int(self.db.scalar(f"SELECT count(*) FROM {t}"))]

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """The block in which chunks are taken (the engine's writer of many batches)."""
        with self.db.row_writer() as self.writer:
            yield

    def take(self, chunk) -> int:
        """One chunk of the file into the target; the group rows it wrote."""
        if chunk.scope == "org":
            if chunk.org in self.orgs:
                self.writer.flush()  # its rows are looked up and inserted one by one
                self._load_org_rows(chunk.org, chunk.table, chunk.rows)
            return 0
        plan = self.plans.get((chunk.org, chunk.scope))
        if plan is None:
            return 0
        self._load_group_rows(plan, chunk.table, chunk.rows)
        return len(chunk.rows)

    def finish(self, connections: int = 1, progress: Progress | None = None) -> None:
        """Check what the load left in the target (a new database gets its keys first).
        ``progress`` hears of the checks phase, and may stop it (see :mod:`cheel.progress`)
        between two checks and at its end, before anything commits."""
        self.db.create_indexes(self.rebuilt)
        found = checks.restore_checks(self.db, self.plans.values(), self.delta, self.ranges,
                                      self.bulk)
        if progress:
            progress(0, len(found), CHECKS)
        if self.bulk:
            self.db.complete_schema(found, connections)
        else:
            for done, check in enumerate(found, 1):
                check.run(self.db)
                if progress:
                    progress(done, len(found), CHECKS)
        self.db.after_explicit_ids([t.name for t in schema.TABLES])
        if progress:
            progress(len(found), len(found), CHECKS)

    # -- replace ----------------------------------------------------------------------
    def _delete_group(self, group_id: int) -> None:
        for t in reversed(schema.group_tables()):
            n, lo, hi = self.db.execute(range_sql(t), (group_id,)).fetchone()
            if not n:
                continue
            if fills_range(n, lo, hi):
                # Every id from lo to hi is the group's (counted in this transaction, which
                # holds the write lock): a range of the table, without the scope's joins, as
                # in an organization of one group or a group restored in one go. The 800,000
                # entry lines of a 1,000,000-line organization (SQLite): 0.37 s -> 0.20 s.
                self.db.execute(f"DELETE FROM {t.name} WHERE id BETWEEN ? AND ?", (lo, hi))
                continue
            frm, grp = scoped_from(t)
            self.db.execute(f"DELETE FROM {t.name} WHERE id IN "
                            f"(SELECT t0.id FROM {frm} WHERE {grp} = ?)", (group_id,))

    # -- ids --------------------------------------------------------------------------
    def _compute_deltas(self) -> None:
        """Each (organization, table) of the file moves above the target's highest id."""
        orgs = sorted({g.org_index for g in self.plans.values()})
        for t in schema.group_tables():
            base = self.db.max_id(t.name)
            for o in orgs:
                spans = [g.ids[t.name] for g in self.plans.values()
                         if g.org_index == o and t.name in g.ids]
                if not spans:
                    continue
                lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
                delta = base + 1 - lo
                if hi + delta > MAX_ID:
                    raise CheelError(said("restoring this backup would take the ids of {name} past "
                                          "{limit}; nothing was restored",
                                          name=t.name, limit=MAX_ID))
                self.delta[(o, t.name)] = delta
                self.ranges[(o, t.name)] = (lo + delta, hi + delta)
                base = hi + delta
            self.db.reserve_ids(t.name, base)

    def _load_org_rows(self, org: int, table: str, rows: list[tuple]) -> None:
        t = schema.table(table)
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
        t = schema.table(table)
        cols = self.columns[table]
        o = plan.org_index
        shifts: list[tuple[int, int]] = []
        maps: list[tuple[int, dict[int, int]]] = []
        for i, name in enumerate(cols):
            c = t.column(name)
            ref = t.name if c.type == "id" else c.ref
            if ref is None:
                continue
            if schema.table(ref).scope == schema.ORG:
                mapping = self.org_maps.get((o, ref), {})
                used = set(map(operator.itemgetter(i), rows))  # in C: no Python per row
                used.discard(None)
                if not used <= mapping.keys():
                    raise IntegrityError(
                        said("the backup references a {ref} row that it does not hold", ref=ref))
                if any(mapping[v] != v for v in used):  # else the ids are the target's too
                    maps.append((i, mapping))
            else:
                shifts.append((i, self.delta.get((o, ref), 0)))
        renamed = table in (schema.GROUP_TABLE, schema.COMPANY_TABLE)
        if renamed or maps:
            rows = [list(r) for r in rows]  # decoded rows are tuples; these get edited
        if table == schema.GROUP_TABLE:
            i_uid, i_name = cols.index("uid"), cols.index("name")
            for r in rows:
                r[i_uid], r[i_name] = plan.target_uid, plan.target_name
        elif table == schema.COMPANY_TABLE:
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


def load_file(file: Path | str, unlocker: Unlocker, progress: Progress | None,
              loaders: Mapping[int, Loader],
              failed: Callable[[Loader, Exception], None] | None = None) -> None:
    """One pass over the whole file (every rule of a sound file checked): each source
    organization's chunks go to its loader in ``loaders`` (by the organization's index in
    the file), inside the loader's :meth:`Loader.writing` block; others are read and
    skipped. With ``failed``, what a loader raises is handed to it and that loader takes
    no more chunks, while the others go on (the file's own faults still end the pass)."""
    live = {o: loader for o, loader in loaders.items()}
    total = sum(loader.total for loader in set(live.values()))
    done = 0
    if progress:
        progress(0, total)
    with open_location(file) as f, no_cycle_scans():
        # The database enforces unique keys and balances itself before it commits.
        for chunk in SoundReader(BackupReader(f, unlocker), whole_file_rules=False):
            loader = live.get(chunk.org)
            if loader is None:
                continue
            try:
                n = loader.take(chunk)
            except Exception as e:
                if failed is None:
                    raise
                failed(loader, e)
                live = {o: other for o, other in live.items() if other is not loader}
                continue
            if n:
                done += n
                if progress:
                    progress(done, total)
