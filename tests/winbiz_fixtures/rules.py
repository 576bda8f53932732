"""The rules of docs/WINBIZ.md the fixtures are written by: the summary row of a split
entry, the journals, account kinds by number, grouping accounts, the VAT rates before and from
2024, the amounts' bound, fiscal years."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

MULTIPLE = "Multiple"
JOURNALS = "dsavimobx"
ASSET, LIABILITY, EQUITY, INCOME, EXPENSE, CLOSING = (
    "asset", "liability", "equity", "income", "expense", "closing")
KIND_BY_DIGIT = {"1": ASSET, "2": LIABILITY, "3": INCOME, "4": EXPENSE, "5": EXPENSE,
                 "6": EXPENSE, "7": INCOME, "8": EXPENSE, "9": CLOSING}
VAT_CHANGE = date(2024, 1, 1)
# VAT class: (rate before 2024-01-01, rate from then), in hundredths of a percent
VAT_RATES = {"N": (770, 810), "R": (250, 260), "H": (370, 380)}
AMOUNT_LIMIT = 10 ** 13 * 100  # ±10^13 CHF, in centimes


def account_kind(number: str) -> str:
    """The kind of an account by docs/WINBIZ.md: its first digit (28 and 29: equity)."""
    if number[:2] in ("28", "29"):
        return EQUITY
    return KIND_BY_DIGIT[number[0]]


def is_grouping(number: str) -> bool:
    """Numbers of 1 to 3 characters are grouping accounts (classes and headings)."""
    return 1 <= len(number) <= 3


class FiscalYear(NamedTuple):
    """A fiscal year to write: its folder name, first and last day."""

    name: str
    start: date
    end: date


def fiscal_years(years: Iterable[int | str | tuple[str, date]]) -> list[FiscalYear]:
    """Fiscal years from a calendar year (2024 or "2024") or a (folder name, first day) pair
    for a fiscal year of twelve months starting on another day (its first day must be the
    first of a month, docs/WINBIZ.md)."""
    out = []
    for y in years:
        if isinstance(y, tuple):
            name, start = y
            if start.day != 1:
                raise ValueError("a fiscal year starts on the first day of a month")
            month = start.month + 12
            end = date(start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1) - timedelta(1)
            out.append(FiscalYear(name, start, end))
        else:
            out.append(FiscalYear(str(y), date(int(y), 1, 1), date(int(y), 12, 31)))
    return out
