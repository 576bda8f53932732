"""``cheel plan add/list/show/remove/run/install``: backups that run by themselves."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from ..errors import UsageError
from ..plans.model import FAILED, SKIPPED, Email, Encryption, Keep, Notify, Outcome, Plan, \
    Secret, Webhook, encode
from ..plans.store import list_plans, load_plan, remove_plan, save_plan
from .backup import read_recipients
from .context import Ctx, human_size, print_json


@click.group("plan")
def plan_group() -> None:
    """Backup plans: which organizations, where, how encrypted and kept, how often."""


def _secret(file: str | None, command: str | None) -> Secret | None:
    if file and command:
        raise UsageError("name the secret's file or its command, not both")
    if file:
        return Secret(file=str(Path(file).expanduser().resolve()))
    if command:
        return Secret(command=shlex.split(command))
    return None


@plan_group.command("add")
@click.argument("name")
@click.option("--dest", required=True, help="Folder, s3://BUCKET/FOLDER or sftp://USER@HOST/FOLDER.")
@click.option("--org", "organizations", multiple=True, metavar="ORG",
              help="An organization of the plan; repeatable (none: every organization).")
@click.option("--pattern", metavar="GLOB", help='Organizations whose name matches ("Client *").')
@click.option("--group", "groups", multiple=True, metavar="G",
              help="Only this company group (name or uid); repeatable.")
@click.option("--password-file", type=click.Path(dir_okay=False),
              help="Encrypt with the passphrase in FILE, read at each run (never stored).")
@click.option("--password-command", metavar="CMD",
              help="Encrypt with the passphrase CMD prints, run at each run (pass show …).")
@click.option("--recipient", "recipients", multiple=True, metavar="AGE1…",
              help="Encrypt for this age public key; repeatable.")
@click.option("--recipients-file", "recipients_files", multiple=True,
              type=click.Path(dir_okay=False), help="Encrypt for the public keys of FILE.")
@click.option("--identity", "identity_file", type=click.Path(dir_okay=False),
              help="With recipients: the private key each run verifies the new files with "
                   "(without it they are verified where the key is).")
@click.option("--keep-last", type=int, default=0, metavar="N")
@click.option("--keep-daily", type=int, default=0, metavar="N")
@click.option("--keep-weekly", type=int, default=0, metavar="N")
@click.option("--keep-monthly", type=int, default=0, metavar="N")
@click.option("--keep-yearly", type=int, default=0, metavar="N")
@click.option("--schedule", default="daily", show_default=True,
              help='When it runs: hourly, daily, weekly, monthly, "*-*-* 02:30" or any '
                   "systemd OnCalendar expression.")
@click.option("--stale-after", "stale_after_hours", type=int, default=26, show_default=True,
              metavar="HOURS", help="Alarm when the newest verified backup is older.")
@click.option("--drill-every", "drill_every_days", type=int, default=0, metavar="DAYS",
              help="Drill each organization's newest verified backup within DAYS days.")
@click.option("--email-to", multiple=True, metavar="ADDRESS",
              help="Tell this address when a run fails or a backup is stale; repeatable.")
@click.option("--email-from", metavar="ADDRESS", help="The sender of those e-mails.")
@click.option("--smtp-host", metavar="HOST")
@click.option("--smtp-port", type=int, default=587, show_default=True)
@click.option("--smtp-user", metavar="USER")
@click.option("--smtp-password-file", type=click.Path(dir_okay=False))
@click.option("--smtp-password-command", metavar="CMD")
@click.option("--no-starttls", is_flag=True, help="Talk to the SMTP server without STARTTLS.")
@click.option("--webhook", metavar="URL", help="POST each run's report as JSON to URL.")
@click.option("--webhook-file", type=click.Path(dir_okay=False),
              help="The same, the URL read from FILE at each run (for an address that "
                   "carries its own token: it then never lies in the plan).")
@click.option("--webhook-token-file", type=click.Path(dir_okay=False),
              help="Send the token in FILE as the webhook's Bearer authorization.")
@click.option("--notify-success", is_flag=True, help="Tell also when everything went well.")
@click.option("--replace", is_flag=True, help="Replace the plan of that name.")
@click.pass_obj
def add_cmd(ctx: Ctx, name: str, dest: str, organizations: tuple[str, ...],
            pattern: str | None, groups: tuple[str, ...], password_file: str | None,
            password_command: str | None, recipients: tuple[str, ...],
            recipients_files: tuple[str, ...], identity_file: str | None, keep_last: int,
            keep_daily: int, keep_weekly: int, keep_monthly: int, keep_yearly: int,
            schedule: str, stale_after_hours: int, drill_every_days: int,
            email_to: tuple[str, ...], email_from: str | None, smtp_host: str | None,
            smtp_port: int, smtp_user: str | None, smtp_password_file: str | None,
            smtp_password_command: str | None, no_starttls: bool, webhook: str | None,
            webhook_file: str | None, webhook_token_file: str | None,
            notify_success: bool, replace: bool) -> None:
    """Add a plan NAME (stored in the data folder, readable by you only, without secrets)."""
    from ..destinations import open_destination

    for org in organizations:
        ctx.catalog.find(org)  # a typo is said now, not at 2 a.m.
    # A missing folder may be a disk not mounted: said now, never created in its place
    open_destination(dest).check()
    email = None
    if email_to:
        if not smtp_host or not email_from:
            raise UsageError("e-mail notifications need --smtp-host and --email-from")
        email = Email(host=smtp_host, sender=email_from, to=list(email_to), port=smtp_port,
                      starttls=not no_starttls, username=smtp_user,
                      password=_secret(smtp_password_file, smtp_password_command))
    keys = list(recipients) + read_recipients(recipients_files)
    plan = Plan(
        name=name, destination=dest, organizations=list(organizations), pattern=pattern,
        groups=list(groups),
        encryption=Encryption(passphrase=_secret(password_file, password_command),
                              recipients=keys,
                              identity_file=str(Path(identity_file).resolve())
                              if identity_file else None),
        keep=Keep(keep_last, keep_daily, keep_weekly, keep_monthly, keep_yearly),
        schedule=schedule, stale_after_hours=stale_after_hours,
        drill_every_days=drill_every_days,
        notify=Notify(email=email, webhook=Webhook(
            webhook or "", url_secret=_secret(webhook_file, None),
            token=_secret(webhook_token_file, None)) if webhook or webhook_file else None,
            on_success=notify_success))
    path = save_plan(ctx.catalog, plan, replace=replace)
    click.echo(f"Plan {name} saved in {path}.")
    click.echo(f"Run it now with: cheel plan run {name}; on its schedule ({schedule}) with: "
               f"cheel plan install {name}")


@plan_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the plans as JSON.")
@click.pass_obj
def list_cmd(ctx: Ctx, as_json: bool) -> None:
    """The plans, with their last run."""
    from ..plans.store import last_reports

    plans = list_plans(ctx.catalog)
    if as_json:
        import msgspec

        print_json([msgspec.to_builtins(p) for p in plans])
        return
    for plan in plans:
        last = last_reports(ctx.catalog, plan.name)
        ran = (f"last run {last[0].started_at[:16].replace('T', ' ')}: "
               f"{'OK' if last[0].ok else 'NOT OK'}") if last else "never run"
        who = ", ".join(plan.organizations) or (plan.pattern or "every organization")
        click.echo(f"{plan.name:<16} {plan.schedule:<12} {who} → {plan.destination}  ({ran})")
    if not plans:
        click.echo("No plan yet: cheel plan add NAME --dest DEST")


@plan_group.command("show")
@click.argument("name")
@click.pass_obj
def show_cmd(ctx: Ctx, name: str) -> None:
    """The plan NAME, as stored (JSON)."""
    click.echo(encode(load_plan(ctx.catalog, name)).decode().rstrip())


@plan_group.command("remove")
@click.argument("name")
@click.pass_obj
def remove_cmd(ctx: Ctx, name: str) -> None:
    """Remove the plan NAME (its backups stay where they are)."""
    remove_plan(ctx.catalog, name)
    click.echo(f"Plan {name} removed (its backups stay where they are; an installed timer "
               "or crontab line must be removed by hand).")


def _told(outcome: Outcome) -> None:
    if outcome.status == FAILED:
        click.echo(f"  FAILED   {outcome.organization}: {outcome.error}")
    elif outcome.status == SKIPPED:
        click.echo(f"  skipped  {outcome.organization}: {outcome.error}")
    else:
        verified = "verified" if outcome.verified else "NOT verified"
        pruned = f", {len(outcome.pruned)} pruned" if outcome.pruned else ""
        click.echo(f"  ok       {outcome.organization}: {human_size(outcome.size)} in "
                   f"{outcome.seconds:.1f} s, {verified}{pruned}")


@plan_group.command("run")
@click.argument("name", required=False)
@click.option("--all", "all_plans", is_flag=True, help="Run every plan, one after the other.")
@click.option("--jobs", type=int, default=2, show_default=True,
              help="Organizations backed up at once (fewer where a server has fewer free "
                   "connections).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's report as JSON.")
@click.pass_obj
def run_cmd(ctx: Ctx, name: str | None, all_plans: bool, jobs: int, as_json: bool) -> None:
    """Run the plan NAME now: back up, verify, prune, drill, tell. Exits 1 when an
    organization failed or is stale."""
    from ..plans.run import RunOptions, run_plan

    if bool(name) == all_plans:
        raise UsageError("name one plan, or use --all")
    plans = list_plans(ctx.catalog) if all_plans else [load_plan(ctx.catalog, name)]
    reports = []
    for plan in plans:
        if not as_json:
            click.echo(f"Plan {plan.name}:")
        reports.append(run_plan(ctx.catalog, RunOptions(plan, jobs),
                                None if as_json else _told))
        report = reports[-1]
        if not as_json:
            failed = len(report.failed)
            click.echo(f"{len(report.outcomes) - failed} of {len(report.outcomes)} "
                       f"organization(s) backed up in {report.seconds:.1f} s; {failed} "
                       f"failed; {len(report.stale)} stale"
                       + (f" ({', '.join(report.stale)})" if report.stale else "")
                       + (f"; {report.drills} drilled" if report.drills else "") + ".")
            for problem in report.notify_problems:
                click.echo(f"  notification not delivered: {problem}")
    if as_json:
        import msgspec

        data = [msgspec.to_builtins(r) for r in reports]
        print_json(data[0] if len(data) == 1 and not all_plans else data)
    if not all(r.ok and not r.notify_problems for r in reports):
        click.get_current_context().exit(1)


@plan_group.command("install")
@click.argument("name")
@click.option("--print", "show_only", is_flag=True, help="Show what would be installed.")
@click.option("--cron", "use_cron", is_flag=True, help="A crontab line, even with systemd.")
@click.pass_obj
def install_cmd(ctx: Ctx, name: str, show_only: bool, use_cron: bool) -> None:
    """Have the system's scheduler run the plan NAME: a systemd user timer, or a crontab
    line where systemd does not run."""
    from ..plans.schedule import install

    installed = install(ctx.catalog, load_plan(ctx.catalog, name), show_only=show_only,
                        kind="cron" if use_cron else None)
    for path, text in installed.files.items():
        if installed.kind == "systemd":
            click.echo(f"# {path}\n{text}")
        else:
            click.echo(text)
    if installed.done:
        click.echo(f"Installed ({installed.kind}).")
