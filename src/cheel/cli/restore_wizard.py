"""The restore wizard in a terminal: target → file → password → groups → conflicts → summary."""

from __future__ import annotations

import click

from ..errors import CheelError
from ..restore import COPY, REPLACE, SKIP, RestoreOptions, backup_groups, plan_restore, run_restore
from ..store import organizations
from ..store.names import name_problem, normalized
from ..verify import inspect_backup
from . import passwords
from .checklist import checklist
from .context import Ctx
from .progress import progress_bar
from .reports import print_report


def run_wizard(ctx: Ctx, source: passwords.PasswordSource) -> None:
    console = ctx.console
    console.print("[bold]Restore wizard[/]")
    names = [e.name for e in ctx.catalog.list()]
    console.print("\n[bold]Step 1: the organization to restore into[/]")
    for i, n in enumerate(names, start=1):
        console.print(f"  {i:>2}. {n}", markup=False)
    console.print(f"  {len(names) + 1:>2}. a new organization")
    while True:
        pick = click.prompt("Number", type=int, default=len(names) + 1, err=True)
        if 1 <= pick <= len(names) + 1:
            break
    create = pick == len(names) + 1
    postgres = None
    if create:
        while True:
            typed = click.prompt("Name of the new organization", err=True)
            problem = name_problem(typed)
            if problem is None and ctx.catalog.exists(typed):
                problem = "that name is taken"
            if problem is None:
                into = normalized(typed)
                break
            message = str(problem)
            console.print(message[:1].upper() + message[1:] + ".", style="red", markup=False)
        if click.confirm("Put it on a PostgreSQL server (instead of the embedded database)?",
                         default=False, err=True):
            postgres = click.prompt("PostgreSQL URL", err=True)
    else:
        into = names[pick - 1]

    console.print("\n[bold]Step 2: the backup file[/]")
    while True:
        file = click.prompt("Backup file (.cheelbackup)", err=True).strip()
        try:
            unlocker = passwords.unlock(file, source, interactive=True)
            manifest = inspect_backup(file, unlocker).manifest
            break
        except CheelError as e:
            console.print(e.message, style="red", markup=False)

    groups = backup_groups(manifest)
    labels = [f"{g.source_org} / {g.name} ({', '.join(c.name for c in g.companies)}; "
              f"{sum(g.rows.values())} rows)" for g in groups]
    picked = checklist(console, f"Step 3: groups to restore (backup of {manifest.created_at})",
                       labels, [True] * len(labels))
    chosen = [g.uid for g, on in zip(groups, picked or []) if on]

    decisions: dict[str, str] = {}
    if not create:
        with organizations.opened(ctx.catalog, into) as (_, db):
            existing = {g.uid for g in organizations.list_groups(db)}
        clashing = [g for g in groups if g.uid in chosen and g.uid in existing]
        if clashing:
            console.print("\n[bold]Step 4: groups that already exist in the target[/]")
        for g in clashing:
            answer = click.prompt(
                f'"{g.name}" exists: replace (r), restore as a copy (c) or skip (s)?',
                type=click.Choice(["r", "c", "s"]), default="c", err=True)
            decisions[g.uid] = {"r": REPLACE, "c": COPY, "s": SKIP}[answer]

    options = RestoreOptions(file, into, create, postgres, chosen, "fail", decisions)
    _, plans = plan_restore(ctx.catalog, options, unlocker)
    console.print("\n[bold]Summary[/]")
    target = f"new organization {into}" if create else into
    console.print(f"  Into:  {target}", markup=False)
    for g in plans:
        extra = f' as "{g.target_name}"' if g.target_name != g.name else ""
        console.print(f"  {g.action:>8}: {g.source_org} / {g.name}{extra}", markup=False)
    if not click.confirm("Finish?", default=True, err=True):
        console.print("Cancelled; nothing was changed.")
        return
    with progress_bar("Restoring") as update:
        report = run_restore(ctx.catalog, options, unlocker, update)
    print_report(ctx, report)
