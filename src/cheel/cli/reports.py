"""What the commands print for people: an organization's tree, a backup's manifest, a
restore's report, an import's report. Every name is data, escaped so that Rich never reads
it as markup."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from ..errors import printable
from .context import Ctx, human_size

if TYPE_CHECKING:  # for the annotations only: `cheel inspect` need not import the restore code
    from ..restore import OwnOrgsReport, RestoreReport
    from ..verify import BackupInfo
    from ..winbiz import ImportReport

MAIN_TABLES = ("accounts", "contacts", "journal_entries", "entry_lines", "invoices",
               "documents")


def print_org(ctx: Ctx, info: dict) -> None:
    """An organization (``organizations.describe``) as a tree: groups, their row counts and
    companies."""
    tree = Tree(f"[bold]{escape(info['name'])}[/] ({info['engine']}, "
                f"{human_size(info['size_bytes'])}, languages {', '.join(info['languages'])})")
    for g in info["groups"]:
        rows = g.get("rows", {})
        extra = (f" — {rows.get('accounts', 0)} accounts, {rows.get('contacts', 0)} contacts, "
                 f"{rows.get('journal_entries', 0)} entries, {rows.get('entry_lines', 0)} lines"
                 if rows else "")
        branch = tree.add(f"[bold]{escape(g['name'])}[/]{extra}")
        for c in g["companies"]:
            ide = f" {c['ide_number']}" if c.get("ide_number") else ""
            branch.add(escape(f"{c['name']}{ide}"))
    ctx.console.print(tree)


def print_manifest(ctx: Ctx, info: BackupInfo) -> None:
    """What a backup holds: when and by what it was made, its organizations, groups (with
    their main tables' row counts) and companies."""
    m = info.manifest
    lock = "encrypted" if info.encrypted else "not encrypted"
    ctx.console.print(f"[bold]{escape(info.file)}[/] ({human_size(info.size)}, {lock})")
    ctx.console.print(f"Created {escape(m.created_at)} by cheel {escape(m.cheel_version)}, "
                      f"format {m.format_version}, schema {m.schema_version}")
    for o in m.organizations:
        tree = Tree(f"[bold]{escape(o.name)}[/] ({o.engine})")
        for g in o.groups:
            counts = ", ".join(f"{g.rows.get(t, 0)} {t.replace('_', ' ')}" for t in MAIN_TABLES)
            branch = tree.add(f"[bold]{escape(g.name)}[/] — {counts}")
            for c in g.companies:
                branch.add(escape(c.name))
        ctx.console.print(tree)
    ctx.console.print(f"{m.total_rows} rows in all.")


def print_report(ctx: Ctx, report: RestoreReport) -> None:
    """A restore's (or a dry run's) table of groups, then one line for the whole, and a note
    for each group renamed because the target already had another of its name."""
    verb = "Would restore" if report.dry_run else "Restored"
    t = Table("Group", "Action", "Restored as", "Companies", "Rows")
    for g in report.groups:
        note = g.target_name + (" (renamed)" if g.renamed and g.action != "copy" else "")
        rows = str(sum(g.rows.values())) if g.restored else "-"
        t.add_row(escape(f"{g.source_org} / {g.name}"), g.action, escape(note),
                  escape(", ".join(g.company_names.get(c.uid, c.name) for c in g.companies)),
                  rows)
    ctx.console.print(t)
    n = sum(report.rows.values())
    where = f'new organization "{report.target}"' if report.created else f'"{report.target}"'
    done = [g for g in report.groups if g.restored]
    msg = f"{verb} {len(done)} group(s), {n} rows into {where}"
    if not report.dry_run:
        msg += f" in {report.seconds:.1f} s"
    click.echo(msg + ".")
    for g in report.groups:
        if g.renamed and g.action != "copy":
            click.echo(f'Note: "{g.name}" was renamed "{g.target_name}" because the target '
                       "already has another group of that name.")
    for _, sentence in report.replacing:  # a dry run: what replacing each group loses
        text = str(sentence)
        click.echo(f"{text[:1].upper()}{text[1:]}.")


def print_own_orgs_report(ctx: Ctx, report: OwnOrgsReport) -> None:
    """``restore --each-as-own-org``: the groups of each organization made (or to make), then
    a line per organization, with why when it failed."""
    t = Table("Organization", "Group", "Companies", "Rows")
    for r in report.organizations:
        for g in r.groups:
            t.add_row(escape(r.name), escape(g.target_name),
                      escape(", ".join(g.company_names.get(c.uid, c.name) for c in g.companies)),
                      str(sum(g.rows.values())))
    ctx.console.print(t)
    for r in report.organizations:
        name, what = printable(r.name), f"{len(r.groups)} group(s), {sum(r.rows.values())} rows"
        if report.dry_run:
            click.echo(f'Would create "{name}" on {r.engine}: {what}.')
        elif r.made:
            click.echo(f'Created "{name}" on {r.engine}: {what} in {r.seconds:.1f} s.')
        else:
            message = getattr(r.error, "message", None) or \
                printable(f"unexpected failure: {type(r.error).__name__}: {r.error}")
            click.echo(f'Not created "{name}": {message}')
            if getattr(r.error, "hint", None):
                click.echo(f"Hint: {r.error.hint}")
    made = sum(1 for r in report.organizations if r.made)
    if not report.dry_run:
        click.echo(f"{made} of {len(report.organizations)} organization(s) created in "
                   f"{report.seconds:.1f} s.")


def chf(cents: int) -> str:
    """Centimes as Swiss francs, with the Swiss thousands separator: -1'234.50."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d}".replace(",", "'")


def print_import_report(ctx: Ctx, report: ImportReport) -> None:
    """Each fiscal year's entries and lines, and its account balances as computed from the
    source files and as read back from cheel, side by side (every account: ``--json``)."""
    table = Table("Fiscal year", "Entries", "Lines", "Debit total (CHF)", "Accounts",
                  "Balances: source = cheel")
    for y in report.years:
        differ = [n for n, (source, cheel) in y.balances.items() if source != cheel]
        table.add_row(escape(y.name), str(y.entries), str(y.lines), chf(y.debit),
                      str(sum(1 for s, _ in y.balances.values() if s)),
                      "all equal" if not differ else f"differ: {', '.join(sorted(differ))}")
    ctx.console.print(table)
    largest = sorted(((abs(s), n, s, c) for y in report.years[-1:]
                      for n, (s, c) in y.balances.items()), reverse=True)[:8]
    if largest:
        balances = Table("Account", "Source (CHF)", "Cheel (CHF)",
                         title=f"Largest balances of {escape(report.years[-1].name)}")
        for _, number, source, cheel in largest:
            balances.add_row(escape(number), chf(source), chf(cheel))
        ctx.console.print(balances)
    where = (f'new group "{report.group}"' if report.new_group
             else f'group "{report.group}" (sharing its chart)')
    accounts = f"{report.accounts_added} accounts added"
    if report.accounts_matched:
        accounts += f", {report.accounts_matched} matched by number"
    if report.headings:
        accounts += f", {report.headings} grouping accounts not imported"
    verb = "Checked (dry run, nothing was changed):" if report.dry_run else "Imported"
    ctx.console.print(escape(f'{verb} company "{report.company}" into {where} of '
                             f'"{report.organization}": {report.entries} entries, '
                             f"{report.lines} lines, {accounts}; in {report.seconds:.1f} s."))
