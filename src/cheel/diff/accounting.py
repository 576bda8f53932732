"""One group's diff in the accountant's terms: every table merged by natural key, an entry
with its lines (an invoice with its lines and payments, a contact with its addresses…)
as one change, each company's rows apart, and the account balances of each fiscal year
that the changed lines move, before → after, exactly (integer centimes, then Decimal).

The balances that change are found from the lines that differ (added, removed, changed:
their debit − credit per company, fiscal year and account), then read on both sides for
those accounts only; memory holds those sums, never the lines.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ..errors import Text, joined, said
from ..store import schema
from .keys import LAYOUTS, PARTS, WHOLE, ids_param, keyed_sql
from .merge import CHANGED, Event, by_whole, merge
from .report import (DIFFERENT, LISTED, ONLY_AFTER, ONLY_BEFORE, SAME, Balance, Change,
                     CompanyDiff, GroupDiff, Scope, shown)
from .sides import GroupAt

ENTRIES, LINES = "journal_entries", schema.BALANCED.table
_LINE = LAYOUTS[LINES]
_ACCOUNT = next(f for f in _LINE.content if f.name == "account_id")
_DEBIT = next(f for f in _LINE.content if f.name == schema.BALANCED.debit)
_CREDIT = next(f for f in _LINE.content if f.name == schema.BALANCED.credit)

Counted = Callable[[int], None] | None


def _events(a: GroupAt, b: GroupAt, table: str, counted: Counted,
            only: tuple[list[int], list[int]] | None = None):
    """The differences of ``table``; ``only``: of these wholes' rows (ids before, after)."""
    streams = []
    for side, ids in zip((a, b), only or (None, None)):
        db = side.db
        assert db is not None
        if only is None:
            streams.append(db.stream(keyed_sql(db, table), (side.id,)))
        else:
            streams.append(db.stream(keyed_sql(db, table, True), (side.id, ids_param(db, ids))))
    return merge(*streams, LAYOUTS[table].key_width, counted)


class _Group:
    """What one group's merges gather."""

    def __init__(self, a: GroupAt, b: GroupAt):
        self.diff = GroupDiff(b.uid, b.name, before=a.name, after=b.name, org_before=a.org,
                              org_after=b.org)
        names = {**a.companies, **b.companies}
        self.companies = {uid: CompanyDiff(uid, names[uid]) for uid in sorted(
            names, key=lambda u: (names[u].casefold(), u))}
        for uid, c in self.companies.items():
            c.status = ONLY_AFTER if uid not in a.companies else \
                ONLY_BEFORE if uid not in b.companies else SAME
        # (company uid, fiscal year start, account number) → change of debit − credit
        self.moved: dict[tuple[str, str, str], int] = {}

    def scope(self, table: str, key: tuple) -> Scope:
        if not LAYOUTS[table].company:
            return self.diff
        found = self.companies.get(key[0])
        if found is None:  # a company the group rows did not name (a damaged side)
            found = self.companies[key[0]] = CompanyDiff(key[0], str(key[0]), status=DIFFERENT)
        return found

    def row(self, table: str, e: Event) -> None:
        scope = self.scope(table, e.key)
        table_diff = scope.table(table)
        listed = len(table_diff.changes) < LISTED
        table_diff.add(Change.of(table, e.kind, e.key, e.before, e.after, e.position)
                       if listed else None, e.kind)

    def unit(self, table: str, key: tuple, own: Event | None,
             parts: dict[str, list[Event]], position: int = 1) -> None:
        scope = self.scope(table, key)
        table_diff = scope.table(table)
        kind = own.kind if own is not None else CHANGED
        listed = len(table_diff.changes) < LISTED
        change = None
        if listed:
            if own is not None:
                change = Change.of(table, kind, key, own.before, own.after, own.position)
            else:
                change = Change(table, CHANGED, {f.name: shown(f.value(key)) for f in
                                                 LAYOUTS[table].key}, position)
        for part, events in parts.items():
            part_diff = scope.table(part)
            for e in events:
                part_diff.add(None, e.kind)
            if part == LINES:
                self._move(events)
            if change is not None:
                change.parts[part] = [Change.of(part, e.kind, e.key, e.before, e.after,
                                                e.position) for e in events[:LISTED]]
        table_diff.add(change, kind)

    def _move(self, events: list[Event]) -> None:
        for e in events:
            for row, sign in ((e.before, -1), (e.after, 1)):
                if row is not None:
                    where = (e.key[0], e.key[1], _ACCOUNT.value(row)[0])
                    amount = row[_DEBIT.start] - row[_CREDIT.start]
                    self.moved[where] = self.moved.get(where, 0) + sign * amount


def compare_group(a: GroupAt, b: GroupAt, counted: Counted = None,
                  only: dict[str, tuple[list[int], list[int]]] | None = None) -> GroupDiff:
    """The differences between a group on two sides (``a`` before, ``b`` after); ``only``:
    the families of these wholes are compared on these wholes' rows only (ids before,
    after; see :mod:`.aligned`), the other rows being the same."""
    g = _Group(a, b)
    only = only or {}
    for t in schema.group_tables():
        if t.name in WHOLE:
            continue
        these = only.get(t.name)
        if these is not None and not these[0] and not these[1]:
            continue  # the whole family is the same on both sides
        events = _events(a, b, t.name, counted, these)
        if t.name in PARTS:
            parts = {p: _events(a, b, p, counted, these) for p in PARTS[t.name]}
            positional = schema.POSITION in t.natural_key  # (a contact: its rank too)
            for key, own, found in by_whole(events, parts, LAYOUTS[t.name].key_width,
                                            positional):
                position = 1
                if positional:
                    key, position = key[:-1], key[-1]
                    if own is not None:
                        own = own._replace(key=key)
                g.unit(t.name, key, own, found, position)
        else:
            for e in events:
                g.row(t.name, e)
    _balances(g, a, b)
    diff = g.diff
    diff.companies = list(g.companies.values())
    for c in diff.companies:
        if c.status == SAME and c.differs:
            c.status = DIFFERENT
    diff.status = DIFFERENT if diff.differs or any(c.status != SAME for c in diff.companies) \
        else SAME
    return diff


def _balances(g: _Group, a: GroupAt, b: GroupAt) -> None:
    """The companies' fiscal years, and the balances the changed lines move: after as the
    after side holds them, before that less what they moved."""
    years = {**_fiscal_years(a), **_fiscal_years(b)}
    for (company, start), name in sorted(years.items()):
        if company in g.companies:
            g.companies[company].fiscal_years[start] = name
    moved = {k for k, v in g.moved.items() if v}
    if not moved:
        return
    after_sums = _sums(b, sorted({n for _, _, n in moved}))
    for company, start, number in sorted(moved):
        # before: after less what the lines that differ moved (exact, and the file's side
        # need not hold the lines that are the same)
        total = after_sums.get((company, start, number), 0)
        before = Decimal(total - g.moved[(company, start, number)]).scaleb(-2)
        after = Decimal(total).scaleb(-2)
        if before != after:
            c = g.companies.get(company)
            if c is not None:
                c.balances.append(Balance(years.get((company, start), start), start, number,
                                          before, after))


def _sums(side: GroupAt, numbers: list[str]) -> dict[tuple[str, str, str], int]:
    """Debit − credit of the group's accounts ``numbers`` per company and fiscal year:
    their lines summed by the entry's fiscal year id (one join a line), the ids then named."""
    db = side.db
    assert db is not None
    start = db.select_expr(schema.table("fiscal_years").column("start_date"), "f")
    years = {fid: (uid, day) for fid, uid, day in db.query(
        f"SELECT f.id, c.uid, {start} FROM fiscal_years f JOIN companies c "
        f"ON c.id = f.company_id WHERE c.group_id = ?", (side.id,))}
    out: dict[tuple[str, str, str], int] = {}
    for i in range(0, len(numbers), 500):
        part = numbers[i:i + 500]
        accounts = dict(db.query(f"SELECT id, number FROM accounts WHERE group_id = ? AND "
                                 f"number IN ({', '.join('?' * len(part))})", (side.id, *part)))
        if not accounts:
            continue
        for year, account, total in db.query(
                f"SELECT e.fiscal_year_id, l.account_id, SUM(l.debit) - SUM(l.credit) "
                f"FROM entry_lines l JOIN journal_entries e ON e.id = l.entry_id "
                f"WHERE l.account_id IN ({', '.join('?' * len(accounts))}) "
                f"GROUP BY e.fiscal_year_id, l.account_id", tuple(accounts)):
            if year in years:
                out[(*years[year], accounts[account])] = int(total)
    return out


def _fiscal_years(side: GroupAt) -> dict[tuple[str, str], str]:
    db = side.db
    assert db is not None
    start = db.select_expr(schema.table("fiscal_years").column("start_date"), "f")
    return {(uid, day): name for uid, day, name in db.query(
        f"SELECT c.uid, {start}, f.name FROM fiscal_years f "
        f"JOIN companies c ON c.id = f.company_id WHERE c.group_id = ?", (side.id,))}


# -- the sentence of a restore's dry run ------------------------------------------------------
def _listing(parts: list[Text]) -> Text:
    if len(parts) == 1:
        return parts[0]
    return said("{most} and {last}", most=joined(parts[:-1], ", "), last=parts[-1])


def replacing(diff: GroupDiff, since: str) -> Text:
    """What replacing the live group (after) by the backup's (before) loses, in one
    sentence: 'replacing "Groupe Helvetia" loses 12 entries booked since 2026-11-30 and
    changes 3 balances'."""
    entries = [c.count(ENTRIES) for c in diff.companies]
    added = sum(t.added for t in entries)
    removed = sum(t.removed for t in entries)
    changed = sum(t.changed for t in entries)
    balances = len(diff.balances())
    others = sum(sum(counts.values()) for table, counts in diff.rows().items()
                 if table not in (ENTRIES, LINES))
    parts = []
    if added:
        parts.append(said("loses 1 entry booked since {date}", date=since) if added == 1 else
                     said("loses {count} entries booked since {date}", count=added, date=since))
    if changed:
        parts.append(said("undoes the changes to 1 entry") if changed == 1 else
                     said("undoes the changes to {count} entries", count=changed))
    if removed:
        parts.append(said("brings back 1 deleted entry") if removed == 1 else
                     said("brings back {count} deleted entries", count=removed))
    if others:
        parts.append(said("undoes 1 other change (contacts, invoices, accounts…)")
                     if others == 1 else
                     said("undoes {count} other changes (contacts, invoices, accounts…)",
                          count=others))
    if balances:
        parts.append(said("changes 1 balance") if balances == 1 else
                     said("changes {count} balances", count=balances))
    if not parts:
        return said('replacing "{group}" loses nothing: it holds what the backup holds',
                    group=diff.name)
    return said('replacing "{group}" {what}', group=diff.name, what=_listing(parts))
