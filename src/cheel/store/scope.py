"""SQL that selects the rows of one company group, built from the schema's declarations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import schema


Companies = Sequence[int] | None


def scoped_from(t: schema.Table, join: str = "JOIN", companies: Companies = None
                ) -> tuple[str, str]:
    """``(FROM clause, group-id expression)`` for table ``t`` aliased ``t0``.

    The joins follow the table's declared scope path, each hop over an indexed foreign key,
    so reading one group never scans the whole organization. ``join="CROSS JOIN"`` makes
    SQLite keep this order (``t0`` first), for reading an id range of ``t0``.

    ``companies``, the group's company ids, are repeated as literals on the hop to the
    companies: redundant with the group condition, but they let the planner see that a small
    group's rows are few (a parameter through a join looks like an average group).
    """
    if t.name == schema.GROUP_TABLE:
        return f"{t.name} t0", "t0.id"
    parts = [f"{t.name} t0"]
    alias = "t0"
    hops = schema.scope_chain(t)
    for i, (col, ref) in enumerate(hops):
        if ref == schema.GROUP_TABLE:
            return _join(parts, join), f"{alias}.{col}"
        nxt = f"t{i + 1}"
        on = f"{nxt}.id = {alias}.{col}"
        if ref == schema.COMPANY_TABLE and companies:
            on += f" AND {alias}.{col} IN ({', '.join(str(int(c)) for c in companies)})"
        parts.append(f"{ref} {nxt} ON {on}")
        alias = nxt
    raise AssertionError("scope chain does not reach the group table")


def _join(parts: list[str], join: str = "JOIN") -> str:
    return parts[0] + "".join(f" {join} {p}" for p in parts[1:])


def count_sql(t: schema.Table) -> str:
    frm, grp = scoped_from(t)
    return f"SELECT count(*) FROM {frm} WHERE {grp} = ?"


def fills_range(count: int, low: int, high: int) -> bool:
    """Whether ``count`` rows with ids from ``low`` to ``high`` hold every id of that range:
    ids are unique, so as many rows as ids means no id is missing (and no row of another
    group lies in between, when the rows counted are one group's)."""
    return count == high - low + 1


def range_sql(t: schema.Table, companies: Companies = None) -> str:
    frm, grp = scoped_from(t, companies=companies)
    return f"SELECT count(*), MIN(t0.id), MAX(t0.id) FROM {frm} WHERE {grp} = ?"


def ranges_sql(tables: Sequence[schema.Table], companies: Companies = None) -> str:
    """:func:`range_sql` of several tables in one query, a row ``(k, count, low, high)``
    per table k (its place in ``tables``); the group's id is its parameter, once per
    table."""
    parts = []
    for k, t in enumerate(tables):
        frm, grp = scoped_from(t, companies=companies)
        parts.append(f"SELECT {k}, count(*), MIN(t0.id), MAX(t0.id) FROM {frm} WHERE {grp} = ?")
    return " UNION ALL ".join(parts)


def select_sql(t: schema.Table, exprs: list[str], ordered: bool = True,
               companies: Companies = None) -> str:
    frm, grp = scoped_from(t, companies=companies)
    order = " ORDER BY t0.id" if ordered else ""
    return f"SELECT {', '.join(exprs)} FROM {frm} WHERE {grp} = ?{order}"


@dataclass(frozen=True)
class RangeQuery:
    """One group's rows of a table whose ids lie in a range; see :func:`select_range_sql`."""

    sql: str
    bounded: bool
    whole: bool = False

    def params(self, group_id: int, low: int, high: int) -> tuple[int, ...]:
        if self.whole:
            return (low, high)
        return (low, high, group_id, low, high) if self.bounded else (group_id, low, high)


def select_range_sql(t: schema.Table, exprs: list[str], join: str = "JOIN",
                     companies: Companies = None, bound_parent: bool = False,
                     whole: bool = False) -> RangeQuery:
    """One group's rows of ``t`` whose id lies in ``[low, high]``.

    ``bound_parent``: where the scope path goes through a parent table (an entry line's
    journal entry), read only the parents the range's rows point to, found by an index
    range scan. Without it PostgreSQL hashes all of the parent table for every range: a
    backup's time would grow with the square of the organization's size.

    ``whole``: the caller knows that every id of its ranges is the group's (the group's
    rows counted in one snapshot are as many as the ids from its lowest to its highest):
    the table alone, without the scope's joins."""
    if whole:
        return RangeQuery(f"SELECT {', '.join(exprs)} FROM {t.name} t0 "
                          "WHERE t0.id BETWEEN ? AND ?", bounded=False, whole=True)
    frm, grp = scoped_from(t, join, companies)
    hops = schema.scope_chain(t)
    bounded = bound_parent and len(hops) > 1 and hops[0][1] not in (schema.GROUP_TABLE,
                                                                     schema.COMPANY_TABLE)
    sql = f"SELECT {', '.join(exprs)} FROM {frm} WHERE {grp} = ? AND t0.id BETWEEN ? AND ?"
    if bounded:
        col = hops[0][0]
        # "+ 0": an aggregate, not an index walk from either end (which filters the ids).
        # The bounds as scalar subqueries of a CTE: computed once per query. As a joined
        # row, the planner may put them inside a nested loop, recomputed for every parent
        # (with stale statistics: 13 s instead of 16 ms for a small restored group).
        sql = (f"WITH r AS (SELECT MIN(b.{col} + 0) AS lo, MAX(b.{col} + 0) AS hi "
               f"FROM {t.name} b WHERE b.id BETWEEN ? AND ?) {sql} "
               f"AND t1.id BETWEEN (SELECT lo FROM r) AND (SELECT hi FROM r)")
    return RangeQuery(sql, bounded)


def references_sql(columns: Sequence[tuple[schema.Table, str]],
                   companies: Companies = None) -> str:
    """:func:`referenced_sql` of several (table, column) in one query, rows ``(k, value)``
    for the k-th; the group's id is its parameter, once per column."""
    parts = []
    for k, (t, column) in enumerate(columns):
        frm, grp = scoped_from(t, companies=companies)
        parts.append(f"SELECT {k}, t0.{column} FROM {frm} "
                     f"WHERE {grp} = ? AND t0.{column} IS NOT NULL")
    return " UNION ".join(parts)


def references_in_sql(columns: Sequence[tuple[schema.Table, str]], groups: int) -> str:
    """The distinct non-null values of each (table, column) among the rows of ``groups``
    groups (their ids are the parameters, for each column in turn), rows ``(k, value)`` as
    :func:`references_sql` gives, without reading every row: the column's index is walked
    from one distinct value to the next, and a value is kept if a row of the groups holds
    it. For groups that hold most of a table (a whole organization) the first row tried is
    theirs; for a few small ones the others' rows may be walked, which is why this is not
    :func:`references_sql`."""
    marks = ", ".join("?" * groups)
    parts = []
    for k, (t, column) in enumerate(columns):
        frm, grp = scoped_from(t)
        values = (f"WITH RECURSIVE v(x) AS (SELECT MIN({column}) FROM {t.name} "
                  f"WHERE {column} IS NOT NULL UNION ALL SELECT (SELECT MIN({column}) "
                  f"FROM {t.name} WHERE {column} > v.x) FROM v WHERE v.x IS NOT NULL) "
                  f"SELECT x FROM v")
        parts.append(f"SELECT {k}, d.x FROM ({values}) d WHERE d.x IS NOT NULL AND EXISTS "
                     f"(SELECT 1 FROM {frm} WHERE t0.{column} = d.x AND {grp} IN ({marks}))")
    return " UNION ALL ".join(parts)


def referenced_sql(t: schema.Table, column: str, companies: Companies = None) -> str:
    """Distinct non-null values of ``t.column`` among one group's rows."""
    frm, grp = scoped_from(t, companies=companies)
    return (f"SELECT DISTINCT t0.{column} FROM {frm} "
            f"WHERE {grp} = ? AND t0.{column} IS NOT NULL")
