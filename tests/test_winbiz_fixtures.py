"""The WinBIZ fixtures (tests/winbiz_fixtures/) are what they claim: the tables open with
dbfread and with the dbf library and hold what the writer intended, read back by an
independent reading of docs/WINBIZ.md's rules; CSV exports and tables of one seed are the
same books; the books are realistic (balanced, VAT of both periods, accents); writing is
deterministic and streams; each hostile variant breaks exactly the one thing it says."""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import struct
import time
import tracemalloc
import zipfile
import zlib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import dbf
import dbfread
import pytest

from cheel.demo.chart import CHART

from winbiz_fixtures import (WB_BACKUP_KINDS, Expected, ExpectedEntry, Hostile, hostile_variants,
                             write_company, write_csv_exports, write_wb_backup_unknown,
                             write_wb_backup_zip, zip_folder)

YEARS = (2023, 2024)
LINES = 1600
SEED = 3
OLD_RATES = {770, 250, 370}  # VAT in hundredths of a percent, until 2023-12-31
NEW_RATES = {810, 260, 380}  # from 2024-01-01
# docs/WINBIZ.md: the fields the import needs, with their types and lengths
NEEDED = {
    "ecriture.dbf": {"MULTIPLE": ("C", 2, 0), "ECR_NUMERO": ("N", 10, 0),
                     "NUMERO": ("N", 10, 0), "ECR_NOLINE": ("N", 4, 0), "DATE": ("D", 8, 0),
                     "PIECE": ("C", 20, 0), "LIBELLE": ("C", 100, 0),
                     "CPT_DEBIT": ("C", 12, 0), "CPT_CREDIT": ("C", 12, 0),
                     "MONTANT": ("N", 15, 2), "JOURNAL": ("C", 1, 0),
                     "ECR_MONNAI": ("C", 10, 0), "ECR_COURS": ("N", 16, 6),
                     "ECR_MONMNT": ("N", 15, 2)},
    "plan.dbf": {"CLASSE": ("C", 4, 0), "NUMERO": ("C", 12, 0), "COMPTE": ("C", 118, 0)},
}


class Refused(Exception):
    """The independent reading below found what docs/WINBIZ.md refuses."""


# -- an independent reading of the tables ---------------------------------------------------------
class Table(NamedTuple):
    version: int
    count: int
    headerlen: int
    reclen: int
    codepage: int
    fields: list[tuple[str, str, int, int, int]]  # name, type, length, decimals, offset
    records: list[tuple[bool, bytes]]  # as stored: deleted, whole record
    size: int


def read_table(path: Path) -> Table:
    """The header, field descriptors and complete records of a DBF file, by the format's
    definition (no library)."""
    data = Path(path).read_bytes()
    count, headerlen, reclen = struct.unpack_from("<IHH", data, 4)
    fields = []
    pos, offset = 32, 1
    while data[pos] != 0x0D:
        d = data[pos:pos + 32]
        fields.append((d[:11].split(b"\0")[0].decode("ascii"), chr(d[11]), d[16], d[17],
                       offset))
        offset += d[16]
        pos += 32
    records = []
    for i in range(count):
        rec = data[headerlen + i * reclen:headerlen + (i + 1) * reclen]
        if len(rec) < reclen:
            break
        records.append((rec[:1] == b"*", rec))
    return Table(data[0], count, headerlen, reclen, data[29], fields, records, len(data))


def raw_fields(table: Table, rec: bytes) -> dict[str, bytes]:
    return {name: rec[o:o + n] for name, _t, n, _d, o in table.fields}


def stored_rows(path: Path) -> list[tuple[bool, dict, dict]]:
    """Every record in stored order (dbfread gives live and deleted records apart; the
    deletion flags put them back in order): (deleted, parsed values, raw values)."""
    flags = [deleted for deleted, _ in read_table(path).records]
    parsed = dbfread.DBF(str(path), encoding="cp1252", load=True)
    raw = dbfread.DBF(str(path), encoding="cp1252", raw=True, load=True)
    assert len(parsed.records) + len(parsed.deleted) == len(flags)
    live = iter(zip(parsed.records, raw.records))
    dead = iter(zip(parsed.deleted, raw.deleted))
    return [(d, *next(dead if d else live)) for d in flags]


def cents(text: str) -> int:
    """A decimal text of at most two places in centimes."""
    value = Decimal(text.strip())
    if value != value.quantize(Decimal("0.01")):
        raise Refused(f"more than two decimal places: {text!r}")
    return int(value * 100)


def plain(text: str) -> str:
    """A decimal text without trailing zeros: "0.941200" → "0.9412"."""
    return format(Decimal(text.strip()).normalize(), "f")


def ecriture_row(parsed: dict, raw: dict) -> dict:
    """One ecriture record as the import reads it, dbfread's parsed values checked against
    the raw bytes."""
    amount = raw["MONTANT"].decode("ascii")
    assert Decimal(str(parsed["MONTANT"])) == Decimal(amount.strip())
    currency = parsed["ECR_MONNAI"] or None
    row = {"number": parsed["ECR_NUMERO"], "date": parsed["DATE"], "piece": parsed["PIECE"],
           "label": parsed["LIBELLE"], "debit": parsed["CPT_DEBIT"],
           "credit": parsed["CPT_CREDIT"], "amount": cents(amount),
           "journal": parsed["JOURNAL"], "currency": currency,
           "rate": plain(raw["ECR_COURS"].decode("ascii")) if currency else None,
           "fc": cents(raw["ECR_MONMNT"].decode("ascii")) if currency else None}
    assert isinstance(row["number"], int) and isinstance(row["date"], date)
    return row


def kind_of(number: str) -> str:
    """docs/WINBIZ.md: by the first digit, 28 and 29 equity."""
    if number.startswith(("28", "29")):
        return "equity"
    return {"1": "asset", "2": "liability", "3": "income", "4": "expense", "5": "expense",
            "6": "expense", "7": "income", "8": "expense", "9": "closing"}[number[0]]


def fiscal_bounds(name: str, rows: list[dict]) -> tuple[date, date]:
    """docs/WINBIZ.md: a folder named by a year is that calendar year; else twelve months
    from the first day of the month of the earliest entry."""
    if re.fullmatch(r"\d{4}", name):
        return date(int(name), 1, 1), date(int(name), 12, 31)
    start = min(r["date"] for r in rows).replace(day=1)
    month = start.month + 12
    after = date(start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
    return start, after - timedelta(1)


def books(company: str, years: list[tuple[str, list[tuple[str, str]], list[dict]]]) -> dict:
    """The books a correct import makes of (year name, live plan rows, live ecriture rows),
    in Expected.comparable()'s shape; raises Refused where docs/WINBIZ.md refuses."""
    out, currencies, names = [], set(), {}
    for name, plan, rows in years:
        accounts = {}
        for number, title in plan:
            if names.setdefault(number, title) != title:
                raise Refused(f"{number} has two names")
            if len(number) > 3:
                accounts[number] = (title, kind_of(number))
        balances = dict.fromkeys(accounts, 0)
        start, end = fiscal_bounds(name, rows)
        groups: list[list[dict]] = []
        seen = set()
        for r in rows:
            if groups and groups[-1][0]["number"] == r["number"]:
                groups[-1].append(r)
                continue
            if r["number"] in seen:
                raise Refused(f"entry {r['number']} met again")
            seen.add(r["number"])
            groups.append([r])
        entries, total, lines_count = [], 0, 0
        for group in groups:
            lines, summary = [], None
            for r in group:
                if "Multiple" in (r["debit"], r["credit"]):
                    summary = r["amount"]
                    continue
                if not start <= r["date"] <= end:
                    raise Refused(f"entry {r['number']} dated {r['date']}")
                fx = (r["currency"], r["fc"], r["rate"]) if r["currency"] else (None,) * 3
                a = r["amount"]
                if abs(a) > 10 ** 15:
                    raise Refused("amount beyond 10^13")
                # a negative amount moves the other way; the debit line first
                debited, credited = (r["debit"], r["credit"]) if a >= 0 else (r["credit"],
                                                                               r["debit"])
                if debited:
                    lines.append((debited, abs(a), 0, *fx))
                if credited:
                    lines.append((credited, 0, abs(a), *fx))
            debit, credit = sum(ln[1] for ln in lines), sum(ln[2] for ln in lines)
            if debit != credit:
                raise Refused(f"entry {group[0]['number']} does not balance")
            if summary is not None and summary != debit:
                raise Refused(f"entry {group[0]['number']}: summary {summary} ≠ {debit}")
            for ln in lines:
                if ln[0] not in balances:
                    raise Refused(f"{ln[0]} is not an account of the chart")
                balances[ln[0]] += ln[1] - ln[2]
                if ln[3]:
                    currencies.add(ln[3])
            first = group[0]
            entries.append((first["number"], first["date"], first["piece"], first["label"],
                            first["journal"], tuple(lines)))
            total += debit
            lines_count += len(lines)
        out.append({"name": name, "start": start, "end": end, "accounts": accounts,
                    "grouping_accounts": sum(1 for n, _ in plan if len(n) <= 3),
                    "balances": balances, "entries": len(entries), "lines": lines_count,
                    "total_debit": total, "entry_list": entries})
    return {"company": company, "currencies": sorted(currencies), "years": out}


def company_name(path: Path) -> str:
    """docs/WINBIZ.md: DOS_NOM when there is one, else the 100 characters after the first 10
    of the first record."""
    table = read_table(path)
    first = table.records[0][1]
    if any(f[0] == "DOS_NOM" for f in table.fields):
        return raw_fields(table, first)["DOS_NOM"].decode("cp1252").strip()
    return first[1 + 10:1 + 110].decode("cp1252").strip()


def year_folders(source: Path) -> list[Path]:
    return sorted(p for p in source.iterdir() if p.is_dir())


def read_company(source: Path, include_deleted: bool = False) -> dict:
    """A data folder read with dbfread, as a correct import would (or, include_deleted,
    as an import that forgets to skip deleted records would)."""
    years = []
    for folder in year_folders(source):
        plan = [(p["NUMERO"], p["COMPTE"]) for d, p, _ in stored_rows(folder / "plan.dbf")
                if include_deleted or not d]
        rows = [ecriture_row(p, r) for d, p, r in stored_rows(folder / "ecriture.dbf")
                if include_deleted or not d]
        years.append((folder.name, plan, rows))
    return books(company_name(source / "dos_info.dbf"), years)


def read_csv_table(path: Path) -> list[dict]:
    with open(path, encoding="cp1252", newline="") as f:
        lines = list(csv.reader(f, delimiter=";"))
    return [dict(zip(lines[0], values)) for values in lines[1:]]


def csv_number(text: str) -> str:
    return text.replace(",", ".")


def read_csv_exports(folder: Path, company: str) -> dict:
    """A folder of CSV exports read by docs/WINBIZ.md's rules."""
    years = []
    for year in year_folders(folder):
        plan = [(p["NUMERO"], p["COMPTE"]) for p in read_csv_table(year / "plan.csv")]
        rows = []
        for r in read_csv_table(year / "ecriture.csv"):
            day, month, yyyy = r["DATE"].split(".")
            currency = r["ECR_MONNAI"] or None
            rows.append({"number": int(r["ECR_NUMERO"]),
                         "date": date(int(yyyy), int(month), int(day)),
                         "piece": r["PIECE"], "label": r["LIBELLE"], "debit": r["CPT_DEBIT"],
                         "credit": r["CPT_CREDIT"], "amount": cents(csv_number(r["MONTANT"])),
                         "journal": r["JOURNAL"], "currency": currency,
                         "rate": plain(csv_number(r["ECR_COURS"])) if currency else None,
                         "fc": cents(csv_number(r["ECR_MONMNT"])) if currency else None})
        years.append((year.name, plan, rows))
    return books(company, years)


# -- fixtures --------------------------------------------------------------------------------------
VARIANTS = {"db3": {"header": "db3"}, "vfp": {"header": "vfp"},
            "vfp_memo": {"header": "vfp", "memo": True}}


@pytest.fixture(scope="module")
def companies(tmp_path_factory) -> dict[str, Expected]:
    """The same small company (2023 and 2024, seed 3) in each header variant, and as CSV."""
    out = {}
    for key, options in VARIANTS.items():
        out[key] = write_company(tmp_path_factory.mktemp(key), years=YEARS, lines=LINES,
                                    seed=SEED, **options)
    out["csv"] = write_csv_exports(tmp_path_factory.mktemp("csv") / "export", years=YEARS,
                                      lines=LINES, seed=SEED)
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Hostile]:
    work = tmp_path_factory.mktemp("hostile")
    return {h.id: h for h in hostile_variants(work)} | {"_work": work}


# -- the tables ------------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_tables_read_back_as_the_writer_intended(companies, variant):
    """dbfread reads every table; applying docs/WINBIZ.md's rules to what it reads gives the
    writer's Expected entry by entry, balance by balance."""
    expected = companies[variant]
    assert read_company(expected.source) == expected.comparable()
    assert expected.currencies == {"EUR", "USD"}
    assert all(fy.entry_list for fy in expected.years)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_headers_and_fields_are_winbiz_s(companies, variant):
    """First byte 0x03 or 0x30 (with VFP's 263-byte backlink), CP1252 code page mark, the
    fields and types of docs/WINBIZ.md, 415-byte ecriture records (C LIBELLE), a record
    count and length that match the file's size, the 0x1A end mark."""
    source = companies[variant].source
    version = {"db3": 0x03, "vfp": 0x30, "vfp_memo": 0x30}[variant]
    for path in [source / "dos_info.dbf"] + [y / t for y in year_folders(source)
                                             for t in ("plan.dbf", "ecriture.dbf")]:
        table = read_table(path)
        assert table.version == version and table.codepage == 0x03, path
        descriptors = 32 + 32 * len(table.fields) + 1
        assert table.headerlen == descriptors + (263 if version == 0x30 else 0)
        assert table.reclen == 1 + sum(f[2] for f in table.fields)
        assert table.size == table.headerlen + table.count * table.reclen + 1
        assert path.read_bytes()[-1:] == b"\x1a"
        assert len(table.records) == table.count
        types = {f[0]: (f[1], f[2], f[3]) for f in table.fields}
        for name, spec in NEEDED.get(path.name, {}).items():
            if name == "LIBELLE" and variant == "vfp_memo":
                assert types[name] == ("M", 4, 0)
            else:
                assert types[name] == spec, (path.name, name)
        if path.name == "ecriture.dbf":
            assert table.reclen == (415 if variant != "vfp_memo" else 415 - 96)
            assert [f[0] for f in table.fields][:14] == list(NEEDED["ecriture.dbf"])
        if path.name == "plan.dbf":
            assert table.reclen > 600 and len(table.fields) > 3


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_dbf_library_reads_the_same_values(companies, variant):
    """The dbf library opens every table and gives, record by record (deleted ones
    included, in stored order), the values and deletion flags dbfread gives."""
    source = companies[variant].source
    paths = [source / "dos_info.dbf"] + [y / t for y in year_folders(source)
                                         for t in ("plan.dbf", "ecriture.dbf")]
    for path in paths:
        ours = stored_rows(path)
        table = dbf.Table(str(path))
        table.open(dbf.READ_ONLY)
        try:
            assert len(table) == len(ours)
            names = table.field_names
            for record, (deleted, parsed, _raw) in zip(table, ours):
                assert dbf.is_deleted(record) == deleted
                for name in names:
                    theirs = record[name]
                    mine = parsed[name.upper()]
                    if isinstance(theirs, str):
                        theirs = theirs.rstrip()
                    elif isinstance(theirs, (int, float)) and not isinstance(theirs, bool):
                        theirs, mine = Decimal(str(theirs)), Decimal(str(mine))
                    elif theirs is not None and hasattr(theirs, "year"):
                        theirs = date(theirs.year, theirs.month, theirs.day)
                    assert theirs == mine, (path, name, theirs, mine)
        finally:
            table.close()


def test_memo_labels_come_from_the_fpt(companies):
    """VFP with memo: LIBELLE is a 4-byte block pointer into ecriture.fpt (512-byte header,
    next free block and block size big-endian, blocks of type 1 with their length); the
    texts read through the pointers are the labels of the C variant."""
    memo, plain_table = companies["vfp_memo"], companies["vfp"]
    for year in YEARS:
        folder = memo.source / str(year)
        fpt = (folder / "ecriture.fpt").read_bytes()
        next_free, blocksize = struct.unpack(">I", fpt[:4])[0], struct.unpack(">H", fpt[6:8])[0]
        assert blocksize == 64 and next_free * blocksize == len(fpt)
        table = read_table(folder / "ecriture.dbf")
        pointers = [struct.unpack("<I", raw_fields(table, rec)["LIBELLE"])[0]
                    for _, rec in table.records]
        assert len(set(pointers)) == len(pointers) and min(pointers) >= 512 // blocksize
        labels = []
        for p in pointers:
            kind, length = struct.unpack(">II", fpt[p * blocksize:p * blocksize + 8])
            assert kind == 1
            labels.append(fpt[p * blocksize + 8:p * blocksize + 8 + length].decode("cp1252"))
        via_dbfread = [p["LIBELLE"] for _, p, _ in stored_rows(folder / "ecriture.dbf")]
        assert labels == via_dbfread
        in_c_table = [p["LIBELLE"] for _, p, _ in
                      stored_rows(plain_table.source / str(year) / "ecriture.dbf")]
        assert via_dbfread == in_c_table


def test_company_name_by_both_rules(companies, tmp_path):
    """dBase III: no DOS_NOM, the name is the 100 characters after the first 10; VFP: the
    name is in DOS_NOM and those 100 characters are something else (the street). A second
    record holds another dossier."""
    db3 = read_table(companies["db3"].source / "dos_info.dbf")
    assert "DOS_NOM" not in [f[0] for f in db3.fields] and db3.count == 2
    assert db3.records[0][1][11:111].decode("cp1252").strip() == "Muster Treuhand AG"
    vfp = read_table(companies["vfp"].source / "dos_info.dbf")
    assert "DOS_NOM" in [f[0] for f in vfp.fields]
    assert vfp.records[0][1][11:111].decode("cp1252").strip() == "Rue du Grand-Chêne 8"
    for header in ("db3", "vfp"):
        name = "Fiduciaire Müller & Fils Sàrl"
        expected = write_company(tmp_path / header, name=name, years=(2024,), lines=80,
                                    header=header)
        assert company_name(expected.source / "dos_info.dbf") == name == expected.company


def test_deleted_records_hold_wrong_data(companies):
    """Every year has deleted records in ecriture.dbf and plan.dbf, and an import that
    forgot to skip them would refuse or get other books."""
    for variant in VARIANTS:
        expected = companies[variant]
        for fy in expected.years:
            assert fy.deleted_rows >= 2
            rows = stored_rows(expected.source / fy.name / "ecriture.dbf")
            assert sum(1 for d, _, _ in rows if d) == fy.deleted_rows
            assert len(rows) == fy.rows
            # one deleted row sits inside an entry, between two of its live rows
            live_numbers = [(d, p["ECR_NUMERO"]) for d, p, _ in rows]
            assert any(not a[0] and b[0] and not c[0] and a[1] == c[1]
                       for a, b, c in zip(live_numbers, live_numbers[1:], live_numbers[2:]))
            plan = stored_rows(expected.source / fy.name / "plan.dbf")
            assert [p["NUMERO"] for d, p, _ in plan if d] == ["1000", "1095"]
        with pytest.raises(Refused):
            read_company(expected.source, include_deleted=True)


def test_no_deleted_records_on_request(tmp_path):
    """deleted=False writes the same books without any deleted record."""
    with_deleted = write_company(tmp_path / "a", years=YEARS, lines=400, seed=5)
    without = write_company(tmp_path / "b", years=YEARS, lines=400, seed=5, deleted=False)
    assert with_deleted.comparable() == without.comparable()
    for fy in without.years:
        assert fy.deleted_rows == 0
        assert not any(d for d, _ in read_table(without.source / fy.name /
                                                "ecriture.dbf").records)


# -- the CSV exports -------------------------------------------------------------------------------
def test_csv_exports_are_the_same_books(companies):
    """CSV exports and tables of one seed give the same Expected, and the CSV files read
    back by docs/WINBIZ.md's rules give it too: ';', CP1252, dd.mm.yyyy, a decimal comma in
    one year and a point in the other, quoting where a label holds ';' or '"'."""
    csv_books = companies["csv"]
    assert csv_books.comparable() == companies["db3"].comparable()
    assert read_csv_exports(csv_books.source, csv_books.company) == csv_books.comparable()
    first = (csv_books.source / "2023" / "ecriture.csv").read_bytes()
    second = (csv_books.source / "2024" / "ecriture.csv").read_bytes()
    assert first.startswith(b"MULTIPLE;ECR_NUMERO;NUMERO;ECR_NOLINE;DATE;PIECE;LIBELLE;")
    assert re.search(rb";-?\d+,\d\d;", first) and not re.search(rb";-?\d+\.\d\d;", first)
    assert re.search(rb";-?\d+\.\d\d;", second) and not re.search(rb";-?\d+,\d\d;", second)
    assert re.search(rb";\d\d\.\d\d\.2024;", second)
    assert b"\r\n" in second and "€".encode("cp1252") in first
    assert b'"Loyer bureaux; charges ""PPE"" comprises' in first + second


def test_csv_single_year_flat(tmp_path):
    """flat=True: plan.csv and ecriture.csv in the folder itself, the fiscal year named by
    the folder."""
    expected = write_csv_exports(tmp_path / "2024", years=(2024,), lines=200, flat=True)
    assert sorted(p.name for p in (tmp_path / "2024").iterdir()) == ["ecriture.csv",
                                                                     "plan.csv"]
    assert [fy.name for fy in expected.years] == ["2024"]
    rows = read_csv_table(tmp_path / "2024" / "ecriture.csv")
    assert len({r["ECR_NUMERO"] for r in rows}) == expected.entries


# -- the books -------------------------------------------------------------------------------------
def test_every_entry_balances_and_is_numbered(companies):
    """Entries balance, are numbered 1, 2, 3… per year, dated within their year; every
    journal code appears every year; the first entry is the opening."""
    for fy in companies["db3"].years:
        assert [e.number for e in fy.entry_list] == list(range(1, fy.entries + 1))
        assert fy.entry_list[0].journal == "o" and fy.entry_list[0].date == fy.start
        assert {e.journal for e in fy.entry_list} == set("dsavimobx")
        for e in fy.entry_list:
            assert sum(ln.debit for ln in e.lines) == sum(ln.credit for ln in e.lines)
            assert all((ln.debit == 0) != (ln.credit == 0) for ln in e.lines)
            assert fy.start <= e.date <= fy.end
        assert sum(fy.balances.values()) == 0
        assert fy.lines == sum(len(e.lines) for e in fy.entry_list)
        assert fy.total_debit == sum(ln.debit for e in fy.entry_list for ln in e.lines)
    assert abs(companies["db3"].lines - LINES) <= 0.02 * LINES


def test_rows_show_every_kind(companies):
    """Stored rows hold split entries (summary with Multiple on the debit side, the credit
    side, both; details with the other side blank), two-account rows, negative amounts,
    EUR and USD rows on 1021 / 1022 with rate and amount, grouping accounts in the plan."""
    source = companies["db3"].source
    rows = [p for folder in year_folders(source)
            for d, p, _ in stored_rows(folder / "ecriture.dbf") if not d]
    summaries = [r for r in rows if "Multiple" in (r["CPT_DEBIT"], r["CPT_CREDIT"])]
    assert {(r["CPT_DEBIT"], r["CPT_CREDIT"]) for r in summaries} == {
        ("Multiple", ""), ("", "Multiple"), ("Multiple", "Multiple")}
    assert any(r["JOURNAL"] == "s" for r in summaries)
    details = [r for r in rows if r not in summaries and r["MULTIPLE"] == "M"]
    assert details and all(bool(r["CPT_DEBIT"]) != bool(r["CPT_CREDIT"]) for r in details)
    assert any(r["CPT_DEBIT"] and r["CPT_CREDIT"] for r in rows if r not in summaries)
    assert any(r["MONTANT"] < 0 and r["JOURNAL"] == "x" for r in rows)
    fx = [r for r in rows if r["ECR_MONNAI"]]
    assert {r["ECR_MONNAI"] for r in fx} == {"EUR", "USD"}
    assert {"1021", "1022"} <= {r["CPT_DEBIT"] for r in fx} | {r["CPT_CREDIT"] for r in fx}
    for r in fx:
        assert 0.7 < r["ECR_COURS"] < 1.1 and r["ECR_MONMNT"] > 0
        assert abs(r["ECR_MONMNT"] * r["ECR_COURS"] - r["MONTANT"]) < 0.01
    plan = [p["NUMERO"] for d, p, _ in stored_rows(source / "2024" / "plan.dbf") if not d]
    assert {"1", "10", "100", "2", "20", "9"} <= set(plan)
    assert {c[0] for c in CHART} <= set(plan)
    assert "1022" not in {p["NUMERO"] for _, p, _ in
                          stored_rows(source / "2023" / "plan.dbf")}


def vat_rates_of(entry: ExpectedEntry, vat_account: str, side: str) -> set[int] | None:
    """The VAT rates (hundredths of a percent) that explain an entry's VAT line from its
    base lines (revenue 3xxx for output VAT, expenses 4-6xxx for input VAT)."""
    sign = 1 if side == "credit" else -1
    vat = sum((ln.credit - ln.debit) * sign for ln in entry.lines if ln.account == vat_account)
    prefixes = ("3",) if vat_account == "2200" else ("4", "5", "6", "15")
    bases = [sum((ln.credit - ln.debit) * sign for ln in entry.lines if ln.account == a)
             for a in sorted({ln.account for ln in entry.lines
                              if ln.account.startswith(prefixes)})]
    if not vat or not bases or len(bases) > 2:
        return None
    every = sorted(OLD_RATES | NEW_RATES)
    for combo in ([(r,) for r in every] if len(bases) == 1
                  else [(r, s) for r in every for s in every]):
        if sum((abs(b) * r + 5000) // 10000 for b, r in zip(bases, combo)) == abs(vat):
            return set(combo)
    raise AssertionError(f"no VAT rate explains entry {entry}")


def test_vat_rates_of_both_periods(companies):
    """Output VAT (2200) and input VAT (1170, 1171) follow 7.7 / 2.5 / 3.7 % until
    2023-12-31 and 8.1 / 2.6 / 3.8 % from 2024-01-01, and all six rates appear."""
    seen = {2023: set(), 2024: set()}
    for fy in companies["db3"].years:
        for e in fy.entry_list:
            if e.journal not in "vam":
                continue
            for account, side in (("2200", "credit"), ("1170", "debit"), ("1171", "debit")):
                rates = vat_rates_of(e, account, side)
                if rates:
                    assert rates <= (NEW_RATES if e.date >= date(2024, 1, 1) else OLD_RATES)
                    seen[e.date.year] |= rates
    assert seen == {2023: OLD_RATES, 2024: NEW_RATES}


def test_fiscal_year_across_the_vat_change(tmp_path):
    """A fiscal year from July to June: its name is not a year, it starts on the first of
    the month of its first entry, and its entries use both VAT periods."""
    expected = write_company(tmp_path, years=[("2023-2024", date(2023, 7, 1))], lines=900)
    (fy,) = expected.years
    assert (fy.start, fy.end) == (date(2023, 7, 1), date(2024, 6, 30))
    assert read_company(expected.source) == expected.comparable()
    rates = set()
    for e in fy.entry_list:
        rates |= vat_rates_of(e, "2200", "credit") or set()
    assert rates & OLD_RATES and rates & NEW_RATES


def test_accents_round_trip(companies):
    """CP1252 text survives: é è à ü ö ä ç « » – œ ° € in labels (€ 0x80, – 0x96, œ 0x9C,
    bytes latin-1 does not have), the chart's French names exactly as cheel.demo.chart
    has them."""
    expected = companies["db3"]
    labels = "".join(e.label for fy in expected.years for e in fy.entry_list)
    for char in "éèàüöäç«»–œ°€":
        assert char in labels, char
    raw = (expected.source / "2024" / "ecriture.dbf").read_bytes()
    for byte in (b"\x80", b"\x96", b"\x9c"):
        assert byte in raw
    read_back = {p["NUMERO"]: p["COMPTE"] for d, p, _ in
                 stored_rows(expected.source / "2024" / "plan.dbf") if not d}
    for number, _kind, french, *_ in CHART:
        assert read_back[number] == french
    assert expected.year("2024").accounts["1170"] == (
        "Impôt préalable: TVA s/matériel, marchandises, prestations et énergie", "asset")
    assert expected.year("2024").accounts["2800"][1] == "equity"
    assert expected.year("2024").accounts["7010"][1] == "income"  # WINBIZ.md's rule


# -- determinism and scale -------------------------------------------------------------------------
def all_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path):
    """The same arguments write the same bytes (tables, memo files, CSV, zips); another seed
    writes other books."""
    for key, options in VARIANTS.items():
        a = write_company(tmp_path / key / "a", years=YEARS, lines=500, seed=9, **options)
        b = write_company(tmp_path / key / "b", years=YEARS, lines=500, seed=9, **options)
        assert all_files(tmp_path / key / "a") == all_files(tmp_path / key / "b")
        assert a.comparable() == b.comparable()
        c = write_company(tmp_path / key / "c", years=YEARS, lines=500, seed=10, **options)
        assert a.comparable() != c.comparable()
        zips = [zip_folder(tmp_path / key / x, tmp_path / key / f"{x}.zip")
                for x in ("a", "b")]
        assert zips[0].read_bytes() == zips[1].read_bytes()
    write_csv_exports(tmp_path / "csv_a", years=YEARS, lines=500, seed=9)
    write_csv_exports(tmp_path / "csv_b", years=YEARS, lines=500, seed=9)
    assert all_files(tmp_path / "csv_a") == all_files(tmp_path / "csv_b")


def test_writing_streams(tmp_path):
    """Memory does not grow with the number of lines (no row or entry kept beyond a
    small fixture): 8,000 lines peak within 200 kB of 2,000 lines (keeping the entries
    would take 1.5 MB more)."""
    peaks = []
    for lines in (2_000, 8_000):
        tracemalloc.start()
        try:
            expected = write_company(tmp_path / str(lines), lines=lines, keep_entries=False)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert all(fy.entry_list is None for fy in expected.years)
    assert peaks[1] - peaks[0] < 200_000, peaks


def check_big_company(expected: Expected, lines: int) -> None:
    """Expected's totals agree with each other and with the files written (and above 20,000
    lines, Expected does not list the entries)."""
    assert abs(expected.lines - lines) <= 0.005 * lines
    assert expected.entries == sum(fy.entries for fy in expected.years)
    for fy in expected.years:
        assert fy.entry_list is None
        assert sum(fy.balances.values()) == 0
        assert fy.total_debit >= sum(b for b in fy.balances.values() if b > 0)
        assert set(fy.balances) == set(fy.accounts)
        path = expected.source / fy.name / "ecriture.dbf"
        with open(path, "rb") as f:
            head = f.read(12)
            count, headerlen, reclen = struct.unpack("<IHH", head[4:12])
            assert count == fy.rows and reclen == 415
            assert path.stat().st_size == headerlen + count * reclen + 1
            # the last live record is the last entry (numbers 1… per year, no gap)
            for i in range(count - 1, -1, -1):
                f.seek(headerlen + i * reclen)
                record = f.read(reclen)
                if record[:1] == b" ":
                    assert int(record[3:13]) == fy.entries
                    break


def test_fifty_thousand_lines(tmp_path):
    """A mid-size company's Expected totals are consistent with the files."""
    started = time.perf_counter()
    try:
        expected = write_company(tmp_path, lines=50_000)
        check_big_company(expected, 50_000)
        assert time.perf_counter() - started < 10
    finally:
        shutil.rmtree(tmp_path / "DAT", ignore_errors=True)


@pytest.mark.slow
def test_a_million_lines(tmp_path):
    """1,000,000 lines are written well under a minute, and Expected is consistent."""
    started = time.perf_counter()
    try:
        expected = write_company(tmp_path, lines=1_000_000)
        took = time.perf_counter() - started
        size = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
        print(f"\n1,000,000 lines ({expected.entries:,} entries, {size / 1e6:.0f} MB) written "
              f"in {took:.1f} s")
        check_big_company(expected, 1_000_000)
        assert took < 60
    finally:
        shutil.rmtree(tmp_path / "DAT", ignore_errors=True)  # 300 MB


# -- zips and backups ------------------------------------------------------------------------------
def test_zip_at_any_depth(tmp_path):
    """zip_folder puts the data folder at the prefix's depth; the members are the files,
    byte for byte; a .wb_backup zip container holds a data folder."""
    root = tmp_path / "data"
    write_company(root, years=(2024,), lines=100)
    target = zip_folder(root, tmp_path / "deep.zip", prefix="Sauvegardes/2025/WinBIZ/")
    with zipfile.ZipFile(target) as z:
        files = {i.filename: z.read(i) for i in z.infolist() if not i.is_dir()}
        dirs = [i.filename for i in z.infolist() if i.is_dir()]
    assert files == {f"Sauvegardes/2025/WinBIZ/{k}": v for k, v in all_files(root).items()}
    assert "Sauvegardes/2025/WinBIZ/DAT/MUSTER/2024/" in dirs
    backup = tmp_path / "muster.wb_backup"
    expected = write_wb_backup_zip(backup, years=(2024,), lines=100)
    assert expected.source == backup and zipfile.is_zipfile(backup)
    with zipfile.ZipFile(backup) as z:
        names = z.namelist()
    assert "WinBIZ/Sauvegarde/DAT/MUSTER/2024/ecriture.dbf" in names
    assert "WinBIZ/Sauvegarde/DAT/MUSTER/dos_info.dbf" in names


@pytest.mark.parametrize("kind", list(WB_BACKUP_KINDS))
def test_wb_backup_containers_the_import_refuses(tmp_path, kind):
    """Each unknown .wb_backup is what its kind says, and none is a zip of a data
    folder."""
    path = write_wb_backup_unknown(tmp_path / f"{kind}.wb_backup", kind)
    data = path.read_bytes()
    if kind == "zip_without_data":
        with zipfile.ZipFile(path) as z:
            assert z.namelist() and not any(n.lower().endswith(".dbf") for n in z.namelist())
        return
    assert not zipfile.is_zipfile(path)
    if kind == "7z":
        assert data.startswith(b"7z\xbc\xaf\x27\x1c") and len(data) > 1000
    elif kind == "gzip":
        assert gzip.decompress(data).startswith(b"WinBIZ")
    elif kind == "rar":
        assert data.startswith(b"Rar!\x1a\x07")
    elif kind == "random":
        assert len(set(data)) == 256 and len(zlib.compress(data, 9)) > len(data)
    elif kind == "empty":
        assert data == b""


# -- the hostile variants --------------------------------------------------------------------------
NEEDED_ECRITURE = set(NEEDED["ecriture.dbf"])
NEEDED_PLAN = set(NEEDED["plan.dbf"])


def find_problems(source: Path) -> set[tuple[str, str, int | None, str | None]]:
    """What docs/WINBIZ.md refuses in a data folder, found from the bytes alone (no
    library, nothing raised): (kind, file, record, field)."""
    found: set[tuple[str, str, int | None, str | None]] = set()
    charts: dict[str, dict[str, str]] = {}
    tables = {}
    for folder in year_folders(source):
        for name, needed in (("plan.dbf", NEEDED_PLAN), ("ecriture.dbf", NEEDED_ECRITURE)):
            path = folder / name
            if not path.exists():
                found.add(("missing_table", name, None, None))
                continue
            t = read_table(path)
            if t.size < t.headerlen + t.count * t.reclen:
                found.add(("truncated", name, None, None))
            elif t.reclen != 1 + sum(f[2] for f in t.fields):
                found.add(("record_length", name, None, None))
            elif needed - {f[0] for f in t.fields}:
                for missing in sorted(needed - {f[0] for f in t.fields}):
                    found.add(("missing_field", name, None, missing))
            else:
                tables[(folder.name, name)] = t
        plan = tables.get((folder.name, "plan.dbf"))
        if plan:
            chart = charts.setdefault(folder.name, {})
            for n, (deleted, rec) in enumerate(plan.records, 1):
                if deleted:
                    continue
                v = raw_fields(plan, rec)
                number = v["NUMERO"].decode("cp1252").strip()
                chart[number] = v["COMPTE"].decode("cp1252").strip()
                for other in charts.values():
                    if other.get(number, chart[number]) != chart[number]:
                        found.add(("two_names", "plan.dbf", n, "COMPTE"))
    every = {n for chart in charts.values() for n in chart}
    for folder in year_folders(source):
        t = tables.get((folder.name, "ecriture.dbf"))
        if t is None:
            continue
        start, end = date(int(folder.name), 1, 1), date(int(folder.name), 12, 31)
        memo = (folder / "ecriture.fpt").read_bytes() if (folder / "ecriture.fpt").exists() \
            else None
        seen, current, group = set(), None, []
        groups = []
        for n, (deleted, rec) in enumerate(t.records, 1):
            if deleted:
                continue
            v = {k: x.decode("cp1252") for k, x in raw_fields(t, rec).items()
                 if k != "LIBELLE" or memo is None}
            if memo is not None:
                pointer = struct.unpack("<I", raw_fields(t, rec)["LIBELLE"])[0]
                block = struct.unpack(">H", memo[6:8])[0]
                if pointer * block + 8 > len(memo):
                    found.add(("memo_pointer", "ecriture.dbf", n, "LIBELLE"))
            try:
                day = date(int(v["DATE"][:4]), int(v["DATE"][4:6]), int(v["DATE"][6:]))
                if not re.fullmatch(r"\d{8}", v["DATE"]):
                    raise ValueError
            except ValueError:
                found.add(("bad_date", "ecriture.dbf", n, "DATE"))
                day = None
            if day and not start <= day <= end:
                found.add(("outside_year", "ecriture.dbf", n, "DATE"))
            amount = v["MONTANT"].strip()
            if not re.fullmatch(r"-?\d+(\.\d{1,2})?", amount):
                found.add(("bad_amount", "ecriture.dbf", n, "MONTANT"))
                amount = None
            elif abs(Decimal(amount)) > 10 ** 13:
                found.add(("amount_range", "ecriture.dbf", n, "MONTANT"))
            number = int(v["ECR_NUMERO"])
            if number != current:
                if number in seen:
                    found.add(("number_reappears", "ecriture.dbf", n, "ECR_NUMERO"))
                seen.add(number)
                current, group = number, []
                groups.append((n, group))
            debit, credit = v["CPT_DEBIT"].strip(), v["CPT_CREDIT"].strip()
            for account, side in ((debit, "CPT_DEBIT"), (credit, "CPT_CREDIT")):
                if account and account != "Multiple":
                    if len(account) <= 3:
                        found.add(("grouping_account", "ecriture.dbf", n, side))
                    elif account not in every:
                        found.add(("unknown_account", "ecriture.dbf", n, side))
            group.append((n, debit, credit, amount))
        for first, group in groups:
            total_d = total_c = 0
            summary = None
            for n, debit, credit, amount in group:
                if amount is None:
                    continue
                a = int(Decimal(amount) * 100)
                if "Multiple" in (debit, credit):
                    summary = (n, a)
                    continue
                # a negative amount moves the other way
                total_d += max(a, 0) * bool(debit) + max(-a, 0) * bool(credit)
                total_c += max(a, 0) * bool(credit) + max(-a, 0) * bool(debit)
            if total_d != total_c:
                found.add(("unbalanced", "ecriture.dbf", first, None))
            elif summary and summary[1] != total_d:
                found.add(("summary_mismatch", "ecriture.dbf", summary[0], "MONTANT"))
    return found


PROBLEM = {
    "truncated": "truncated", "record_length": "record_length",
    "missing_ecriture": "missing_table", "missing_field": "missing_field",
    "memo_pointer": "memo_pointer", "date_feb30": "bad_date", "date_letters": "bad_date",
    "amount_two_points": "bad_amount", "amount_letters": "bad_amount",
    "amount_three_places": "bad_amount", "amount_too_big": "amount_range",
    "date_outside_year": "outside_year", "split_unbalanced": "unbalanced",
    "summary_mismatch": "summary_mismatch", "account_not_in_chart": "unknown_account",
    "grouping_account": "grouping_account", "number_reappears": "number_reappears",
    "plan_two_names": "two_names",
}
ZIPS = {"zip_parent", "zip_absolute", "zip_symlink", "zip_size_lie", "zip_size_lie_smaller"}
CSVS = {"csv_amount_too_big", "csv_date_feb30"}
BACKUPS = {f"wb_backup_{k}" for k in WB_BACKUP_KINDS}


def test_every_variant_is_listed_and_described(hostile):
    """The variants the brief asks for are all there, each with a one-line description, a
    path that exists, and where the refusal must point."""
    variants = {k: v for k, v in hostile.items() if k != "_work"}
    assert set(variants) == set(PROBLEM) | ZIPS | CSVS | BACKUPS
    for h in variants.values():
        assert h.path.exists(), h.id
        assert h.description and "\n" not in h.description and len(h.description) < 160
        assert h.where and h.where[0].endswith((".dbf", ".csv", ".wb_backup")), h
        if h.record is not None:
            assert str(h.record) in h.where
        if h.field is not None:
            assert h.field in h.where


def test_the_valid_bases_have_no_problem(hostile):
    """The bases the variants start from are valid by the independent checks below, and
    read back by dbfread as the books they are."""
    work = hostile["_work"]
    for base in ("base", "base_memo"):
        source = work / base / "DAT" / "MUSTER"
        assert find_problems(source) == set()
        read_company(source)


@pytest.mark.parametrize("variant", sorted(PROBLEM))
def test_each_dbf_variant_breaks_one_thing(hostile, variant):
    """Exactly the intended problem, at the record and field the variant names."""
    h = hostile[variant]
    expected = {(PROBLEM[variant], h.where[0], h.record, h.field)}
    assert find_problems(h.path) == expected


@pytest.mark.parametrize("variant", sorted(set(PROBLEM) - {"missing_ecriture"}))
def test_each_dbf_variant_differs_from_its_base_as_said(hostile, variant):
    """Byte for byte, the broken table differs from the base's only where the variant
    says."""
    h = hostile[variant]
    work = hostile["_work"]
    base_dir = work / ("base_memo" if variant == "memo_pointer" else "base")
    rel = h.file.relative_to(work / variant)
    base, broken = read_table(base_dir / rel), read_table(h.file)
    base_bytes, broken_bytes = (base_dir / rel).read_bytes(), h.file.read_bytes()
    if variant == "truncated":
        assert len(broken_bytes) < broken.headerlen + broken.count * broken.reclen
        assert base_bytes.startswith(broken_bytes)
        assert len(broken.records) < broken.count
        return
    if variant in ("record_length", "missing_field", "amount_too_big"):
        sizes = {f[0]: f[2] for f in broken.fields}
        if variant == "record_length":
            assert broken.reclen == base.reclen + 7 == 1 + sum(sizes.values()) + 7
        elif variant == "missing_field":
            assert "MONTANT" not in sizes and broken.reclen == base.reclen - 15
        else:
            assert sizes["MONTANT"] == 20 and broken.reclen == base.reclen + 5
        assert broken.size == broken.headerlen + broken.count * broken.reclen + 1
        if variant != "amount_too_big":
            return
    changed = set()
    base_fields = {f[0] for f in base.fields}
    for n, ((_, a), (_, b)) in enumerate(zip(base.records, broken.records), 1):
        va, vb = raw_fields(base, a), raw_fields(broken, b)
        for name in base_fields:
            if va[name].strip() != vb[name].strip():
                changed.add((n, name))
    if variant == "split_unbalanced":
        ((n, name),) = changed
        assert name == "MONTANT" and n > h.record
    elif variant == "number_reappears":
        assert changed == {(h.record, "ECR_NUMERO")}
    else:
        assert changed == {(h.record, h.field)}


def test_dbfread_trips_on_the_broken_tables(hostile):
    """Where a library can notice, dbfread does: it raises on a date or amount that does
    not parse and on a memo pointer outside the memo file, stops early on a truncated
    table, reads garbage past a wrong record length; a missing field is simply absent."""
    def ecriture(variant):
        return str(hostile[variant].file)

    for variant in ("date_feb30", "date_letters", "amount_two_points", "amount_letters",
                    "memo_pointer"):
        with pytest.raises((ValueError, OSError, struct.error)):
            list(dbfread.DBF(ecriture(variant), encoding="cp1252"))
    table = dbfread.DBF(ecriture("truncated"), encoding="cp1252")
    assert len(list(table)) + len(list(table.deleted)) < table.header.numrecords
    base = dbfread.DBF(str(hostile["_work"] / "base" / "DAT" / "MUSTER" / "2024" /
                           "ecriture.dbf"), encoding="cp1252")
    try:
        misread = [r["ECR_NUMERO"] for r in dbfread.DBF(ecriture("record_length"),
                                                         encoding="cp1252")]
    except ValueError:
        misread = None
    assert misread != [r["ECR_NUMERO"] for r in base]
    assert "MONTANT" not in dbfread.DBF(ecriture("missing_field")).field_names
    three = [r["MONTANT"] for r in dbfread.DBF(ecriture("amount_three_places"),
                                                encoding="cp1252")]
    assert 12.345 in three


def test_zip_variants(hostile):
    """The zips hold the base's members plus, or instead of one of them, the hostile
    member: a parent-relative name, an absolute name, a symbolic link, a size that lies."""
    work = hostile["_work"]
    with zipfile.ZipFile(work / "base.zip") as z:
        base_names = z.namelist()
    for variant in ("zip_parent", "zip_absolute"):
        h = hostile[variant]
        with zipfile.ZipFile(h.path) as z:
            assert z.namelist() == base_names + [h.where[0]]
    assert hostile["zip_parent"].where[0].startswith("../")
    assert hostile["zip_absolute"].where[0].startswith("/")
    h = hostile["zip_symlink"]
    with zipfile.ZipFile(h.path) as z:
        assert sorted(z.namelist()) == sorted(base_names)
        info = z.getinfo(h.where[0])
        assert info.create_system == 3 and (info.external_attr >> 16) & 0o170000 == 0o120000
        assert z.read(info).startswith(b"../")
    for variant, delta in (("zip_size_lie", 100_000), ("zip_size_lie_smaller", -1000)):
        h = hostile[variant]
        real = (work / "base" / h.where[0]).read_bytes()
        with zipfile.ZipFile(h.path) as z:
            info = z.getinfo(h.where[0])
            assert info.file_size == len(real) + delta
            raw = h.path.read_bytes()
            local = info.header_offset
            assert struct.unpack_from("<I", raw, local + 22)[0] == len(real) + delta
            name_len, extra_len = struct.unpack_from("<HH", raw, local + 26)
            data_at = local + 30 + name_len + extra_len
            inflated = zlib.decompress(raw[data_at:data_at + info.compress_size], -15)
            assert inflated == real  # the member itself is intact, only its size lies
            try:
                got = z.read(info)
            except (zipfile.BadZipFile, EOFError):
                got = None
            assert got is None or len(got) != info.file_size or got != real


def test_csv_variants(hostile):
    """The CSV variants differ from their base in one value of one line."""
    work = hostile["_work"]
    base = (work / "csv_base" / "2024" / "ecriture.csv").read_bytes().decode("cp1252")
    base = base.split("\r\n")
    for variant, pattern in (("csv_amount_too_big", r"^20000000000000[.,]00$"),
                             ("csv_date_feb30", r"^30\.02\.2024$")):
        h = hostile[variant]
        lines = h.file.read_bytes().decode("cp1252").split("\r\n")
        changed = [k for k, (a, b) in enumerate(zip(base, lines), 1) if a != b]
        assert changed == [h.record + 1] and len(lines) == len(base)  # + the header line
        header = lines[0].split(";")
        values = next(csv.reader([lines[h.record]], delimiter=";"))
        assert re.match(pattern, values[header.index(h.field)])
