"""Mutations of ids: a row renumbered (its references following or not), rows out of id
order, a group's declared id range."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .mutation import Mutation, pick
from .parts import Parts, fix_counts, fix_ids
from .verdicts import EITHER


def references(p: Parts, table: str) -> Iterator[tuple[str, int]]:
    """(table, column index) of every foreign key to ``table``."""
    for t in p.tables():
        for i, c in enumerate(t["columns"]):
            if c.get("ref") == table:
                yield t["name"], i


def renumber(table: str, new_id: Any, row: int = 0, scope: str = "g1", refs: bool = True,
             fix: bool = True, expect: str = EITHER, label: str | None = None) -> Mutation:
    """Give one row of ``table`` the id ``new_id`` (an int, or "dup" for another row's id
    in the same group, "other" for an id of the table's rows in the other group, "max+N"),
    and (``refs``) every foreign key to it; (``fix``) the declared id ranges follow."""

    def apply(p: Parts) -> None:
        rows = p.rows(table, scope)
        i = p.col(table, "id")
        r = pick(rows, row)
        old = r[i]
        if new_id == "dup":
            others = [x[i] for x in rows if x[i] != old]
            if not others:  # a single row: it appears twice
                p.chunks[p.names(table, scope)[-1]].append(list(r))
                fix_counts(p)
                others = [old]
            value = pick(others, row + 1)
        elif new_id == "other" and p.ids(table, "g2" if scope == "g1" else "g1"):
            value = pick(p.ids(table, "g2" if scope == "g1" else "g1"), row)
        elif new_id == "other":  # the other group has no such rows: a duplicate here
            value = pick([x[i] for x in rows if x[i] != old] or [old], row + 1)
            if value == old:
                p.chunks[p.names(table, scope)[-1]].append(list(r))
                fix_counts(p)
        elif isinstance(new_id, str) and new_id.startswith("max+"):
            value = max(p.ids(table, None)) + int(new_id[4:])
        else:
            value = new_id
        r[i] = value
        if refs:  # an organization row is referenced from every group
            for t, ci in references(p, table):
                for x in p.rows(t, None if scope == "org" else scope):
                    if x[ci] == old:
                        x[ci] = value
        if fix:
            fix_ids(p)

    what = label or f"{scope} {table} row {row} gets id {new_id}" + \
        ("" if refs else " (references left)") + ("" if fix else " (id ranges left)")
    return Mutation("id", what, apply, expect)


def swap_rows(table: str, a: int = 0, b: int = 1, scope: str = "g1",
              expect: str = EITHER) -> Mutation:
    def apply(p: Parts) -> None:
        rows = p.rows(table, scope)
        x, y = pick(rows, a), pick(rows, b)
        x[:], y[:] = list(y), list(x)

    return Mutation("id", f"{scope} {table} rows {a} and {b} swapped (not in id order)",
                    apply, expect)


def lie_ids(table: str, lo: Any, hi: Any, scope: str = "g1", expect: str = EITHER) -> Mutation:
    """The manifest declares ``table``'s id range of ``scope`` as [lo, hi] ("lo"/"hi": the
    true ones, "lo+1", "hi-1"), rows unchanged."""

    def value(v: Any, true: list) -> Any:
        if v == "lo":
            return true[0]
        if v == "hi":
            return true[1]
        if v == "lo+1":
            return true[0] + 1
        if v == "hi-1":
            return true[1] - 1
        return v

    def apply(p: Parts) -> None:
        ids = p.group(scope)["ids"]
        true = ids.get(table, [1, 1])
        ids[table] = [value(lo, true), value(hi, true)]

    return Mutation("id-range", f"{scope} ids of {table} declared [{lo}, {hi}]", apply, expect)
