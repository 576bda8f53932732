"""``cheel restore``: flags for every wizard answer; the wizard when run bare in a terminal."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from ..errors import UsageError
from ..restore import RestoreReport, run_restore
from ..restore import POLICIES, RestoreOptions
from . import passwords
from .context import Ctx, is_interactive, print_json
from .progress import progress_bar


@click.command("restore")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--into", "into", metavar="ORG", help="The organization to restore into.")
@click.option("--create", is_flag=True, help="Create the organization first.")
@click.option("--postgres", metavar="URL", help="With --create: put it on this PostgreSQL server.")
@click.option("--group", "groups", multiple=True, metavar="G",
              help="Restore only this group (name, uid or ORG/GROUP); repeatable.")
@click.option("--on-conflict", type=click.Choice(POLICIES), default=None,
              help="What to do with groups that already exist in the target "
                   "(default: ask in a terminal, fail otherwise).")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@passwords.options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def restore(ctx: Ctx, file: str | None, into: str | None, create: bool, postgres: str | None,
            groups: tuple[str, ...], on_conflict: str | None, dry_run: bool,
            password_file: str | None, password_command: str | None, as_json: bool) -> None:
    """Restore company groups from a backup into an organization, all or nothing."""
    source = passwords.PasswordSource(password_file, password_command)
    if file is None and into is None and is_interactive():
        from .wizard_restore import run_wizard

        run_wizard(ctx, source)
        return
    if file is None:
        raise UsageError("name the backup file to restore")
    if not into:
        raise UsageError("say which organization to restore into with --into ORG",
                         hint="add --create to make a new organization from the backup")
    if postgres and not create:
        raise UsageError("--postgres goes with --create (the target is created on that server)")
    options = RestoreOptions(file, into, create, postgres, list(groups),
                             on_conflict or "fail", dry_run=dry_run)
    unlocker = passwords.unlock(file, source)
    with progress_bar("Restoring" if not dry_run else "Checking",
                      enabled=None if not as_json else False) as update:
        report = run_restore(ctx.catalog, options, unlocker, update)
    if as_json:
        print_json(report.as_dict())
        return
    print_report(ctx, report)


def print_report(ctx: Ctx, report: RestoreReport) -> None:
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
