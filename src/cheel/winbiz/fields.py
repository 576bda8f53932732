"""The values of WinBIZ fields, as cheel stores them: dates (``yyyymmdd`` in DBF tables,
``dd.mm.yyyy`` in CSV exports), amounts in centimes, rates as decimals, texts checked.
Each returns the value, or the reason it is refused (a :class:`~cheel.errors.Text`, which
the caller places in its file, record and field)."""

from __future__ import annotations

import datetime
import re

from ..errors import Text, said
from ..store.schema import MONEY_LIMIT, TEXT_LIMIT

_DIGITS8 = re.compile(r"[0-9]{8}")
_DOTTED = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_AMOUNT = re.compile(r"(-?)([0-9]+)(?:[.,]([0-9]{1,2}))?")
_RATE = re.compile(r"-?[0-9]{1,12}(?:[.,][0-9]{1,6})?")


class Refusal(Exception):
    """A value that cannot be stored, and why (placed by the caller)."""

    def __init__(self, why: Text):
        super().__init__(str(why))
        self.why = why


def date_of(text: str | None, dotted: bool) -> str:
    """An ISO date from ``yyyymmdd`` (``dotted``: ``dd.mm.yyyy``); a date that does not
    exist (20240230) is refused."""
    if not text:
        raise Refusal(said("the date is empty"))
    if dotted:
        m = _DOTTED.fullmatch(text)
        if m is None:
            raise Refusal(said('"{value}" is not a date dd.mm.yyyy', value=text[:20]))
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    else:
        if _DIGITS8.fullmatch(text) is None:
            raise Refusal(said('"{value}" is not a date yyyymmdd', value=text[:20]))
        year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        raise Refusal(said('"{value}" is not a date that exists', value=text[:20])) from None


def cents_of(text: str | None, optional: bool = False) -> int | None:
    """An amount in centimes from a decimal of at most two places (a point or a comma),
    within what cheel stores (±10¹³ CHF)."""
    if not text:
        if optional:
            return None
        raise Refusal(said("the amount is empty"))
    if len(text) > 3 and text[-3] == "." and text[-2:].isdigit() and text[:-3].isdigit():
        # A DBF amount is written with its two places: the usual case, without a regex.
        cents = int(text[:-3]) * 100 + int(text[-2:])
        if cents > MONEY_LIMIT:
            raise Refusal(said('"{value}" is beyond what an amount may be', value=text[:30]))
        return cents
    m = _AMOUNT.fullmatch(text)
    if m is None:
        raise Refusal(said('"{value}" is not an amount', value=text[:30]))
    cents = int(m[2]) * 100 + int((m[3] or "0").ljust(2, "0"))
    if abs(cents) > MONEY_LIMIT:
        raise Refusal(said('"{value}" is beyond what an amount may be', value=text[:30]))
    return -cents if m[1] else cents


def rate_of(text: str | None) -> str | None:
    """An exchange rate as a decimal of at most 6 places (empty or zero: none)."""
    if not text:
        return None
    if _RATE.fullmatch(text) is None:
        raise Refusal(said('"{value}" is not a rate', value=text[:30]))
    text = text.replace(",", ".")
    if float(text) == 0:
        return None
    if float(text) < 0:
        raise Refusal(said('"{value}" is not a rate', value=text[:30]))
    whole, _, part = text.partition(".")
    return f"{int(whole)}.{part.ljust(6, '0')}"


def number_of(text: str | None) -> int:
    """A positive whole number (an entry's number)."""
    if not text or not text.isdigit() or len(text) > 15 or int(text) == 0:
        raise Refusal(said('"{value}" is not an entry number', value=(text or "")[:30]))
    return int(text)


def text_of(text: str | None, limit: int = TEXT_LIMIT) -> str:
    """A text cheel can store: no NUL, at most ``limit`` characters."""
    text = text or ""
    if "\x00" in text:
        raise Refusal(said("the text holds a NUL character"))
    if len(text) > limit:
        raise Refusal(said("the text is longer than {limit} characters", limit=limit))
    return text
