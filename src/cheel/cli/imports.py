"""``cheel import winbiz``: a WinBIZ company into a new company of an organization; the
wizard when run bare in a terminal."""

from __future__ import annotations

import click

from ..errors import UsageError
from ..winbiz import ImportOptions, run_import
from .context import Ctx, is_interactive, print_json
from .progress import progress_bar
from .reports import print_import_report


@click.group("import")
def import_group() -> None:
    """Bring data over from other software."""


@import_group.command("winbiz")
@click.argument("source", required=False, type=click.Path())
@click.option("--into", metavar="ORG", help="The organization that receives the company.")
@click.option("--new-group", is_flag=False, flag_value="", default=None, metavar="[NAME]",
              help="The company forms a new group (named after it unless NAME is given).")
@click.option("--group", metavar="G",
              help="The company joins this group and shares its chart of accounts.")
@click.option("--company", metavar="NAME",
              help="The new company's name (default: the name WinBIZ gives; needed for CSV "
                   "exports).")
@click.option("--years", metavar="Y1,Y2", help="The fiscal years to import (default: all).")
@click.option("--dry-run", is_flag=True, help="Read and check everything, change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def winbiz(ctx: Ctx, source: str | None, into: str | None, new_group: str | None,
           group: str | None, company: str | None, years: str | None, dry_run: bool,
           as_json: bool) -> None:
    """Import a company from WinBIZ: its data folder (DAT/<dossier>), a zip of it, its CSV
    exports, or a .wb_backup that holds a data folder (docs/WINBIZ.md). All or nothing:
    every entry balances and every account's balance per fiscal year equals the source's
    before anything is kept."""
    if source is None and into is None and is_interactive():
        from .import_wizard import run_wizard

        run_wizard(ctx)
        return
    if source is None:
        raise UsageError("name the WinBIZ folder, zip or export to import")
    if not into:
        raise UsageError("say which organization receives the company with --into ORG")
    if group is not None and new_group is not None:
        raise UsageError("--group and --new-group cannot be used together")
    options = ImportOptions(source, into, group=group, new_group=new_group, company=company,
                            years=[y.strip() for y in (years or "").split(",") if y.strip()],
                            dry_run=dry_run)
    with progress_bar("Importing" if not dry_run else "Checking",
                      enabled=None if not as_json else False) as update:
        report = run_import(ctx.catalog, options, update)
    if as_json:
        print_json(report.as_dict())
        return
    print_import_report(ctx, report)
