"""``cheel status``: every organization against its plan, for a person or a monitor."""

from __future__ import annotations

import click

from .context import Ctx, print_json


def _when(iso: str | None) -> str:
    return iso[:16].replace("T", " ") if iso else "-"


@click.command("status")
@click.option("--plan", "plan_name", metavar="NAME", help="Only the organizations of NAME.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
def status_cmd(ctx: Ctx, plan_name: str | None, as_json: bool) -> None:
    """Per organization: newest backup, newest verified, newest drilled, and OK, STALE or
    FAILED against its plan. Exits 1 when anything is not OK (for a monitoring system)."""
    from ..plans.status import fleet_status

    fleet = fleet_status(ctx.catalog, plan_name)
    if as_json:
        print_json(fleet.as_dict())
    else:
        click.echo(f"{'STATE':<10}{'ORGANIZATION':<28}{'PLAN':<14}{'NEWEST':<18}"
                   f"{'VERIFIED':<18}DRILLED")
        for o in fleet.organizations:
            click.echo(f"{o.state.upper():<10}{o.organization[:27]:<28}{(o.plan or '-'):<14}"
                       f"{_when(o.newest):<18}{_when(o.newest_verified):<18}"
                       f"{_when(o.newest_drilled)}")
            if o.reason:
                click.echo(f"{'':<10}{o.reason}")
        bad = [o for o in fleet.organizations if o.state not in ("ok", "unplanned")]
        click.echo("All organizations are OK." if not bad else
                   f"{len(bad)} organization(s) not OK.")
    if not fleet.ok:
        click.get_current_context().exit(1)
