"""Reading the selected groups of one organization for a backup, in parallel, from one
consistent snapshot of its database.

The rows of a (group, table) are read in units of id ranges when the group's rows are dense
in them: helper threads, each on its own connection to the same snapshot, run a few units
ahead, and the database encodes each unit's rows as one JSON text, outside Python's GIL.
Units are consumed in order, so the file is the same as a sequential read would write. A
group whose rows are sparse is read by one query through its indexed scope joins (so a small
group never costs a scan of the organization), streamed in batches so memory stays flat.
"""

from __future__ import annotations

import contextlib
import queue
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from ..archive.rows import ChunkBuilder
from ..store import schema
from ..store.engines import POSTGRES, SQLITE, Database
from ..store.languages import language_codes
from ..store.organizations import GroupInfo
from ..store.scope import (fills_range, ranges_sql, references_in_sql, references_sql,
                           select_range_sql, select_sql)

HELPERS = 2  # threads reading the database besides the one writing the file
# A group of at most this many rows (documents aside) is read in one query, its tables
# joined by UNION ALL, instead of one query a table: a 10,000-line organization's backup
# made 116 queries, each a round trip and a plan on the server. Its JSON (~200 bytes a
# row, 6 MiB at most) is held until written.
SMALL_GROUP_ROWS = 30_000
# Rows per unit, roughly: bounds memory in flight. PostgreSQL pays a join setup per unit,
# so its units are larger; 25,000 rather than 100,000 made a 1 M-line backup faster (the
# file is written while the next units are read: 4.7 s instead of 5.3 s), not the server
# busier, and its peak RSS 90 MiB instead of 135 MiB, the same at 250,000 and 4 M lines
# (units of 100,000 needed glibc's mmap threshold fixed at 4 MiB to stay flat; these do not).
UNIT_ROWS = {"sqlite": 8_000, "postgres": 25_000}
DENSE = 0.5  # id ranges are used when at least this share of the range is the group's


class SnapshotReader:
    """Everything read from one organization; use inside :meth:`session`."""

    def __init__(self, db: Database, groups: list[GroupInfo], index: int, name: str,
                 engine: str):
        self.db, self.groups, self.index = db, groups, index
        self.name, self.engine = name, engine
        self._pool: ThreadPoolExecutor | None = None
        self._free: queue.Queue[Database] = queue.Queue()
        self._helpers = HELPERS
        self._small: dict[int, dict[str, list[bytes]] | None] = {}  # see _small_group

    @contextlib.contextmanager
    def session(self, helpers: int = HELPERS) -> Iterator["SnapshotReader"]:
        """Open the shared snapshot and the helper threads."""
        self._helpers = max(1, helpers)
        with self.db.shared_snapshot(helpers) as clones:
            for c in clones:
                self._free.put(c)
            with ThreadPoolExecutor(max_workers=max(1, helpers),
                                    thread_name_prefix="cheel-read") as pool:
                self._pool = pool
                try:
                    yield self
                finally:
                    self._pool = None

    def describe(self) -> dict:
        """Counts, id ranges and referenced organization rows of the selection."""
        groups = []
        org_ids: dict[str, set[int]] = {t.name: set() for t in schema.org_tables()}
        tables = schema.group_tables()
        columns = [(t, c) for t in tables for c in t.foreign_keys
                   if schema.table(c.ref).scope == schema.ORG]
        # The counting queries of a group batched into a few (one round trip each, not one
        # per table: 150 queries of a 10,000-line organization took half of its backup),
        # as many batches as helpers, which run them at once (same snapshot).
        ranges: dict[tuple[int, str], tuple] = {}
        batches = []
        # Every group of the organization: the referenced organization rows found from the
        # foreign keys' indexes (0.4 ms), not from every row: this description of a 1 M-line
        # organization took 0.30 s of CPU, now 0.24 s.
        whole = len(self.groups) == self.db.scalar(f"SELECT count(*) FROM {schema.GROUP_TABLE}")
        if whole:
            batches.append((None, columns, None, self._query(
                references_in_sql([(t, c.name) for t, c in columns], len(self.groups)),
                tuple(g.id for g in self.groups) * len(columns))))
        for g in self.groups:
            ids = _company_ids(g)
            for part in _split(tables, self._helpers):
                batches.append((g.id, part, self._query(ranges_sql(part, ids),
                                                        (g.id,) * len(part)), None))
            for part in _split(columns, self._helpers) if not whole else []:
                batches.append((g.id, part, None, self._query(
                    references_sql([(t, c.name) for t, c in part], ids), (g.id,) * len(part))))
        # The highest id of each table: how large the organization is, next to a group.
        tops = self._query("SELECT " + ", ".join(f"(SELECT MAX(id) FROM {t.name})"
                                                 for t in tables), ())
        for group_id, part, counted, referenced in batches:
            if counted is not None:
                for k, n, lo, hi in counted.result():
                    ranges[(group_id, part[k].name)] = (n, lo, hi)
            else:
                for k, value in referenced.result():
                    org_ids[part[k][1].ref].add(value)
        self.top_ids = {t.name: int(top or 0) for t, top in zip(tables, tops.result()[0])}
        for k, g in enumerate(self.groups, start=1):
            rows, ids = {}, {}
            for t in schema.group_tables():
                n, lo, hi = ranges[(g.id, t.name)]
                rows[t.name] = int(n)
                if n:
                    ids[t.name] = [int(lo), int(hi)]
            groups.append({
                "key": f"g{k}", "uid": g.uid, "name": g.name,
                "companies": [{"uid": c.uid, "name": c.name} for c in g.companies],
                "rows": rows, "ids": ids})
        self.org_ids = {name: sorted(ids) for name, ids in org_ids.items()}
        self.described = groups
        return {"index": self.index, "name": self.name, "engine": self.engine,
                "schema_version": self.db.schema_version(), "languages": language_codes(self.db),
                "org_rows": {name: len(ids) for name, ids in self.org_ids.items()},
                "groups": groups}

    # -- organization rows (few): read directly ------------------------------------------
    def org_chunks(self, t: schema.Table) -> Iterator[tuple[bytes, int]]:
        cols = t.backup_columns
        exprs = [self.db.select_expr(c, "t0") for c in cols]
        builder = ChunkBuilder([c.type for c in cols])
        ids = self.org_ids[t.name]
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            batch = self.db.query(f"SELECT {', '.join(exprs)} FROM {t.name} t0 WHERE t0.id IN "
                                  f"({', '.join('?' for _ in part)}) ORDER BY t0.id", part)
            yield from builder.add(batch)
        if not builder.empty:
            yield builder.take()

    # -- group rows: in units, on the helper threads ---------------------------------------
    def group_chunks(self, k: int, t: schema.Table) -> Iterator[tuple[bytes, int]]:
        """Chunks ``(data, rows)`` of table ``t`` for the k-th selected group (1-based)."""
        group = self.groups[k - 1]
        info = self.described[k - 1]
        n = info["rows"][t.name]
        if not n:
            return
        cols = t.backup_columns
        builder = ChunkBuilder([c.type for c in cols])
        small = self._small_group(k)
        if small is not None and t.name in small:
            yield from builder.add_lines(b"\n".join(small.pop(t.name)))
            if not builder.empty:
                yield builder.take()
            return
        json_expr = self.db.json_row_expr(cols, "t0")
        binary = any(c.type == "binary" for c in cols)
        size = 16 if binary else 10_000  # documents can be large: fetch few at a time
        exprs = ([self.db.as_bytes(json_expr)] if json_expr
                 else [self.db.select_expr(c, "t0") for c in cols])
        lo, hi = info["ids"][t.name]
        if json_expr and n >= DENSE * (hi - lo + 1):
            # Dense rows: id ranges, each encoded and joined by the database in one step
            # (rows separated by newlines, which JSON text never holds), so a helper thread
            # hands Python one string per unit instead of one row at a time.
            join = "CROSS JOIN" if self.db.engine == SQLITE else "JOIN"
            # Company-id literals only for a small group (a tenth of the table at most): the
            # planner, without statistics, takes any literal list for few rows, which suits
            # a small group and misleads it for a large one.
            small = n * 10 <= self.top_ids.get(t.name, 0)
            # Every id from lo to hi is the group's (counted in this snapshot: ids are
            # unique): no joins to find them, as for an organization of one group, or a
            # group restored or imported in one go. 800,000 entry lines: 0.39 s of CPU
            # in SQLite with the joins, 0.34 s without.
            query = select_range_sql(t, [self.db.concat_rows_expr(json_expr)], join,
                                     _company_ids(group) if small else None,
                                     bound_parent=self.db.engine == POSTGRES and not small,
                                     whole=fills_range(n, lo, hi))
            step = max(1, (hi - lo + 1) * UNIT_ROWS[self.db.engine] // n)
            units = [(query.sql, query.params(group.id, start, min(hi, start + step - 1)),
                      query.bounded) for start in range(lo, hi + 1, step)]
            for lines in self._in_order(units):
                yield from builder.add_lines(lines)
        else:
            # One query for the whole group, streamed here batch by batch (collected by a
            # helper, a large sparse group would sit in memory whole).
            sql = select_sql(t, exprs, ordered=False, companies=_company_ids(group))
            for batch in self._stream(sql, (group.id,), size, json_expr is not None):
                yield from (builder.add_lines(b"\n".join(batch)) if json_expr
                            else builder.add(batch))
        if not builder.empty:
            yield builder.take()

    def _small_group(self, k: int) -> dict[str, list[bytes]] | None:
        """The k-th group's rows as JSON texts per table, read in one query, when the group
        is small (:data:`SMALL_GROUP_ROWS`); None otherwise. Tables whose rows the database
        cannot encode (SQLite's documents) are left to :meth:`group_chunks`."""
        if k in self._small:
            return self._small[k]
        self._small = {}  # the previous group's are written: let them go
        info = self.described[k - 1]
        if sum(info["rows"].values()) > SMALL_GROUP_ROWS:
            self._small[k] = None
            return None
        ids = _company_ids(self.groups[k - 1])
        tables, parts = [], []
        for t in schema.group_tables():
            json_expr = self.db.json_row_expr(t.backup_columns, "t0")
            if not info["rows"][t.name] or json_expr is None or \
                    any(c.type == "binary" for c in t.backup_columns):
                continue
            parts.append(select_sql(t, [str(len(tables)), "t0.id",
                                        self.db.as_bytes(json_expr)],
                                    ordered=False, companies=ids))
            tables.append(t.name)
        found: dict[str, list[bytes]] = {name: [] for name in tables}
        if parts:  # in id order within each table, as the other paths read them
            sql = " UNION ALL ".join(parts) + " ORDER BY 1, 2"
            for n, _, text in self._query(sql, (self.groups[k - 1].id,) * len(parts)).result():
                found[tables[n]].append(_utf8(text))
        self._small[k] = found
        return found

    @contextlib.contextmanager
    def _helper(self) -> Iterator[Database]:
        """One of the helper connections, for the block's duration."""
        db = self._free.get()
        try:
            yield db
        finally:
            self._free.put(db)

    def _stream(self, sql: str, params: tuple, size: int, texts: bool) -> Iterator[list]:
        with self._helper() as db:  # the helpers are idle: units of one table run in order
            for batch in db.stream(sql, params, size):
                yield [_utf8(r[0]) for r in batch] if texts else list(batch)

    def _query(self, sql: str, params: tuple) -> Future:
        assert self._pool is not None, "use inside session()"
        return self._pool.submit(self._fetchall, sql, params)

    def _fetchall(self, sql: str, params: tuple) -> list[tuple]:
        with self._helper() as db:
            return db.query(sql, params)

    def _in_order(self, units: list[tuple[str, tuple, bool]]) -> Iterator[bytes]:
        """Each unit's rows as JSON texts joined by newlines, in order, with at most a few
        units in flight."""
        assert self._pool is not None, "use inside session()"
        pending: deque[Future] = deque()
        todo = iter(units)
        ahead = max(1, self._free.qsize()) + 1
        for unit in todo:
            pending.append(self._pool.submit(self._run, unit))
            if len(pending) >= ahead:
                break
        while pending:
            yield pending.popleft().result()
            for unit in todo:
                pending.append(self._pool.submit(self._run, unit))
                break

    def _run(self, unit: tuple[str, tuple, bool]) -> bytes:
        sql, params, bounded = unit
        with self._helper() as db, (_hash_joins(db) if bounded else contextlib.nullcontext()):
            joined = db.scalar(sql, params)
            return _utf8(joined) if joined else b""


def _split(items: list, parts: int) -> list[list]:
    """``items`` in at most ``parts`` slices of about equal length, none empty."""
    size = max(1, -(-len(items) // max(1, parts)))
    return [items[i:i + size] for i in range(0, len(items), size)]


@contextlib.contextmanager
def _hash_joins(db: Database) -> Iterator[None]:
    """No nested loops for the block's queries (PostgreSQL).

    A bounded unit of a large group (see select_range_sql) joins ~100,000 rows to their
    parents: a hash join is right whatever the planner believes. Without statistics it
    believed in a nested loop of bitmap scans, rebuilt for every parent: minutes instead of
    a tenth of a second."""
    db.execute("SET enable_nestloop = off")
    try:
        yield
    finally:
        db.execute("RESET enable_nestloop")


def _utf8(value: bytes | str) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


def _company_ids(group: GroupInfo) -> list[int]:
    return [c.id for c in group.companies]
