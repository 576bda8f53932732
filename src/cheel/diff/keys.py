"""Natural keys as a diff reads them: each table's rows as *keyed rows*, in key order.

A keyed row is a flat tuple: the values of the row's natural key, then the values of its
other columns, every foreign key replaced by the natural key of the row it points to (an
entry line's account is the account's number, its entry the entry's company uid, fiscal
year start and number), never by an id. Two sides (a backup, a live organization) whose ids
differ give equal keyed rows for equal data, so that a merge of the two, both in key order,
finds what was added, removed or changed.

The layout of a table's keyed row (:class:`Layout`) says where each column's values are;
:func:`keyed_sql` is the query that reads one group's keyed rows on a database, in key
order (then id order: rows of equal keys are paired in the order of their ids, which is
what :data:`schema.POSITION` means). The order is the same on every engine and is Python's
order of the values: text compared by code point (PostgreSQL: ``COLLATE "C"``), dates and
times as ISO text, numbers as numbers; no key value is ever NULL (the schema checks it).

A reference to the group itself is the scope of the diff (the same for every row of a
group) and is left out; a reference to a table whose key holds a position carries the
referenced row's rank among its siblings, computed by the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..store import schema
from ..store.engines import POSTGRES, Database

# A table's parts: the tables whose rows belong to one row of it (an entry's lines), shown
# with it. Each part's natural key begins with its reference to the whole, so a part's
# keyed rows come in the order of their whole's key.
PARTS: dict[str, tuple[str, ...]] = {
    "journal_entries": ("entry_lines",),
    "invoices": ("invoice_lines", "payments"),
    "contacts": ("addresses", "communications"),
    "accounts": ("account_names",),
    "articles": ("article_names",),
    "currencies": ("exchange_rates",),
}
WHOLE = {part: whole for whole, parts in PARTS.items() for part in parts}


@dataclass(frozen=True)
class Field:
    """A column in a keyed row: its values are ``row[start:start + width]`` (a reference:
    the natural key of the row it points to, all None when it points nowhere)."""

    name: str
    start: int
    width: int
    ref: str | None
    type: str

    def value(self, row: tuple) -> object:
        if self.ref is None:
            return row[self.start]
        values = row[self.start:self.start + self.width]
        return None if all(v is None for v in values) else values


@dataclass(frozen=True)
class Layout:
    """Where a table's natural key and other columns are in its keyed rows."""

    table: str
    key: tuple[Field, ...]
    content: tuple[Field, ...]
    key_width: int
    width: int
    company: bool  # company scope: the key's first value is the company's uid

    def fields(self) -> tuple[Field, ...]:
        return self.key + self.content


def key_width(table: str) -> int:
    """How many values the natural key of a row of ``table`` takes, references expanded
    (the group left out, a referenced position counted)."""
    t = schema.table(table)
    n = 0
    for name in t.natural_key:
        if name == schema.POSITION:
            continue
        c = t.column(name)
        if c.ref == schema.GROUP_TABLE:
            continue
        n += _ref_width(c.ref) if c.ref else 1
    return n


def _ref_width(ref: str) -> int:
    """Values a reference to ``ref`` takes: its key, and the position if the key has one."""
    return key_width(ref) + (schema.POSITION in schema.table(ref).natural_key)


def layout(table: str) -> Layout:
    t = schema.table(table)
    key_names = [k for k in t.natural_key if k != schema.POSITION]
    fields, start = [], 0
    for c in [t.column(k) for k in key_names] + \
            [c for c in t.backup_columns if c.name not in key_names and c.type != "id"]:
        if c.ref == schema.GROUP_TABLE:
            continue
        width = _ref_width(c.ref) if c.ref else 1
        fields.append(Field(c.name, start, width, c.ref, c.type))
        start += width
    n_key = sum(1 for f in fields if f.name in key_names)
    width = key_width(table)
    return Layout(table, tuple(fields[:n_key]), tuple(fields[n_key:]), width, start,
                  t.scope == schema.COMPANY)


LAYOUTS = {t.name: layout(t.name) for t in schema.TABLES}


class _Joins:
    """The joins of one query, each (alias, column) → referenced table joined once."""

    def __init__(self, db: Database):
        self.db = db
        self.clauses: list[str] = []
        self._made: dict[tuple[str, str], str] = {}

    def to(self, alias: str, column: str, ref: str, outer: bool) -> str:
        made = self._made.get((alias, column))
        if made is None:
            made = f"k{len(self._made) + 1}"
            join = "LEFT JOIN" if outer else "JOIN"
            self.clauses.append(f"{join} {ref} {made} ON {made}.id = {alias}.{column}")
            self._made[(alias, column)] = made
        return made

    def position(self, alias: str, table: str, outer: bool) -> str:
        """The rank by id of row ``alias`` of ``table`` among its siblings (rows of equal
        other key columns)."""
        made = self._made.get((alias, "#"))
        if made is None:
            t = schema.table(table)
            made = f"p{len(self._made) + 1}"
            by = ", ".join(k for k in t.natural_key if k != schema.POSITION)
            join = "LEFT JOIN" if outer else "JOIN"
            self.clauses.append(
                f"{join} (SELECT id, ROW_NUMBER() OVER (PARTITION BY {by} ORDER BY id) AS pos "
                f"FROM {table}) {made} ON {made}.id = {alias}.id")
            self._made[(alias, "#")] = made
        return f"{made}.pos"

    def key(self, table: str, alias: str, outer: bool, own: bool = False
            ) -> list[tuple[str, str]]:
        """``(value, order)`` expressions of the natural key of row ``alias``; of a row's
        ``own`` key, without its position (the merge pairs rows of equal keys in order)."""
        t = schema.table(table)
        out: list[tuple[str, str]] = []
        for name in t.natural_key:
            if name == schema.POSITION:
                if not own:
                    pos = self.position(alias, table, outer)
                    out.append((pos, pos))
                continue
            c = t.column(name)
            if c.ref == schema.GROUP_TABLE:
                continue
            if c.ref:
                out += self.reference(alias, c, outer)
            else:
                out.append((self.db.select_expr(c, alias), self.order(c, alias)))
        return out

    def reference(self, alias: str, c: schema.Column, outer: bool) -> list[tuple[str, str]]:
        assert c.ref is not None
        inner = outer or c.nullable
        return self.key(c.ref, self.to(alias, c.name, c.ref, inner), inner)

    def order(self, c: schema.Column, alias: str) -> str:
        if c.type == "text" and self.db.engine == POSTGRES:
            return f'{alias}.{c.name} COLLATE "C"'
        return f"{alias}.{c.name}"

    def group(self, table: schema.Table) -> str:
        """The expression of the group a row of ``table`` (aliased t0) belongs to."""
        if table.name == schema.GROUP_TABLE:
            return "t0.id"
        alias = "t0"
        for column, ref in schema.scope_chain(table):
            if ref == schema.GROUP_TABLE:
                return f"{alias}.{column}"
            alias = self.to(alias, column, ref, False)
        raise AssertionError("scope chain does not reach the group table")


def ids_in(db: Database, column: str) -> str:
    """``column`` among a list of ids, the query parameter :func:`ids_param` makes."""
    if db.engine == POSTGRES:
        return f"{column} = ANY(?)"
    return f"{column} IN (SELECT value FROM json_each(?))"


def ids_param(db: Database, ids) -> object:
    values = [int(i) for i in ids]
    return values if db.engine == POSTGRES else json.dumps(values)


def raw_key(table: str) -> list[str]:
    """The columns of a table's natural key as it holds them (references as ids)."""
    return [k for k in schema.table(table).natural_key if k != schema.POSITION]


def id_keys_sql(db: Database, table: str, only: bool = False) -> str:
    """``(id, natural key values…)`` of one group's rows of ``table`` (of the whole table
    for an organization-level one), as references see them (with a position); ``only``:
    of the ids of a second parameter (:func:`ids_param`)."""
    t = schema.table(table)
    joins = _Joins(db)
    values = [v for v, _ in joins.key(table, "t0", False)]
    where = [f"{joins.group(t)} = ?"] if t.scope != schema.ORG else []
    if only:
        where.append(ids_in(db, "t0.id"))
    return (f"SELECT t0.id, {', '.join(values)} FROM {table} t0 {' '.join(joins.clauses)}"
            + (f" WHERE {' AND '.join(where)}" if where else ""))


def keyed_sql(db: Database, table: str, restricted: bool = False) -> str:
    """One group's keyed rows of ``table`` on ``db``, in key order, then id order; the
    group's id is the query's parameter. ``restricted``: only the rows of some of its
    whole's rows (:data:`PARTS`; a table that is no part is its own whole), whose ids are
    a second parameter (:func:`ids_param`)."""
    t = schema.table(table)
    joins = _Joins(db)
    keys = joins.key(table, "t0", False, own=True)
    values = [v for v, _ in keys]
    key_names = set(t.natural_key)
    for c in t.backup_columns:
        if c.name in key_names or c.type == "id" or c.ref == schema.GROUP_TABLE:
            continue
        if c.ref:
            # (outer: a reference to a row that is not there reads as none, never drops
            # the row)
            values += [v for v, _ in joins.reference("t0", c, True)]
        else:
            values.append(db.select_expr(c, "t0"))
    where = f"{joins.group(t)} = ?"
    if restricted:  # a part by its reference to its whole (indexed), a whole by its id
        where += f" AND {ids_in(db, 't0.' + (t.natural_key[0] if table in WHOLE else 'id'))}"
    order = ", ".join([o for _, o in keys] + ["t0.id"])
    sql = (f"SELECT {', '.join(values)} FROM {table} t0 {' '.join(joins.clauses)} "
           f"WHERE {where} ORDER BY {order}")
    assert len(values) == LAYOUTS[table].width, table
    return sql
