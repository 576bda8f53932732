"""The backup wizard in a terminal: Organizations → Company groups → Parameters → End."""

from __future__ import annotations

from pathlib import Path

import click

from ..backup import BackupOptions, BackupPlan, check_destination, create_destination, plan_backup
from ..errors import CheelError, UsageError
from ..store import organizations
from . import passwords
from .checklist import checklist
from .context import Ctx


def run_wizard(ctx: Ctx, source: passwords.PasswordSource,
               start_from: str | None = None) -> BackupPlan | None:
    """Ask every answer step by step; returns the plan the summary showed (run it as it is:
    its file name is the one shown), or None if the user cancels."""
    console = ctx.console
    entries = ctx.catalog.list()
    if not entries:
        raise UsageError("there is no organization to back up",
                         hint="create one with cheel org create NAME, or cheel demo")
    names = [e.name for e in entries]
    console.print("[bold]Backup wizard[/]")
    orgs = [n == start_from for n in names] if start_from else [i == 0 for i in range(len(names))]
    step = 1
    groups: list[str] = []
    while True:
        if step == 1:
            picked = checklist(console, "Step 1 of 4: Organizations to back up", names, orgs)
            orgs = picked or orgs
            chosen = [n for n, on in zip(names, orgs) if on]
            step = 2 if len(chosen) == 1 else 3
            if len(chosen) > 1:
                console.print("Several organizations: every group of each is included.")
        elif step == 2:
            with organizations.opened(ctx.catalog, chosen[0]) as (_, db):
                all_groups = organizations.list_groups(db)
            labels = [f"{g.name} ({', '.join(c.name for c in g.companies) or 'no company'})"
                      for g in all_groups]
            picked = checklist(console, "Step 2 of 4: Company groups", labels,
                               [True] * len(labels), allow_back=True)
            if picked is None:
                step = 1
                continue
            groups = [g.uid for g, on in zip(all_groups, picked) if on]
            step = 3
        elif step == 3:
            console.print("\n[bold]Step 3 of 4: Parameters[/]")
            while True:
                folder = ask_destination(ctx)
                if folder is not None:
                    break
            password = source.given()
            if password is None:
                password = passwords.ask_new_password()
            options = BackupOptions(chosen, folder, groups if len(chosen) == 1 else [], password)
            plan = plan_backup(ctx.catalog, options)  # its time, once: the file's name
            s = plan.summary
            console.print("\n[bold]Step 4 of 4: End — summary[/]")
            console.print(f"  Organizations: {', '.join(s['organizations'])}", markup=False)
            console.print(f"  Groups:        {', '.join(s['groups'])}", markup=False)
            console.print(f"  Companies:     {', '.join(s['companies'])}", markup=False)
            console.print(f"  File:          {s['destination']}", markup=False)
            console.print(f"  Encrypted:     {'yes' if s['encrypted'] else 'no'}")
            answer = click.prompt("Finish (f), back (b) or cancel (c)", default="f",
                                  err=True).strip().lower()
            if answer.startswith("b"):
                step = 2 if len(chosen) == 1 else 1
                continue
            if answer.startswith("c"):
                console.print("Cancelled; nothing was written.")
                return None
            return plan


def ask_destination(ctx: Ctx) -> Path | None:
    """The destination folder typed, as an absolute path, offering to create a missing one;
    None (after saying why) when it cannot be used."""
    answer = click.prompt("Destination folder", default=str(Path.cwd()), err=True)
    folder = Path(answer).expanduser().absolute()
    try:
        if not folder.exists() and not folder.is_symlink():
            ctx.console.print(f"The folder {folder} does not exist.", markup=False)
            if not click.confirm(f"Create the folder {folder}?", default=True, err=True):
                return None
            create_destination(folder)
        return check_destination(folder)
    except CheelError as e:
        ctx.console.print(e.message, style="red", markup=False)
        return None
