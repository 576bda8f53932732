"""``cheel restore``: flags for every wizard answer; the wizard when run bare in a terminal."""

from __future__ import annotations

import click

from ..errors import CheelError, UsageError
from ..restore import FAIL, POLICIES, RestoreOptions, restore_own_orgs, run_restore
from . import passwords
from .context import Ctx, is_interactive, print_json
from .progress import progress_bar
from .reports import print_own_orgs_report, print_report


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
@click.option("--each-as-own-org", is_flag=True,
              help="With --create and no --into: make each organization of the backup an "
                   "organization of its own, under its own name, instead of merging them.")
@click.option("--dry-run", is_flag=True, help="Print the plan and change nothing.")
@passwords.options
@passwords.identity_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def restore(ctx: Ctx, file: str | None, into: str | None, create: bool, postgres: str | None,
            groups: tuple[str, ...], on_conflict: str, each_as_own_org: bool, dry_run: bool,
            password_file: str | None, password_command: str | None,
            identity_files: tuple[str, ...], as_json: bool) -> None:
    """Restore company groups from a backup into an organization, all or nothing."""
    source = passwords.PasswordSource(password_file, password_command, identity_files)
    if file is None and into is None and not each_as_own_org and is_interactive():
        from .restore_wizard import run_wizard

        run_wizard(ctx, source)
        return
    if file is None:
        raise UsageError("name the backup file to restore")
    if each_as_own_org:
        _each_as_own_org(ctx, file, into, create, postgres, list(groups), on_conflict,
                         dry_run, source, as_json)
        return
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


def _each_as_own_org(ctx: Ctx, file: str, into: str | None, create: bool, postgres: str | None,
                     groups: list[str], on_conflict: str, dry_run: bool,
                     source: passwords.PasswordSource, as_json: bool) -> None:
    """Each organization of the file made as its own; the report, then the exit code of the
    first failure (every organization failing alike: that error, said as any other)."""
    if into:
        raise UsageError("--each-as-own-org restores each organization under its own name: "
                         "drop --into")
    if not create:
        raise UsageError("--each-as-own-org makes new organizations: add --create")
    options = RestoreOptions(file, "", True, postgres, groups, on_conflict, dry_run=dry_run,
                             each_as_own_org=True)
    unlocker = passwords.unlock(file, source)
    with progress_bar("Restoring" if not dry_run else "Checking",
                      enabled=None if not as_json else False) as update:
        report = restore_own_orgs(ctx.catalog, options, unlocker, update)
    failures = [r.error for r in report.organizations if r.error is not None]
    if failures and len(failures) == len(report.organizations) and \
            all(e is failures[0] for e in failures) and isinstance(failures[0], CheelError):
        raise failures[0]  # the file's fault: nothing was made
    if as_json:
        print_json(report.as_dict())
    else:
        print_own_orgs_report(ctx, report)
    if failures:
        click.get_current_context().exit(getattr(failures[0], "exit_code", 1))
