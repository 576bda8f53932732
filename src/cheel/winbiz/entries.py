"""A fiscal year's journal entries (``ecriture.dbf``), rebuilt from WinBIZ's rows.

Each row moves its amount from ``CPT_CREDIT`` to ``CPT_DEBIT`` (either side may be blank;
a negative amount moves the other way). The rows of one entry follow each other. A split
entry is a summary row whose debit or credit account is the word ``Multiple``, plus the
detail rows that carry the real accounts: the entry is rebuilt from the details alone, and
the summary's amount must equal the entry's total. Every entry must balance, post only to
accounts of the chart, and fall within its fiscal year (docs/WINBIZ.md).

Streamed: one entry at a time, whatever the size of the table; the entry numbers seen are
kept in a compressed bitmap (a million numbers take a few hundred kilobytes).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyroaring import BitMap64

from ..errors import said
from .chart import Chart
from ..store.schema import TEXT_LIMIT
from .fields import Refusal, cents_of, date_of, number_of, rate_of, text_of
from .source import YearSource
from .tables import open_table, refused

ROW_FIELDS = ["ECR_NUMERO", "DATE", "PIECE", "LIBELLE", "CPT_DEBIT", "CPT_CREDIT", "MONTANT",
              "JOURNAL"]
FOREIGN_FIELDS = ["ECR_MONNAI", "ECR_COURS", "ECR_MONMNT"]
SPLIT = "multiple"  # the account word of a split entry's summary row
JOURNALS = frozenset("dsavimobx")  # misc, wages, purchases, sales, … (WinBIZ's codes)
DEFAULT_JOURNAL = "d"


# A line of an entry: (account id, debit, credit, currency code, amount_fc, rate, text), in
# centimes; the writer puts its own ids in front. A plain tuple in the columns' order, the
# account looked up once (1,000,000 lines read and rebuilt: 2.5 s as objects → 2.25 s).
Line = tuple[int, int, int, "str | None", "int | None", "str | None", "str | None"]


@dataclass(slots=True)
class Entry:
    number: int
    date: str
    reference: str | None
    description: str
    journal: str
    lines: list[Line]
    record: int  # its first row, for messages
    debit: int = 0  # its lines' totals, kept as they are added
    credit: int = 0


@dataclass
class YearScan:
    """What a first, quick read of a fiscal year finds: its dates and its size (``entries``
    is -1 when the fiscal year was not read, see :func:`year_plan`)."""

    name: str
    start: str
    end: str
    entries: int
    rows: int


@dataclass
class YearTotals:
    """What the rebuilt entries of a fiscal year add up to, as read from the source."""

    entries: int = 0
    lines: int = 0
    debit: int = 0
    balances: dict[str, int] = field(default_factory=dict)  # account → debit − credit


def scan_year(year: YearSource) -> YearScan:
    """The fiscal year's dates and how many entries and rows it holds; reads two fields."""
    path, dotted = year.entries, year.dotted_dates
    first: str | None = None
    numbers = BitMap64()
    rows = 0
    with open_table(path) as table:
        for record, (number, date) in table.records(["ECR_NUMERO", "DATE"]):
            rows += 1
            try:
                numbers.add(number_of(number))
            except Refusal as e:
                raise refused(path, e.why, record, "ECR_NUMERO") from None
            try:
                day = date_of(date, dotted)
            except Refusal as e:
                raise refused(path, e.why, record, "DATE") from None
            if first is None or day < first:
                first = day
    start, end = bounds(year.name, first)
    return YearScan(year.name, start, end, len(numbers), rows)


def year_plan(year: YearSource) -> YearScan:
    """What an import needs before reading a fiscal year: its dates (from its folder's name
    when it names a year; else from a scan) and its rows (a DBF header says how many)."""
    if is_year(year.name) and not year.dotted_dates:
        with open_table(year.entries) as table:
            start, end = bounds(year.name, None)
            return YearScan(year.name, start, end, -1, table.count)
    return scan_year(year)


def is_year(name: str) -> bool:
    return len(name) == 4 and name.isdigit() and 1900 <= int(name) <= 2999


def bounds(name: str, first: str | None) -> tuple[str, str]:
    """A fiscal year's first and last day: the calendar year its folder names, else twelve
    months from the first day of the month of its earliest entry."""
    if is_year(name):
        return f"{name}-01-01", f"{name}-12-31"
    if first is None:
        today = datetime.date.today()
        return f"{today.year}-01-01", f"{today.year}-12-31"
    day = datetime.date.fromisoformat(first)
    start = day.replace(day=1)
    after = start.replace(year=start.year + 1)
    return start.isoformat(), (after - datetime.timedelta(days=1)).isoformat()


def entries_of(year: YearSource, scan: YearScan, chart: Chart, account_ids: dict[str, int],
               totals: YearTotals) -> Iterator[Entry]:
    """The fiscal year's entries, rebuilt and checked one by one, their lines on the ids
    ``account_ids`` gives the chart's accounts; ``totals`` adds them up."""
    path, dotted = year.entries, year.dotted_dates
    headings = chart.headings
    if any(number.casefold() == SPLIT for number in account_ids):  # the word, never an account
        account_ids = {n: i for n, i in account_ids.items() if n.casefold() != SPLIT}
    balances = totals.balances  # account → debit − credit, kept as lines are read
    seen = BitMap64()
    dates: dict[str | None, str] = {}
    entry: Entry | None = None
    summaries: list[tuple[int, int]] = []  # (record, amount) of the entry's summary rows

    def finish(e: Entry) -> Entry:
        debit, credit = e.debit, e.credit
        if not e.lines:
            raise refused(path, said("the entry {number} has no row but its summary",
                                     number=e.number), e.record, "CPT_DEBIT")
        if debit != credit:
            raise refused(path, said("the entry {number} does not balance: debits {debit}, "
                                     "credits {credit}", number=e.number, debit=chf(debit),
                                     credit=chf(credit)), e.record, "MONTANT")
        for record, amount in summaries:
            if amount != debit:
                raise refused(path, said("the summary of the split entry {number} says "
                                         "{summary}, its rows make {total}", number=e.number,
                                         summary=chf(amount), total=chf(debit)),
                              record, "MONTANT")
        totals.entries += 1
        totals.lines += len(e.lines)
        totals.debit += debit
        return e

    last_number: str | None = None
    with open_table(path) as table:
        for record, values in table.records(ROW_FIELDS, FOREIGN_FIELDS):
            (raw_number, date, piece, label, debit_account, credit_account, amount, journal,
             currency, rate, amount_fc) = values
            try:
                day = dates.get(date)  # a year has a few hundred dates: each parsed once
                if day is None:
                    where = "DATE"
                    day = dates[date] = date_of(date, dotted)
                date = day
                if len(amount) > 3 and amount[-3] == "." and amount[-2:].isdigit() and \
                        amount[:-3].isdigit() and len(amount) < 17:
                    amount = int(amount[:-3]) * 100 + int(amount[-2:])  # the usual case
                else:
                    where = "MONTANT"
                    amount = cents_of(amount)
                if "\x00" in label or len(label) > TEXT_LIMIT:
                    where = "LIBELLE"
                    label = text_of(label)
                if currency and currency.upper() != "CHF":
                    currency = currency.upper()
                    where = "ECR_COURS"
                    rate = rate_of(rate)
                    where = "ECR_MONMNT"
                    amount_fc = cents_of(amount_fc, optional=True)
                    if amount_fc is not None:
                        amount_fc = abs(amount_fc)
                else:
                    currency = rate = amount_fc = None
                if raw_number != last_number:  # the next entry (or the next of its rows)
                    where = "ECR_NUMERO"
                    number = number_of(raw_number)
                    last_number = raw_number
                    where = "PIECE"
                    piece = text_of(piece, 100) or None
            except Refusal as e:
                raise refused(path, e.why, record, where) from None
            if entry is None or number != entry.number:
                if entry is not None:
                    yield finish(entry)
                if number in seen:
                    raise refused(path, said("the entry {number} starts again after other "
                                             "entries (its rows must follow each other)",
                                             number=number), record, "ECR_NUMERO")
                seen.add(number)
                if not scan.start <= date <= scan.end:
                    raise refused(path, said("the date {date} is outside the fiscal year "
                                             "{year} ({start} to {end})", date=date,
                                             year=year.name, start=scan.start, end=scan.end),
                                  record, "DATE")
                code = journal.lower() or DEFAULT_JOURNAL
                if code not in JOURNALS:
                    raise refused(path, said('"{value}" is not a WinBIZ journal code',
                                             value=code[:10]), record, "JOURNAL")
                entry = Entry(number, date, piece, label, code, [], record)
                summaries = []
            elif date != entry.date:
                raise refused(path, said("the rows of the entry {number} have different "
                                         "dates", number=number), record, "DATE")
            debit_id = account_ids.get(debit_account)
            credit_id = account_ids.get(credit_account)
            if (debit_id is None and debit_account.casefold() == SPLIT) or \
                    (credit_id is None and credit_account.casefold() == SPLIT):
                summaries.append((record, abs(amount)))
                continue
            if amount < 0:  # moves the other way
                debit_account, credit_account, amount = credit_account, debit_account, -amount
                debit_id, credit_id = credit_id, debit_id
                debit_side, credit_side = "CPT_CREDIT", "CPT_DEBIT"
            else:
                debit_side, credit_side = "CPT_DEBIT", "CPT_CREDIT"
            text = label if label != entry.description else None
            lines = entry.lines
            if debit_account:
                if debit_id is None:
                    raise refused(path, _unknown(debit_account, headings, year.plan.name),
                                  record, debit_side)
                lines.append((debit_id, amount, 0, currency, amount_fc, rate, text))
                entry.debit += amount
                balances[debit_account] = balances.get(debit_account, 0) + amount
            if credit_account:
                if credit_id is None:
                    raise refused(path, _unknown(credit_account, headings, year.plan.name), record,
                                  credit_side)
                lines.append((credit_id, 0, amount, currency, amount_fc, rate, text))
                entry.credit += amount
                balances[credit_account] = balances.get(credit_account, 0) - amount
            elif not debit_account:
                raise refused(path, said("the row moves no account"), record, "CPT_DEBIT")
        if entry is not None:
            yield finish(entry)


def _unknown(account: str, headings: set[str], plan: str):
    if account in headings:
        return said("the account {number} is a grouping account (a class or a heading), "
                    "which takes no entries", number=account)
    return said("the account {number} is not in the chart of accounts ({file})",
                number=account[:30], file=plan)


def chf(cents: int) -> str:
    """Centimes as francs, in messages: -1234.50."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"
