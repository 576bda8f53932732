"""Helpers of the demo generator: check digits, formats, dates, the batched writer."""

from __future__ import annotations

import random
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from ..store import schema
from ..store.engines import Database

YEARS = (2023, 2024, 2025)



# -- helpers ---------------------------------------------------------------------------------
def ide_check_digit(digits8: str) -> int | None:
    """The mod-11 check digit of a Swiss UID/IDE number, None when 10 (number not issued)."""
    weights = (5, 4, 3, 2, 7, 6, 5, 4)
    check = 11 - sum(w * int(d) for w, d in zip(weights, digits8)) % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def format_ide(digits9: str) -> str:
    return f"CHE-{digits9[0:3]}.{digits9[3:6]}.{digits9[6:9]}"


def random_ide(rng: random.Random) -> str:
    while True:
        body = f"{rng.randint(10_000_000, 99_999_999)}"
        check = ide_check_digit(body)
        if check is not None:
            return format_ide(body + str(check))


_MOD10 = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)


def mod10_check_digit(digits: str) -> int:
    """Check digit of the recursive modulo 10 (QR reference, ISR/ESR)."""
    carry = 0
    for ch in digits:
        carry = _MOD10[(carry + ord(ch) - 48) % 10]
    return (10 - carry) % 10


def qr_reference(body26: str) -> str:
    assert len(body26) == 26 and body26.isdigit()
    return body26 + str(mod10_check_digit(body26))


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def random_uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def stamp_on(day: str, rng: random.Random) -> str:
    s = 7 * 3600 + rng.getrandbits(15)  # 07:00:00 .. 16:06:07
    return f"{day} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def money_text(centimes: int) -> str:
    sign = "-" if centimes < 0 else ""
    c = abs(centimes)
    francs = f"{c // 100:,}".replace(",", "'")
    return f"{sign}{francs}.{c % 100:02d}"


def swiss_date(day: str) -> str:
    return f"{day[8:]}.{day[5:7]}.{day[:4]}"


def quantity_text(thousandths: int) -> str:
    return f"{thousandths // 1000}.{thousandths % 1000:03d}"


def rate_text(micro: int) -> str:
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"


def to_chf(fc: int, micro: int) -> int:
    """Foreign-currency centimes to CHF centimes at a rate in millionths."""
    return (fc * micro + 500_000) // 1_000_000


def vat_of_net(net: int, rate: int) -> int:
    """VAT on a net amount; ``rate`` in hundredths of a percent (810 = 8.10 %)."""
    return (net * rate + 5000) // 10000


def net_of_gross(gross: int, rate: int) -> int:
    return (gross * 10000 + (10000 + rate) // 2) // (10000 + rate)


def _business_days() -> list[str]:
    out, d, end = [], date(YEARS[0], 1, 1), date(YEARS[-1], 12, 31)
    while d <= end:
        if d.weekday() < 5:
            out.append(d.isoformat())
        d += timedelta(days=1)
    return out


DAYS = _business_days()


def month_index(day: str) -> int:
    return (int(day[:4]) - YEARS[0]) * 12 + int(day[5:7]) - 1


def add_days(day: str, n: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=n)).isoformat()


# -- batched writer ----------------------------------------------------------------------------
class Writer:
    """Buffers full rows per table and writes them in bulk, parents first."""

    def __init__(self, db: Database):
        self.db = db
        self.cols = {t.name: t.column_names for t in schema.TABLES}
        self.buf: dict[str, list[tuple]] = {t.name: [] for t in schema.TABLES}
        self.next: dict[str, int] = {}
        self.touched: set[str] = set()

    def id(self, table: str) -> int:
        n = self.next.get(table)
        if n is None:
            n = self.db.max_id(table) + 1
        self.next[table] = n + 1
        return n

    def add(self, table: str, row: tuple) -> None:
        self.buf[table].append(row)

    def flush(self) -> None:
        for t in schema.TABLES:
            rows = self.buf[t.name]
            if rows:
                self.db.insert_rows(t.name, self.cols[t.name], rows)
                self.touched.add(t.name)
                rows.clear()


# -- reference data --------------------------------------------------------------------------
@dataclass
class Group:
    id: int
    name: str
    lang: str
    accounts: dict[str, int]  # number → id
    currencies: dict[str, int]  # code → id
    rates: dict[str, list[int]]  # code → 36 monthly rates in millionths
    vat: dict[tuple[str, str, int], tuple[int, int]]  # (kind, class, period) → (id, rate)
    exempt_vat: int
    articles: dict[str, tuple]  # code → (id, unit, price, class, account id, {lang: text})
    customers: list[tuple[int, str]]  # domestic firms and private persons
    foreign: list[tuple[int, str]]  # foreign firms (billed in EUR)
    company_contacts: dict[str, int]  # company name → its contact id
