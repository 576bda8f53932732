"""Hostile variants: copies of a small valid company, each breaking one thing the import
must refuse, saying where (file, record, field)."""

from __future__ import annotations

import csv
import shutil
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .archives import WB_BACKUP_KINDS, ZIP_TIME, set_zip_size, write_wb_backup_unknown, zip_folder
from .chart import NOT_IN_CHART
from .company import write_company, write_csv_exports
from .patching import patch_field, rewrite_table, stored_records, table_layout
from .rows import cents_text
from .rules import MULTIPLE


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
        set_zip_size(target, member, (base / member).stat().st_size + delta)
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
