"""A WinBIZ chart of accounts (``plan.dbf`` of each fiscal year), merged into one.

Numbers of 1 to 3 characters are grouping accounts (classes and headings): counted, not
imported. An account's kind follows the Swiss SME chart by its first digit. The charts of
the fiscal years are merged by number; one number with two names is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import said
from .fields import Refusal, text_of
from .source import YearSource
from .tables import open_table, refused

HEADING_LENGTH = 3  # numbers this long or shorter are classes and headings
NUMBER_LENGTH = 12
# Swiss SME chart (plan comptable PME): the kind of an account by its first digit.
KIND_BY_DIGIT = {"1": "asset", "2": "liability", "3": "income", "4": "expense",
                 "5": "expense", "6": "expense", "7": "income", "8": "expense",
                 "9": "closing"}
EQUITY_PREFIXES = ("28", "29")
# The kinds, as messages say them.
KINDS = {"asset": said("asset"), "liability": said("liability"), "equity": said("equity"),
         "income": said("income"), "expense": said("expense"), "closing": said("closing")}


@dataclass
class Account:
    number: str
    name: str
    kind: str
    year: str  # the first fiscal year that names it (for messages)


@dataclass
class Chart:
    accounts: dict[str, Account] = field(default_factory=dict)
    headings: set[str] = field(default_factory=set)


def kind_of(number: str, klass: str) -> str | None:
    if number.startswith(EQUITY_PREFIXES):
        return "equity"
    for digit in (number[:1], klass.strip()[:1]):
        if digit in KIND_BY_DIGIT:
            return KIND_BY_DIGIT[digit]
    return None


def read_chart(years: list[YearSource]) -> Chart:
    """Every fiscal year's chart, merged; refuses what cannot be an account."""
    chart = Chart()
    for year in years:
        path = year.plan
        with open_table(path) as table:
            for record, (klass, number, name) in table.records(["CLASSE", "NUMERO",
                                                                  "COMPTE"]):
                number = (number or "")
                if not number:
                    continue  # a blank line of the chart
                if len(number) > NUMBER_LENGTH:
                    raise refused(path, said('"{value}" is longer than an account number',
                                             value=number[:30]), record, "NUMERO")
                if len(number) <= HEADING_LENGTH:
                    chart.headings.add(number)
                    continue
                try:
                    name = text_of(name or "", 200)
                except Refusal as e:
                    raise refused(path, e.why, record, "COMPTE") from None
                if not name:
                    raise refused(path, said("the account {number} has no name",
                                             number=number), record, "COMPTE")
                kind = kind_of(number, klass or "")
                if kind is None:
                    raise refused(path, said("the account {number} has no class cheel knows "
                                             "(its number and its class start with no digit "
                                             "1 to 9)", number=number), record, "NUMERO")
                known = chart.accounts.get(number)
                if known is None:
                    chart.accounts[number] = Account(number, name, kind, year.name)
                elif known.name.casefold() != name.casefold():
                    raise refused(path, said('the account {number} is named "{name}" here and '
                                             '"{other}" in the fiscal year {year}',
                                             number=number, name=name, other=known.name,
                                             year=known.year), record, "COMPTE")
    return chart
