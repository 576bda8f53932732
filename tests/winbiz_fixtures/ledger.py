"""The ledger the generated books are stored in: entries as rows of ecriture (two-account
rows or a split entry's summary and details), with the balances they move."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from datetime import date, timedelta

from cheel.demo import data as demo_data

from .chart import NOT_IN_CHART
from .rows import Row
from .rules import JOURNALS, MULTIPLE, VAT_CHANGE, VAT_RATES, FiscalYear


class Ledger:
    """Entries stored as ecriture rows: numbers, row numbers and pieces, amounts, VAT and
    exchange rates, the balances moved, deleted rows inside entries and stale deleted
    records. ``start_year`` begins a fiscal year; the entries themselves are
    ``entries.SwissEntries``'s."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.balances: dict[str, int] = {}

    def start_year(self, fy: FiscalYear, chart: set[str], budget: int) -> None:
        """The numbering and the calendar of a new fiscal year, about budget lines."""
        self.fy = fy
        self.chart = chart
        self.number = 0
        self.rowno = 0
        self.done = 0
        self.budget = max(budget, 1)
        self.days = [fy.start + timedelta(i) for i in range((fy.end - fy.start).days + 1)]
        self.pieces: dict[str, int] = {}
        self.reversible: deque = deque(maxlen=24)
        self.mid_deleted = True  # the next multi-row entry gets a deleted row inside

    def today(self) -> date:
        n = len(self.days)
        return self.days[min(n - 1, self.done * n // self.budget)]

    def piece(self, prefix: str, day: date) -> str:
        n = self.pieces.get(prefix, 0) + 1
        self.pieces[prefix] = n
        return f"{prefix}{day.year % 100:02d}-{n:04d}"

    def amount(self, lo: float, hi: float) -> int:
        """A log-uniform amount between lo and hi CHF, in centimes, a multiple of 5."""
        return max(5, int(lo * (hi / lo) ** self.rng.random() * 20) * 5)

    @staticmethod
    def vat_rate(kind: str, day: date) -> int:
        old, new = VAT_RATES[kind]
        return new if day >= VAT_CHANGE else old

    @staticmethod
    def vat(net: int, rate: int) -> int:
        return (abs(net) * rate + 5000) // 10000 * (1 if net >= 0 else -1)

    def fx_rate(self, currency: str, day: date) -> int:
        table = demo_data.MONTHLY_RATES[currency]
        base = table[((day.year - 2022) * 12 + day.month - 1) % len(table)]
        return round(base * 10000) * 100 + self.rng.randint(-25, 25) * 100

    # -- storing entries ------------------------------------------------------------------------
    def _move(self, account: str, amount: int) -> None:
        if account not in self.chart:
            raise RuntimeError(f"generator bug: {account} not in {self.fy.name}'s chart")
        self.balances[account] = self.balances.get(account, 0) + amount

    def pairs(self, journal: str, day: date, piece: str, label: str,
              pairs: Sequence[tuple]) -> list[Row]:
        """An entry stored as two-account rows: (debit, credit, amount[, currency, rate,
        amount_fc[, vat_rate, vat_amount]])."""
        self.number += 1
        rows = []
        for i, p in enumerate(pairs, 1):
            debit, credit, amount = p[0], p[1], p[2]
            currency, rate, fc = p[3:6] if len(p) > 3 else ("", 0, 0)
            vat_rate, vat_amount = p[6:8] if len(p) > 6 else (0, 0)
            self.rowno += 1
            rows.append(Row(False, self.number, self.rowno, i, day, piece, label, debit,
                            credit, amount, journal, currency, rate, fc, vat_rate, vat_amount,
                            False))
            self._move(debit, amount)
            self._move(credit, -amount)
            self.done += 2
        if len(rows) == 1 and not rows[0].currency:
            self.reversible.append(rows[0])
        if len(rows) > 1 and self.mid_deleted:
            self._insert_deleted(rows)
        return rows

    def split(self, journal: str, day: date, piece: str, label: str,
              details: Sequence[tuple]) -> list[Row]:
        """A split entry: a summary row (``Multiple`` on the side with several accounts, on
        both when both have several) whose amount is the total, then one row per line:
        (account, "D" or "C", amount[, currency, rate, amount_fc])."""
        debits = [d for d in details if d[1] == "D"]
        credits = [d for d in details if d[1] == "C"]
        total = sum(d[2] for d in debits)
        if total != sum(d[2] for d in credits) or any(d[2] <= 0 for d in details):
            raise RuntimeError(f"generator bug: split entry {label!r} {details!r}")
        if len(details) == 2:  # two lines: one two-account row
            (d,), (c,) = debits, credits
            return self.pairs(journal, day, piece, label,
                              [(d[0], c[0], total, *(d[3:] or c[3:]))])
        self.number += 1
        self.rowno += 1
        rows = [Row(False, self.number, self.rowno, 1, day, piece, label,
                    MULTIPLE if len(debits) > 1 else "", MULTIPLE if len(credits) > 1 else "",
                    total, journal, "", 0, 0, 0, 0, True)]
        for i, d in enumerate(details, 2):
            account, side, amount = d[0], d[1], d[2]
            currency, rate, fc = d[3:6] if len(d) > 3 else ("", 0, 0)
            self.rowno += 1
            rows.append(Row(False, self.number, self.rowno, i, day, piece, label,
                            account if side == "D" else "", account if side == "C" else "",
                            amount, journal, currency, rate, fc, 0, 0, True))
            self._move(account, amount if side == "D" else -amount)
            self.done += 1
        if self.mid_deleted:
            self._insert_deleted(rows)
        return rows

    def _insert_deleted(self, rows: list[Row]) -> None:
        """A deleted row inside the entry, numbered as the entry before it and unbalanced:
        a reader that keeps it breaks the entry's contiguity and balance."""
        self.mid_deleted = False
        self.rowno += 1
        first = rows[0]
        rows.insert(1, first._replace(deleted=True, number=max(1, first.number - 1),
                                      rowno=self.rowno, noline=99, debit="1020", credit="",
                                      amount=first.amount + 1995, split=False))

    def stale(self, day: date) -> list[Row]:
        """Deleted records (skipped by the import) with wrong data: a one-sided row, a
        summary whose amount matches nothing, an account no chart has, a number met
        before, a date of another year."""
        rng = self.rng
        rows = []
        for _ in range(rng.randint(1, 3)):
            self.rowno += 1
            kind = rng.randrange(5)
            number = self.number if kind < 2 else rng.randint(1, max(1, self.number))
            debit, credit = rng.choice(("1020", "3400", "6500", "9999")), ""
            if kind == 2:
                debit, credit = MULTIPLE, ""
            elif kind == 3:
                debit, credit = "", NOT_IN_CHART
            stale_day = day if kind != 4 else day - timedelta(400)
            rows.append(Row(True, number, self.rowno, rng.randint(1, 4), stale_day, "ANNUL",
                            "Écriture annulée (saisie erronée)", debit, credit,
                            self.amount(10, 5000) * rng.choice((1, -1)), rng.choice(JOURNALS),
                            "", 0, 0, 0, 0, kind == 2))
        return rows
