"""``cheel restore``: flags for every wizard answer; the wizard when run bare in a terminal."""

from __future__ import annotations

import click

from ..errors import UsageError
from ..restore import FAIL, POLICIES, RestoreOptions, run_restore
from . import passwords
from .context import Ctx, is_interactive, print_json
from .progress import progress_bar
from .reports import print_report


@click.command("restore")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--into", "into", metavar="ORG", help="The organization to restore into.")
@click.option("--create", is_flag=True, help="Create the organization first.")
@click.option("--postgres", metavar="URL", help="With --create: put it on this PostgreSQL server.")
@click.option("--group", "groups", multiple=True, metavar="G",
              help="Restore only this group (name, uid or ORG/GROUP); repeatable.")
@click.option("--on-conflict", type=click.Choice(POLICIES), default=FAIL, show_default=True,
              help="What to do with groups that already exist in the target. Only the wizard "
                   "(cheel restore with no FILE and no --into, in a terminal) asks instead.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@passwords.options
@passwords.identity_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def restore(ctx: Ctx, file: str | None, into: str | None, create: bool, postgres: str | None,
            groups: tuple[str, ...], on_conflict: str, dry_run: bool,
            password_file: str | None, password_command: str | None,
            identity_files: tuple[str, ...], as_json: bool) -> None:
    """Restore company groups from a backup into an organization, all or nothing."""
    source = passwords.PasswordSource(password_file, password_command, identity_files)
    if file is None and into is None and is_interactive():
        from .restore_wizard import run_wizard

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
                             on_conflict, dry_run=dry_run)
    unlocker = passwords.unlock(file, source)
    with progress_bar("Restoring" if not dry_run else "Checking",
                      enabled=None if not as_json else False) as update:
        report = run_restore(ctx.catalog, options, unlocker, update)
    if as_json:
        print_json(report.as_dict())
        return
    print_report(ctx, report)
