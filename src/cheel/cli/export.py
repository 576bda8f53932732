"""``cheel export``: a company's journal, ledger, accounts or contacts out of a backup."""

from __future__ import annotations

import click

from ..export import CSV, FORMATS, JOURNAL, WHATS, ExportOptions, run_export
from . import passwords
from .context import Ctx, print_json
from .progress import progress_bar


@click.command("export")
@click.argument("file", metavar="FILE_OR_URL")
@click.option("--company", required=True, metavar="NAME_OR_UID",
              help="The company: its name or its uid (cheel inspect lists them).")
@click.option("--year", metavar="YEAR",
              help="A fiscal year: its name, or the calendar year it ends in (default: "
                   "every year for the journal, the latest for the ledger and the "
                   "accounts; contacts have none).")
@click.option("--what", type=click.Choice(WHATS), default=JOURNAL, show_default=True,
              help="journal: one row per entry line; ledger: per account its opening "
                   "balance, movements with running balance, closing balance; accounts: "
                   "the chart with the year's balances; contacts: the group's address book.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=CSV, show_default=True,
              help="csv (UTF-8, amounts 1234.50, ISO dates) or xlsx (numbers and real "
                   "dates).")
@click.option("--out", metavar="PATH",
              help="The file to write (replaced if it exists) or a folder to write into "
                   "(default: the current folder, under a name of the export's own that "
                   "replaces nothing).")
@passwords.options
@passwords.identity_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def export(ctx: Ctx, file: str, company: str, year: str | None, what: str, fmt: str,
           out: str | None, password_file: str | None, password_command: str | None,
           identity_files: tuple[str, ...], as_json: bool) -> None:
    """Take a company's data out of a backup without restoring it: read straight from the
    file (a path, s3:// or sftp://), every row checked as verify checks it, names in the
    organization's main language. The file appears only once complete; a damaged backup
    (exit 4) leaves none."""
    options = ExportOptions(file, company, what, fmt, year, out).checked()
    source = passwords.PasswordSource(password_file, password_command, identity_files)
    with progress_bar("Exporting", enabled=None if not as_json else False) as update:
        result = run_export(options, passwords.unlock(file, source), update)
    if as_json:
        print_json(result.as_dict())
        return
    year_text = f", fiscal year {result.year}" if result.year else ""
    click.echo(f"Exported the {result.what} of {result.company}{year_text}: {result.rows} rows "
               f"in {result.seconds:.1f} s.")
    click.echo(result.path)
