"""``cheel drill``: a backup restored into a throwaway organization and compared."""

from __future__ import annotations

import click

from ..drill import DrillOptions, DrillReport, PlanDrill, drill_plan, run_drill
from ..errors import DrillMismatch, UsageError
from ..store.engines import POSTGRES, SQLITE
from . import passwords
from .context import Ctx, print_json
from .progress import progress_bar


@click.command("drill")
@click.argument("file", required=False, metavar="[FILE_OR_URL]")
@click.option("--plan", "plan_name", metavar="NAME",
              help="Drill the plan's backups that are due (by its drill_every_days; every "
                   "organization's newest verified backup when it has none).")
@passwords.options
@passwords.identity_option
@click.option("--engine", type=click.Choice([SQLITE, POSTGRES]), default=None,
              help="What the throwaway organization is (default: sqlite, or postgres with "
                   "--postgres).")
@click.option("--postgres", metavar="URL",
              help="The PostgreSQL server the throwaway database is made (and dropped) on.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def drill(ctx: Ctx, file: str | None, plan_name: str | None, password_file: str | None,
          password_command: str | None, identity_files: tuple[str, ...], engine: str | None,
          postgres: str | None, as_json: bool) -> None:
    """Restore a backup into a throwaway organization with every check a restore makes,
    compare its rows per table and each account's debits and credits with what the file
    declares, record the result beside the backup, and remove the throwaway. Exit 6 when
    a figure differs."""
    if (file is None) == (plan_name is None):
        raise UsageError("name the backup to drill, or give --plan NAME (not both)")
    options = DrillOptions(file or "", engine or (POSTGRES if postgres else SQLITE),
                           postgres).checked()
    if plan_name is not None:
        _drill_plan(ctx, plan_name, options, as_json)
        return
    source = passwords.PasswordSource(password_file, password_command, identity_files)
    try:
        with progress_bar("Drilling", enabled=None if not as_json else False) as update:
            report = run_drill(options, passwords.unlock(file, source), update)
    except DrillMismatch as e:
        _show(e.report, as_json)  # type: ignore[arg-type]
        raise
    _show(report, as_json)


def _show(report: DrillReport, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
        return
    for line in _lines(report):
        click.echo(line)


def _lines(report: DrillReport) -> list[str]:
    where = "PostgreSQL" if report.engine == POSTGRES else "SQLite"
    head = "Drill passed" if report.ok else "Drill FAILED"
    lines = [f"{head}: {report.file} restored into a throwaway {where} organization "
             f"({report.groups} group(s), {report.companies} company(ies)) and compared: "
             f"{report.rows} rows in {report.tables} tables, {report.accounts} account "
             f"balances, in {report.seconds:.1f} s"
             f"{' (recorded beside the backup)' if report.recorded else ''}."]
    lines += [f"  differs: {d.text}" for d in report.differences]
    return lines


def _drill_plan(ctx: Ctx, name: str, options: DrillOptions, as_json: bool) -> None:
    from ..plans.store import load_plan

    plan = load_plan(ctx.catalog, name)
    done = drill_plan(plan, options)
    if as_json:
        print_json([d.as_dict() for d in done])
    else:
        for d in done:
            click.echo(_plan_line(d))
        failed = sum(1 for d in done if not d.ok)
        click.echo(f"{len(done)} backup(s) drilled, {failed} failed.")
    first = next((d.error for d in done if d.error is not None), None)
    if first is not None:
        raise first


def _plan_line(d: PlanDrill) -> str:
    if d.error is not None:
        return f"Drill FAILED: {d.location}: {d.error.message}"
    assert d.report is not None
    return _lines(d.report)[0]
