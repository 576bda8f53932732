"""``cheel backups list`` and ``cheel backups prune``: the backups kept in a destination."""

from __future__ import annotations

import click

from ..backups.listing import Listed, list_backups
from ..backups.prune import PruneOptions, prune
from ..backups.retention import KeepRules
from .context import Ctx, human_size, print_json


@click.group("backups")
def backups_group() -> None:
    """The backups kept in a destination: list them, prune them by rules."""


def _groups(b: Listed) -> str:
    if b.record is None:
        return "?"
    names = [g.name for o in b.record.organizations for g in o.groups]
    if all(n is not None for n in names):
        return ", ".join(names)
    return f"{len(names)} (encrypted)"


def _verified(b: Listed) -> str:
    if b.changed:
        return "CHANGED since written"
    if b.record is None:
        return "no record"
    if b.record.failed:
        return "FAILED"
    return b.record.last_verified_at[:16].replace("T", " ") if b.record.verified else "not yet"


def _drilled(b: Listed) -> str:
    last = b.record.last_drill if b.record else None
    if last is None:
        return ""
    when = last.at[:16].replace("T", " ")
    return f"; last drill {'passed' if last.ok else 'FAILED'} {when}"


@backups_group.command("list")
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--org", "organization", metavar="ORG", help="Only the backups of ORG.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@click.pass_obj
def list_cmd(ctx: Ctx, dest: str, organization: str | None, as_json: bool) -> None:
    """The backups in DEST: organization, groups, date, size, encryption, verification,
    last drill."""
    found = list_backups(dest, organization)
    if as_json:
        print_json([b.as_dict() for b in found])
        return
    # Two lines a backup (its facts and its file, then what it holds): readable in any
    # terminal width, and the file name whole, to copy.
    for b in found:
        encrypted = "?" if b.record is None else ("encrypted" if b.record.encrypted
                                                  else "not encrypted")
        click.echo(f"{b.created_at[:16].replace('T', ' ')}  {human_size(b.size):>10}  "
                   f"{encrypted:<13}  {'verified ' if b.record and b.record.verified else ''}"
                   f"{_verified(b):<16}  {b.name}")
        click.echo(f"    {', '.join(b.organizations) or '?'}: {_groups(b)}{_drilled(b)}")
    click.echo(f"{len(found)} backup(s), {human_size(sum(b.size for b in found))}.")


@backups_group.command("prune")
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--keep-last", type=int, default=0, metavar="N", help="The N newest.")
@click.option("--keep-daily", type=int, default=0, metavar="N",
              help="The newest of each of the last N days that have one.")
@click.option("--keep-weekly", type=int, default=0, metavar="N", help="… of N weeks.")
@click.option("--keep-monthly", type=int, default=0, metavar="N", help="… of N months.")
@click.option("--keep-yearly", type=int, default=0, metavar="N", help="… of N years.")
@click.option("--org", "organization", metavar="ORG", help="Only the backups of ORG.")
@click.option("--dry-run", is_flag=True, help="Say what would be kept and why; delete nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the decisions as JSON.")
@click.pass_obj
def prune_cmd(ctx: Ctx, dest: str, keep_last: int, keep_daily: int, keep_weekly: int,
              keep_monthly: int, keep_yearly: int, organization: str | None, dry_run: bool,
              as_json: bool) -> None:
    """Delete the backups of DEST that no rule keeps, per organization and group set. Only
    verified backups count; the last backup of each fiscal year of each company is kept ten
    years after its end (CO 958f); nothing is pruned while an organization's newest backup is
    not verified."""
    rules = KeepRules(keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly)
    report = prune(PruneOptions(dest, rules, organization, dry_run))
    if as_json:
        print_json(report.as_dict())
        return
    for d in report.decisions:
        if d.keep:
            click.echo(f"keep    {d.backup.name}")
            for reason in d.reasons:
                click.echo(f"        - {reason}")
        else:
            click.echo(f"{'would delete' if dry_run else 'deleted'} {d.backup.name}")
    gone = [d for d in report.decisions if not d.keep]
    verb = "would free" if dry_run else "freed"
    click.echo(f"{len(report.decisions) - len(gone)} kept, {len(gone)} "
               f"{'to delete' if dry_run else 'deleted'}; {verb} {human_size(report.freed)}.")
