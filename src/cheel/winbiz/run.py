"""Importing a WinBIZ company: what a source holds (:func:`inspect_source`, for the wizards'
"what was found" step) and the import itself (:func:`run_import`), all or nothing."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError, said
from ..progress import CHECKS, Progress
from ..store import locks, organizations
from ..store.catalog import Catalog
from ..store.names import check_name, name_key
from .chart import read_chart
from .entries import YearScan, YearTotals, scan_year, year_plan
from .load import CompanyWriter, YearLoaded, new_company
from .reader_process import EntryReader, Job
from .source import opened_source


@dataclass
class ImportOptions:
    """What to import and where. ``new_group``: the company forms a new group of that name
    ("" or None with no ``group``: named after the company); ``group``: it joins that group
    and shares its chart of accounts."""

    source: Path | str
    into: str
    group: str | None = None
    new_group: str | None = None
    company: str | None = None  # default: the name the source gives
    years: list[str] = field(default_factory=list)  # fiscal years to import; empty: all
    dry_run: bool = False


@dataclass
class SourceInfo:
    """What a source holds, found by reading it once (no entry rebuilt yet)."""

    path: str
    kind: str
    company: str | None
    years: list[YearScan]
    accounts: int
    headings: int

    def as_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "company": self.company,
                "accounts": self.accounts, "headings": self.headings,
                "years": [{"name": y.name, "start": y.start, "end": y.end,
                           "entries": y.entries, "rows": y.rows} for y in self.years]}


@dataclass
class YearReport:
    name: str
    start: str
    end: str
    entries: int
    lines: int
    debit: int  # the total debit, in centimes
    # account → (balance from the source files, balance in cheel), in centimes
    balances: dict[str, tuple[int, int]]

    def as_dict(self) -> dict:
        return {"name": self.name, "start": self.start, "end": self.end,
                "entries": self.entries, "lines": self.lines, "debit": self.debit,
                "balances_equal": all(s == c for s, c in self.balances.values()),
                "accounts_with_balance": sum(1 for s, _ in self.balances.values() if s),
                "accounts": [{"number": n, "source": s, "cheel": c}
                             for n, (s, c) in sorted(self.balances.items())]}


@dataclass
class ImportReport:
    source: str
    kind: str
    organization: str
    group: str
    company: str
    new_group: bool
    dry_run: bool
    years: list[YearReport]
    accounts_added: int
    accounts_matched: int
    headings: int
    currencies_added: list[str]
    seconds: float = 0.0

    @property
    def entries(self) -> int:
        return sum(y.entries for y in self.years)

    @property
    def lines(self) -> int:
        return sum(y.lines for y in self.years)

    def as_dict(self) -> dict:
        return {"source": self.source, "kind": self.kind, "organization": self.organization,
                "group": self.group, "company": self.company, "new_group": self.new_group,
                "dry_run": self.dry_run, "entries": self.entries, "lines": self.lines,
                "accounts_added": self.accounts_added,
                "accounts_matched": self.accounts_matched, "headings": self.headings,
                "currencies_added": self.currencies_added,
                "years": [y.as_dict() for y in self.years], "seconds": round(self.seconds, 3)}


class _DryRun(Exception):
    """Raised inside the transaction of a dry run, so that it rolls back."""


def inspect_source(path: Path | str) -> SourceInfo:
    """The company, fiscal years (dates, entries, rows) and chart a source holds."""
    with opened_source(path) as source:
        scans = [scan_year(y) for y in source.years]
        chart = read_chart(source.years)
        return SourceInfo(str(source.given), source.kind, source.company, scans,
                          len(chart.accounts), len(chart.headings))


def run_import(catalog: Catalog, options: ImportOptions,
               progress: Progress | None = None) -> ImportReport:
    """Import the source's company into ``options.into``, all or nothing: every entry
    balances, every account exists, and every account's balance per fiscal year equals
    the source's before anything commits (docs/WINBIZ.md)."""
    started = time.monotonic()
    if options.group and options.new_group:
        raise UsageError(said("choose either an existing group or a new group, not both"))
    entry = catalog.find(options.into)
    with opened_source(options.source) as source:
        years = source.years
        if options.years:
            known = {name_key(y.name): y for y in years}
            unknown = [y for y in options.years if name_key(y) not in known]
            if unknown:
                raise UsageError(said("the source has no fiscal year {year}", year=unknown[0]),
                                 hint=said("its fiscal years are: {known}",
                                           known=", ".join(y.name for y in years)))
            wanted = {name_key(y) for y in options.years}
            years = [y for y in years if name_key(y.name) in wanted]
        name = options.company or source.company
        if not name:
            raise UsageError(said("the source does not name its company (CSV exports do "
                                  "not)"), hint=said("give the company's name with --company"))
        name = check_name(name, "company")
        scans = [year_plan(y) for y in years]
        chart = read_chart(years)
        total = sum(s.rows for s in scans)
        if progress:
            progress(0, total)
        with locks.organization_in_use(catalog, entry.name):
            db = organizations.open_database(catalog, entry)
            try:
                report = None
                try:
                    with db.bulk_load(), db.transaction():
                        db.lock_groups()
                        group, company = new_company(
                            db, name, options.group,
                            None if options.group else (options.new_group or name))
                        writer = CompanyWriter(db, group.id, company.id,
                                               organizations.now_utc())
                        accounts = writer.accounts(chart)
                        year_ids: dict[str, int] = {}
                        done = 0
                        job = Job(years, scans, chart, accounts.ids)
                        with EntryReader(job) as reader:
                            for year, scan in zip(years, scans):
                                year_ids[year.name] = writer.fiscal_year(scan)
                                done = writer.entries(year_ids[year.name],
                                                      reader.entries(year.name), progress,
                                                      done, total)
                            reader.finish()
                        totals = reader.totals
                        if progress:
                            progress(0, 0, CHECKS)
                        loaded = writer.loaded(year_ids, accounts.ids)
                        writer.check(totals, loaded)
                        db.after_explicit_ids(["journal_entries", "entry_lines"])
                        if progress:
                            progress(1, 1, CHECKS)
                        report = ImportReport(
                            str(source.given), source.kind, entry.name, group.name,
                            company.name, not options.group, options.dry_run,
                            [_year_report(scan, totals[scan.name], loaded[scan.name])
                             for scan in scans],
                            accounts.added, accounts.matched, len(chart.headings),
                            writer.currencies_added)
                        if options.dry_run:
                            raise _DryRun()
                except _DryRun:
                    pass
            finally:
                db.close()
    assert report is not None
    report.seconds = time.monotonic() - started
    return report


def _year_report(scan: YearScan, source: YearTotals, loaded: YearLoaded) -> YearReport:
    numbers = set(source.balances) | set(loaded.balances)
    return YearReport(scan.name, scan.start, scan.end, loaded.entries, loaded.lines,
                      source.debit, {n: (source.balances.get(n, 0), loaded.balances.get(n, 0))
                                     for n in numbers})
