"""What a correct import produces (``Expected``: fiscal years, charts, balances, entries),
computed from the rows written by the rules of docs/WINBIZ.md, independently of any reader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

from .rows import Row, rate_text
from .rules import MULTIPLE

SMALL_FIXTURE = 20_000  # up to this many lines, Expected keeps every rebuilt entry


class ExpectedLine(NamedTuple):
    """One rebuilt line: the account, debit and credit in centimes (one of them 0), and the
    row's foreign currency (code, amount in its centimes as stored, rate as a decimal text
    without trailing zeros) or None three times."""

    account: str
    debit: int
    credit: int
    currency: str | None
    amount_fc: int | None
    rate: str | None


class ExpectedEntry(NamedTuple):
    """One rebuilt entry (the rows of one ECR_NUMERO, summaries and deleted rows left out).
    All rows of an entry share date, piece, label and journal. Lines in row order, each
    row's debit line before its credit line."""

    number: int
    date: date
    piece: str
    label: str
    journal: str
    lines: tuple[ExpectedLine, ...]


@dataclass
class ExpectedYear:
    """One fiscal year as a correct import produces it."""

    name: str
    start: date
    end: date
    accounts: dict[str, tuple[str, str]]  # number → (name, kind), grouping accounts left out
    grouping_accounts: int
    balances: dict[str, int]  # every account of the year's chart: debit − credit, centimes
    entries: int = 0
    lines: int = 0
    total_debit: int = 0  # centimes
    entry_list: list[ExpectedEntry] | None = None  # only for small fixtures
    rows: int = 0  # records stored in ecriture, deleted ones included
    deleted_rows: int = 0


@dataclass
class Expected:
    """What a correct import of a written source produces."""

    company: str
    source: Path  # what to import: the company's data folder, a zip, a CSV folder, a backup
    years: list[ExpectedYear] = field(default_factory=list)
    currencies: set[str] = field(default_factory=set)

    def year(self, name: str) -> ExpectedYear:
        """The fiscal year of that name."""
        for fy in self.years:
            if fy.name == name:
                return fy
        raise KeyError(name)

    @property
    def entries(self) -> int:
        """Entries over all fiscal years."""
        return sum(fy.entries for fy in self.years)

    @property
    def lines(self) -> int:
        """Lines over all fiscal years."""
        return sum(fy.lines for fy in self.years)

    @property
    def total_debit(self) -> int:
        """Debits over all fiscal years, centimes."""
        return sum(fy.total_debit for fy in self.years)

    @property
    def accounts(self) -> dict[str, tuple[str, str]]:
        """The charts of all fiscal years merged by number."""
        merged: dict[str, tuple[str, str]] = {}
        for fy in self.years:
            merged.update(fy.accounts)
        return merged

    def comparable(self) -> dict:
        """Everything but the source, for comparing two writes of the same books."""
        return {"company": self.company, "currencies": sorted(self.currencies),
                "years": [{k: v for k, v in vars(fy).items()
                           if k not in ("rows", "deleted_rows")} for fy in self.years]}


def _is_summary(row: Row) -> bool:
    return row.debit == MULTIPLE or row.credit == MULTIPLE


def rebuild(rows: Sequence[Row]) -> tuple[list[ExpectedLine], int | None]:
    """The lines of one entry by docs/WINBIZ.md, from its live rows: deleted rows and the
    summary skipped, each row a debit line on CPT_DEBIT and a credit line on CPT_CREDIT, a
    negative amount moving the other way (CPT_CREDIT debited, CPT_DEBIT credited); per row
    the debit line comes first. Returns the lines and the summary's amount."""
    lines: list[ExpectedLine] = []
    summary = None
    for r in rows:
        if r.deleted:
            continue
        if _is_summary(r):
            summary = r.amount
            continue
        fx = ((r.currency, r.amount_fc, rate_text(r.rate)) if r.currency
              else (None, None, None))
        a = r.amount
        debited, credited = (r.debit, r.credit) if a >= 0 else (r.credit, r.debit)
        if debited:  # the row's debit line first, then its credit line
            lines.append(ExpectedLine(debited, abs(a), 0, *fx))
        if credited:
            lines.append(ExpectedLine(credited, 0, abs(a), *fx))
    return lines, summary


class Accumulator:
    """Expected, computed entry by entry from the rows written (no list kept for big
    fixtures)."""

    def __init__(self, expected: Expected, keep_entries: bool):
        self.expected = expected
        self.keep = keep_entries
        self.fy: ExpectedYear | None = None

    def start_year(self, name: str, start: date, end: date, chart: dict[str, tuple[str, str]],
                   grouping: int) -> None:
        self.fy = ExpectedYear(name, start, end, dict(chart), grouping,
                               dict.fromkeys(chart, 0),
                               entry_list=[] if self.keep else None)
        self.expected.years.append(self.fy)

    def add(self, rows: list[Row]) -> None:
        fy = self.fy
        fy.rows += len(rows)
        live = [r for r in rows if not r.deleted]
        fy.deleted_rows += len(rows) - len(live)
        if not live:
            return
        first = live[0]
        lines, summary = rebuild(live)
        debit = credit = 0
        balances = fy.balances
        for ln in lines:
            if ln.account not in balances:
                raise RuntimeError(f"generator bug: {ln.account} not in the chart of {fy.name}")
            balances[ln.account] += ln.debit - ln.credit
            debit += ln.debit
            credit += ln.credit
            if ln.currency:
                self.expected.currencies.add(ln.currency)
        if debit != credit or (summary is not None and summary != debit):
            raise RuntimeError(f"generator bug: entry {first.number} of {fy.name} "
                               f"({debit} / {credit} / {summary})")
        if any(r.number != first.number for r in live):
            raise RuntimeError(f"generator bug: entry {first.number} mixes numbers")
        if not fy.start <= first.day <= fy.end:
            raise RuntimeError(f"generator bug: entry {first.number} dated {first.day}")
        fy.entries += 1
        fy.lines += len(lines)
        fy.total_debit += debit
        if self.keep:
            fy.entry_list.append(ExpectedEntry(first.number, first.day, first.piece,
                                               first.label, first.journal, tuple(lines)))
