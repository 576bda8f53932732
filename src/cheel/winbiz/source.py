"""Where a WinBIZ company comes from: a data folder, a zip of one, CSV exports, or a
``.wb_backup`` file (sniffed: a zip is read as a zip, anything else refused).

:func:`opened_source` finds the company's folder and its fiscal years; a zip's members
are extracted (checked one by one) into a private temporary folder, removed afterwards.
"""

from __future__ import annotations

import contextlib
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import NotFound, SourceRefused, Text, said
from .fields import Refusal, text_of
from .tables import ENCODING, DbfTable, refused

TABLE_SUFFIXES = (".dbf", ".fpt", ".dbt", ".csv")
MAX_MEMBER = 8 * 2**30  # a table larger than this is not a WinBIZ company's
# What a .wb_backup file that is not a zip turns out to be, by its first bytes.
SIGNATURES = ((b"7z\xbc\xaf\x27\x1c", said("a 7-Zip archive")),
              (b"\x1f\x8b", said("a gzip file")), (b"Rar!", said("a RAR archive")),
              (b"MSCF", said("a Windows cabinet")),
              (b"SQLite format 3", said("an SQLite database")), (b"%PDF", said("a PDF document")))
EMPTY, UNKNOWN = said("an empty file"), said("a file of a kind cheel does not know")
EXPORT_HINT = said("in WinBIZ, copy the company's data folder (DAT/<dossier>) or export its "
                   "chart of accounts and its entries as CSV (Outils → Importer, exporter → "
                   "Exporter, Windows ANSI 1252), then import that")


@dataclass
class YearSource:
    """One fiscal year's tables (DBF or CSV)."""

    name: str
    plan: Path
    entries: Path

    @property
    def dotted_dates(self) -> bool:
        return self.entries.suffix.lower() == ".csv"


@dataclass
class Source:
    """A WinBIZ company found at ``given``: its name (None when the source has no
    ``dos_info``) and its fiscal years in order."""

    given: Path
    kind: str  # "folder", "zip", "csv", "wb_backup"
    folder: Path
    company: str | None
    years: list[YearSource]


def _child(folder: Path, name: str) -> Path | None:
    """``folder``'s entry named ``name``, whatever its case (WinBIZ runs on Windows)."""
    for p in folder.iterdir():
        if p.name.lower() == name:
            return p
    return None


def _years(folder: Path, suffix: str) -> list[YearSource]:
    years = []
    for sub in sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.name):
        plan, entries = _child(sub, "plan" + suffix), _child(sub, "ecriture" + suffix)
        if plan is None and entries is None:
            continue  # WinBIZ keeps other folders beside the fiscal years
        if plan is None or entries is None:
            missing = "plan" + suffix if plan is None else "ecriture" + suffix
            raise SourceRefused(said("the fiscal year folder {year} has no {file}",
                                     year=sub.name, file=missing))
        years.append(YearSource(sub.name, plan, entries))
    return years


def _company_name(dos_info: Path) -> str:
    """The company's name in ``dos_info.dbf``: its ``DOS_NOM`` field, else the 100
    characters after the first 10 of its first record."""
    with DbfTable(dos_info) as table:
        if "DOS_NOM" in table.names:
            for _, (name,) in table.records(["DOS_NOM"]):
                return _checked_name(dos_info, name)
        else:
            with open(dos_info, "rb") as f:
                f.seek(table.start)
                record = f.read(table.length)
            try:
                return _checked_name(dos_info, record[11:111].decode(ENCODING).strip())
            except UnicodeDecodeError:
                raise refused(dos_info, said("not Windows-1252 text"), record=1) from None
    raise refused(dos_info, said("it holds no company"))


def _checked_name(path: Path, name: str | None) -> str:
    try:
        name = text_of(name or "", 100)
    except Refusal as e:
        raise refused(path, e.why, record=1) from None
    if not name:
        raise refused(path, said("the company's name is empty"), record=1)
    return name


def _find_in_folder(given: Path, folder: Path, kind: str) -> Source:
    dos_info = _child(folder, "dos_info.dbf")
    if dos_info is not None:
        years = _years(folder, ".dbf")
        if not years:
            raise SourceRefused(said("the WinBIZ folder {folder} holds no fiscal year (a "
                                     "folder with plan.dbf and ecriture.dbf)",
                                     folder=folder.name))
        return Source(given, kind, folder, _company_name(dos_info), years)
    dat = _child(folder, "dat")
    if dat is not None and dat.is_dir():
        companies = [p for p in sorted(dat.iterdir()) if p.is_dir()
                     and _child(p, "dos_info.dbf") is not None]
        if len(companies) == 1:
            return _find_in_folder(given, companies[0], kind)
        if companies:
            raise SourceRefused(
                said("the folder {folder} holds {count} WinBIZ companies: {names}", folder=dat.name,
                     count=len(companies), names=", ".join(p.name for p in companies)),
                hint=said("give the folder of the one to import, e.g. {example}",
                          example=str(companies[0])))
    csv_years = _years(folder, ".csv")
    if _child(folder, "ecriture.csv") is not None:
        plan, entries = _child(folder, "plan.csv"), _child(folder, "ecriture.csv")
        if plan is None:
            raise SourceRefused(said("the folder {folder} has ecriture.csv but no plan.csv",
                                     folder=folder.name))
        csv_years.append(YearSource(folder.name, plan, entries))
    if csv_years:
        return Source(given, "csv" if kind == "folder" else kind, folder, None, csv_years)
    raise SourceRefused(said("the folder {folder} is not a WinBIZ data folder: it holds no "
                             "dos_info.dbf, no DAT folder and no CSV exports", folder=folder.name),
                        hint=EXPORT_HINT)


def _extract(archive: Path, into: Path) -> None:
    """Extract the tables of a zip, refusing names that leave the folder, links, and
    members larger than they say."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as e:
        raise SourceRefused(said("the zip {file} cannot be read ({why})", file=archive.name,
                                 why=str(e)[:100])) from None
    with zf:
        for info in zf.infolist():
            name = info.filename.replace("\\", "/")
            parts = PurePosixPath(name).parts
            if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
                raise SourceRefused(said('in {file}: the member "{member}" would be written '
                                         "outside the folder", file=archive.name,
                                         member=info.filename[:200]))
            if stat.S_ISLNK(info.external_attr >> 16):
                raise SourceRefused(said('in {file}: the member "{member}" is a link',
                                         file=archive.name, member=info.filename[:200]))
            if info.is_dir() or not name.lower().endswith(TABLE_SUFFIXES):
                continue
            if info.file_size > MAX_MEMBER:
                raise SourceRefused(said('in {file}: the member "{member}" is too large',
                                         file=archive.name, member=info.filename[:200]))
            target = into.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            try:
                with zf.open(info) as src, open(target, "xb") as dst:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > info.file_size:
                            break
                        dst.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
                raise SourceRefused(said('in {file}: the member "{member}" cannot be read ({why})',
                                         file=archive.name, member=info.filename[:200],
                                         why=str(e)[:100])) from None
            if written != info.file_size:
                raise SourceRefused(said('in {file}: the member "{member}" holds other than the '
                                         "{size} bytes it declares", file=archive.name,
                                         member=info.filename[:200], size=info.file_size))


def _sniff(path: Path) -> str | Text:
    """What a file is, by its first bytes: "zip", or what else it is, as said."""
    with open(path, "rb") as f:
        head = f.read(16)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "zip"
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    return EMPTY if not head else UNKNOWN


def _folder_in(root: Path) -> Path:
    """The folder of an extracted zip that holds the company (the zip may wrap it)."""
    for folder in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        if _child(folder, "dos_info.dbf") is not None:
            return folder
    for folder in [root, *sorted(p for p in root.rglob("*") if p.is_dir())]:
        if _child(folder, "ecriture.csv") is not None or any(
                _child(sub, "ecriture.csv") for sub in folder.iterdir() if sub.is_dir()):
            return folder
    return root


@contextlib.contextmanager
def opened_source(given: Path | str) -> Iterator[Source]:
    """The WinBIZ company at ``given``, found and checked to be one (its tables are read
    later); a zip's tables live in a private temporary folder while the block runs."""
    path = Path(given).expanduser()
    if not path.exists():
        raise NotFound(said("the file or folder {path} does not exist", path=path))
    if path.is_dir():
        yield _find_in_folder(path, path, "folder")
        return
    suffix = path.suffix.lower()
    if suffix in (".dbf", ".csv"):
        yield _find_in_folder(path, path.parent, "folder")
        return
    kind = _sniff(path)
    if kind != "zip":
        if suffix == ".wb_backup":
            raise SourceRefused(
                said("the WinBIZ backup {file} is not a zip but {what}: cheel reads "
                     "only WinBIZ's data folder, a zip of it, or its CSV exports",
                     file=path.name, what=kind), hint=EXPORT_HINT)
        raise SourceRefused(said("cheel cannot import {file}: it is not a zip, a .wb_backup, "
                                 "a DBF table or a CSV export", file=path.name),
                            hint=EXPORT_HINT)
    work = Path(tempfile.mkdtemp(prefix="cheel-winbiz-"))  # 0700
    try:
        _extract(path, work)
        folder = _folder_in(work)
        try:
            source = _find_in_folder(path, folder, "wb_backup" if suffix == ".wb_backup"
                                     else "zip")
        except SourceRefused:
            if folder != work:
                raise
            raise SourceRefused(said("the file {file} holds no WinBIZ data folder and no CSV "
                                     "exports", file=path.name), hint=EXPORT_HINT) from None
        yield source
    finally:
        shutil.rmtree(work, ignore_errors=True)
