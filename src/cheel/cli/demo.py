"""``cheel demo``: a realistic Swiss demo organization."""

from __future__ import annotations

import time

import click

from ..demo import DemoOptions, create_demo
from ..store import organizations
from .context import Ctx, print_json
from .progress import progress_bar
from .reports import print_org


@click.command("demo")
@click.option("--name", default="Demo SA", show_default=True, help="Organization name.")
@click.option("--entries", default=20_000, show_default=True, type=click.IntRange(min=0),
              help="Number of journal entry lines.")
@click.option("--seed", default=1, show_default=True, type=int,
              help="Same seed, same data.")
@click.option("--postgres", metavar="URL", help="Create it on this PostgreSQL server.")
@click.option("--json", "as_json", is_flag=True, help="Print the organization as JSON.")
@click.pass_obj
def demo(ctx: Ctx, name: str, entries: int, seed: int, postgres: str | None,
         as_json: bool) -> None:
    """Create a demo organization: three groups, five companies, Swiss accounting data."""
    started = time.monotonic()
    with progress_bar("Generating", enabled=None if not as_json else False) as update:
        entry = create_demo(ctx.catalog, DemoOptions(name, entries, seed, postgres), update)
    info = organizations.describe(ctx.catalog, entry)
    if as_json:
        print_json(info)
        return
    click.echo(f'Created demo organization "{entry.name}" in {time.monotonic() - started:.1f} s.')
    print_org(ctx, info)
