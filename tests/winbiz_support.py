"""Fixtures of the WinBIZ import (docs/WINBIZ.md): writers of WinBIZ data folders (dBase III or
Visual FoxPro tables, with or without a FoxPro memo file), of WinBIZ's CSV exports, of zips and
``.wb_backup`` files, and of hostile variants the import must refuse.

What is written is a realistic Swiss SME's bookkeeping (the Swiss SME chart of
``cheel.demo.chart``, VAT at the rates before and from 2024, wages as split entries, foreign
currency rows, reversals with negative amounts, deleted records holding wrong data), produced
row by row and streamed to disk: a million lines take seconds and little memory. Each writer
returns an ``Expected``: what a correct import must produce, computed from the rows written by
the rules of docs/WINBIZ.md, independently of any reader.

    expected = write_company(tmp_path / "winbiz", years=(2023, 2024), lines=2000)
    expected.source            # the folder to import: tmp_path/winbiz/DAT/MUSTER
    expected.year("2024").balances["1020"]   # centimes, debit minus credit

Only the standard library and cheel's demo reference data are used; the bytes of the tables
are written with ``struct``.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import random
import shutil
import struct
import tempfile
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

from cheel.demo import data as demo_data
from cheel.demo.chart import CHART

# -- the rules of docs/WINBIZ.md ------------------------------------------------------------
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
SMALL_FIXTURE = 20_000  # up to this many lines, Expected keeps every rebuilt entry


def account_kind(number: str) -> str:
    """The kind of an account by docs/WINBIZ.md: its first digit (28 and 29: equity)."""
    if number[:2] in ("28", "29"):
        return EQUITY
    return KIND_BY_DIGIT[number[0]]


def is_grouping(number: str) -> bool:
    """Numbers of 1 to 3 characters are grouping accounts (classes and headings)."""
    return 1 <= len(number) <= 3


# -- the chart of accounts ------------------------------------------------------------------
# Grouping accounts of the Swiss SME chart (classes and headings), French names.
GROUPING_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("1", "Actifs"),
    ("10", "Actifs circulants"),
    ("100", "Trésorerie et titres"),
    ("110", "Créances"),
    ("120", "Stocks et prestations non facturées"),
    ("130", "Actifs de régularisation"),
    ("14", "Actifs immobilisés"),
    ("140", "Immobilisations financières"),
    ("150", "Immobilisations corporelles meubles"),
    ("160", "Immobilisations corporelles immeubles"),
    ("170", "Immobilisations incorporelles"),
    ("180", "Capital non libéré"),
    ("2", "Passifs"),
    ("20", "Capitaux étrangers à court terme"),
    ("200", "Dettes à court terme résultant d'achats et de prestations"),
    ("210", "Dettes à court terme rémunérées"),
    ("220", "Autres dettes à court terme"),
    ("230", "Passifs de régularisation et provisions à court terme"),
    ("24", "Capitaux étrangers à long terme"),
    ("240", "Dettes à long terme rémunérées"),
    ("250", "Autres dettes à long terme"),
    ("260", "Provisions à long terme"),
    ("28", "Capitaux propres"),
    ("280", "Capital social"),
    ("290", "Réserves et bénéfice reporté"),
    ("3", "Chiffre d'affaires résultant des ventes et des prestations de services"),
    ("4", "Charges de matériel, de marchandises et de prestations de tiers"),
    ("5", "Charges de personnel"),
    ("6", "Autres charges d'exploitation, amortissements et résultat financier"),
    ("7", "Résultat des activités annexes d'exploitation"),
    ("8", "Résultats extraordinaires et hors exploitation, impôts"),
    ("9", "Clôture"),
)
# Opened during the second fiscal year (absent from the first year's chart when there are
# several years): the USD bank account.
LATE_ACCOUNTS = ("1022",)
# Deleted plan.dbf records (skipped by the import), stored after the account of the key: a
# stale second name for an existing number, and a number no fiscal year has.
DELETED_PLAN_RECORDS = {"1000": ("1000", "Caisse (ancienne désignation)"),
                        "1090": ("1095", "Compte d'attente supprimé")}
NOT_IN_CHART = "1234"  # an account number no fiscal year's chart has


class Field(NamedTuple):
    """One field of a DBF table: name, type (C N D L M), length, decimals."""

    name: str
    type: str
    length: int
    decimals: int = 0


# ecriture.dbf: the fields of docs/WINBIZ.md, then others WinBIZ has (ignored by the import)
# so that a record is 415 bytes with its deletion flag (FACTS.md).
ECRITURE_FIELDS: tuple[Field, ...] = (
    Field("MULTIPLE", "C", 2),
    Field("ECR_NUMERO", "N", 10),
    Field("NUMERO", "N", 10),
    Field("ECR_NOLINE", "N", 4),
    Field("DATE", "D", 8),
    Field("PIECE", "C", 20),
    Field("LIBELLE", "C", 100),
    Field("CPT_DEBIT", "C", 12),
    Field("CPT_CREDIT", "C", 12),
    Field("MONTANT", "N", 15, 2),
    Field("JOURNAL", "C", 1),
    Field("ECR_MONNAI", "C", 10),
    Field("ECR_COURS", "N", 16, 6),
    Field("ECR_MONMNT", "N", 15, 2),
    Field("ECR_MONQTE", "N", 6),
    Field("ECR_TVATYP", "C", 2),
    Field("ECR_TVATX", "N", 6, 2),
    Field("ECR_TVAMNT", "N", 15, 2),
    Field("ECR_TVAMOD", "N", 2),
    Field("ECR_ANA", "C", 20),
    Field("ECR_VERROU", "L", 1),
    Field("ECR_REF1", "C", 20),
    Field("ECR_REF2", "C", 20),
    Field("ECR_VTCODE", "C", 10),
    Field("ECR_EXT", "C", 77),  # filler: the rest of WinBIZ's fields
)
ECRITURE_RECORD = 415
# What the import reads of ecriture.dbf (docs/WINBIZ.md), every other field is ignored.
ECRITURE_READ = ("MULTIPLE", "ECR_NUMERO", "NUMERO", "ECR_NOLINE", "DATE", "PIECE", "LIBELLE",
                 "CPT_DEBIT", "CPT_CREDIT", "MONTANT", "JOURNAL", "ECR_MONNAI", "ECR_COURS",
                 "ECR_MONMNT")

# plan.dbf: CLASSE, NUMERO, COMPTE, then about 600 bytes of other fields.
PLAN_FIELDS: tuple[Field, ...] = (
    Field("CLASSE", "C", 4),
    Field("NUMERO", "C", 12),
    Field("COMPTE", "C", 118),
    Field("COMPTE_D", "C", 118),  # other languages: ignored, the import takes COMPTE
    Field("COMPTE_I", "C", 118),
    Field("COMPTE_E", "C", 118),
    Field("CPT_MONNAI", "C", 10),
    Field("CPT_TVA", "C", 10),
    Field("CPT_BUDGET", "N", 15, 2),
    Field("CPT_SOLDE", "N", 15, 2),
    Field("CPT_INACT", "L", 1),
    Field("CPT_NOTE", "C", 60),
    Field("CPT_EXT", "C", 17),  # filler
)
PLAN_RECORD = 1 + 134 + 600

# dos_info.dbf. dBase III variant: no DOS_NOM, the name is the 100 characters after the
# first 10 (a code field, then a name field not called DOS_NOM). Visual FoxPro variant: a
# DOS_NOM field, placed so that the 100 characters after the first 10 are something else
# (the street), and the name is found only by the field's name.
DOS_INFO_DB3_FIELDS: tuple[Field, ...] = (
    Field("DOS_CODE", "C", 10),
    Field("DOS_RAISON", "C", 100),
    Field("DOS_RUE", "C", 60),
    Field("DOS_NPA", "C", 10),
    Field("DOS_LOCAL", "C", 40),
    Field("DOS_MONNAI", "C", 3),
    Field("DOS_IDE", "C", 20),
)
DOS_INFO_VFP_FIELDS: tuple[Field, ...] = (
    Field("DOS_CODE", "C", 10),
    Field("DOS_RUE", "C", 100),
    Field("DOS_NOM", "C", 100),
    Field("DOS_NPA", "C", 10),
    Field("DOS_LOCAL", "C", 40),
    Field("DOS_MONNAI", "C", 3),
    Field("DOS_IDE", "C", 20),
)

HEADERS = {"db3": 0x03, "vfp": 0x30}
VFP_BACKLINK = 263
MEMO_BLOCK = 64
CODEPAGE_1252 = 0x03  # the language driver byte of Windows ANSI (cp1252)


# -- what a correct import produces -----------------------------------------------------------
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


# -- rows -------------------------------------------------------------------------------------
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


class _Accumulator:
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


# -- writing tables ---------------------------------------------------------------------------
class _DbfWriter:
    """A DBF table written record by record with struct: header, field descriptors, 0x0D
    (and Visual FoxPro's 263-byte backlink), records, 0x1A; the record count is patched in
    when closing. A memo field (VFP) goes to a FoxPro .fpt beside the table."""

    def __init__(self, path: Path, fields: Sequence[Field], columns: Sequence[str], *,
                 header: str = "db3", stamp: date = date(2025, 1, 31)):
        self.path = path
        self.fields = tuple(fields)
        version = HEADERS[header]
        memo = [i for i, f in enumerate(self.fields) if f.type == "M"]
        if memo and header != "vfp":
            raise ValueError("memo fields are written for Visual FoxPro tables only")
        if len(memo) > 1:
            raise ValueError("at most one memo field")
        self.reclen = 1 + sum(f.length for f in self.fields)
        headerlen = 32 + 32 * len(self.fields) + 1 + (VFP_BACKLINK if header == "vfp" else 0)
        flags = 0x02 if memo else 0x00
        out = bytearray(struct.pack("<BBBBIHH16xBB2x", version, stamp.year - 1900,
                                    stamp.month, stamp.day, 0, headerlen, self.reclen,
                                    flags, CODEPAGE_1252))
        offset = 1
        for f in self.fields:
            out += struct.pack("<11scIBB14x", f.name.encode("ascii"), f.type.encode("ascii"),
                               offset if header == "vfp" else 0, f.length, f.decimals)
            offset += f.length
        out += b"\r"
        if header == "vfp":
            out += bytes(VFP_BACKLINK)
        assert len(out) == headerlen
        self.file = open(path, "wb", buffering=1 << 20)
        self.file.write(out)
        self.count = 0
        # one format string per stretch of text fields, the memo pointer between them
        index = {name: i for i, name in enumerate(columns)}
        parts: list[list[str]] = [[]]
        self.memo_column = None
        for f in self.fields:
            if f.type == "M":
                self.memo_column = index[f.name]
                parts.append([])
                continue
            i = index.get(f.name)
            if i is None:
                parts[-1].append(" " * f.length)
            elif f.type == "C":
                parts[-1].append(f"{{{i}:<{f.length}.{f.length}}}")
            elif f.type == "N":
                parts[-1].append(f"{{{i}:>{f.length}}}")
            else:  # D L: texts of their exact length
                parts[-1].append(f"{{{i}:{f.length}.{f.length}}}")
        self.formats = ["".join(p) for p in parts]
        self.memo = _FptWriter(path.with_suffix(".fpt")) if memo else None

    def append(self, values: Sequence, deleted: bool = False) -> None:
        """One record; values follow the columns, as texts (numbers already formatted) or
        ints."""
        flag = b"*" if deleted else b" "
        if self.memo is None:
            record = flag + self.formats[0].format(*values).encode("cp1252")
        else:
            pointer = struct.pack("<I", self.memo.add(values[self.memo_column]))
            record = (flag + self.formats[0].format(*values).encode("cp1252") + pointer
                      + self.formats[1].format(*values).encode("cp1252"))
        if len(record) != self.reclen:
            raise ValueError(f"{self.path.name}: a value does not fit its field: {values!r}")
        self.file.write(record)
        self.count += 1

    def close(self) -> None:
        """End of file mark, record count, memo file's next free block."""
        self.file.write(b"\x1a")
        self.file.seek(4)
        self.file.write(struct.pack("<I", self.count))
        self.file.close()
        if self.memo is not None:
            self.memo.close()


class _FptWriter:
    """A FoxPro memo file: a 512-byte header (next free block, block size, big-endian), then
    per memo a block-aligned 8-byte header (type 1 = text, length) and the text."""

    def __init__(self, path: Path, blocksize: int = MEMO_BLOCK):
        self.blocksize = blocksize
        self.file = open(path, "wb", buffering=1 << 20)
        self.file.write(struct.pack(">IHH504x", 0, 0, blocksize))
        self.next = 512 // blocksize

    def add(self, text: str) -> int:
        """Stores a text, returns its block number (0 for an empty text)."""
        if not text:
            return 0
        data = text.encode("cp1252")
        payload = struct.pack(">II", 1, len(data)) + data
        payload += bytes(-len(payload) % self.blocksize)
        block = self.next
        self.file.write(payload)
        self.next += len(payload) // self.blocksize
        return block

    def close(self) -> None:
        self.file.seek(0)
        self.file.write(struct.pack(">I", self.next))
        self.file.close()


class _CsvWriter:
    """A WinBIZ CSV export of a table: a header line of the field names, ';', CP1252, dates
    dd.mm.yyyy, numbers with the given decimal separator; deleted rows are not exported."""

    def __init__(self, path: Path, fields: Sequence[Field], columns: Sequence[str], *,
                 decimal: str = "."):
        self.path = path
        self.fields = tuple(fields)
        index = {name: i for i, name in enumerate(columns)}
        self.plan = [(index.get(f.name), f.type) for f in self.fields]
        self.decimal = decimal
        self.handle = open(path, "w", encoding="cp1252", newline="")
        self.writer = csv.writer(self.handle, delimiter=";", lineterminator="\r\n")
        self.writer.writerow([f.name for f in self.fields])
        self.count = 0

    def append(self, values: Sequence, deleted: bool = False) -> None:
        """One exported row (nothing for a deleted record)."""
        if deleted:
            return
        out = []
        for i, kind in self.plan:
            v = "" if i is None else values[i]
            if kind == "N":
                v = str(v).replace(".", self.decimal)
            elif kind == "D" and v.strip():
                v = f"{v[6:8]}.{v[4:6]}.{v[0:4]}"
            out.append(v)
        self.writer.writerow(out)
        self.count += 1

    def close(self) -> None:
        self.handle.close()


# -- the books --------------------------------------------------------------------------------
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


ECRITURE_COLUMNS = tuple(f.name for f in ECRITURE_FIELDS)
PLAN_COLUMNS = tuple(f.name for f in PLAN_FIELDS)
_CHART_BY_NUMBER = {c[0]: c for c in CHART}


def year_chart(index: int, count: int) -> list[tuple[str, str, str, str, str]]:
    """The plan.dbf rows of the index-th of count fiscal years, in WinBIZ's order (by number
    as text, headings before their accounts): (class, number, fr, de, it, en)."""
    rows = [(n[0], n, fr, "", "", "") for n, fr in GROUPING_ACCOUNTS]
    for number, _kind, fr, de, it, en in CHART:
        if index == 0 and count > 1 and number in LATE_ACCOUNTS:
            continue
        rows.append((number[0], number, fr, de, it, en))
    rows.sort(key=lambda r: r[1])
    return rows


def _plan_values(row) -> tuple:
    classe, number, fr, de, it, en = row
    currency = {"1021": "EUR", "1022": "USD"}.get(number, "")
    vat = {"2200": "TVA-V", "1170": "TVA-A", "1171": "TVA-I"}.get(number, "")
    return (classe, number, fr, de, it, en, currency, vat, "0.00", "0.00", "F", "", "")


class _Books:
    """The bookkeeping of one company, generated entry by entry (a list of rows each)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        rng = self.rng
        self.balances: dict[str, int] = {}
        self.customers = self._firms(48)
        self.foreign = list(demo_data.FOREIGN_FIRMS)
        self.suppliers = [(acct, vat, lo, hi, fr, names)
                          for acct, vat, lo, hi, fr, _de, names
                          in demo_data.PURCHASES["services"]]
        self.articles = list(demo_data.ARTICLES["Groupe Helvetia"])
        self.employees = [f"{rng.choice(demo_data.FIRST_NAMES[lang])} "
                          f"{rng.choice(demo_data.LAST_NAMES[lang])}"
                          for lang in ("fr", "fr", "de", "fr", "it", "de", "fr")]
        templates = [
            (self.sale, 20), (self.customer_payment, 14), (self.purchase, 17),
            (self.supplier_payment, 11), (self.wages, 2.5), (self.employer_charges, 1),
            (self.social_payment, 1.5), (self.rent, 2.5), (self.bank_fees, 3),
            (self.transfer, 3), (self.cash_sales, 3), (self.accommodation, 1),
            (self.eur_invoice, 2), (self.eur_payment, 2), (self.usd_purchase, 1),
            (self.usd_payment, 1), (self.buy_usd, 1), (self.eur_batch_payment, 1),
            (self.eur_to_chf, 0.6),
            (self.credit_note, 1), (self.reversal, 2), (self.asset_purchase, 0.7),
            (self.exchange_difference, 0.8), (self.inventory, 0.5),
        ]
        self.templates = [t for t, _ in templates]
        self.cumulative = []
        total = 0.0
        for _, w in templates:
            total += w
            self.cumulative.append(total)
        self.total_weight = total

    def _firms(self, count: int) -> list[str]:
        rng = self.rng
        out = []
        for _ in range(count):
            lang = rng.choice(("fr", "fr", "fr", "de", "de", "it"))
            pattern = rng.choice(demo_data.FIRM_PATTERNS[lang])
            city = rng.choice(demo_data.CITIES[lang])[1]
            out.append(pattern.format(L=rng.choice(demo_data.LAST_NAMES[lang]), C=city))
        return out

    # -- one fiscal year --------------------------------------------------------------------
    def year(self, fy: FiscalYear, chart: set[str], budget: int,
             first: bool) -> Iterator[list[Row]]:
        """The entries of one fiscal year, about budget lines, in stored order, deleted rows
        included (the writer leaves them out when asked to)."""
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
        self.quarter = (fy.start.year, (fy.start.month - 1) // 3)
        yield self.opening(first)
        forced = [self.sale_pairs, self.stale, self.purchase_split, self.purchase_pairs,
                  self.sale_split, self.customer_payment, self.supplier_payment, self.rent,
                  self.wages, self.employer_charges, self.eur_invoice, self.eur_payment,
                  self.usd_purchase, self.eur_batch_payment, self.reversal_negative,
                  self.reversal_swap, self.credit_note, self.asset_purchase,
                  self.accommodation, self.cash_sales, self.membership, self.business_meal]
        reserve = 24
        for template in forced:
            yield from self._dated(template)
        rng = self.rng
        while self.done < self.budget - reserve:
            k = bisect.bisect(self.cumulative, rng.random() * self.total_weight)
            yield from self._dated(self.templates[min(k, len(self.templates) - 1)])
            if rng.random() < 0.015:
                yield self.stale(self.today())
        end = fy.end
        statement = self.vat_statement(end)
        if statement:
            yield statement
        yield self.inventory(end)
        depreciation = self.depreciation(end)
        if depreciation:
            yield depreciation
        yield self.closing(end)

    def _dated(self, template: Callable) -> Iterator[list[Row]]:
        day = self.today()
        quarter = (day.year, (day.month - 1) // 3)
        if quarter != self.quarter:
            year, month_after = self.quarter[0], self.quarter[1] * 3 + 4
            if month_after > 12:
                year, month_after = year + 1, month_after - 12
            self.quarter = quarter
            statement = self.vat_statement(date(year, month_after, 1) - timedelta(1))
            if statement:
                yield statement
            due = -self.balances.get("2201", 0)
            if due > 0:
                yield self.pairs("d", day, self.piece("P", day),
                                 "Paiement TVA à l'Administration fédérale des contributions",
                                 [("2201", "1020", due)])
        rows = template(day)
        if rows:
            yield rows

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

    # -- entry templates ------------------------------------------------------------------------
    def opening(self, first: bool) -> list[Row]:
        """The opening entry (journal o) on the first day: the first year's balances made
        up, later years' carried forward from the balance sheet accounts, the difference
        on 2970 (retained earnings)."""
        day = self.fy.start
        if first:
            rng = self.rng
            seed = {"1000": self.amount(800, 4000), "1010": self.amount(5000, 40000),
                    "1020": self.amount(60000, 300000), "1021": self.amount(8000, 40000),
                    "1100": self.amount(20000, 120000), "1200": self.amount(5000, 30000),
                    "1510": self.amount(15000, 60000), "1520": self.amount(8000, 35000),
                    "1530": self.amount(20000, 70000),
                    "2000": -self.amount(15000, 60000), "2200": -self.amount(4000, 15000),
                    "2800": -100_000_00, "2950": -rng.choice((20_000_00, 50_000_00))}
        else:
            seed = {a: b for a, b in sorted(self.balances.items())
                    if a[0] in "12" and a not in ("2970", "2979") and b}
        self.balances = {}
        seed["2970"] = -sum(seed.values())
        details = [(a, "D", b) if b > 0 else (a, "C", -b)
                   for a, b in sorted(seed.items()) if b]
        return self.split("o", day, self.piece("OUV", day),
                          f"Bilan d'ouverture au {day:%d.%m.%Y}", details)

    def sale(self, day: date) -> list[Row]:
        return (self.sale_split if self.rng.random() < 0.5 else self.sale_pairs)(day)

    def _sale_data(self, day: date):
        rng = self.rng
        _code, unit, price, kind, account, fr = rng.choice(self.articles)[:6]
        qty = rng.randint(1, 40) if price < 50000 else rng.randint(1, 4)
        net = price * qty
        rate = self.vat_rate(kind, day)
        customer = rng.choice(self.customers)
        piece = self.piece("V", day)
        style = rng.randrange(4)
        if style == 0:
            label = f"Facture {piece} {customer}, {fr} {qty} {unit}"
        elif style == 1:
            label = f"Facture {piece} « {customer} » – {fr}"
        else:
            label = f"Facture {piece} {customer}"
        return account, net, rate, self.vat(net, rate), piece, label[:100].rstrip()

    def sale_split(self, day: date) -> list[Row]:
        """A sales invoice as a split entry: 1100 debited with the total, the revenue and
        the output VAT (2200) credited."""
        account, net, _rate, vat, piece, label = self._sale_data(day)
        return self.split("v", day, piece, label,
                          [("1100", "D", net + vat), (account, "C", net), ("2200", "C", vat)])

    def sale_pairs(self, day: date) -> list[Row]:
        """A sales invoice as two two-account rows: net to revenue, VAT to 2200."""
        account, net, rate, vat, piece, label = self._sale_data(day)
        return self.pairs("v", day, piece, label,
                          [("1100", account, net, "", 0, 0, rate, vat),
                           ("1100", "2200", vat, "", 0, 0, rate, 0)])

    def credit_note(self, day: date) -> list[Row]:
        """A credit note: a sales invoice with negative amounts (moving the other way)."""
        account, net, rate, vat, piece, label = self._sale_data(day)
        net, vat = -(net // 4 // 5 * 5 or 5), -self.vat(net // 4 // 5 * 5 or 5, rate)
        label = ("Note de crédit" + label[7:])[:100].rstrip()
        return self.pairs("v", day, piece, label,
                          [("1100", account, net, "", 0, 0, rate, vat),
                           ("1100", "2200", vat, "", 0, 0, rate, 0)])

    def accommodation(self, day: date) -> list[Row]:
        """Accommodation billed at the special rate (3.7 % / 3.8 %)."""
        rng = self.rng
        nights = rng.randint(1, 6)
        net = nights * 14000
        rate = self.vat_rate("H", day)
        piece = self.piece("V", day)
        customer = rng.choice(self.customers)
        label = f"Facture {piece} {customer}, hébergement {nights} nuit(s)"[:100].rstrip()
        return self.split("v", day, piece, label,
                          [("1100", "D", net + self.vat(net, rate)), ("3400", "C", net),
                           ("2200", "C", self.vat(net, rate))])

    def cash_sales(self, day: date) -> list[Row]:
        """The day's cash sales at the reduced rate (2.5 % / 2.6 %) and the normal rate."""
        reduced = self.amount(80, 900)
        normal = self.amount(20, 300)
        vr = self.vat(reduced, self.vat_rate("R", day))
        vn = self.vat(normal, self.vat_rate("N", day))
        return self.split("v", day, self.piece("CA", day),
                          f"Ventes au comptant du {day:%d.%m.%Y} (café, fournitures)",
                          [("1000", "D", reduced + normal + vr + vn), ("3200", "C", reduced),
                           ("3400", "C", normal), ("2200", "C", vr + vn)])

    def settled(self, account: str, share_lo: float, share_hi: float, lo: float,
                hi: float) -> int:
        """A payment settling a share of what the account holds (debit balance of an asset,
        credit balance of a liability), else an amount between lo and hi CHF."""
        held = self.balances.get(account, 0) * (1 if account[0] == "1" else -1)
        amount = int(max(held, 0) * self.rng.uniform(share_lo, share_hi)) // 5 * 5
        return amount if amount >= 500 else self.amount(lo, hi)

    def customer_payment(self, day: date) -> list[Row]:
        rng = self.rng
        bank = "1020" if rng.random() < 0.8 else "1010"
        piece = f"V{day.year % 100:02d}-{rng.randint(1, max(1, self.pieces.get('V', 1))):04d}"
        return self.pairs("d", day, piece,
                          f"Paiement facture {piece} {rng.choice(self.customers)}"[:100],
                          [(bank, "1100", self.settled("1100", 0.02, 0.08, 100, 5000))])

    def _purchase_data(self, day: date):
        rng = self.rng
        account, kind, lo, hi, fr, names = rng.choice(self.suppliers)
        net = self.amount(lo, hi)
        rate = self.vat_rate(kind, day) if kind else 0
        piece = self.piece("A", day)
        label = f"{rng.choice(names)}: {fr.lower()}"[:100].rstrip()
        return account, net, rate, self.vat(net, rate) if rate else 0, piece, label

    def purchase(self, day: date) -> list[Row]:
        return (self.purchase_split if self.rng.random() < 0.5 else self.purchase_pairs)(day)

    def purchase_split(self, day: date) -> list[Row]:
        """A supplier invoice as a split entry: expense and input VAT (1170) debited, 2000
        credited with the total."""
        account, net, _rate, vat, piece, label = self._purchase_data(day)
        details = [(account, "D", net)] + ([("1170", "D", vat)] if vat else [])
        return self.split("a", day, piece, label, details + [("2000", "C", net + vat)])

    def purchase_pairs(self, day: date) -> list[Row]:
        """A supplier invoice as two-account rows."""
        account, net, rate, vat, piece, label = self._purchase_data(day)
        pairs = [(account, "2000", net, "", 0, 0, rate, vat)]
        if vat:
            pairs.append(("1170", "2000", vat, "", 0, 0, rate, 0))
        return self.pairs("a", day, piece, label, pairs)

    def supplier_payment(self, day: date) -> list[Row]:
        rng = self.rng
        name = rng.choice(rng.choice(self.suppliers)[5])
        return self.pairs("d", day, self.piece("P", day),
                          f"Paiement fournisseur {name}"[:100],
                          [("2000", "1020", self.settled("2000", 0.05, 0.15, 50, 3000))])

    def wages(self, day: date) -> list[Row]:
        """A monthly salary as a split entry: gross on 5000, employee contributions, source
        tax sometimes, expenses, the net salary paid from the bank."""
        rng = self.rng
        employee = rng.choice(self.employees)
        gross = self.amount(4200, 11800)
        avs = (gross * 53 + 500) // 1000  # AVS/AI/APG 5.3 %
        ac = (gross * 11 + 500) // 1000  # AC 1.1 %
        lpp = (gross * rng.randint(35, 75) + 500) // 1000
        details = [("5000", "D", gross)]
        expenses = rng.choice((0, 0, 15000, 25000))
        if expenses:
            details.append(("5830", "D", expenses))
        details += [("2270", "C", avs + ac), ("2270", "C", lpp)]
        source = (gross * 8 + 50) // 100 if rng.random() < 0.2 else 0
        if source:
            details.append(("2279", "C", source))
        details.append(("1020", "C", gross + expenses - avs - ac - lpp - source))
        month = demo_data.MONTHS["fr"][day.month - 1]
        return self.split("s", day, self.piece("S", day),
                          f"Salaire {month} {day.year} – {employee}", details)

    def employer_charges(self, day: date) -> list[Row]:
        """The employer's social contributions of the month, a split entry."""
        base = self.amount(20000, 60000)
        avs = (base * 64 + 500) // 1000
        lpp = (base * 60 + 500) // 1000
        laa = (base * 8 + 500) // 1000
        month = demo_data.MONTHS["fr"][day.month - 1]
        return self.split("s", day, self.piece("S", day),
                          f"Charges sociales part patronale {month} {day.year}",
                          [("5700", "D", avs), ("5720", "D", lpp), ("5730", "D", laa),
                           ("2270", "C", avs + lpp + laa)])

    def social_payment(self, day: date) -> list[Row]:
        return self.pairs("d", day, self.piece("P", day),
                          "Paiement AVS / caisse de compensation",
                          [("2270", "1020", self.settled("2270", 0.4, 0.8, 1000, 8000))])

    def rent(self, day: date) -> list[Row]:
        rng = self.rng
        label = (f"Loyer bureaux; charges \"PPE\" comprises {day:%m.%Y}" if rng.random() < 0.3
                 else f"Loyer des locaux {demo_data.MONTHS['fr'][day.month - 1]} {day.year}")
        return self.pairs("d", day, self.piece("P", day), label,
                          [("6000", "1020", rng.choice((3200_00, 3450_00, 4100_00)))])

    def membership(self, day: date) -> list[Row]:
        """A yearly membership fee (6520)."""
        piece = self.piece("P", day)
        return self.pairs("d", day, piece,
                          f"Cotisation {day.year} « Gewerbe- und Händlerverein Köniz », "
                          f"reçu n° {piece[-4:]}", [("6520", "1020", 45000)])

    def business_meal(self, day: date) -> list[Row]:
        """A business meal (6660) on account."""
        return self.pairs("a", day, self.piece("A", day),
                          "Repas d'affaires à Genève – Brasserie « Crème & Bœuf »",
                          [("6660", "2000", self.amount(80, 400))])

    def bank_fees(self, day: date) -> list[Row]:
        return self.pairs("d", day, "", "Frais bancaires et de tenue de compte",
                          [("6940", "1020", self.amount(2, 80))])

    def transfer(self, day: date) -> list[Row]:
        if self.rng.random() < 0.5:
            return self.pairs("d", day, "", "Virement du compte postal à la banque",
                              [("1020", "1010", self.settled("1010", 0.4, 0.8, 500, 5000))])
        return self.pairs("d", day, "", "Versement de la caisse à la banque",
                          [("1020", "1000", self.settled("1000", 0.5, 0.8, 100, 1000))])

    def _fx(self, currency: str, day: date, lo: float, hi: float) -> tuple[int, int, int]:
        fc = self.amount(lo, hi)
        rate = self.fx_rate(currency, day)
        return (fc * rate + 500_000) // 1_000_000, rate, fc

    def eur_invoice(self, day: date) -> list[Row]:
        """An export invoice in EUR (no VAT): 1100 / 3400 with the currency's amount."""
        name = self.rng.choice(self.foreign)[0]
        chf, rate, fc = self._fx("EUR", day, 400, 25000)
        piece = self.piece("V", day)
        return self.pairs("v", day, piece, f"Facture {piece} {name} {cents_text(fc)} €",
                          [("1100", "3400", chf, "EUR", rate, fc)])

    def eur_payment(self, day: date) -> list[Row]:
        """A customer's payment received on the EUR account."""
        name = self.rng.choice(self.foreign)[0]
        chf, rate, fc = self._fx("EUR", day, 400, 25000)
        return self.pairs("d", day, "", f"Encaissement {name} {cents_text(fc)} €",
                          [("1021", "1100", chf, "EUR", rate, fc)])

    def eur_to_chf(self, day: date) -> list[Row]:
        """EUR changed into CHF: a share of the EUR account moved to the bank."""
        rate = self.fx_rate("EUR", day)
        chf = self.settled("1021", 0.3, 0.6, 500, 5000)
        fc = chf * 1_000_000 // rate
        chf = (fc * rate + 500_000) // 1_000_000
        return self.pairs("d", day, "", f"Change EUR {cents_text(fc)} € en CHF",
                          [("1020", "1021", chf, "EUR", rate, fc)])

    def eur_batch_payment(self, day: date) -> list[Row]:
        """Two EUR suppliers paid at once: a split entry whose credit row carries the
        currency."""
        chf, rate, fc = self._fx("EUR", day, 500, 8000)
        first = chf // 3 // 5 * 5 or 5
        return self.split("d", day, self.piece("P", day),
                          f"Paiement groupé fournisseurs EUR {cents_text(fc)} €",
                          [("2000", "D", first), ("2000", "D", chf - first),
                           ("1021", "C", chf, "EUR", rate, fc)])

    def usd_purchase(self, day: date) -> list[Row] | None:
        """A software licence billed in USD."""
        if "1022" not in self.chart:
            return None
        rng = self.rng
        name = rng.choice([n for n, c in demo_data.FOREIGN_SUPPLIERS if c == "USD"])
        chf, rate, fc = self._fx("USD", day, 50, 3000)
        return self.pairs("a", day, self.piece("A", day),
                          f"{name}: licence logicielle USD {cents_text(fc)}",
                          [("6570", "2000", chf, "USD", rate, fc)])

    def usd_payment(self, day: date) -> list[Row] | None:
        if "1022" not in self.chart:
            return None
        chf, rate, fc = self._fx("USD", day, 50, 3000)
        return self.pairs("d", day, "", f"Paiement Northwind Software Inc. USD {cents_text(fc)}",
                          [("2000", "1022", chf, "USD", rate, fc)])

    def buy_usd(self, day: date) -> list[Row] | None:
        if "1022" not in self.chart:
            return None
        chf, rate, fc = self._fx("USD", day, 200, 2500)
        return self.pairs("d", day, "", "Achat de devises USD",
                          [("1022", "1020", chf, "USD", rate, fc)])

    def exchange_difference(self, day: date) -> list[Row]:
        if self.rng.random() < 0.5:
            return self.pairs("d", day, "", "Différence de change EUR",
                              [("3806", "1021", self.amount(1, 300))])
        return self.pairs("d", day, "", "Différence de change EUR",
                          [("1021", "3806", self.amount(1, 300))])

    def reversal(self, day: date) -> list[Row] | None:
        return (self.reversal_negative if self.rng.random() < 0.5 else self.reversal_swap)(day)

    def reversal_negative(self, day: date) -> list[Row] | None:
        """A reversal (journal x) as the same accounts with a negative amount."""
        if not self.reversible:
            return None
        r = self.reversible.popleft()
        return self.pairs("x", day, r.piece, f"Extourne: {r.label}"[:100].rstrip(),
                          [(r.debit, r.credit, -r.amount)])

    def reversal_swap(self, day: date) -> list[Row] | None:
        """A reversal (journal x) as the accounts swapped."""
        if not self.reversible:
            return None
        r = self.reversible.pop()
        return self.pairs("x", day, r.piece, f"Annulation: {r.label}"[:100].rstrip(),
                          [(r.credit, r.debit, r.amount)])

    def asset_purchase(self, day: date) -> list[Row]:
        """An investment (journal m): IT equipment with input VAT on investments (1171)."""
        net = self.amount(1500, 12000)
        vat = self.vat(net, self.vat_rate("N", day))
        return self.split("m", day, self.piece("A", day),
                          "Informatique Clerc Sàrl: serveur et postes de travail",
                          [("1520", "D", net), ("1171", "D", vat), ("2000", "C", net + vat)])

    def inventory(self, day: date) -> list[Row]:
        """The change in merchandise stock (journal i)."""
        if self.rng.random() < 0.5:
            return self.pairs("i", day, self.piece("INV", day), "Variation des stocks",
                              [("1200", "4208", self.amount(200, 8000))])
        return self.pairs("i", day, self.piece("INV", day), "Variation des stocks",
                          [("4208", "1200", self.amount(200, 8000))])

    def vat_statement(self, day: date) -> list[Row] | None:
        """The quarter's VAT statement (split): output VAT (2200) against input VAT (1170,
        1171), the difference on 2201."""
        out, inp, inv = (self.balances.get(a, 0) for a in ("2200", "1170", "1171"))
        details = []
        if out < 0:
            details.append(("2200", "D", -out))
        if inp > 0:
            details.append(("1170", "C", inp))
        if inv > 0:
            details.append(("1171", "C", inv))
        net = sum(d[2] if d[1] == "D" else -d[2] for d in details)
        if net:
            details.append(("2201", "C", net) if net > 0 else ("2201", "D", -net))
        if len(details) < 2:
            return None
        return self.split("d", day, self.piece("TVA", day),
                          f"Décompte TVA au {day:%d.%m.%Y}", details)

    def depreciation(self, day: date) -> list[Row] | None:
        """Depreciation of the fixed assets (journal m), one row per asset."""
        pairs = []
        for account, rate in (("1510", 10), ("1520", 25), ("1530", 20)):
            balance = self.balances.get(account, 0)
            amount = balance * rate // 100 // 5 * 5
            if amount > 0:
                pairs.append(("6800", account, amount))
        if not pairs:
            return None
        return self.pairs("m", day, self.piece("AM", day), "Amortissements de l'exercice",
                          pairs)

    def closing(self, day: date) -> list[Row]:
        """The year's result (journal b): 9200 against 2979."""
        result = -sum(b for a, b in self.balances.items() if a[0] in "345678")
        if result >= 0:
            pair = ("9200", "2979", result or 5)
        else:
            pair = ("2979", "9200", -result)
        return self.pairs("b", day, self.piece("B", day), "Bénéfice / perte de l'exercice",
                          [pair])


def _ecriture_values(row: Row, dates: dict[date, str]) -> tuple:
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


# -- public writers ---------------------------------------------------------------------------
def _write_books(expected: Expected, years, lines: int, seed: int, keep_entries: bool | None,
                 open_table: Callable[[Path, str, int], object], root: Path,
                 with_deleted: bool) -> Expected:
    """The books generated by seed, written year by year through open_table(folder,
    table name, year index); Expected filled from the rows."""
    specs = fiscal_years(years)
    if keep_entries is None:
        keep_entries = lines <= SMALL_FIXTURE
    books = _Books(seed)
    acc = _Accumulator(expected, keep_entries)
    per_year = lines // len(specs)
    dates: dict[date, str] = {}
    for index, fy in enumerate(specs):
        folder = root / fy.name
        folder.mkdir(parents=True, exist_ok=True)
        plan_rows = year_chart(index, len(specs))
        chart = {r[1]: (r[2], account_kind(r[1])) for r in plan_rows if not is_grouping(r[1])}
        acc.start_year(fy.name, fy.start, fy.end, chart,
                       sum(1 for r in plan_rows if is_grouping(r[1])))
        plan = open_table(folder, "plan", index)
        for r in plan_rows:
            plan.append(_plan_values(r))
            if with_deleted and r[1] in DELETED_PLAN_RECORDS:
                number, stale = DELETED_PLAN_RECORDS[r[1]]
                plan.append(_plan_values((number[0], number, stale, "", "", "")), deleted=True)
        plan.close()
        table = open_table(folder, "ecriture", index)
        budget = per_year if index < len(specs) - 1 else lines - per_year * index
        append = table.append
        for rows in books.year(fy, set(chart), budget, index == 0):
            if not with_deleted:
                rows = [r for r in rows if not r.deleted]
            acc.add(rows)
            for row in rows:
                append(_ecriture_values(row, dates), row.deleted)
        table.close()
    return expected


def write_company(folder: Path, *, name: str = "Muster Treuhand AG",
                  years: Sequence = (2022, 2023, 2024), lines: int = 3000,
                  header: str = "db3", memo: bool = False, seed: int = 1,
                  deleted: bool = True, dossier: str = "MUSTER",
                  keep_entries: bool | None = None,
                  ecriture_fields: Sequence[Field] | None = None) -> Expected:
    """Writes a WinBIZ data folder folder/DAT/<dossier>/: dos_info.dbf and per fiscal year
    <year>/plan.dbf and <year>/ecriture.dbf (header "db3": dBase III, first byte 0x03; "vfp":
    Visual FoxPro, 0x30; memo=True, VFP only: LIBELLE a memo in ecriture.fpt). About lines
    entry lines over all years (at least about 60 per year), deleted records with wrong data
    sprinkled in unless deleted=False. Years: calendar years or (folder name, first day)
    pairs. Returns what a correct import produces, with the entries themselves when
    keep_entries (default: for up to 20,000 lines). ecriture_fields: another field list for
    ecriture.dbf (a field not in ECRITURE_FIELDS is left blank, one left out is absent)."""
    if header not in HEADERS:
        raise ValueError(f"header is one of {sorted(HEADERS)}")
    if memo and header != "vfp":
        raise ValueError("memo=True needs header='vfp' (FoxPro memo file)")
    root = Path(folder) / "DAT" / dossier
    root.mkdir(parents=True, exist_ok=True)
    specs = fiscal_years(years)
    stamp = specs[-1].end + timedelta(days=31)
    _write_dos_info(root / "dos_info.dbf", name, dossier, header, stamp)
    fields = list(ecriture_fields or ECRITURE_FIELDS)
    if memo:
        fields = [Field("LIBELLE", "M", 4) if f.name == "LIBELLE" else f for f in fields]

    def open_table(year_folder: Path, table: str, index: int):
        if table == "plan":
            return _DbfWriter(year_folder / "plan.dbf", PLAN_FIELDS, PLAN_COLUMNS,
                              header=header, stamp=stamp)
        return _DbfWriter(year_folder / "ecriture.dbf", fields, ECRITURE_COLUMNS,
                          header=header, stamp=stamp)

    expected = Expected(name, root)
    return _write_books(expected, years, lines, seed, keep_entries, open_table, root, deleted)


def write_csv_exports(folder: Path, *, name: str = "Muster Treuhand AG",
                      years: Sequence = (2022, 2023, 2024), lines: int = 3000, seed: int = 1,
                      decimal: str | None = None, flat: bool = False,
                      keep_entries: bool | None = None) -> Expected:
    """Writes the same books as write_company (same seed, same entries) as WinBIZ's CSV
    exports: folder/<year>/plan.csv and ecriture.csv (flat=True, one year only: both files in
    folder itself, the fiscal year then named by the folder). Decimal separator: decimal, or
    by default "," for the first, third… year and "." for the others. The company's name is
    not in CSV exports (the import's --company gives it)."""
    folder = Path(folder)
    specs = fiscal_years(years)
    if flat:
        if len(specs) != 1:
            raise ValueError("flat=True writes one fiscal year")
        specs = [FiscalYear(folder.name, specs[0].start, specs[0].end)]
        years = [(folder.name, specs[0].start)]

    def open_table(year_folder: Path, table: str, index: int):
        sep = decimal or ("," if index % 2 == 0 else ".")
        target = folder if flat else year_folder
        fields = PLAN_FIELDS if table == "plan" else ECRITURE_FIELDS
        columns = PLAN_COLUMNS if table == "plan" else ECRITURE_COLUMNS
        return _CsvWriter(target / f"{table}.csv", fields, columns, decimal=sep)

    root = folder.parent if flat else folder
    folder.mkdir(parents=True, exist_ok=True)
    expected = Expected(name, folder)
    return _write_books(expected, years, lines, seed, keep_entries, open_table, root, False)


def _write_dos_info(path: Path, name: str, dossier: str, header: str, stamp: date) -> None:
    """dos_info.dbf: a code of up to 10 characters, then the name (dBase III variant: in a
    field not named DOS_NOM, right after the code; VFP: in DOS_NOM, after the street). A
    second record, another dossier, tells a reader that takes the wrong record."""
    fields = DOS_INFO_VFP_FIELDS if header == "vfp" else DOS_INFO_DB3_FIELDS
    columns = ("DOS_CODE", "DOS_RAISON", "DOS_NOM", "DOS_RUE", "DOS_NPA", "DOS_LOCAL",
               "DOS_MONNAI", "DOS_IDE")
    table = _DbfWriter(path, fields, columns, header=header, stamp=stamp)
    table.append((dossier[:10], name, name, "Rue du Grand-Chêne 8", "1003", "Lausanne", "CHF",
                  uid_number(11_628_171) + " TVA"))
    table.append(("MODELE", "Société modèle SA", "Société modèle SA", "Bahnhofstrasse 1",
                  "8001", "Zürich", "CHF", ""))
    table.close()


def uid_number(digits8: int) -> str:
    """A Swiss UID (CHE-123.456.789) from 8 digits and its mod-11 check digit (the next
    8-digit number when the check would be 10)."""
    while True:
        d = f"{digits8:08d}"
        weights = (5, 4, 3, 2, 7, 6, 5, 4)
        check = 11 - sum(int(c) * w for c, w in zip(d, weights, strict=True)) % 11
        if check == 11:
            check = 0
        if check != 10:
            n = d + str(check)
            return f"CHE-{n[0:3]}.{n[3:6]}.{n[6:9]}"
        digits8 += 1


# -- zips and backups ---------------------------------------------------------------------------
ZIP_TIME = (2025, 1, 31, 17, 30, 0)


def zip_folder(folder: Path, zip_path: Path, prefix: str = "",
               directories: bool = True) -> Path:
    """Zips folder's content into zip_path (deflated, deterministic: sorted names, fixed
    times), member names prefix + the path relative to folder (prefix "a/b/" puts the data
    at that depth); with directory entries unless directories=False."""
    folder = Path(folder)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_dir():
                if directories:
                    info = zipfile.ZipInfo(prefix + rel + "/", ZIP_TIME)
                    info.external_attr = (0o40755 << 16) | 0x10
                    z.writestr(info, b"")
                continue
            info = zipfile.ZipInfo(prefix + rel, ZIP_TIME)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, z.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    return Path(zip_path)


def write_company_zip(zip_path: Path, *, prefix: str = "", **company) -> Expected:
    """A company (write_company's arguments) zipped; Expected.source is the zip."""
    with tempfile.TemporaryDirectory() as tmp:
        expected = write_company(Path(tmp), **company)
        zip_folder(Path(tmp), zip_path, prefix)
    expected.source = Path(zip_path)
    return expected


def write_wb_backup_zip(path: Path, *, prefix: str = "WinBIZ/Sauvegarde/",
                        **company) -> Expected:
    """A .wb_backup that is a zip container holding a data folder (at prefix/DAT/...)."""
    return write_company_zip(path, prefix=prefix, **company)


WB_BACKUP_KINDS = {
    "7z": "a 7-Zip signature followed by junk",
    "gzip": "gzip-compressed junk",
    "rar": "a RAR 5 signature followed by junk",
    "random": "64 KiB of random (high-entropy) bytes",
    "empty": "no bytes at all",
    "zip_without_data": "a valid zip holding no DBF table (a readme and an ini file)",
}


def write_wb_backup_unknown(path: Path, kind: str, seed: int = 1) -> Path:
    """A .wb_backup the import must refuse: "7z" (7-Zip signature then junk), "gzip", "rar",
    "random" (high-entropy bytes), "empty" (0 bytes), "zip_without_data" (a valid zip with no
    DBF table in it)."""
    rng = random.Random(seed)
    junk = rng.randbytes(4096)
    if kind == "7z":
        data = b"7z\xbc\xaf\x27\x1c\x00\x04" + junk
    elif kind == "gzip":
        data = gzip.compress(b"WinBIZ 9.0 backup\0" + junk, mtime=0)
    elif kind == "rar":
        data = b"Rar!\x1a\x07\x01\x00" + junk
    elif kind == "random":
        data = rng.randbytes(64 * 1024)
    elif kind == "empty":
        data = b""
    elif kind == "zip_without_data":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(zipfile.ZipInfo("LISEZMOI.txt", ZIP_TIME),
                       "Sauvegarde WinBIZ — aucune donnée.\r\n".encode("cp1252"))
            z.writestr(zipfile.ZipInfo("config/winbiz.ini", ZIP_TIME), b"[WinBIZ]\r\n")
        return Path(path)
    else:
        raise ValueError(f"kind is one of {sorted(WB_BACKUP_KINDS)}")
    Path(path).write_bytes(data)
    return Path(path)


# -- reading and breaking tables (for the hostile variants) -------------------------------------
class TableLayout(NamedTuple):
    """A DBF header as stored: version byte, record count, header and record lengths, and
    each field's (offset in the record, length, type)."""

    version: int
    count: int
    headerlen: int
    reclen: int
    fields: dict[str, tuple[int, int, str]]


def table_layout(path: Path) -> TableLayout:
    """Reads a DBF header."""
    with open(path, "rb") as f:
        head = f.read(32)
        version, count, headerlen, reclen = (head[0], *struct.unpack("<IHH", head[4:12]))
        fields: dict[str, tuple[int, int, str]] = {}
        offset = 1
        while True:
            d = f.read(32)
            if not d or d[0] == 0x0D:
                break
            name = d[:11].split(b"\0")[0].decode("ascii")
            fields[name] = (offset, d[16], chr(d[11]))
            offset += d[16]
    return TableLayout(version, count, headerlen, reclen, fields)


def stored_records(path: Path) -> list[tuple[int, bool, dict[str, str]]]:
    """Every record as stored (1-based number, deleted, text of each non-memo field,
    stripped): for locating what a variant breaks in a small table."""
    layout = table_layout(path)
    data = Path(path).read_bytes()
    out = []
    for i in range(layout.count):
        start = layout.headerlen + i * layout.reclen
        rec = data[start:start + layout.reclen]
        values = {name: rec[o:o + n].decode("cp1252").strip()
                  for name, (o, n, t) in layout.fields.items() if t != "M"}
        out.append((i + 1, rec[:1] == b"*", values))
    return out


def patch_field(path: Path, record: int, name: str, value: str | bytes) -> None:
    """Overwrites one field of one stored record (1-based): a text is right-aligned for N
    fields, left-aligned otherwise, and must fit; bytes are written as they are."""
    layout = table_layout(path)
    offset, length, kind = layout.fields[name]
    if isinstance(value, str):
        value = (value.rjust(length) if kind == "N" else value.ljust(length)).encode("cp1252")
    if len(value) != length:
        raise ValueError(f"{value!r} does not fit {name} ({length})")
    with open(path, "r+b") as f:
        f.seek(layout.headerlen + (record - 1) * layout.reclen + offset)
        f.write(value)


def rewrite_table(path: Path, fields: Callable[[list[Field]], list[Field]],
                  pad: int = 0, declared_reclen: int | None = None) -> None:
    """Rewrites a table with other fields (fields(old) gives the new list; a field keeps its
    bytes, right-aligned when widened, a new one is blank), each record padded with pad
    spaces and the header's record length set to declared_reclen when given."""
    layout = table_layout(path)
    data = Path(path).read_bytes()
    old = [Field(n, t, ln) for n, (o, ln, t) in layout.fields.items()]
    raw = data[32:32 + 32 * len(old)]
    decimals = {f.name: raw[i * 32 + 17] for i, f in enumerate(old)}
    new = fields([f._replace(decimals=decimals[f.name]) for f in old])
    vfp = layout.version != 0x03
    reclen = 1 + sum(f.length for f in new) + pad
    headerlen = 32 + 32 * len(new) + 1 + (VFP_BACKLINK if vfp else 0)
    out = bytearray(data[:32])
    struct.pack_into("<HH", out, 8, headerlen, declared_reclen or reclen)
    offset = 1
    for f in new:
        out += struct.pack("<11scIBB14x", f.name.encode("ascii"), f.type.encode("ascii"),
                           offset if vfp else 0, f.length, f.decimals)
        offset += f.length
    out += b"\r" + (bytes(VFP_BACKLINK) if vfp else b"")
    for i in range(layout.count):
        rec = data[layout.headerlen + i * layout.reclen:][:layout.reclen]
        out += rec[:1]
        for f in new:
            if f.name in layout.fields:
                o, n, _t = layout.fields[f.name]
                value = rec[o:o + n]
                out += value.rjust(f.length) if f.type == "N" else value.ljust(f.length)
            else:
                out += b" " * f.length
        out += b" " * pad
    out += b"\x1a"
    Path(path).write_bytes(bytes(out))


def _set_zip_size(zip_path: Path, member: str, size: int) -> None:
    """Makes the zip lie about a member's uncompressed size, in its local header and its
    central directory entry alike."""
    with zipfile.ZipFile(zip_path) as z:
        info = z.getinfo(member)
    data = bytearray(Path(zip_path).read_bytes())
    local = info.header_offset
    assert data[local:local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local + 22, size)
    encoded = member.encode("utf-8")
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46:pos + 46 + name_len]) == encoded:
            struct.pack_into("<I", data, pos + 24, size)
            break
        pos = data.find(b"PK\x01\x02", pos + 46)
    else:
        raise ValueError(f"{member} not in the central directory")
    Path(zip_path).write_bytes(bytes(data))


# -- hostile variants ---------------------------------------------------------------------------
@dataclass
class Hostile:
    """A source the import must refuse: what it breaks, where the refusal sentence must
    point (strings it must contain: the file's name, and when it applies the record's
    number, 1-based as stored with deleted records counted, and the field's name). For a
    CSV export, a record is a data line (the header line is not counted: record 1 is the
    file's second line); for an entry-level refusal (unbalanced), record is the entry's
    first stored record."""

    id: str
    description: str
    path: Path
    where: tuple[str, ...]
    file: Path | str | None = None  # the broken file (a member's name for zips)
    record: int | None = None
    field: str | None = None


BASE_YEARS = (2023, 2024)
BASE_LINES = 240
BASE_SEED = 11


def _single_row_entries(path: Path, journal: str | None = None) -> list[tuple[int, dict]]:
    """Live records that are an entry by themselves (one two-account row), in stored order."""
    records = [r for r in stored_records(path) if not r[1]]
    counts: dict[str, int] = {}
    for _, _, v in records:
        counts[v["ECR_NUMERO"]] = counts.get(v["ECR_NUMERO"], 0) + 1
    return [(n, v) for n, _, v in records
            if counts[v["ECR_NUMERO"]] == 1 and v["CPT_DEBIT"] and v["CPT_CREDIT"]
            and (journal is None or v["JOURNAL"] == journal)]


def _entry_records(path: Path, number: str) -> list[tuple[int, dict]]:
    return [(n, v) for n, deleted, v in stored_records(path)
            if not deleted and v["ECR_NUMERO"] == number]


def hostile_variants(work: Path) -> list[Hostile]:
    """Writes under work a small valid company (work/base, 2023 and 2024, and a VFP memo
    twin work/base_memo), then one copy per variant breaking one thing; returns them."""
    work = Path(work)
    base = work / "base"
    base_memo = work / "base_memo"
    write_company(base, years=BASE_YEARS, lines=BASE_LINES, seed=BASE_SEED)
    write_company(base_memo, years=BASE_YEARS, lines=BASE_LINES, seed=BASE_SEED,
                  header="vfp", memo=True)
    company = Path("DAT") / "MUSTER"
    out: list[Hostile] = []

    def copy(variant: str, source: Path = base) -> Path:
        target = work / variant
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        return target / company

    def add(variant: str, description: str, path: Path, where: Iterable, file=None,
            record=None, field_name=None) -> None:
        out.append(Hostile(variant, description, path, tuple(str(w) for w in where), file,
                           record, field_name))

    # tables broken as files
    src = copy("truncated")
    table = src / "2024" / "ecriture.dbf"
    layout = table_layout(table)
    cut = layout.headerlen + layout.reclen * (layout.count // 2) + layout.reclen // 2
    with open(table, "r+b") as f:
        f.truncate(cut)
    add("truncated", "2024/ecriture.dbf cut in the middle of a record (shorter than its "
        "header says)", src, ["ecriture.dbf"], table)

    src = copy("record_length")
    table = src / "2024" / "ecriture.dbf"
    rewrite_table(table, lambda fields: fields, pad=7)
    add("record_length", "2024/ecriture.dbf's header record length is 7 more than its "
        "fields' lengths (records padded, file size consistent)", src, ["ecriture.dbf"],
        table)

    src = copy("missing_ecriture")
    (src / "2024" / "ecriture.dbf").unlink()
    add("missing_ecriture", "the 2024 folder has plan.dbf but no ecriture.dbf", src,
        ["ecriture.dbf", "2024"], src / "2024" / "ecriture.dbf")

    src = copy("missing_field")
    table = src / "2024" / "ecriture.dbf"
    rewrite_table(table, lambda fields: [f for f in fields if f.name != "MONTANT"])
    add("missing_field", "2024/ecriture.dbf has no MONTANT field", src,
        ["ecriture.dbf", "MONTANT"], table, field_name="MONTANT")

    src = copy("memo_pointer", base_memo)
    table = src / "2024" / "ecriture.dbf"
    record = _single_row_entries(table)[2][0]
    patch_field(table, record, "LIBELLE", struct.pack("<I", 10_000_000))
    add("memo_pointer", "a LIBELLE memo pointer of 2024/ecriture.dbf (VFP, memo) points far "
        "beyond the end of ecriture.fpt", src, ["ecriture.dbf", record, "LIBELLE"], table,
        record, "LIBELLE")

    # values that do not parse or are out of range
    for variant, field_name, value, description in (
            ("date_feb30", "DATE", "20240230", "a DATE that does not exist: 20240230"),
            ("date_letters", "DATE", "2024AB01", "a DATE with letters: 2024AB01"),
            ("amount_two_points", "MONTANT", "12.3.4", "a MONTANT of 12.3.4"),
            ("amount_letters", "MONTANT", "abc", "a MONTANT of abc"),
            ("amount_three_places", "MONTANT", "12.345",
             "a MONTANT with three decimal places: 12.345")):
        src = copy(variant)
        table = src / "2024" / "ecriture.dbf"
        record = _single_row_entries(table)[3][0]
        patch_field(table, record, field_name, value)
        add(variant, f"2024/ecriture.dbf: {description}", src,
            ["ecriture.dbf", record, field_name], table, record, field_name)

    src = copy("amount_too_big")
    table = src / "2024" / "ecriture.dbf"
    rewrite_table(table, lambda fields: [f._replace(length=20) if f.name == "MONTANT" else f
                                         for f in fields])
    record = _single_row_entries(table)[3][0]
    patch_field(table, record, "MONTANT", "20000000000000.00")
    add("amount_too_big", "a balanced two-account row of 2 × 10^13 CHF (MONTANT widened to "
        "N 20.2 so that it fits)", src, ["ecriture.dbf", record, "MONTANT"], table, record,
        "MONTANT")

    src = copy("date_outside_year")
    table = src / "2023" / "ecriture.dbf"
    record = _single_row_entries(table)[-1][0]
    patch_field(table, record, "DATE", "20240301")
    add("date_outside_year", "an entry of the 2023 folder dated 2024-03-01", src,
        ["ecriture.dbf", record, "DATE"], table, record, "DATE")

    # entries that break the rules
    src = copy("split_unbalanced")
    table = src / "2024" / "ecriture.dbf"
    summary, rows = _a_split_entry(table, "s")
    credit = next((n, v) for n, v in rows if v["CPT_CREDIT"])
    patch_field(table, credit[0], "MONTANT",
                cents_text(_cents(credit[1]["MONTANT"]) - 100))
    add("split_unbalanced", "a wages split entry whose detail rows do not balance (a credit "
        "row 1.00 short; the summary still equals the debits)", src,
        ["ecriture.dbf", summary[0]], table, summary[0])

    src = copy("summary_mismatch")
    table = src / "2024" / "ecriture.dbf"
    summary, rows = _a_split_entry(table, "av")
    patch_field(table, summary[0], "MONTANT",
                cents_text(_cents(summary[1]["MONTANT"]) + 1000))
    add("summary_mismatch", "a split entry whose summary amount is 10.00 more than its "
        "balanced details' total", src, ["ecriture.dbf", summary[0], "MONTANT"], table,
        summary[0], "MONTANT")

    src = copy("account_not_in_chart")
    table = src / "2024" / "ecriture.dbf"
    record = _single_row_entries(table)[4][0]
    patch_field(table, record, "CPT_CREDIT", NOT_IN_CHART)
    add("account_not_in_chart", f"a row credits {NOT_IN_CHART}, an account no chart has", src,
        ["ecriture.dbf", record, "CPT_CREDIT"], table, record, "CPT_CREDIT")

    src = copy("grouping_account")
    table = src / "2024" / "ecriture.dbf"
    record = _single_row_entries(table)[4][0]
    patch_field(table, record, "CPT_DEBIT", "10")
    add("grouping_account", "a row debits 10, a grouping account (Actifs circulants)", src,
        ["ecriture.dbf", record, "CPT_DEBIT"], table, record, "CPT_DEBIT")

    src = copy("number_reappears")
    table = src / "2024" / "ecriture.dbf"
    later = _single_row_entries(table)[5]
    earlier = int(later[1]["ECR_NUMERO"]) - 2
    for n, _v in _entry_records(table, later[1]["ECR_NUMERO"]):
        patch_field(table, n, "ECR_NUMERO", str(earlier))
    add("number_reappears", f"entry number {earlier} met again after entry {earlier + 1}",
        src, ["ecriture.dbf", later[0], "ECR_NUMERO"], table, later[0], "ECR_NUMERO")

    src = copy("plan_two_names")
    table = src / "2024" / "plan.dbf"
    record = next(n for n, deleted, v in stored_records(table)
                  if not deleted and v["NUMERO"] == "1020")
    patch_field(table, record, "COMPTE", "Banque cantonale vaudoise")
    add("plan_two_names", "account 1020 is Banque in 2023 and Banque cantonale vaudoise in "
        "2024", src, ["plan.dbf", record, "COMPTE", "1020"], table, record, "COMPTE")

    # zips
    zipped = work / "base.zip"
    zip_folder(base, zipped)
    for variant, member, description in (
            ("zip_parent", "../evil.dbf", "a zip member named ../evil.dbf"),
            ("zip_absolute", "/tmp/evil.dbf", "a zip member with an absolute name")):
        target = work / f"{variant}.zip"
        shutil.copyfile(zipped, target)
        with zipfile.ZipFile(target, "a") as z:
            z.writestr(zipfile.ZipInfo(member, ZIP_TIME), b"\x03evil")
        add(variant, description, target, [member], member)

    target = work / "zip_symlink.zip"
    link = "DAT/MUSTER/2024/plan.dbf"
    with zipfile.ZipFile(zipped) as source, \
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            if info.filename != link:
                z.writestr(info, source.read(info))
        info = zipfile.ZipInfo(link, ZIP_TIME)
        info.create_system = 3
        info.external_attr = (0o120777 << 16)
        z.writestr(info, "../../../../../../etc/passwd")
    add("zip_symlink", "2024/plan.dbf is a symbolic link (to ../../../../../../etc/passwd)",
        target, [link], link)

    for variant, delta, description in (
            ("zip_size_lie", 100_000,
             ("the zip says 2024/ecriture.dbf is 100,000 bytes larger than it is (local "
              "header and central directory alike)")),
            ("zip_size_lie_smaller", -1000,
             "the zip says 2024/ecriture.dbf is 1,000 bytes smaller than it is")):
        target = work / f"{variant}.zip"
        shutil.copyfile(zipped, target)
        member = "DAT/MUSTER/2024/ecriture.dbf"
        _set_zip_size(target, member, (base / member).stat().st_size + delta)
        add(variant, description, target, [member], member)

    # CSV exports
    csv_base = work / "csv_base"
    write_csv_exports(csv_base, years=BASE_YEARS, lines=BASE_LINES, seed=BASE_SEED)
    for variant, field_name, value, description in (
            ("csv_amount_too_big", "MONTANT", "20000000000000{sep}00",
             "a CSV row of 2 × 10^13 CHF"),
            ("csv_date_feb30", "DATE", "30.02.2024", "a CSV date 30.02.2024")):
        target = work / variant
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(csv_base, target)
        record = _patch_csv(target / "2024" / "ecriture.csv", field_name, value)
        add(variant, description, target, ["ecriture.csv", record, field_name],
            target / "2024" / "ecriture.csv", record, field_name)

    # .wb_backup containers that are not a zip of a data folder
    for kind, what in WB_BACKUP_KINDS.items():
        target = work / f"sample-{kind.replace('_', '-')}.wb_backup"
        write_wb_backup_unknown(target, kind)
        add(f"wb_backup_{kind}", f"a .wb_backup holding {what}", target, [target.name],
            target)
    return out


def _cents(text: str) -> int:
    """A stored amount text ("-12.50") in centimes."""
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("-").partition(".")
    value = int(whole or "0") * 100 + int((frac + "00")[:2])
    return -value if negative else value


def _a_split_entry(path: Path, journals: str):
    """The first split entry of one of those journals: (summary record, detail records)."""
    records = [(n, v) for n, deleted, v in stored_records(path) if not deleted]
    for n, v in records:
        if v["JOURNAL"] in journals and MULTIPLE in (v["CPT_DEBIT"], v["CPT_CREDIT"]):
            rows = [(m, w) for m, w in records
                    if w["ECR_NUMERO"] == v["ECR_NUMERO"] and m != n]
            return (n, v), rows
    raise LookupError(f"no split entry in journals {journals} of {path}")


def _patch_csv(path: Path, field_name: str, value: str) -> int:
    """Sets field_name of a two-account row of the CSV that is an entry by itself; returns
    its record number (1 for the line after the header)."""
    with open(path, encoding="cp1252", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header = rows[0]
    i = {name: k for k, name in enumerate(header)}
    counts: dict[str, int] = {}
    for r in rows[1:]:
        counts[r[i["ECR_NUMERO"]]] = counts.get(r[i["ECR_NUMERO"]], 0) + 1
    candidates = [k for k, r in enumerate(rows) if k and counts[r[i["ECR_NUMERO"]]] == 1
                  and r[i["CPT_DEBIT"]] and r[i["CPT_CREDIT"]]]
    k = candidates[3]
    sep = "," if "," in rows[k][i["MONTANT"]] else "."
    rows[k][i[field_name]] = value.format(sep=sep)
    with open(path, "w", encoding="cp1252", newline="") as f:
        csv.writer(f, delimiter=";", lineterminator="\r\n").writerows(rows)
    return k


__all__ = [
    "ECRITURE_FIELDS", "PLAN_FIELDS", "Expected", "ExpectedEntry", "ExpectedLine",
    "ExpectedYear", "Field", "Hostile", "account_kind", "fiscal_years", "hostile_variants",
    "is_grouping", "rebuild", "stored_records", "table_layout", "write_company",
    "write_company_zip", "write_csv_exports", "write_wb_backup_unknown", "write_wb_backup_zip",
    "zip_folder",
]
