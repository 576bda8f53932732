"""One ecriture record as generated (``Row``) and as the texts of its fields: amounts in
centimes, rates in millionths, dates."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class Row(NamedTuple):
    """One ecriture record as generated, before formatting."""

    deleted: bool
    number: int  # ECR_NUMERO
    rowno: int  # NUMERO
    noline: int  # ECR_NOLINE
    day: date
    piece: str
    label: str
    debit: str  # CPT_DEBIT: an account, "Multiple" or ""
    credit: str  # CPT_CREDIT
    amount: int  # MONTANT, centimes, may be negative
    journal: str
    currency: str  # ECR_MONNAI, "" in CHF
    rate: int  # ECR_COURS × 10^6, 0 in CHF
    amount_fc: int  # ECR_MONMNT, centimes of the currency
    vat_rate: int  # ECR_TVATX, hundredths of a percent (ignored by the import)
    vat_amount: int  # ECR_TVAMNT (ignored)
    split: bool  # a row of a split entry (MULTIPLE "M", ignored)


def cents_text(value: int) -> str:
    """Centimes as a decimal text with two places: -123456 → "-1234.56"."""
    if value < 0:
        return "-" + cents_text(-value)
    return f"{value // 100}.{value % 100:02d}"


def micro_text(value: int) -> str:
    """Millionths as a decimal text with six places: 941200 → "0.941200"."""
    return f"{value // 1_000_000}.{value % 1_000_000:06d}"


def rate_text(micro: int) -> str:
    """A rate in millionths as the shortest decimal text: 941200 → "0.9412"."""
    return micro_text(micro).rstrip("0").rstrip(".")


def ecriture_values(row: Row, dates: dict[date, str]) -> tuple:
    """A row as the texts of ECRITURE_COLUMNS (dates cached: a year has 365 of them)."""
    day = dates.get(row.day)
    if day is None:
        day = dates[row.day] = f"{row.day.year:04d}{row.day.month:02d}{row.day.day:02d}"
    fx = bool(row.currency)
    return ("M" if row.split else "", row.number, row.rowno, row.noline, day, row.piece,
            row.label, row.debit, row.credit, cents_text(row.amount), row.journal,
            row.currency, micro_text(row.rate), cents_text(row.amount_fc), 1 if fx else 0,
            ("V" if row.journal == "v" else "A") if row.vat_rate else "",
            cents_text(row.vat_rate), cents_text(row.vat_amount), 1 if row.vat_rate else 0,
            "", "T" if row.number % 7 == 0 else "F", "", "", "", "")
