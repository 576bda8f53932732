"""A backup compared with the live organization it was made from: by id range first.

A backup's group read against the live group of the same id holds, for the most part, the
live rows of the same ids, unchanged. Each family of tables (an entry with its lines, an
invoice with its lines and payments: :data:`keys.PARTS`; a table that has no parts, alone)
is then first compared chunk by chunk: the live rows of the chunk's id range, encoded by
the database as the backup encodes them (one text a range, made on a helper connection of
the same snapshot while the file is read), against the chunk's bytes. Equal bytes: the
same rows, nothing kept but the range. A chunk that differs is written to the spool, and
the ids that differ on each side are remembered (bitmaps). Afterwards only the units these
ids touch, and those of the same natural key, are compared by natural key
(:mod:`.accounting`), both sides restricted to them, the spool completed with their
unchanged rows and the rows they point to (from the live database: they are the file's
rows); the others, the same rows pointing to the same rows, would compare equal.

That last point holds while every row they point to keeps its natural key: a family that
points to a row whose key changed (an account renumbered, a fiscal year moved), or that
touches more than :data:`MAX_TOUCHED` units, is compared whole, its clean rows copied into
the spool. A chunk whose rows are not in id order (a row PostgreSQL moved when it was
updated comes after rows of higher ids) is compared row by row, those below its range by
their ids. The result is the same either way; only the time differs.
"""

from __future__ import annotations

import operator
from collections import defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor

from pyroaring import BitMap64

from ..store import schema
from ..store.engines import POSTGRES, SQLITE, Database
from ..store.scope import fills_range, scoped_from, select_range_sql
from .keys import PARTS, WHOLE, ids_in, ids_param
from .sides import GroupAt

# A family of fewer rows in a group is spooled whole and compared whole. Compared by range,
# even the small ones cost less (a 1M-line organization: 0.15 s less of the main thread's
# CPU): 1. (The tests compare every scenario both ways.)
ALIGN_ROWS = 1
MAX_TOUCHED = 20_000  # units; more: the family is compared whole
DEPTH = 2  # chunks waiting for their live text while the next ones are read
BATCH = 5_000  # ids a query names at once
_REFERENCED = {c.ref for t in schema.TABLES for c in t.columns if c.ref}
ALIGNABLE = {t.name: PARTS.get(t.name, ()) for t in schema.group_tables()
             if t.name not in WHOLE and t.name not in (schema.GROUP_TABLE, schema.COMPANY_TABLE)
             and not (schema.POSITION in t.natural_key and t.name in _REFERENCED)}
Only = dict[str, tuple[list[int], list[int]]]  # whole → its rows' ids before, after


def _last_id(tail: bytes) -> int | None:
    """The id of a chunk's last row, read from the chunk's end (``…],[ID,…]]``); None when
    it cannot be read there (a guess: the decoded rows say whether it was right)."""
    start = tail.rfind(b"],[")
    start = start + 3 if start >= 0 else (2 if tail.startswith(b"[[") else -1)
    end = start
    while 0 <= end < len(tail) and 48 <= tail[end] <= 57:
        end += 1
    return int(tail[start:end]) if end > start >= 0 else None


def columns(table: str) -> list[str]:
    return [c.name for c in schema.table(table).backup_columns]


class Aligner:
    """One group's families while the file is read (:meth:`take` each chunk), then
    the units to compare (:meth:`only`)."""

    def __init__(self, spool: Database, live: GroupAt, helper: Database,
                 rows: dict[str, int], ids: dict[str, tuple[int, int]],
                 pool: ThreadPoolExecutor):
        self.spool, self.live, self.helper, self.pool = spool, live, helper, pool
        assert live.db is not None
        self.db: Database = live.db
        self.families = {w: parts for w, parts in ALIGNABLE.items()
                         if sum(rows.get(t, 0) for t in (w, *parts)) >= ALIGN_ROWS}
        self.family = {t: w for w, parts in self.families.items() for t in (w, *parts)}
        self.clean: dict[str, BitMap64] = defaultdict(BitMap64)  # ids the same on both sides
        self.absent: dict[str, BitMap64] = defaultdict(BitMap64)  # live ids not read yet
        self.early: dict[str, BitMap64] = defaultdict(BitMap64)  # read out of their range
        self.touched = (defaultdict(BitMap64), defaultdict(BitMap64))  # before, after
        self.copied: dict[str, BitMap64] = defaultdict(BitMap64)  # from live into the spool
        self.pending: deque = deque()
        self.asked: dict[str, deque] = defaultdict(deque)  # (low, high, future) by table
        self.guessed: dict[str, int] = {}
        # Tables whose every id in the file's range is the group's: their live text is read
        # by id alone (no join to the group; a row of another group in the range since
        # would only make the text differ, and the range be compared row by row).
        # (each table's first range, from id 0, read through the joins, so that no live
        # row of the group below the file's ids goes unseen)
        self.alone = {t: low - 1 for t, (low, high) in ids.items()
                      if fills_range(rows.get(t, 0), low, high)}
        self.last: dict[str, int] = {}
        self.given_up: set[str] = set()

    # -- while the file is read ------------------------------------------------------------
    def peek(self, table: str, data) -> None:
        """A chunk of ``table`` about to be decoded: its live text asked for now (the range
        read from its last row's id), so that the helper reads it while the chunk is
        decoded and checked."""
        if table not in self.family:
            return
        high = _last_id(bytes(data[-4096:]) if len(data) > 4096 else bytes(data))
        if high is None:
            return
        low = self.guessed.get(table, self.last.get(table, 0))
        self.guessed[table] = high
        self.asked[table].append((low, high, self.pool.submit(self._live_text, table, low,
                                                              high)))

    def take(self, table: str, rows: list[tuple], data) -> bool:
        """Compare a chunk of ``table`` with the live rows of its range; False: not
        compared (the caller spools it)."""
        asked = self.asked[table].popleft() if self.asked.get(table) else None
        if table not in self.family:
            return False
        # Its range (low, high]: from the end of the previous one to its last id. Equal
        # to the live text, the chunk is that range's rows in id order; otherwise its rows
        # are compared one by one (settle), those below the range (a row PostgreSQL moved
        # when it was updated comes after rows of higher ids) by their ids.
        low, high = self.last.get(table, 0), rows[-1][0]
        if rows[0][0] <= low or high < rows[0][0]:
            high = max(low, max(map(operator.itemgetter(0), rows)))
            self.asked.pop(table, None)  # (the guesses that followed are wrong too)
            self.guessed[table] = high
            asked = (low, high, None)  # no text: rows out of id order never equal it
        elif asked is None or asked[:2] != (low, high):  # guessed wrong: asked again
            self.asked.pop(table, None)
            self.guessed[table] = high
            asked = (low, high, self.pool.submit(self._live_text, table, low, high))
        self.last[table] = high
        self.pending.append((table, low, high, rows, data, asked[2]))
        while len(self.pending) > DEPTH:
            self._settle(*self.pending.popleft())
        return True

    def _range_sql(self, db: Database, table: str, exprs: list[str]):
        t = schema.table(table)
        return select_range_sql(t, exprs, "CROSS JOIN" if db.engine == SQLITE else "JOIN",
                                bound_parent=db.engine == POSTGRES)

    def _live_text(self, table: str, low: int, high: int) -> bytes | None:
        """The live rows of ids (low, high] as the backup encodes a chunk (None: the
        database does not encode them)."""
        db = self.helper
        cols = schema.table(table).backup_columns
        row = db.json_row_expr(cols, "t0")
        if row is None:
            return None
        if low >= self.alone.get(table, high):
            inner = f"SELECT {row} AS j, t0.id AS i FROM {table} t0 WHERE t0.id BETWEEN ? AND ?"
            params: tuple = (low + 1, high)
        else:
            query = self._range_sql(db, table, [f"{row} AS j", "t0.id AS i"])
            inner, params = query.sql, query.params(self.live.id, low + 1, high)
        if db.engine == POSTGRES:
            sql = f"SELECT '[' || string_agg(j, ',' ORDER BY i) || ']' FROM ({inner}) s"
        else:
            sql = (f"SELECT CAST('[' || group_concat(j, ',') || ']' AS BLOB) "
                   f"FROM ({inner} ORDER BY i) s")
        text = db.scalar(sql, params)
        if text is None:
            return b"[]"
        return text.encode("utf-8") if isinstance(text, str) else bytes(text)

    def _settle(self, table: str, low: int, high: int, rows: list[tuple], data,
                text: Future | None) -> None:
        if table not in self.family:  # its family was given up
            self.spool.insert_rows(table, columns(table), rows)
            return
        live = text.result() if text is not None else None
        if live is not None and live == bytes(data):  # (a memoryview compares 10x slower)
            self.clean[table].add_range(low + 1, high + 1)
            return
        exprs = [self.db.select_expr(c, "t0") for c in schema.table(table).backup_columns]
        query = self._range_sql(self.db, table, exprs)
        theirs = {r[0]: tuple(r) for r in self.db.query(
            query.sql, query.params(self.live.id, low + 1, high))}
        mine = {r[0]: r for r in rows}
        outside = [i for i in mine if not low < i <= high]
        if outside:  # the live rows of those ids, if they are the group's
            frm, grp = scoped_from(schema.table(table))
            theirs.update((r[0], tuple(r)) for r in self.db.query(
                f"SELECT {', '.join(exprs)} FROM {frm} WHERE {grp} = ? AND "
                f"{ids_in(self.db, 't0.id')}", (self.live.id, ids_param(self.db, outside))))
        self.touched[0][table].update(i for i, r in mine.items() if theirs.get(i) != r)
        self.touched[1][table].update(i for i, r in theirs.items()
                                      if i in mine and mine[i] != r)
        # live rows of the range the chunk lacks: perhaps in a later chunk, or read before
        # it, out of their range (see end)
        self.absent[table].update(i for i in theirs if i not in mine)
        self.absent[table] -= BitMap64(mine)
        self.early[table].update(outside)
        self.spool.insert_rows(table, columns(table), rows)

    def end(self) -> None:
        """The group's last chunk has gone by: the rest compared, and the live rows above
        the file's last range are ids only the live side holds."""
        while self.pending:
            self._settle(*self.pending.popleft())
        for table, whole in self.family.items():
            frm, grp = scoped_from(schema.table(table),
                                   "CROSS JOIN" if self.db.engine == SQLITE else "JOIN")
            added = [r[0] for r in self.db.query(
                f"SELECT t0.id FROM {frm} WHERE {grp} = ? AND t0.id > ?",
                (self.live.id, self.last.get(table, 0)))]
            self.touched[1][table].update(added)
            self.touched[1][table] |= self.absent.pop(table, BitMap64()) - self.early[table]

    def give_up(self, whole: str) -> None:
        """Compare ``whole``'s family whole (once the file was read): its clean rows
        copied into the spool (what it touched stays known)."""
        if whole not in self.families:
            return
        self.given_up.add(whole)
        tables = (whole, *self.families.pop(whole))
        for table in tables:
            del self.family[table]
        while self.pending:  # (its chunks spooled as they are)
            self._settle(*self.pending.popleft())
        for table in tables:
            clean = self.clean.pop(table, None)
            if not clean:
                continue
            exprs = [self.db.select_expr(c, "t0") for c in schema.table(table).backup_columns]
            query = self._range_sql(self.db, table, exprs)
            for batch in self.db.stream(query.sql, query.params(self.live.id, clean.min(),
                                                                clean.max())):
                rows = [r for r in batch if r[0] in clean]
                self.spool.insert_rows(table, columns(table), rows)
