"""What each export lists, as a table: its columns (a header and a kind each) and its rows,
read back from the spool in the order a reader wants, one at a time.

Values are raw until a writer (:mod:`.writers`) says them: money in minor units (an int),
dates as ISO text, foreign amounts as exact ``Decimal``. A balance is debit minus credit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from .choose import CONTACTS, JOURNAL, LEDGER
from .reading import Books
from .spool import Spool

TEXT, DATE, INT, MONEY, DECIMAL = "text", "date", "int", "money", "decimal"
MOVEMENT, OPENING, CLOSING = "movement", "opening", "closing"

# The ledger's words for its opening and closing rows, in the organization's main language.
LABELS = {"fr": ("Solde d'ouverture", "Solde de clôture"),
          "de": ("Eröffnungssaldo", "Schlusssaldo"),
          "it": ("Saldo d'apertura", "Saldo di chiusura"),
          "rm": ("Saldo d'avertura", "Saldo da serrada"),
          "en": ("Opening balance", "Closing balance")}


@dataclass
class Table:
    title: str
    columns: list[tuple[str, str]]  # (header, kind)
    rows: Iterator[tuple]


def table_of(books: Books, spool: Spool) -> Table:
    if books.what == CONTACTS:
        return _contacts(spool)
    spool.add("accounts", [(i, a.number) for i, a in books.accounts.items()])
    spool.finish()
    if books.what == JOURNAL:
        return _journal(books, spool)
    if books.what == LEDGER:
        return _ledger(books, spool)
    return _accounts(books)


def _foreign(books: Books, currency_id: int | None, amount: int | None
             ) -> tuple[str | None, Decimal | None]:
    if currency_id is None:
        return None, None
    code, decimals = books.currencies.get(currency_id, ("?", 2))
    return code, None if amount is None else Decimal(amount).scaleb(-decimals)


JOURNAL_COLUMNS = [("fiscal_year", TEXT), ("date", DATE), ("entry", INT), ("reference", TEXT),
                   ("journal", TEXT), ("description", TEXT), ("account", TEXT),
                   ("account_name", TEXT), ("line_text", TEXT), ("debit", MONEY),
                   ("credit", MONEY), ("vat_code", TEXT), ("currency", TEXT),
                   ("amount_fc", DECIMAL), ("rate", DECIMAL)]


def _journal(books: Books, spool: Spool) -> Table:
    def rows() -> Iterator[tuple]:
        accounts, vat = books.accounts, books.vat_codes
        for (year, day, number, reference, journal, description, account_id, text, debit,
             credit, vat_id, currency_id, amount_fc, rate) in spool.rows(
                "SELECT e.year, e.date, e.number, e.reference, e.journal, e.description, "
                "l.account_id, l.text, l.debit, l.credit, l.vat_id, l.currency_id, "
                "l.amount_fc, l.rate FROM lines l JOIN entries e ON e.id = l.entry_id "
                "ORDER BY e.year_start, e.number, l.id"):
            account = accounts[account_id]
            currency, amount = _foreign(books, currency_id, amount_fc)
            yield (year, day, number, reference, journal, description, account.number,
                   account.name, text, debit, credit, vat.get(vat_id) if vat_id else None,
                   currency, amount, Decimal(rate) if rate is not None else None)
    return Table("Journal", JOURNAL_COLUMNS, rows())


LEDGER_COLUMNS = [("account", TEXT), ("account_name", TEXT), ("row", TEXT), ("date", DATE),
                  ("fiscal_year", TEXT), ("entry", INT), ("reference", TEXT), ("text", TEXT),
                  ("debit", MONEY), ("credit", MONEY), ("balance", MONEY)]


def _ledger(books: Books, spool: Spool) -> Table:
    year = books.year
    assert year is not None
    opening_label, closing_label = LABELS.get(books.company.languages[0], LABELS["en"])
    start, end = year.start.isoformat(), year.end.isoformat()

    def rows() -> Iterator[tuple]:
        moves = spool.rows(
            "SELECT a.number, e.date, e.number, e.reference, e.description, l.text, "
            "l.debit, l.credit FROM lines l JOIN entries e ON e.id = l.entry_id "
            "JOIN accounts a ON a.id = l.account_id ORDER BY a.number, e.date, e.number, l.id")
        pending = next(moves, None)
        for account_id, account in sorted(books.accounts.items(), key=lambda a: a[1].number):
            balance = books.opening_balance(account_id)
            if not balance and account_id not in books.movements:
                continue
            head = (account.number, account.name)
            yield (*head, OPENING, start, year.name, None, None, opening_label, None, None,
                   balance)
            debits = credits = 0
            while pending is not None and pending[0] == account.number:
                _, day, number, reference, description, text, debit, credit = pending
                balance += debit - credit
                debits += debit
                credits += credit
                yield (*head, MOVEMENT, day, year.name, number, reference, text or description,
                       debit, credit, balance)
                pending = next(moves, None)
            yield (*head, CLOSING, end, year.name, None, None, closing_label, debits, credits,
                   balance)
    return Table("Ledger", LEDGER_COLUMNS, rows())


ACCOUNT_COLUMNS = [("account", TEXT), ("name", TEXT), ("kind", TEXT), ("active", TEXT),
                   ("currency", TEXT), ("fiscal_year", TEXT), ("opening", MONEY),
                   ("debit", MONEY), ("credit", MONEY), ("closing", MONEY)]


def _accounts(books: Books) -> Table:
    year = books.year
    assert year is not None

    def rows() -> Iterator[tuple]:
        for account_id, account in sorted(books.accounts.items(), key=lambda a: a[1].number):
            opening = books.opening_balance(account_id)
            debit, credit = books.movements.get(account_id, (0, 0))
            currency = books.currencies.get(account.currency_id, (None,))[0] \
                if account.currency_id else None
            yield (account.number, account.name, account.kind,
                   "yes" if account.active else "no", currency, year.name, opening, debit,
                   credit, opening + debit - credit)
    return Table("Accounts", ACCOUNT_COLUMNS, rows())


CONTACT_COLUMNS = [(name, TEXT) for name in (
    "kind", "name", "first_name", "firm", "language", "street", "postcode", "city", "country",
    "other_addresses", "phone", "mobile", "email", "web", "other_communications")]
SHOWN_KINDS = ("phone", "mobile", "email", "web")


def _kind(kind: str) -> str:
    return ("(SELECT group_concat(value, '; ') FROM (SELECT value FROM communications "
            f"WHERE contact_id = c.id AND kind = '{kind}' ORDER BY id))")


def _contacts(spool: Spool) -> Table:
    spool.finish()
    others = ", ".join(f"'{k}'" for k in SHOWN_KINDS)
    sql = (
        "SELECT c.kind, c.name, c.first_name, f.name, c.language, a.street, a.postcode, "
        "a.city, a.country, (SELECT group_concat(x, '; ') FROM (SELECT "
        "coalesce(o.street || ', ', '') || o.postcode || ' ' || o.city || ', ' || o.country "
        "AS x FROM addresses o WHERE o.contact_id = c.id AND o.id IS NOT a.id ORDER BY o.id)), "
        + ", ".join(_kind(k) for k in SHOWN_KINDS) +
        ", (SELECT group_concat(kind || ': ' || value, '; ') FROM (SELECT kind, value FROM "
        f"communications WHERE contact_id = c.id AND kind NOT IN ({others}) ORDER BY id)) "
        "FROM contacts c LEFT JOIN contacts f ON f.id = c.firm_id "
        "LEFT JOIN addresses a ON a.id = (SELECT id FROM addresses WHERE contact_id = c.id "
        "ORDER BY kind <> 'main', id LIMIT 1) ORDER BY c.sort_key, c.id")
    return Table("Contacts", CONTACT_COLUMNS, spool.rows(sql))

