"""What makes a backup file sound: the one definition used by verify, dry-run and restore.

A file is accepted only when

* its layers and members are intact (:mod:`cheel.archive.reader`: every byte checked before
  it is parsed, the closing index and the seal), and reading it costs bounded memory;
* its manifest says what this cheel's schema says: the same tables, columns, types,
  nullability, references and scales (a manifest is never believed about types); names
  follow the rule typed names follow; counts and id ranges agree;
* every value fits its column as the schema declares it (:mod:`cheel.archive.values`);
* every key stays inside its group: ids unique, increasing, inside the ranges the manifest
  declares, never shared by two groups of one organization; every foreign key resolves to a
  row of the same group, or to an organization-level row the file holds;
* every group holds its group row and exactly the companies the manifest lists, and as many
  rows of each table as it says; every chunk as many as the index lists.

With ``whole_file_rules`` (verify and dry-run), also what a restore leaves to the target's
engine to enforce: values that must be unique inside a group are, and every journal entry
balances. Those cost memory that grows with a group's entries, which a restore need not
spend: the database checks them before it commits, and says so as ``DamagedFile`` too.
"""

from __future__ import annotations

import itertools
import operator
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyroaring import BitMap64

from .archive.manifest import Manifest, TableDecl, ColumnDecl
from .archive.reader import BackupReader
from .archive.values import ColumnSpec, decode_rows, text_problem, uid_problem
from .errors import DamagedFile, Text, UnsupportedVersion, said
from .store import schema
from .store.names import THINGS, name_key, name_problem
from .store.languages import KNOWN_LANGUAGES

# Organization-level rows one organization of a file may hold: its languages, and the
# users its groups name (as creators of entries, contacts…).
MAX_ORG_ROWS = {"languages": len(KNOWN_LANGUAGES), "users": 100_000}


def table_declaration(t: schema.Table) -> TableDecl:
    """How a backup declares table ``t``: what the writer writes, and what a reader
    demands of every manifest. A natural key is declared for the organization-level tables
    only (a restore matches their rows by it), as every file since format 1 declares it."""
    return TableDecl(
        t.name, t.scope,
        [ColumnDecl(c.name, c.type, c.nullable, c.ref,
                    c.precision[1] if c.precision else None) for c in t.backup_columns],
        list(t.natural_key) if t.scope == schema.ORG else [], list(t.new_uid_on_copy))


DECLARATIONS = [table_declaration(t) for t in schema.TABLES]


# What the names of a table's rows name, as the messages say it (store/names.py's THINGS).
_NAMED = {"users": "user", "company_groups": "group", "companies": "company"}


def _rule_check(rule: str | None, what: str):
    if rule == schema.UID:
        return uid_problem
    if rule == schema.NAME:
        return lambda v: _name_rule(v, what)
    if rule == schema.LANGUAGE:
        return lambda v: None if v in KNOWN_LANGUAGES else \
            said('"{value}" is not a language code', value=v[:10])
    return text_problem


def column_specs(t: schema.Table) -> tuple[ColumnSpec, ...]:
    """The types a chunk of ``t`` is decoded with: the schema's, never the file's."""
    out = []
    for c in t.backup_columns:
        limit = c.max_length or (100 if c.rule in (schema.UID, schema.NAME)
                                 else schema.TEXT_LIMIT)
        check = _rule_check(c.rule, _NAMED.get(t.name, t.name)) \
            if c.type == "text" and c.rule else None
        out.append(ColumnSpec(c.name, c.type, c.nullable, key=c.type == "id" or bool(c.ref),
                              max_length=limit, max_abs=c.max_abs, precision=c.precision,
                              check=check))
    return tuple(out)


SPECS = {t.name: column_specs(t) for t in schema.TABLES}


# -- the manifest ----------------------------------------------------------------------------
def _damaged(why: str) -> DamagedFile:
    return DamagedFile(said("the manifest of the backup is damaged ({why})", why=why))


def check_manifest(m: Manifest, *, rows: bool = True) -> None:
    """The manifest's rules that need the schema (see the module). ``rows=False`` (inspect):
    only what showing the manifest needs, so that a newer schema's file can be shown."""
    newer = max([m.schema_version] + [o.schema_version for o in m.organizations])
    if rows and newer > schema.SCHEMA_VERSION:
        raise UnsupportedVersion(
            said("this backup uses schema version {newer}, newer than this cheel ({current})",
                 newer=newer, current=schema.SCHEMA_VERSION),
            hint=said("upgrade cheel to restore it"))
    if newer <= schema.SCHEMA_VERSION and m.tables != DECLARATIONS:
        raise _damaged(_first_difference(m.tables))
    org_tables = {t.name for t in schema.org_tables()}
    group_tables = {t.name for t in schema.group_tables()}
    for o in m.organizations:
        _check_name(o.name, "organization")
        if not o.languages or len(set(o.languages)) != len(o.languages) or \
                not set(o.languages) <= KNOWN_LANGUAGES:
            raise _damaged(said('the languages of "{name}" are not a list of known languages',
                                name=o.name))
        for table, n in o.org_rows.items():
            if table not in org_tables or n > MAX_ORG_ROWS.get(table, 0):
                raise _damaged(said('"{name}" claims {count} rows of {table} at the organization '
                                    "level", name=o.name, count=n, table=table[:64]))
        groups: tuple[set, set] = (set(), set())
        companies: tuple[set, set] = (set(), set())
        for g in o.groups:
            _add_once(groups, g.uid, g.name, "group", o.name)
            if not set(g.rows) <= group_tables or not set(g.ids) <= group_tables:
                raise _damaged(said('the group "{name}" counts rows of an unknown table',
                                    name=g.name))
            if g.rows.get(schema.GROUP_TABLE, 0) != 1:
                raise _damaged(said('the group "{name}" does not hold its one group row',
                                    name=g.name))
            if g.rows.get(schema.COMPANY_TABLE, 0) != len(g.companies):
                raise _damaged(said('the group "{name}" does not hold the companies it lists',
                                    name=g.name))
            for c in g.companies:
                _add_once(companies, c.uid, c.name, "company", o.name)


def _add_once(seen: tuple[set, set], uid: str, name: str, what: str, org: str) -> None:
    """A group or company of an organization: a valid name, its uid and its name (compared
    as names are) held by no other of its kind there."""
    _check_name(name, what)
    uids, names = seen
    if uid in uids or name_key(name) in names:
        raise _damaged(said('"{org}" holds two groups named "{name}"', org=org, name=name)
                       if what == "group" else
                       said('"{org}" holds two companies named "{name}"', org=org, name=name))
    uids.add(uid)
    names.add(name_key(name))


def _name_rule(name: str, what: str) -> Text | None:
    """A name from a file follows the rule a typed name follows, and is stored as typed
    names are (NFC, without surrounding spaces)."""
    problem = name_problem(name, what)
    if problem is None and name != unicodedata.normalize("NFC", name).strip():
        problem = said("the {what} name is not in its normal form",
                       what=THINGS.get(what, what))
    return problem


def _check_name(name: str, what: str) -> None:
    problem = _name_rule(name, what)
    if problem:
        raise _damaged(problem)


def _first_difference(tables: list[TableDecl]) -> Text:
    have = {t.name: t for t in tables}
    for want in DECLARATIONS:
        got = have.get(want.name)
        if got is None:
            return said("it does not declare the table {table}", table=want.name)
        if got != want:
            cols = {c.name: c for c in got.columns}
            for c in want.columns:
                if cols.get(c.name) != c:
                    return said("it declares {table}.{column} otherwise than the schema",
                                table=want.name, column=c.name)
            return said("it declares the table {table} otherwise than the schema",
                        table=want.name)
    return said("it declares tables the schema does not have, or in another order")


# -- the rows --------------------------------------------------------------------------------
@dataclass
class SoundChunk:
    """A chunk whose rows passed every rule (so far: group-wide rules end with the group)."""

    org: int
    scope: str  # "org" or a group key
    table: str
    rows: list[tuple]
    name: str
    data: bytes | memoryview = b""  # the chunk's JSON, as the file holds it


# Tables that rows of a group point to, and the foreign keys that point to them.
_FOREIGN = {t.name: [(i, c.name, c.ref) for i, c in enumerate(t.backup_columns) if c.ref]
            for t in schema.TABLES}
_UNIQUES = {t.name: [tuple(t.column_names.index(c) for c in u) for u in t.uniques]
            for t in schema.TABLES}


@dataclass
class _Group:
    """What the rules remember while one group's chunks go by."""

    org: int
    key: str
    decl: object
    rows: dict[str, int] = field(default_factory=dict)
    ids: dict[str, BitMap64] = field(default_factory=dict)
    needed: dict[tuple[str, str, str], BitMap64] = field(default_factory=dict)
    uniques: dict[tuple[str, tuple[int, ...]], set] = field(default_factory=dict)
    open_entries: dict[int, int] = field(default_factory=dict)  # entry id → debit − credit


class SoundReader:
    """The chunks of ``reader``'s file, decoded with the schema's types and checked by every
    rule above; raises ``DamagedFile`` (or ``UnsupportedVersion``) at the first rule broken.
    The group-wide rules of a group are checked when its last chunk has gone by, and the
    file's (index, seal) when the last chunk has."""

    def __init__(self, reader: BackupReader, *, whole_file_rules: bool = True):
        self.reader = reader
        self.manifest = reader.manifest or reader.read_manifest()
        check_manifest(self.manifest)
        self.whole_file_rules = whole_file_rules
        self.rows = 0
        self.chunks = 0
        self._orgs = {o.index: o for o in self.manifest.organizations}
        self._org_ids: dict[tuple[int, str], BitMap64] = {}
        self._org_keys: dict[tuple[int, str], set] = {}
        self._org_rows: dict[tuple[int, str], int] = {}
        self._union: dict[tuple[int, str], BitMap64] = {}
        self._chunk_rows: dict[str, int] = {}
        self._group: _Group | None = None
        self._seen_groups: set[tuple[int, str]] = set()

    def __iter__(self) -> Iterator[SoundChunk]:
        for chunk in self.reader.chunks():
            where = chunk.where
            if self._group is not None and (where.org, where.scope) != \
                    (self._group.org, self._group.key):
                self._end_group()
            rows = decode_rows(chunk.data, SPECS[where.table], chunk.name)
            if where.scope == "org":
                self._org_chunk(where.org, where.table, rows, chunk.name)
            else:
                if self._group is None:
                    self._start_group(where.org, where.scope)
                self._group_chunk(where.table, rows, chunk.name)
            self._chunk_rows[chunk.name] = len(rows)
            self.rows += len(rows)
            self.chunks += 1
            yield SoundChunk(where.org, where.scope, where.table, rows, chunk.name, chunk.data)
        if self._group is not None:
            self._end_group()
        self._end_file()

    # -- organization rows --------------------------------------------------------------
    def _org_chunk(self, org: int, table: str, rows: list[tuple], name: str) -> None:
        t = schema.table(table)
        if not rows:
            raise DamagedFile(said('the chunk "{name}" holds no rows', name=name))
        id_set = BitMap64(map(operator.itemgetter(0), rows))
        held = self._org_ids.setdefault((org, table), BitMap64())
        if len(id_set) != len(rows) or held.intersect(id_set):
            raise DamagedFile(said('the chunk "{name}" repeats ids', name=name))
        held |= id_set
        key_columns = [t.column_names.index(k) for k in t.natural_key]
        keys = self._org_keys.setdefault((org, table), set())
        for row in rows:
            key = tuple(row[i] for i in key_columns)
            if key in keys:
                raise DamagedFile(said('the chunk "{name}" repeats a {table} row',
                                       name=name, table=table))
            keys.add(key)
        self._org_rows[(org, table)] = self._org_rows.get((org, table), 0) + len(rows)

    # -- group rows ---------------------------------------------------------------------
    def _start_group(self, org: int, key: str) -> None:
        decl = next(g for g in self._orgs[org].groups if g.key == key)
        self._group = _Group(org, key, decl)
        self._seen_groups.add((org, key))

    def _group_chunk(self, table: str, rows: list[tuple], name: str) -> None:
        g = self._group
        assert g is not None
        decl = g.decl
        if not rows:  # a table without rows in a scope has no chunk
            raise DamagedFile(said('the chunk "{name}" holds no rows', name=name))
        if table not in decl.ids:
            raise DamagedFile(said('the chunk "{name}" holds rows the manifest does not count',
                                   name=name))
        lo, hi = decl.ids[table]
        # Rows come in id order from dense groups, in the database's order from sparse ones
        # (and so in files written before): ids must be unique, not sorted.
        id_set = BitMap64(map(operator.itemgetter(0), rows))
        if id_set.min() < lo or id_set.max() > hi:
            raise DamagedFile(said('the chunk "{name}" holds ids outside the range the manifest '
                                   'declares', name=name))
        held = g.ids.setdefault(table, BitMap64())
        if len(id_set) != len(rows) or held.intersect(id_set):
            raise DamagedFile(said('the chunk "{name}" repeats ids', name=name))
        held |= id_set
        g.rows[table] = g.rows.get(table, 0) + len(rows)
        if len(self._orgs[g.org].groups) > 1:  # two groups of one organization share no id
            union = self._union.setdefault((g.org, table), BitMap64())
            if union.intersect(id_set):
                raise DamagedFile(said('the chunk "{name}" holds ids of another group', name=name))
            union |= id_set
        for i, column, ref in _FOREIGN[table]:
            values = BitMap64(filter(None, map(operator.itemgetter(i), rows)))  # ids are ≥ 1
            if not values:
                continue
            if schema.table(ref).scope == schema.ORG:
                held = self._org_ids.get((g.org, ref), BitMap64())
                if not values <= held:
                    raise DamagedFile(said('the chunk "{name}" points to {ref} rows the backup '
                                           'does not hold', name=name, ref=ref))
            else:
                needed = g.needed.setdefault((table, column, ref), BitMap64())
                needed |= values
        if table == schema.GROUP_TABLE:
            self._check_group_row(rows, name)
        elif table == schema.COMPANY_TABLE:
            self._check_company_rows(rows, name)
        if self.whole_file_rules:
            self._check_uniques(table, rows, name)
            if table == schema.BALANCED.table:
                self._add_to_balance(rows)

    def _check_group_row(self, rows: list[tuple], name: str) -> None:
        decl = self._group.decl  # type: ignore[union-attr]
        names = schema.table(schema.GROUP_TABLE).column_names
        row = rows[0]
        if len(rows) != 1 or row[names.index("uid")] != decl.uid or \
                unicodedata.normalize("NFC", row[names.index("name")]) != decl.name:
            raise DamagedFile(said('the chunk "{name}" does not hold the group the manifest names',
                                   name=name))

    def _check_company_rows(self, rows: list[tuple], name: str) -> None:
        decl = self._group.decl  # type: ignore[union-attr]
        listed = {c.uid: c.name for c in decl.companies}
        names = schema.table(schema.COMPANY_TABLE).column_names
        i_uid, i_name = names.index("uid"), names.index("name")
        for row in rows:
            if listed.get(row[i_uid]) != unicodedata.normalize("NFC", row[i_name]):
                raise DamagedFile(said('the chunk "{name}" holds a company the manifest does not '
                                       'list', name=name))

    def _check_uniques(self, table: str, rows: list[tuple], name: str) -> None:
        g = self._group
        assert g is not None
        for columns in _UNIQUES[table]:
            seen = g.uniques.setdefault((table, columns), set())
            before = len(seen)
            keys = list(zip(*(map(operator.itemgetter(i), rows) for i in columns)))
            seen.update(keys)
            if len(seen) != before + len(keys):
                cols = ", ".join(schema.table(table).column_names[i] for i in columns)
                raise DamagedFile(said('the chunk "{name}" repeats a value that must be unique '
                                       '({table}: {cols})', name=name, table=table, cols=cols))

    def _add_to_balance(self, rows: list[tuple]) -> None:
        """Add the lines' debit − credit to their entries' sums, kept only while not zero.

        An entry's lines come one after the other (the writer reads them in id order): the
        lines are cut into runs of one entry each, and each run's sum is found from running
        totals, in C. Only runs whose sum is not zero (an entry cut by a chunk's end, or one
        that does not balance) are added one by one; the result is the same whatever the
        order of the lines, since a run of zero changes no sum."""
        b = schema.BALANCED
        names = schema.table(b.table).column_names
        keys = list(map(operator.itemgetter(names.index(b.key)), rows))
        running = list(itertools.accumulate(map(
            operator.sub, map(operator.itemgetter(names.index(b.debit)), rows),
            map(operator.itemgetter(names.index(b.credit)), rows))))
        starts = list(itertools.compress(range(1, len(keys)),
                                         map(operator.ne, keys[1:], keys)))
        at_end = list(map(running.__getitem__, map(operator.sub, starts, itertools.repeat(1))))
        at_end.append(running[-1])
        sums = list(map(operator.sub, at_end, itertools.chain((0,), at_end)))
        first_keys = list(map(keys.__getitem__, itertools.chain((0,), starts)))
        open_sums = self._group.open_entries  # type: ignore[union-attr]
        for key, run in zip(itertools.compress(first_keys, sums),
                            itertools.compress(sums, sums)):
            total = open_sums.get(key, 0) + run
            if total:
                open_sums[key] = total
            else:
                del open_sums[key]

    def _end_group(self) -> None:
        g = self._group
        assert g is not None
        self._group = None
        decl = g.decl
        where = said('the group "{name}"', name=decl.name)
        for table in schema.group_tables():
            want, got = decl.rows.get(table.name, 0), g.rows.get(table.name, 0)
            if want != got:
                raise DamagedFile(said("the backup should hold {want} rows of {name} in {where} "
                                       "but holds {got}",
                                       want=want, name=table.name, where=where, got=got))
            if got and (g.ids[table.name].min(), g.ids[table.name].max()) != \
                    tuple(decl.ids[table.name]):
                raise DamagedFile(said("the ids of {name} in {where} do not span the range the "
                                       "manifest declares", name=table.name, where=where))
        for (table, column, ref), values in g.needed.items():
            missing = values - g.ids.get(ref, BitMap64())
            if missing:
                raise DamagedFile(said("{count} {table}.{column} values in {where} point to {ref} "
                                       "rows outside the group",
                                       count=len(missing), table=table, column=column,
                                       where=where, ref=ref))
        if g.open_entries:
            raise DamagedFile(said("{count} journal entries of {where} do not balance",
                                   count=len(g.open_entries), where=where))

    def _end_file(self) -> None:
        for o in self.manifest.organizations:
            for g in o.groups:
                if (o.index, g.key) not in self._seen_groups:
                    raise DamagedFile(said('the backup does not hold the group "{name}" its '
                                           'manifest lists', name=g.name))
            for table, want in o.org_rows.items():
                got = self._org_rows.get((o.index, table), 0)
                if want != got:
                    raise DamagedFile(said("the backup should hold {want} rows of {table} but "
                                           "holds {got}", want=want, table=table, got=got))
        listed = self.reader.rows_listed()
        for name, n in self._chunk_rows.items():
            if listed.get(name) != n:
                raise DamagedFile(said('the chunk "{name}" does not hold the rows its index lists',
                                       name=name))
