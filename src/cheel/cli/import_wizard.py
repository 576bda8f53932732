"""The WinBIZ import wizard in a terminal: source → what was found → organization and group
→ summary → import."""

from __future__ import annotations

import click

from ..errors import CheelError
from ..store import organizations
from ..winbiz import ImportOptions, SourceInfo, inspect_source, run_import
from .checklist import checklist
from .context import Ctx
from .progress import progress_bar
from .reports import print_import_report


def _choose(ctx: Ctx, title: str, names: list[str], extra: str | None = None) -> int:
    """A numbered choice; returns the index (``len(names)`` for ``extra``)."""
    ctx.console.print(f"\n[bold]{title}[/]")
    for i, name in enumerate(names, start=1):
        ctx.console.print(f"  {i:>2}. {name}", markup=False)
    if extra:
        ctx.console.print(f"  {len(names) + 1:>2}. {extra}", markup=False)
    last = len(names) + (1 if extra else 0)
    while True:
        pick = click.prompt("Number", type=int, default=1, err=True)
        if 1 <= pick <= last:
            return pick - 1


def run_wizard(ctx: Ctx) -> None:
    console = ctx.console
    console.print("[bold]Import a company from WinBIZ[/]")
    orgs = [e.name for e in ctx.catalog.list()]
    if not orgs:
        raise CheelError("there is no organization to import into",
                         hint="create one with cheel org create NAME")

    console.print("\n[bold]Step 1: the WinBIZ data[/] (its data folder DAT/<dossier>, a zip "
                  "of it, its CSV exports, or a .wb_backup)")
    while True:
        path = click.prompt("Folder or file", err=True).strip()
        try:
            info: SourceInfo = inspect_source(path)
            break
        except CheelError as e:
            console.print(e.message, style="red", markup=False)
            if e.hint:
                console.print(f"Hint: {e.hint}", markup=False)

    console.print(f"\nFound: {info.company or '(no company name: CSV exports)'} — "
                  f"{info.accounts} accounts", markup=False)
    labels = [f"{y.name} ({y.start} to {y.end}): {y.entries} entries" for y in info.years]
    picked = checklist(console, "Step 2: fiscal years to import", labels, [True] * len(labels))
    years = [y.name for y, on in zip(info.years, picked or []) if on]
    if not years:
        console.print("No fiscal year chosen; nothing was imported.")
        return

    into = orgs[_choose(ctx, "Step 3: the organization that receives the company", orgs)]
    with organizations.opened(ctx.catalog, into) as (_, db):
        groups = [g.name for g in organizations.list_groups(db)]
    company = click.prompt("Name of the new company", default=info.company or None,
                           err=True).strip()
    pick = _choose(ctx, "Step 4: share the data of a company group?", groups,
                   extra="no: the company forms its own new group")
    group = groups[pick] if pick < len(groups) else None

    console.print("\n[bold]Summary[/]")
    console.print(f"  From:     {info.path}", markup=False)
    console.print(f"  Company:  {company}", markup=False)
    console.print(f"  Into:     {into}, "
                  + (f'group "{group}" (its chart shared)' if group else "a new group"),
                  markup=False)
    console.print(f"  Years:    {', '.join(years)}", markup=False)
    if not click.confirm("Import?", default=True, err=True):
        console.print("Cancelled; nothing was imported.")
        return
    options = ImportOptions(path, into, group=group, new_group=None if group else "",
                            company=company, years=years)
    with progress_bar("Importing") as update:
        report = run_import(ctx.catalog, options, update)
    print_import_report(ctx, report)
