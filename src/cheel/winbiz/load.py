"""Writing an imported WinBIZ company into an organization, inside the caller's transaction:
the group's accounts and currencies it lacks, the company, its fiscal years, its entries
and lines (in batches, with explicit ids, as a restore writes them), then the checks that
must hold before anything commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..bulk import no_cycle_scans
from ..errors import ImportConflict, IntegrityError, joined, said
from ..progress import Progress
from ..store import organizations
from ..store.engines import Database
from .chart import KINDS, Chart
from .entries import Entry, YearScan, YearTotals, chf

BATCH_LINES = 5000  # lines written at once (and progress reported)
ENTRY_COLUMNS = ("id", "company_id", "fiscal_year_id", "number", "date", "reference",
                 "description", "journal", "created_by", "created_at")
# An entry line's ids, then the line as entries_of gives it (its currency's id for its code);
# no VAT code (NULL).
LINE_COLUMNS = ("id", "entry_id", "account_id", "debit", "credit", "currency_id", "amount_fc",
                "rate", "text")


@dataclass
class Clash:
    number: str
    imported: str  # the name in the source
    kind: str
    existing: str  # the name in the group
    existing_kind: str


@dataclass
class AccountsDone:
    ids: dict[str, int]  # account number → id in the group
    added: int = 0
    matched: int = 0


@dataclass
class YearLoaded:
    """What a fiscal year holds in cheel once written: counts and balances."""

    id: int
    entries: int = 0
    lines: int = 0
    balances: dict[str, int] = field(default_factory=dict)


def group_accounts(db: Database, group_id: int) -> dict[str, tuple[int, str, set[str]]]:
    """The group's accounts: number → (id, kind, its names in every language)."""
    found: dict[str, tuple[int, str, set[str]]] = {}
    for account_id, number, kind, name in db.query(
            "SELECT a.id, a.number, a.kind, n.name FROM accounts a "
            "LEFT JOIN account_names n ON n.account_id = a.id WHERE a.group_id = ?",
            (group_id,)):
        entry = found.setdefault(number, (account_id, kind, set()))
        if name is not None:
            entry[2].add(name.casefold())
    return found


def clashes(chart: Chart, existing: dict[str, tuple[int, str, set[str]]]) -> list[Clash]:
    """Numbers the group has with another name or kind than the imported chart gives."""
    out = []
    for number, account in sorted(chart.accounts.items()):
        known = existing.get(number)
        if known is None:
            continue
        _, kind, names = known
        if kind != account.kind or account.name.casefold() not in names:
            shown = sorted(names)[0] if names else "?"
            out.append(Clash(number, account.name, account.kind, shown, kind))
    return out


class CompanyWriter:
    """One import's writes into ``db`` (within the caller's transaction)."""

    def __init__(self, db: Database, group_id: int, company_id: int, created_at: str):
        self.db, self.group_id, self.company_id = db, group_id, company_id
        self.created_at = created_at
        self.languages = [r[0] for r in db.query("SELECT id FROM languages ORDER BY position")]
        self.currencies = {code: cid for cid, code in db.query(
            "SELECT id, code FROM currencies WHERE group_id = ?", (group_id,))}
        self.currencies_added: list[str] = []
        self.next_entry = db.max_id("journal_entries") + 1
        self.next_line = db.max_id("entry_lines") + 1
        self.ranges: dict[int, tuple[int, int]] = {}  # fiscal year → its entries' ids

    def accounts(self, chart: Chart) -> AccountsDone:
        """The group's id of every account of the chart, adding those it lacks (named in
        every language of the organization); a clash is refused, nothing merged."""
        existing = group_accounts(self.db, self.group_id)
        found = clashes(chart, existing)
        if found:
            listed = joined([said('{number}: "{imported}" ({kind}) here, "{existing}" '
                                  "({existing_kind}) in the group", number=c.number,
                                  imported=c.imported, kind=KINDS.get(c.kind, c.kind),
                                  existing=c.existing,
                                  existing_kind=KINDS.get(c.existing_kind, c.existing_kind))
                             for c in found[:5]])
            raise ImportConflict(
                said("{count} accounts of the imported chart have the number of another "
                     "account of the group ({listed}); nothing was imported",
                     count=len(found), listed=listed),
                hint=said("import into a new group, or make the two charts agree first"))
        done = AccountsDone({n: existing[n][0] for n in chart.accounts if n in existing})
        done.matched = len(done.ids)
        for number, account in sorted(chart.accounts.items()):
            if number in done.ids:
                continue
            account_id = self.db.insert("accounts", {
                "group_id": self.group_id, "number": number, "kind": account.kind,
                "currency_id": None, "active": True})
            for language_id in self.languages:
                self.db.insert("account_names", {"account_id": account_id,
                                                 "language_id": language_id,
                                                 "name": account.name})
            done.ids[number] = account_id
            done.added += 1
        return done

    def currency(self, code: str) -> int:
        found = self.currencies.get(code)
        if found is None:
            found = self.db.insert("currencies", {"group_id": self.group_id, "code": code,
                                                  "name": code, "decimals": 2})
            self.currencies[code] = found
            self.currencies_added.append(code)
        return found

    def fiscal_year(self, scan: YearScan) -> int:
        return self.db.insert("fiscal_years", {
            "company_id": self.company_id, "name": scan.name, "start_date": scan.start,
            "end_date": scan.end, "closed": False})

    def entries(self, year_id: int, entries: Iterable[Entry],
                progress: Progress | None, done: int, total: int) -> int:
        """Write the entries in batches (explicit ids, reserved as they go); returns the
        rows done so far, for the progress."""
        entry_rows: list[tuple] = []
        line_rows: list[tuple] = []
        db = self.db
        first = self.next_entry
        with db.row_writer() as writer, no_cycle_scans():
            def flush() -> None:
                if entry_rows:
                    writer.flush()  # the previous batch's stream ends before a statement
                    db.reserve_ids("journal_entries", self.next_entry - 1)
                    db.reserve_ids("entry_lines", self.next_line - 1)
                    writer.write("journal_entries", ENTRY_COLUMNS, entry_rows)
                    writer.write("entry_lines", LINE_COLUMNS, line_rows)
                    entry_rows.clear()
                    line_rows.clear()

            for entry in entries:
                entry_id = self.next_entry
                self.next_entry += 1
                entry_rows.append((entry_id, self.company_id, year_id, entry.number, entry.date,
                                   entry.reference, entry.description, entry.journal, None,
                                   self.created_at))
                line_id = self.next_line
                for line in entry.lines:
                    if line[3] is None:  # in francs: the line as it is, after its ids
                        line_rows.append((line_id, entry_id) + line)
                    else:
                        currency_id = self.currencies.get(line[3])
                        if currency_id is None:
                            writer.flush()  # a statement of its own: the stream pauses
                            currency_id = self.currency(line[3])
                        line_rows.append((line_id, entry_id) + line[:3] + (currency_id,)
                                         + line[4:])
                    line_id += 1
                self.next_line = line_id
                done += len(entry.lines)
                if len(line_rows) >= BATCH_LINES:
                    flush()
                    if progress:
                        progress(done, total)
            flush()
        self.ranges[year_id] = (first, self.next_entry - 1)
        return done

    def loaded(self, year_ids: dict[str, int], accounts: dict[str, int]
               ) -> dict[str, YearLoaded]:
        """What the company's fiscal years hold once written, read back from the database
        over the id ranges written (an index range each, no join): entries, lines, every
        account's balance. A line on an account that is not the group's is counted under
        no number, so the counts of :meth:`check` refuse it."""
        numbers = {account_id: number for number, account_id in accounts.items()}
        out = {}
        for name, year_id in year_ids.items():
            year = out[name] = YearLoaded(year_id)
            first, last = self.ranges.get(year_id, (1, 0))
            year.entries = int(self.db.scalar(
                "SELECT COUNT(*) FROM journal_entries WHERE id BETWEEN ? AND ? "
                "AND company_id = ? AND fiscal_year_id = ?",
                (first, last, self.company_id, year_id)))
            for account_id, lines, balance in self.db.query(
                    "SELECT account_id, COUNT(*), SUM(debit) - SUM(credit) FROM entry_lines "
                    "WHERE entry_id BETWEEN ? AND ? GROUP BY account_id", (first, last)):
                number = numbers.get(account_id)
                if number is not None:
                    year.lines += int(lines)
                    year.balances[number] = int(balance)
        return out

    def check(self, totals: dict[str, YearTotals], loaded: dict[str, YearLoaded]) -> None:
        """What must hold before the import commits: each fiscal year holds the entries and
        lines read (each line on an account of the group), every entry balances, and every
        account's balance equals the sum computed from the source files."""
        for first, last in self.ranges.values():
            unbalanced = self.db.scalar(
                "SELECT entry_id FROM entry_lines WHERE entry_id BETWEEN ? AND ? "
                "GROUP BY entry_id HAVING SUM(debit) <> SUM(credit) LIMIT 1", (first, last))
            if unbalanced is not None:
                number = self.db.scalar("SELECT number FROM journal_entries WHERE id = ?",
                                        (unbalanced,))
                raise IntegrityError(said("the imported entry {number} does not balance; "
                                          "nothing was imported", number=number),
                                     cause="balance")
        for name, source in totals.items():
            year = loaded[name]
            if (year.entries, year.lines) != (source.entries, source.lines):
                raise IntegrityError(said("the fiscal year {year} holds {entries} entries and "
                                          "{lines} lines, the source {want_entries} and "
                                          "{want_lines}; nothing was imported", year=name,
                                          entries=year.entries, lines=year.lines,
                                          want_entries=source.entries,
                                          want_lines=source.lines), cause="count")
            wanted = {n: v for n, v in source.balances.items() if v}
            got = {n: v for n, v in year.balances.items() if v}
            if wanted != got:
                number = min(set(wanted) ^ set(got) or
                             {n for n in wanted if wanted[n] != got.get(n)})
                raise IntegrityError(said("the balance of the account {number} in {year} is "
                                          "{got} in cheel, {want} in the source; nothing was "
                                          "imported", number=number, year=name,
                                          got=chf(got.get(number, 0)),
                                          want=chf(wanted.get(number, 0))),
                                     cause="balance")


def new_company(db: Database, name: str, group: str | None, new_group: str | None
                ) -> tuple[organizations.GroupInfo, organizations.CompanyInfo]:
    """The company the import fills: it forms ``new_group`` or joins ``group``."""
    company = organizations.create_company(db, name, group=group, new_group=new_group)
    info = next(g for g in organizations.list_groups(db)
                if any(c.uid == company.uid for c in g.companies))
    return info, company

