"""What a diff found, as plain data: per group and company, per table, rows added, removed
or changed (the first of them listed, all of them counted), and the account balances per
fiscal year before and after. ``as_dict()`` is what ``--json`` prints; the command line and
the web UI show the same, in the accountant's terms (:mod:`.accounting` fills it in)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from ..store import schema
from .keys import LAYOUTS, Field
from .merge import ADDED, CHANGED, REMOVED

LISTED = 200  # changes listed per table and company (all are counted)
SAME, DIFFERENT, ONLY_BEFORE, ONLY_AFTER = "same", "changed", "only_before", "only_after"


def shown(value: object) -> object:
    """A value as the report holds it: a reference as the list of its key's values,
    binary content as its size."""
    if isinstance(value, (bytes, memoryview)):
        return {"bytes": len(value)}
    if isinstance(value, tuple):
        return [shown(v) for v in value]
    return value


def _fields(fields: tuple[Field, ...], row: tuple) -> dict[str, object]:
    return {f.name: shown(f.value(row)) for f in fields}


@dataclass
class Change:
    """A row added, removed or changed. ``key``: its natural key's fields; ``position``:
    its place among rows of the same key (a line's in its entry); ``values``: its other
    fields (after, for a change); ``changes``: the fields that differ, (name, before, after);
    ``parts``: the changes of the rows that belong to it (an entry's lines)."""

    table: str
    kind: str
    key: dict[str, object]
    position: int = 1
    values: dict[str, object] = field(default_factory=dict)
    changes: list[tuple[str, object, object]] = field(default_factory=list)
    parts: dict[str, list["Change"]] = field(default_factory=dict)

    @classmethod
    def of(cls, table: str, kind: str, key: tuple, before: tuple | None,
           after: tuple | None, position: int = 1) -> "Change":
        lay = LAYOUTS[table]
        row = after if after is not None else before
        assert row is not None
        c = cls(table, kind, _fields(lay.key, row), position, _fields(lay.content, row))
        if kind == CHANGED and before is not None and after is not None:
            for f in lay.content:
                old, new = f.value(before), f.value(after)
                if old != new:
                    c.changes.append((f.name, shown(old), shown(new)))
        return c

    @property
    def label(self) -> str:
        """How a person names the row: an entry or invoice its number, a contact its name,
        a line its position, a VAT code its code and start…"""
        if self.table == "contacts" and self.values:
            return " ".join(str(v) for v in (self.values.get("name"),
                                             self.values.get("first_name")) if v)
        own = [str(v) for v in self.key.values() if not isinstance(v, list)]
        if schema.POSITION in schema.table(self.table).natural_key or not own:
            own.append(str(self.position))
        return " ".join(own)

    def as_dict(self) -> dict:
        out: dict = {"kind": self.kind, "label": self.label, "key": self.key,
                     "values": self.values}
        if self.position != 1 or schema.POSITION in schema.table(self.table).natural_key:
            out["position"] = self.position
        if self.changes:
            out["changes"] = [{"field": f, "before": b, "after": a} for f, b, a in self.changes]
        if self.parts:
            out["parts"] = {t: [c.as_dict() for c in cs] for t, cs in self.parts.items()}
        return out


@dataclass
class TableDiff:
    """One table's differences in a group or company: counted, and the first listed."""

    table: str
    added: int = 0
    removed: int = 0
    changed: int = 0
    changes: list[Change] = field(default_factory=list)

    def add(self, change: Change | None, kind: str) -> None:
        if kind == ADDED:
            self.added += 1
        elif kind == REMOVED:
            self.removed += 1
        else:
            self.changed += 1
        if change is not None and len(self.changes) < LISTED:
            self.changes.append(change)

    @property
    def total(self) -> int:
        return self.added + self.removed + self.changed

    @property
    def unlisted(self) -> int:
        return self.total - len(self.changes)

    def as_dict(self) -> dict:
        return {"added": self.added, "removed": self.removed, "changed": self.changed,
                "changes": [c.as_dict() for c in self.changes], "unlisted": self.unlisted}


@dataclass
class Balance:
    """An account's balance (debit − credit) in a fiscal year, before and after, in
    francs."""

    fiscal_year: str  # its name
    start: str
    account: str  # its number
    before: Decimal
    after: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after - self.before

    def as_dict(self) -> dict:
        return {"fiscal_year": self.fiscal_year, "start": self.start, "account": self.account,
                "before": str(self.before), "after": str(self.after),
                "difference": str(self.difference)}


@dataclass
class Scope:
    """A group or a company: its status and its tables' differences."""

    uid: str
    name: str
    status: str = SAME
    tables: dict[str, TableDiff] = field(default_factory=dict)

    def table(self, name: str) -> TableDiff:
        found = self.tables.get(name)
        if found is None:
            found = self.tables[name] = TableDiff(name)
        return found

    def count(self, name: str) -> TableDiff:
        return self.tables.get(name) or TableDiff(name)

    @property
    def differs(self) -> bool:
        return any(t.total for t in self.tables.values())


@dataclass
class CompanyDiff(Scope):
    balances: list[Balance] = field(default_factory=list)
    fiscal_years: dict[str, str] = field(default_factory=dict)  # start → name

    def as_dict(self) -> dict:
        return {"uid": self.uid, "name": self.name, "status": self.status,
                "tables": {n: t.as_dict() for n, t in self.tables.items() if t.total},
                "balances": [b.as_dict() for b in self.balances]}


@dataclass
class GroupDiff(Scope):
    before: str | None = None  # its name on each side (None: not there)
    after: str | None = None
    org_before: str = ""
    org_after: str = ""
    companies: list[CompanyDiff] = field(default_factory=list)

    def rows(self) -> dict[str, dict[str, int]]:
        """Rows added, removed and changed per table, over the group and its companies."""
        out: dict[str, dict[str, int]] = {}
        for scope in [self, *self.companies]:
            for name, t in scope.tables.items():
                if t.total:
                    counts = out.setdefault(name, {ADDED: 0, REMOVED: 0, CHANGED: 0})
                    counts[ADDED] += t.added
                    counts[REMOVED] += t.removed
                    counts[CHANGED] += t.changed
        return out

    def balances(self) -> list[Balance]:
        return [b for c in self.companies for b in c.balances]

    def as_dict(self) -> dict:
        return {"uid": self.uid, "name": self.name, "status": self.status,
                "before": self.before, "after": self.after,
                "organization_before": self.org_before, "organization_after": self.org_after,
                "rows": self.rows(),
                "tables": {n: t.as_dict() for n, t in self.tables.items() if t.total},
                "companies": [c.as_dict() for c in self.companies]}


@dataclass
class DiffReport:
    """A diff: what each side is, and each group's differences."""

    before: dict  # {"file", "created_at"} or {"organization"}
    after: dict
    groups: list[GroupDiff] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def differs(self) -> bool:
        return any(g.status != SAME for g in self.groups)

    def as_dict(self) -> dict:
        return {"before": self.before, "after": self.after, "differs": self.differs,
                "groups": [g.as_dict() for g in self.groups],
                "seconds": round(self.seconds, 3)}


def is_money(table: str, name: str) -> bool:
    """An amount in centimes (a money column)."""
    c = schema.table(table).column(name)
    return c.type == "int" and c.max_abs == schema.MONEY_LIMIT


def value_text(table: str, name: str, value: object, money: Callable[[int], str]) -> str:
    """A field's value as a person reads it: an amount in francs (``money``), a reference
    as the natural key it points to (within a company, without the company's uid), binary
    content as its size, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, dict) and "bytes" in value:
        return f"{value['bytes']} B"
    if isinstance(value, list):
        ref = schema.table(table).column(name).ref
        if ref and schema.table(ref).scope == schema.COMPANY and len(value) > 1:
            value = value[1:]
        return " ".join(str(v) for v in value)
    if isinstance(value, int) and is_money(table, name):
        return money(value)
    return str(value)
