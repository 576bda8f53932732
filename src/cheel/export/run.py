"""An export from start to end: the file opened (a path or an address, unlocked if
encrypted), the company found in its manifest, one pass through the sound reader into the
books and the spool, then the table written under a temporary name and given its final
one. Nothing is written before the whole file has been read and found sound: a damaged
file (``DamagedFile``, exit 4) leaves no output at all."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ..archive.reader import BackupReader
from ..destinations import open_location
from ..progress import ROWS, Progress
from ..soundness import SoundReader
from ..verify import Unlock, unlocker_of
from .choose import CONTACTS, CSV, ExportOptions, find_company
from .output import OutputFile, default_name, target_of
from .reading import read_books
from .spool import Spool
from .tables import table_of
from .writers import write_csv, write_xlsx


@dataclass
class ExportResult:
    path: str
    organization: str
    group: str
    company: str
    year: str | None  # the fiscal year's name (None: every year, or contacts)
    what: str
    format: str
    rows: int  # rows of the table, the header aside
    seconds: float

    def as_dict(self) -> dict:
        return {"path": self.path, "organization": self.organization, "group": self.group,
                "company": self.company, "year": self.year, "what": self.what,
                "format": self.format, "rows": self.rows, "seconds": round(self.seconds, 3)}


def run_export(options: ExportOptions, unlock: Unlock = None,
               progress: Progress | None = None) -> ExportResult:
    """Export what ``options`` ask (see :class:`ExportOptions`); raises the file's errors
    (``PasswordNeeded``, ``WrongPassword``, ``DamagedFile``…), ``NotFound`` for a company
    or a fiscal year the file does not hold (naming those it holds)."""
    options.checked()
    started = time.monotonic()
    target_of(options.out, "export")  # a missing folder is said before the file is read
    with open_location(options.file) as f, Spool() as spool:
        sound = SoundReader(BackupReader(f, unlocker_of(unlock)), whole_file_rules=True)
        company = find_company(sound.manifest, options.company)
        books = read_books(sound, company, options.what, options.year, spool, progress)
        table = table_of(books, spool)
        year = books.year.name if books.year else None
        part = None if options.what == CONTACTS else (year or "all-years")
        target = target_of(options.out, default_name(company.name, part, options.what,
                                                     options.format))
        total = spool.counts["lines"] or spool.counts["contacts"] or len(books.accounts)

        def count(n: int) -> None:
            if progress:
                progress(n, total, ROWS)

        out = OutputFile(target)
        try:
            write = write_csv if options.format == CSV else write_xlsx
            rows = write(table, out.raw, count)
            path = out.publish()
        except BaseException:
            out.abandon()
            raise
    return ExportResult(str(Path(path)), company.org_name, company.group_name, company.name,
                        year, options.what, options.format, rows,
                        time.monotonic() - started)
