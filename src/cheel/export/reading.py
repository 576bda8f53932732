"""The one pass over a backup an export makes: every chunk through the sound reader (every
row checked as ``verify`` checks it), the chosen company's rows kept.

In memory stays what grows with a group's chart, currencies, VAT codes and fiscal years,
and per account its sums (earlier years, the year's opening entries, the year's
movements); the journal's entries are remembered as bitmaps of ids (which year each belongs
to), never as rows. The entries and lines an export lists (the journal, the ledger) and the
contacts go to the spool (:mod:`.spool`) as their chunks go by.

Opening balances: a fiscal year that holds opening entries (journal ``o`` or ``opening``, as
an import from WinBIZ brings them) opens with them; otherwise the balance-sheet accounts
(assets, liabilities, equity) open with what the company's earlier fiscal years left on
them, and the others (income, expense, closing) at zero.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from pyroaring import BitMap64

from ..account_sums import add_lines
from ..progress import Progress
from ..soundness import SoundReader
from ..store import schema
from .choose import CONTACTS, JOURNAL, LEDGER, Company, FiscalYear, find_year
from .spool import Spool, sort_key

CARRIED_KINDS = frozenset({"asset", "liability", "equity"})
OPENING_JOURNALS = frozenset({"o", "opening"})


def _columns(table: str, *names: str) -> list[int]:
    columns = schema.table(table).column_names
    return [columns.index(n) for n in names]


@dataclass
class Account:
    number: str
    kind: str
    currency_id: int | None
    active: bool
    name: str = ""
    rank: int = 1 << 30  # the name's language: its place in the organization's languages


@dataclass
class Books:
    """What the pass gathered of one company (see the module)."""

    company: Company
    what: str
    wanted_year: str | None
    company_id: int | None = None
    language_rank: dict[int, int] = field(default_factory=dict)  # language id → place
    accounts: dict[int, Account] = field(default_factory=dict)
    currencies: dict[int, tuple[str, int]] = field(default_factory=dict)  # code, decimals
    vat_codes: dict[int, str] = field(default_factory=dict)
    years: list[FiscalYear] = field(default_factory=list)
    year: FiscalYear | None = None
    settled: bool = False
    # entry ids: listed (the year's, or every year's for a whole journal), opening entries
    # of the year, entries of earlier years
    listed: BitMap64 = field(default_factory=BitMap64)
    opening_entries: BitMap64 = field(default_factory=BitMap64)
    earlier_entries: BitMap64 = field(default_factory=BitMap64)
    earlier: dict[int, list[int]] = field(default_factory=dict)  # account → [debit, credit]
    opening: dict[int, list[int]] = field(default_factory=dict)
    movements: dict[int, list[int]] = field(default_factory=dict)

    @property
    def has_opening_entries(self) -> bool:
        return bool(self.opening_entries)

    def opening_balance(self, account_id: int) -> int:
        if self.has_opening_entries:
            debit, credit = self.opening.get(account_id, (0, 0))
            return debit - credit
        if self.accounts[account_id].kind not in CARRIED_KINDS:
            return 0
        debit, credit = self.earlier.get(account_id, (0, 0))
        return debit - credit

    def settle_year(self) -> None:
        """The fiscal year asked for, once the company's fiscal years have all gone by."""
        if not self.settled:
            self.settled = True
            self.year = find_year(self.years, self.wanted_year, self.company,
                                  default_latest=self.what != JOURNAL)


def read_books(sound: SoundReader, company: Company, what: str, year: str | None,
               spool: Spool, progress: Progress | None = None) -> Books:
    """Read the whole file through ``sound`` (its end checked: index, seal) and return the
    company's books; rows the export lists are in ``spool``."""
    books = Books(company, what, year)
    handlers = _handlers(books, spool)
    total = sound.manifest.total_rows
    if progress:
        progress(0, total)
    for chunk in sound:
        if chunk.org == company.org and (chunk.scope == company.group or chunk.scope == "org"):
            handle = handlers.get(chunk.table)
            if handle is not None:
                handle(chunk.rows)
        if progress:
            progress(sound.rows, total)
    if what != CONTACTS:
        books.settle_year()
    return books


def _handlers(books: Books, spool: Spool) -> dict[str, Callable[[list[tuple]], None]]:
    """What each table's chunks of the company's group do."""
    what = books.what
    out: dict[str, Callable[[list[tuple]], None]] = {"languages": _languages(books)}
    if what == CONTACTS:
        out["contacts"] = _contacts(spool)
        out["addresses"] = _spooled(spool, "addresses", "addresses", "id", "contact_id",
                                    "kind", "street", "postcode", "city", "country")
        out["communications"] = _spooled(spool, "communications", "communications", "id",
                                         "contact_id", "kind", "value")
        return out
    out.update(accounts=_accounts(books), account_names=_account_names(books),
               currencies=_currencies(books), vat_codes=_vat_codes(books),
               companies=_companies(books), fiscal_years=_fiscal_years(books),
               journal_entries=_entries(books, spool), entry_lines=_lines(books, spool))
    return out


def _spooled(spool: Spool, table: str, into: str, *names: str):
    picked = operator.itemgetter(*_columns(table, *names))
    return lambda rows: spool.add(into, list(map(picked, rows)))


def _contacts(spool: Spool):
    picked = operator.itemgetter(*_columns("contacts", "id", "kind", "name", "first_name",
                                           "firm_id", "language"))

    def handle(rows: list[tuple]) -> None:
        spool.add("contacts", [(*p, sort_key(p[2], p[3])) for p in map(picked, rows)])
    return handle


def _languages(books: Books):
    i_id, i_code = _columns("languages", "id", "code")
    places = {code: i for i, code in enumerate(books.company.languages)}

    def handle(rows: list[tuple]) -> None:
        for row in rows:
            books.language_rank[row[i_id]] = places.get(row[i_code], len(places))
    return handle


def _accounts(books: Books):
    i_id, i_number, i_kind, i_currency, i_active = _columns(
        "accounts", "id", "number", "kind", "currency_id", "active")

    def handle(rows: list[tuple]) -> None:
        for row in rows:
            books.accounts[row[i_id]] = Account(row[i_number], row[i_kind], row[i_currency],
                                                bool(row[i_active]))
    return handle


def _account_names(books: Books):
    i_account, i_language, i_name = _columns("account_names", "account_id", "language_id",
                                             "name")

    def handle(rows: list[tuple]) -> None:
        for row in rows:
            account = books.accounts.get(row[i_account])
            rank = books.language_rank.get(row[i_language], 1 << 20)
            if account is not None and rank < account.rank:
                account.name, account.rank = row[i_name], rank
    return handle


def _currencies(books: Books):
    i_id, i_code, i_decimals = _columns("currencies", "id", "code", "decimals")

    def handle(rows: list[tuple]) -> None:
        for row in rows:
            books.currencies[row[i_id]] = (row[i_code], row[i_decimals])
    return handle


def _vat_codes(books: Books):
    i_id, i_code = _columns("vat_codes", "id", "code")

    def handle(rows: list[tuple]) -> None:
        for row in rows:
            books.vat_codes[row[i_id]] = row[i_code]
    return handle


def _companies(books: Books):
    i_id, i_uid = _columns("companies", "id", "uid")

    def handle(rows: list[tuple]) -> None:
        for row in rows:
            if row[i_uid] == books.company.uid:
                books.company_id = row[i_id]
    return handle


def _fiscal_years(books: Books):
    i_id, i_company, i_name, i_start, i_end, i_closed = _columns(
        "fiscal_years", "id", "company_id", "name", "start_date", "end_date", "closed")

    def handle(rows: list[tuple]) -> None:
        for row in rows:
            if row[i_company] == books.company_id:
                books.years.append(FiscalYear(row[i_id], row[i_name],
                                              date.fromisoformat(row[i_start]),
                                              date.fromisoformat(row[i_end]),
                                              bool(row[i_closed])))
    return handle


def _entries(books: Books, spool: Spool):
    i_id, i_company, i_year, i_number, i_date, i_reference, i_description, i_journal = \
        _columns("journal_entries", "id", "company_id", "fiscal_year_id", "number", "date",
                 "reference", "description", "journal")

    def handle(rows: list[tuple]) -> None:
        books.settle_year()
        chosen = books.year
        years = {y.id: y for y in books.years}
        earlier = {y.id for y in books.years if chosen and y.end < chosen.start}
        listed, kept = books.listed, []
        opening_split = books.what != JOURNAL
        for row in rows:
            if row[i_company] != books.company_id:
                continue
            year_id = row[i_year]
            if chosen is None or year_id == chosen.id:
                if opening_split and row[i_journal].lower() in OPENING_JOURNALS:
                    books.opening_entries.add(row[i_id])
                    continue
                listed.add(row[i_id])
                if books.what in (JOURNAL, LEDGER):
                    year = years[year_id]
                    kept.append((row[i_id], year.start.isoformat(), year.name, row[i_number],
                                 row[i_date], row[i_reference], row[i_description],
                                 row[i_journal]))
            elif year_id in earlier:
                books.earlier_entries.add(row[i_id])
        spool.add("entries", kept)
    return handle


def _lines(books: Books, spool: Spool):
    names = ("id", "entry_id", "account_id", "debit", "credit", "vat_code_id", "currency_id",
             "amount_fc", "rate", "text")
    picked = operator.itemgetter(*_columns("entry_lines", *names))
    i_entry, i_account, i_debit, i_credit = _columns("entry_lines", "entry_id", "account_id",
                                                     "debit", "credit")
    spooled = books.what in (JOURNAL, LEDGER)
    summed = books.what != JOURNAL

    def handle(rows: list[tuple]) -> None:
        books.settle_year()
        listed, opening, earlier = books.listed, books.opening_entries, books.earlier_entries
        kept, moved, opened, before = [], [], [], []
        for row in rows:
            entry = row[i_entry]
            if entry in listed:
                if spooled:
                    kept.append(picked(row))
                if summed:
                    moved.append(row)
            elif entry in opening:
                opened.append(row)
            elif entry in earlier:
                before.append(row)
        for sums, lines in ((books.movements, moved), (books.opening, opened),
                            (books.earlier, before)):
            add_lines(sums, lines, i_account, i_debit, i_credit)
        spool.add("lines", kept)
    return handle

