"""``cheel recover``: after a lost server, every organization back from its newest verified
backup in a destination, each as its own organization."""

from __future__ import annotations

import click

from ..errors import printable
from ..recover import (ENGINES, ORIGINAL, RECOVERED, WOULD_RECOVER, OrgRecovery, RecoverOptions,
                       RecoverReport, plan_recover, run_recover)
from . import passwords
from .context import Ctx, print_json
from .progress import progress_bar


@click.command("recover")
@click.argument("dest")
@click.option("--org", "organizations", multiple=True, metavar="ORG",
              help="Recover this organization; repeatable.")
@click.option("--all", "everything", is_flag=True,
              help="Recover every organization the destination holds backups of.")
@click.option("--postgres", metavar="URL",
              help="Make the organizations on this PostgreSQL server (a database each).")
@click.option("--engine", type=click.Choice(ENGINES),
              help="sqlite, postgres (needs --postgres), or original: each on the engine it "
                   "was backed up from. Default: postgres with --postgres, else sqlite.")
@click.option("--dry-run", is_flag=True,
              help="Say what would be recovered from which backup; open and write nothing.")
@passwords.options
@passwords.identity_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def recover(ctx: Ctx, dest: str, organizations: tuple[str, ...], everything: bool,
            postgres: str | None, engine: str | None, dry_run: bool,
            password_file: str | None, password_command: str | None,
            identity_files: tuple[str, ...], as_json: bool) -> None:
    """Recover organizations from DEST (a folder, s3://… or sftp://…): each from its newest
    verified backup, as its own organization under its original name, all or nothing per
    organization; one that exists here already is skipped, never merged into. Exit code 0
    only when every organization asked for was recovered."""
    options = RecoverOptions(dest, list(organizations), everything, postgres, engine, dry_run)
    plan = plan_recover(ctx.catalog, options)
    unlocker = None
    if plan.planned and not dry_run:
        # a passphrase typed in a terminal is tried on an encrypted backup first (three
        # tries), then opens every one that has the same
        first = next((o.backup for o in plan.planned if o.backup.record.encrypted),
                     plan.planned[0].backup)
        source = passwords.PasswordSource(password_file, password_command, identity_files)
        unlocker = passwords.unlock(first.location or first.name, source)
    with progress_bar("Recovering", enabled=False if as_json or dry_run else None) as update:
        report = run_recover(ctx.catalog, plan, unlocker, update)
    if as_json:
        print_json(report.as_dict())
    else:
        print_recover_report(report)
    click.get_current_context().exit(0 if report.ok else 1)


def age(seconds: int | None) -> str:
    if seconds is None:
        return "?"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if unit == 'day' and n > 1 else ''}"
    return f"{seconds} s"


def print_recover_report(report: RecoverReport) -> None:
    """Two lines or more per organization: what became of it and from which backup, then
    the figures, or why not."""
    for o in report.organizations:
        _print_one(o)
    done = RECOVERED if not report.dry_run else WOULD_RECOVER
    n = sum(1 for o in report.organizations if o.status == done)
    verb = "would be recovered" if report.dry_run else "recovered"
    where = printable(report.dest.split("?", 1)[0])
    line = f"{n} of {len(report.organizations)} organization(s) {verb} from {where}"
    click.echo(line + ("." if report.dry_run else f" in {report.seconds:.1f} s."))
    if report.ignored:
        click.echo(f"Not considered: {len(report.ignored)} backup(s) whose organizations only "
                   "their content tells:")
        for f, why in report.ignored:
            click.echo(f"    {printable(f)} ({why})")


def _print_one(o: OrgRecovery) -> None:
    status = o.status.replace("_", " ")
    click.echo(f"{status:<14} {printable(o.name)}")
    if o.backup is not None:
        verified = o.backup.record.last_verified_at if o.backup.record else None
        click.echo(f"{'':<14} from {printable(o.backup.location or o.backup.name)}")
        click.echo(f"{'':<14} backed up {o.backup.created_at[:16].replace('T', ' ')} "
                   f"({age(o.age_seconds)} ago), verified "
                   f"{(verified or '?')[:16].replace('T', ' ')}")
    for f, why in o.passed_over:
        click.echo(f"{'':<14} passed over the newer {printable(f)}: {why}")
    if o.status == RECOVERED:
        click.echo(f"{'':<14} {len(o.groups)} group(s), {sum(o.rows.values())} rows in "
                   f"{o.seconds:.1f} s, on {o.engine}")
    elif o.status == WOULD_RECOVER:
        click.echo(f"{'':<14} on " + ("the engine it was backed up from"
                                       if o.engine == ORIGINAL else str(o.engine)))
    if o.error is not None:
        message = getattr(o.error, "message", None) or \
            printable(f"unexpected failure: {type(o.error).__name__}: {o.error}")
        click.echo(f"{'':<14} {message}")
        if getattr(o.error, "hint", None):
            click.echo(f"{'':<14} Hint: {o.error.hint}")
