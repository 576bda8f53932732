"""Mutations of a row's values: a column set to a value, a foreign key pointed elsewhere, an
entry's debit and credit raised alike."""

from __future__ import annotations

from typing import Any

from cheel.store import schema

from .content import short
from .mutation import Mutation, pick
from .parts import Parts
from .verdicts import ACCEPT, EITHER, REFUSE, UNIQUE_TUPLES, value_verdict


def set_value(table: str, column: str, value: Any, row: int = 0, scope: str = "g1",
              expect: str | None = None, cls: str = "value") -> Mutation:
    """``table.column`` of one row (of ``scope``: ``g1``, ``g2`` or ``org``) set to ``value``;
    unless given, what a sound reader does is ``value_verdict``'s."""

    def apply(p: Parts) -> None:
        pick(p.rows(table, scope), row)[p.col(table, column)] = value

    def judge(p: Parts) -> str:
        old = pick(p.rows(table, scope), row)[p.col(table, column)]
        return value_verdict(table, column, value, old)

    return Mutation(cls, f"{scope} {table}.{column}[{row}] = {short(value, 60)}", apply,
                    expect or judge)


def set_ref(table: str, column: str, to: str, row: int = 0, scope: str = "g1",
            expect: str | None = None) -> Mutation:
    """A foreign key of one row pointed ``to``: "other" (a row of the other group),
    "missing" (no row of the file), "null", "same" (another row of the same group),
    "org-missing" (an organization row the file does not hold), "org-other" (another
    organization row it holds)."""
    c = schema.table(table).column(column)
    ref = c.ref
    assert ref

    def apply(p: Parts) -> None:
        r = pick(p.rows(table, scope), row)
        i = p.col(table, column)
        other_scope = "g2" if scope == "g1" else "g1"
        if to == "other":
            choices = p.ids(ref, other_scope) or p.ids(ref, "g2")
            value = pick(choices, row) if choices else max(p.ids(ref, None)) + 1000
        elif to == "missing":
            value = max(p.ids(ref, None) + [0]) + 1000
        elif to == "null":
            value = None
        elif to == "same":
            value = pick([x for x in p.ids(ref, scope) if x != r[i]] or [r[i]], row)
        elif to == "org-missing":
            value = max(p.ids(ref, "org")) + 1000
        elif to == "org-other":
            value = pick([x for x in p.ids(ref, "org") if x != r[i]] or [r[i]], row)
        else:
            raise AssertionError(to)
        r[i] = value

    if expect is None:
        if to == "null":
            expect = ACCEPT if c.nullable else REFUSE
        elif to in ("same", "org-other"):
            # Inside the group: sound, unless it may break a unique key or move an entry
            # line to another entry (which then no longer balances).
            expect = EITHER if (table, column) in UNIQUE_TUPLES or \
                (table, column) == ("entry_lines", "entry_id") else ACCEPT
        else:
            expect = REFUSE
    return Mutation("fk", f"{scope} {table}.{column}[{row}] → {to} {ref} row", apply, expect)


def balanced_amount(entry: int = 0, delta: int = 1234, scope: str = "g1") -> Mutation:
    """The debit of one line and the credit of another line of the same journal entry
    both raised by ``delta``: the entry still balances."""

    def apply(p: Parts) -> None:
        ie, idb, icr = (p.col("entry_lines", c) for c in ("entry_id", "debit", "credit"))
        entry_id = pick(p.ids("journal_entries", scope), entry)
        lines = [r for r in p.rows("entry_lines", scope) if r[ie] == entry_id]
        debit = next(r for r in lines if r[idb])
        credit = next(r for r in lines if r[icr])
        debit[idb] += delta
        credit[icr] += delta

    return Mutation("harmless", f"{scope} entry {entry}: debit and credit +{delta}",
                    apply, ACCEPT)
