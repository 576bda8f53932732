"""``cheel inspect`` (the manifest) and ``cheel verify`` (every byte)."""

from __future__ import annotations

import click

from ..verify import inspect_backup, verify_backup
from . import passwords
from .context import Ctx, print_json
from .progress import progress_bar
from .reports import print_manifest

@click.command("inspect")
@click.argument("file", type=click.Path(dir_okay=False))
@passwords.options
@passwords.identity_option
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.pass_obj
def inspect_cmd(ctx: Ctx, file: str, password_file: str | None, password_command: str | None,
               identity_files: tuple[str, ...],
                as_json: bool) -> None:
    """Show what a backup holds, without reading its table data."""
    source = passwords.PasswordSource(password_file, password_command, identity_files)
    info = inspect_backup(file, passwords.unlock(file, source))
    if as_json:
        print_json(info.as_dict())
        return
    print_manifest(ctx, info)


@click.command("verify")
@click.argument("file", type=click.Path(dir_okay=False))
@passwords.options
@passwords.identity_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def verify_cmd(ctx: Ctx, file: str, password_file: str | None, password_command: str | None,
               identity_files: tuple[str, ...],
               as_json: bool) -> None:
    """Read the whole backup and check every chunk, checksum and count."""
    source = passwords.PasswordSource(password_file, password_command, identity_files)
    with progress_bar("Verifying", enabled=None if not as_json else False) as update:
        result = verify_backup(file, passwords.unlock(file, source), update)
    if as_json:
        print_json(result.as_dict())
        return
    click.echo(f"OK: {file} is sound ({result.rows} rows in {result.members} chunks, "
               f"{'encrypted' if result.encrypted else 'not encrypted'}, "
               f"checked in {result.seconds:.1f} s).")
