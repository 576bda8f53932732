"""``cheel diff``: what changed between a backup and an organization, or two backups."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from ..diff import DiffOptions, DiffReport, GroupDiff, diff
from ..diff.report import (ONLY_AFTER, ONLY_BEFORE, SAME, Change, CompanyDiff, TableDiff,
                           value_text)
from ..errors import UsageError
from . import passwords
from .context import Ctx, print_json
from .progress import progress_bar
from .reports import chf

TITLES = {"company_groups": "Group", "currencies": "Currencies",
          "exchange_rates": "Exchange rates", "accounts": "Accounts",
          "account_names": "Account names", "vat_codes": "VAT codes", "contacts": "Contacts",
          "addresses": "Addresses", "communications": "Communications",
          "articles": "Articles", "article_names": "Article names", "companies": "Company",
          "fiscal_years": "Fiscal years", "journal_entries": "Entries",
          "entry_lines": "Entry lines", "invoices": "Invoices",
          "invoice_lines": "Invoice lines", "payments": "Payments", "documents": "Documents"}
PART_NAMES = {"entry_lines": "line", "invoice_lines": "line", "payments": "payment",
              "addresses": "address", "communications": "communication",
              "account_names": "name", "article_names": "name", "exchange_rates": "rate"}
SHOWN = 8  # changes printed per table and company (--json lists more)


@click.command("diff")
@click.argument("file", metavar="FILE")
@click.argument("other", required=False, metavar="[FILE2]")
@click.option("--against", metavar="ORG", help="Compare FILE with this organization as it is "
                                               "now.")
@click.option("--group", "groups", multiple=True, metavar="G",
              help="Only this group (name, uid or ORG/GROUP); repeatable.")
@passwords.options
@passwords.identity_option
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.pass_obj
def diff_cmd(ctx: Ctx, file: str, other: str | None, against: str | None,
             groups: tuple[str, ...], password_file: str | None, password_command: str | None,
             identity_files: tuple[str, ...], as_json: bool) -> None:
    """What changed between a backup (FILE, a path or an s3:// or sftp:// address) and an
    organization as it is now (--against ORG), or a later backup (FILE2): per group and
    company, rows added, removed and changed; entries by fiscal year and number; account
    balances per fiscal year before and after. Rows are matched by their natural key, so a
    restored copy, whose ids differ, shows no change. Changes nothing."""
    if (against is None) == (other is None):
        raise UsageError("compare FILE with an organization (--against ORG) or with a second "
                         "backup (FILE FILE2)")
    source = passwords.PasswordSource(password_file, password_command, identity_files)
    unlocker = passwords.unlock(file, source)
    with progress_bar("Comparing", enabled=None if not as_json else False) as update:
        report = diff(ctx.catalog, DiffOptions(file, against, other, list(groups)), unlocker,
                      update)
    if as_json:
        print_json(report.as_dict())
        return
    print_diff(ctx, report)


def _side(side: dict) -> str:
    if "organization" in side:
        return f'organization "{side["organization"]}" (now)'
    return f"backup {side['file']} ({side['created_at']})"


def print_diff(ctx: Ctx, report: DiffReport) -> None:
    out = ctx.console
    out.print(escape(f"{_side(report.before)} → {_side(report.after)}"))
    two_files = "file" in report.after
    places = ("the first backup", "the second backup") if two_files else \
        ("the backup", "the organization")
    for g in report.groups:
        out.print()
        _group(ctx, g, places)
    changed = sum(1 for g in report.groups if g.status != SAME)
    click.echo(f"\n{changed} of {len(report.groups)} group(s) differ "
               f"({report.seconds:.1f} s)." if report.groups else "\nNo group to compare.")


def _group(ctx: Ctx, g: GroupDiff, places: tuple[str, str]) -> None:
    out = ctx.console
    if g.status == ONLY_BEFORE:
        out.print(f"[bold]{escape(g.name)}[/] ({escape(g.org_before)}): only in {places[0]} "
                  f"({sum(t.removed for t in g.tables.values())} rows)")
        return
    if g.status == ONLY_AFTER:
        out.print(f"[bold]{escape(g.name)}[/] ({escape(g.org_after)}): only in {places[1]} "
                  f"({sum(t.added for t in g.tables.values())} rows)")
        return
    if g.status == SAME:
        out.print(f"[bold]{escape(g.name)}[/]: no change")
        return
    renamed = f' (was "{escape(g.before or "")}")' if g.before and g.before != g.after else ""
    out.print(f"[bold]{escape(g.name)}[/]{renamed}: changed")
    rows = Table("Table", "Added", "Removed", "Changed")
    for name, counts in g.rows().items():
        rows.add_row(TITLES.get(name, name), str(counts["added"]), str(counts["removed"]),
                     str(counts["changed"]))
    out.print(rows)
    _tables(ctx, g, "  ")
    for c in g.companies:
        if c.status != SAME:
            _company(ctx, c)


def _company(ctx: Ctx, c: CompanyDiff) -> None:
    out = ctx.console
    status = {ONLY_BEFORE: " (only before)", ONLY_AFTER: " (only after)"}.get(c.status, "")
    out.print(f"  [bold]{escape(c.name)}[/]{status}")
    entries = c.tables.get("journal_entries")
    if entries and entries.total:
        by_year: dict[str, list[Change]] = {}
        for change in entries.changes:
            start = change.key["fiscal_year_id"][1]  # type: ignore[index]
            by_year.setdefault(start, []).append(change)
        click.echo(f"    Entries: {entries.added} added, {entries.removed} removed, "
                   f"{entries.changed} changed")
        for start, changes in sorted(by_year.items()):
            click.echo(f"    Fiscal year {c.fiscal_years.get(start, start)}:")
            for change in changes[:SHOWN]:
                click.echo("      " + _entry(change))
            if len(changes) > SHOWN:
                click.echo(f"      … {len(changes) - SHOWN} more (see --json)")
    if c.balances:
        t = Table("Fiscal year", "Account", "Before", "After", "Difference")
        for b in c.balances:
            t.add_row(escape(b.fiscal_year), escape(b.account), _francs(b.before),
                      _francs(b.after), ("+" if b.difference > 0 else "") + _francs(b.difference))
        out.print(t)
    _tables(ctx, c, "    ", skip=("journal_entries", "entry_lines"))


def _francs(value) -> str:
    return chf(int(value.scaleb(2)))


def _tables(ctx: Ctx, scope, indent: str, skip: tuple[str, ...] = ()) -> None:
    for name, t in scope.tables.items():
        if name in skip or not t.total or name in PART_NAMES:
            continue
        click.echo(f"{indent}{TITLES.get(name, name)}: {_counts(t)}")
        for change in t.changes[:SHOWN]:
            click.echo(f"{indent}  {change.kind} {_named(change)}{_detail(change)}")
        if len(t.changes) > SHOWN or t.unlisted:
            click.echo(f"{indent}  … {t.total - min(SHOWN, len(t.changes))} more (see --json)")


def _counts(t: TableDiff) -> str:
    return f"{t.added} added, {t.removed} removed, {t.changed} changed"


def _named(change: Change) -> str:
    return change.label or "?"


def _entry(change: Change) -> str:
    v = change.values
    number = change.key.get("number")
    amount = sum(p.values.get("debit", 0) or 0 for p in change.parts.get("entry_lines", [])
                 if p.kind != "removed" or change.kind == "removed")
    head = f"{change.kind} {number} {v.get('date', '')} {v.get('description', '')}".rstrip()
    if change.kind in ("added", "removed"):
        return head + (f" ({chf(amount)})" if amount else "")
    return head + _detail(change)


def _detail(change: Change) -> str:
    parts = [_field(change.table, f, b, a) for f, b, a in change.changes]
    for part, changes in change.parts.items():
        for p in changes[:SHOWN]:
            what = f"{PART_NAMES.get(part, part)} {p.label}"
            if p.kind == "changed":
                parts.append(f"{what}: " + ", ".join(_field(part, f, b, a)
                                                     for f, b, a in p.changes))
            else:
                shown = ", ".join(value_text(part, k, x, chf) for k, x in p.values.items()
                                  if x is not None)
                parts.append(f"{what} {p.kind} ({shown})")
        if len(changes) > SHOWN:
            parts.append(f"… {len(changes) - SHOWN} more")
    return (": " + "; ".join(parts)) if parts else ""


def _field(table: str, name: str, before, after) -> str:
    return (f"{name.removesuffix('_id')} {value_text(table, name, before, chf)} → "
            f"{value_text(table, name, after, chf)}")
