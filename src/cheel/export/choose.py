"""What an export takes out of a backup: its options, the company (by name or uid, found in
the manifest before any row is read) and the fiscal year (by its name, or by the calendar
year it ends in, found among the company's fiscal years as they go by)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..archive.manifest import Manifest
from ..errors import NotFound, UsageError, said
from ..store.names import name_key

JOURNAL, LEDGER, ACCOUNTS, CONTACTS = "journal", "ledger", "accounts", "contacts"
WHATS = (JOURNAL, LEDGER, ACCOUNTS, CONTACTS)
CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
LISTED = 20  # at most this many companies or years named in a message


@dataclass
class ExportOptions:
    """``file``: a backup's path or address; ``company``: its name or uid; ``year``: a
    fiscal year's name or the calendar year it ends in (None: every year for the journal,
    the latest for the ledger and the accounts; contacts have none); ``out``: the file to
    write (replaced if it exists), a folder to write into, or None for the current folder
    (a name of its own there, never replacing a file)."""

    file: str
    company: str
    what: str = JOURNAL
    format: str = CSV
    year: str | None = None
    out: str | None = None

    def checked(self) -> ExportOptions:
        if self.what not in WHATS:
            raise UsageError(said('"{value}" is not something to export', value=self.what[:20]),
                             hint=said("export one of: {choices}", choices=", ".join(WHATS)))
        if self.format not in FORMATS:
            raise UsageError(said('"{value}" is not an export format', value=self.format[:20]),
                             hint=said("export one of: {choices}", choices=", ".join(FORMATS)))
        if self.what == CONTACTS and self.year:
            raise UsageError(said("contacts belong to no fiscal year"),
                             hint=said("export the contacts without a year"))
        if not self.company.strip():
            raise UsageError(said("name the company to export"))
        return self


@dataclass(frozen=True)
class Company:
    """A company of the file, where it is: its organization and group."""

    org: int  # the organization's index in the file
    org_name: str
    group: str  # the group's key in the file (g1, g2, …)
    group_name: str
    uid: str
    name: str
    languages: tuple[str, ...]  # the organization's, main first

    @property
    def described(self) -> str:
        return f'"{self.name}" (uid {self.uid}, group "{self.group_name}" of "{self.org_name}")'


def companies_of(manifest: Manifest) -> list[Company]:
    return [Company(o.index, o.name, g.key, g.name, c.uid, c.name, tuple(o.languages))
            for o in manifest.organizations for g in o.groups for c in g.companies]


def _listed(items: list[str]) -> str:
    more = len(items) - LISTED
    return ", ".join(items[:LISTED]) + (f" and {more} more" if more > 0 else "")


def find_company(manifest: Manifest, wanted: str) -> Company:
    """The company named ``wanted`` (its uid, its exact name, or its name compared as names
    are); a clear error naming the file's companies when there is none or several."""
    companies = companies_of(manifest)
    found = [c for c in companies if c.uid == wanted.strip()] or \
        [c for c in companies if c.name == wanted] or \
        [c for c in companies if name_key(c.name) == name_key(wanted)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(said('the backup holds no company "{company}"', company=wanted[:100]),
                       hint=said("its companies: {companies}",
                                 companies=_listed([f'"{c.name}"' for c in companies])
                                 or "none"))
    raise UsageError(said('{count} companies of the backup are named "{company}"',
                          count=len(found), company=wanted[:100]),
                     hint=said("name one by its uid: {companies}",
                               companies=_listed([c.described for c in found])))


@dataclass(frozen=True)
class FiscalYear:
    id: int
    name: str
    start: date
    end: date
    closed: bool

    @property
    def described(self) -> str:
        return f'"{self.name}" ({self.start.isoformat()} to {self.end.isoformat()})'


def find_year(years: list[FiscalYear], wanted: str | None, company: Company,
              default_latest: bool) -> FiscalYear | None:
    """The fiscal year ``wanted`` names (its name, else the calendar year it ends in); with
    none wanted, the latest if ``default_latest``, else None (every year)."""
    years = sorted(years, key=lambda y: (y.start, y.end, y.id))
    if not wanted:
        if not default_latest:
            return None
        if not years:
            raise NotFound(said('the company "{company}" has no fiscal year in the backup',
                                company=company.name))
        return years[-1]
    text = wanted.strip()
    found = [y for y in years if y.name == text] or \
        [y for y in years if name_key(y.name) == name_key(text)] or \
        [y for y in years if text.isdigit() and y.end.year == int(text)]
    if len(found) == 1:
        return found[0]
    listing = _listed([y.described for y in years]) or "none"
    if not found:
        raise NotFound(said('the company "{company}" has no fiscal year "{year}" in the backup',
                            company=company.name, year=text[:40]),
                       hint=said("its fiscal years: {years}", years=listing))
    raise UsageError(said('{count} fiscal years of "{company}" end in {year}',
                          count=len(found), company=company.name, year=text[:40]),
                     hint=said("name one: {years}", years=_listed([y.described for y in found])))
