"""After a group was read by id range (:mod:`.aligned`): the units to compare.

From the ids that differed on each side, the wholes they belong to (an entry for a line),
their raw natural keys, and the units of those keys on each side (the ids of their wholes,
before and after); the spool completed with the unchanged rows of those units and with the
rows the compared rows point to, copied from the live database (in a clean range, they
are the file's rows). A family pointing to a row whose natural key differs is compared
whole (:meth:`Aligner.give_up`), or, for a family itself compared by range, the units
pointing to it are added.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

from pyroaring import BitMap64

from ..store import schema
from ..store.engines import POSTGRES, Database
from ..store.scope import scoped_from
from .aligned import BATCH, MAX_TOUCHED, Aligner, Only, columns
from .keys import WHOLE, id_keys_sql, ids_in, ids_param, raw_key
from .sides import GroupAt


def units(al: Aligner, spooled: GroupAt) -> Only:
    """The units of each family to compare, by the ids of their wholes on each
    side, the spool completed with their rows and the rows they point to."""
    rekeyed: dict[str, bool] = {}  # a table spooled whole: a row's key differs?
    for whole in list(al.families):
        if _rekeyed_small(al, whole, spooled, rekeyed):
            al.give_up(whole)
    _copy_references(al)  # what the spooled rows point to, for their keys
    out: Only = {}
    extra: dict[str, set[int]] = defaultdict(set)  # wholes touched by a rekeyed entry
    compared = set(al.families) | al.given_up
    for whole in [t.name for t in schema.group_tables() if t.name in compared]:
        if whole in al.families:
            keys = _touched_keys(al, whole, spooled, extra[whole])
            if len(keys) > MAX_TOUCHED:
                al.give_up(whole)
            else:
                out[whole] = _units(al, whole, keys, spooled)
        # (a family given up still knows what it touched)
        for referencing, ids in _rekeyed_aligned(al, whole, spooled).items():
            extra[referencing] |= ids
    _copy_references(al, out)
    return out


def _rekeyed_small(al: Aligner, whole: str, spooled: GroupAt, seen: dict[str, bool]) -> bool:
    """A table the family points to, spooled whole, holds a row whose natural key is
    not the same on both sides (``seen``: the tables already looked at)."""
    for table in (whole, *al.families[whole]):
        for c in schema.table(table).foreign_keys:
            if c.ref == schema.GROUP_TABLE or c.ref in al.family:
                continue
            if c.ref not in seen:
                org = schema.table(c.ref).scope == schema.ORG
                sides = [{r[0]: tuple(r[1:]) for r in db.query(
                    id_keys_sql(db, c.ref), () if org else (gid,))}
                    for db, gid in ((al.spool, spooled.id), (al.db, al.live.id))]
                seen[c.ref] = any(sides[1].get(i, k) != k for i, k in sides[0].items())
            if seen[c.ref]:
                return True
    return False


def _wholes_of(al: Aligner, db: Database, table: str, ids: Iterable[int]) -> set[int]:
    ids = list(ids)
    if not ids:
        return set()
    if table not in WHOLE:
        return set(ids)
    column = schema.table(table).natural_key[0]
    return {r[0] for r in db.query(f"SELECT DISTINCT {column} FROM {table} t0 WHERE "
                                   f"{ids_in(db, 't0.id')}", (ids_param(db, ids),))}


def _raw_keys(al: Aligner, db: Database, whole: str, ids: set[int]) -> dict[int, tuple]:
    if not ids:
        return {}
    t = schema.table(whole)
    exprs = [db.select_expr(t.column(k), "t0") for k in raw_key(whole)]
    return {r[0]: tuple(r[1:]) for r in db.query(
        f"SELECT t0.id, {', '.join(exprs)} FROM {whole} t0 "
        f"WHERE {ids_in(db, 't0.id')}", (ids_param(db, ids),))}


def _touched_keys(al: Aligner, whole: str, spooled: GroupAt, extra: set[int]) -> set[tuple]:
    members = (whole, *al.families[whole])
    before = set().union(*(_wholes_of(al, al.spool, t, al.touched[0][t])
                           for t in members))
    after = set().union(*(_wholes_of(al, al.db, t, al.touched[1][t])
                          for t in members)) | extra
    mine = _raw_keys(al, al.spool, whole, before)
    mine.update(_raw_keys(al, al.db, whole, before - set(mine)))  # clean: as live
    return set(mine.values()) | set(_raw_keys(al, al.db, whole, after).values())


def _with_keys(al: Aligner, db: Database, gid: int, whole: str, keys: set[tuple]) -> list[int]:
    """The ids of the group's ``whole`` rows whose raw natural key is in ``keys``: the
    group's rows scanned by the database (never looked up a key at a time through an
    index on part of the key), each probed in the list of keys."""
    t = schema.table(whole)
    frm, grp = scoped_from(t)
    columns = raw_key(whole)
    if db.engine == POSTGRES:
        casts = {"int": "bigint", "date": "date", "timestamp": "timestamp"}
        listed = ", ".join(f"(v->>{i})::{casts.get(t.column(k).type, 'text')}"
                           for i, k in enumerate(columns))
        keyed = f"SELECT {listed} FROM jsonb_array_elements(?::jsonb) v"
        mine = ", ".join(f"t0.{k}" for k in columns)
    else:
        listed = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
        keyed = f"SELECT {listed} FROM json_each(?)"
        mine = ", ".join(f"+t0.{k}" for k in columns)
    return [r[0] for r in db.query(
        f"SELECT t0.id FROM {frm} WHERE {grp} = ? AND ({mine}) IN ({keyed})",
        (gid, json.dumps(sorted(keys))))]


def _units(al: Aligner, whole: str, keys: set[tuple], spooled: GroupAt) -> tuple[list[int],
                                                                        list[int]]:
    if not keys:
        return [], []
    after = _with_keys(al, al.db, al.live.id, whole, keys)
    _copy(al, whole, "id", after)  # the unchanged ones are the file's too
    before = _with_keys(al, al.spool, spooled.id, whole, keys)
    for part in al.families[whole]:
        _copy(al, part, schema.table(part).natural_key[0], before)
    return before, after


def _copy(al: Aligner, table: str, column: str, values: Iterable[int]) -> None:
    """Live rows of ``table`` whose ``column`` is among ``values``, that the file holds
    unchanged (in a clean range) and the spool does not yet, into the spool, a batch
    at a time."""
    values = sorted(set(values))
    if not values or not al.clean.get(table):
        return
    exprs = [al.db.select_expr(c, "t0") for c in schema.table(table).backup_columns]
    for k in range(0, len(values), BATCH):
        for batch in al.db.stream(
                f"SELECT {', '.join(exprs)} FROM {table} t0 WHERE "
                f"{ids_in(al.db, 't0.' + column)}",
                (ids_param(al.db, values[k:k + BATCH]),)):
            rows = [r for r in batch if r[0] in al.clean[table]]
            if rows:
                held = {r[0] for r in al.spool.query(
                    f"SELECT id FROM {table} t0 WHERE {ids_in(al.spool, 't0.id')}",
                    (ids_param(al.spool, [r[0] for r in rows]),))}
                rows = [r for r in rows if r[0] not in held]
                al.spool.insert_rows(table, columns(table), rows)
                al.copied[table].update(r[0] for r in rows)


def _rekeyed_aligned(al: Aligner, whole: str, spooled: GroupAt) -> dict[str, set[int]]:
    """Rows of other families pointing to a ``whole`` row whose natural key
    changed: their wholes' ids, by family."""
    if not any(c.ref == whole for t in al.family for c in schema.table(t).foreign_keys):
        return {}
    ids = list(al.touched[0][whole] | al.touched[1][whole])
    if not ids:
        return {}
    keys = [{r[0]: tuple(r[1:]) for r in db.query(id_keys_sql(db, whole, True),
                                                   (gid, ids_param(db, ids)))}
            for db, gid in ((al.spool, spooled.id), (al.db, al.live.id))]
    moved = [i for i, k in keys[0].items() if keys[1].get(i, k) != k]
    out: dict[str, set[int]] = defaultdict(set)
    for table, w in al.family.items():
        for c in schema.table(table).foreign_keys:
            if c.ref == whole and w != whole and moved:
                rows = [r[0] for r in al.db.query(
                    f"SELECT id FROM {table} t0 WHERE {ids_in(al.db, 't0.' + c.name)}",
                    (ids_param(al.db, moved),))]
                out[w] |= _wholes_of(al, al.db, table, rows)
    return out


def _copy_references(al: Aligner, units: Only | None = None) -> None:
    """What the rows to be compared point to, and what that points to, in the spool: the
    rows compared are all those of a table spooled whole, and of a family compared by
    range the rows it touched and those of ``units``; the rows they point to in a family
    compared by range are copied from the live database where the spool lacks them
    (unchanged in the file), then followed in turn (an entry to its fiscal year)."""
    needed: dict[str, BitMap64] = defaultdict(BitMap64)
    for table in al.family:
        needed[table] |= al.touched[0][table]
    for whole, (before, _) in (units or {}).items():
        needed[whole].update(before)
        for part in al.families.get(whole, ()):
            column = schema.table(part).natural_key[0]
            needed[part].update(r[0] for r in al.spool.query(
                f"SELECT id FROM {part} t0 WHERE {ids_in(al.spool, 't0.' + column)}",
                (ids_param(al.spool, before),)))
    grown = True
    while grown:  # (references point to tables declared before: this ends)
        grown = False
        for t in schema.TABLES:
            if t.name in al.family:
                if not needed[t.name]:
                    continue
                where = f" AND {ids_in(al.spool, 't0.id')}"
                params: tuple = (ids_param(al.spool, needed[t.name]),)
            else:
                where, params = "", ()
            for c in t.foreign_keys:
                if c.ref not in al.family:
                    continue
                pointed = BitMap64(r[0] for r in al.spool.query(
                    f"SELECT DISTINCT t0.{c.name} FROM {t.name} t0 "
                    f"WHERE t0.{c.name} IS NOT NULL{where}", params))
                new = pointed - needed[c.ref]
                if new:
                    _copy(al, c.ref, "id", new)
                    needed[c.ref] |= new
                    grown = True
