"""``cheel backup``: flags for every wizard answer; the wizard when run bare in a terminal."""

from __future__ import annotations

import click

from ..archive.age import x25519
from ..archive.age.key_files import read_key_files
from ..backup import BackupOptions, plan_backup, run_backup
from ..backup.plan import both_password_and_recipients
from ..errors import NotFound, UsageError, said
from . import passwords
from .context import Ctx, human_size, is_interactive, print_json
from .progress import progress_bar


@click.command("backup")
@click.argument("organizations", nargs=-1, metavar="[ORG …]")
@click.option("--all", "all_orgs", is_flag=True, help="Back up every organization.")
@click.option("--group", "groups", multiple=True, metavar="G",
              help="A company group to include (name or uid); repeatable; one organization only.")
@click.option("--dest", type=click.Path(file_okay=False),
              help="Destination folder, s3://BUCKET/FOLDER (any S3-compatible service) or "
                   "sftp://USER@HOST/FOLDER.")
@click.option("--encrypt", is_flag=True,
              help="Ask for a password (hidden, twice) and encrypt the backup.")
@passwords.options
@click.option("--recipient", "recipients", multiple=True, metavar="AGE1…",
              help="Encrypt for this age public key instead of a password (the machine "
                   "that backs up then holds nothing that decrypts); repeatable.")
@click.option("--recipients-file", "recipients_files", multiple=True, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Encrypt for the age public keys of FILE (one age1… per line); repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def backup(ctx: Ctx, organizations: tuple[str, ...], all_orgs: bool, groups: tuple[str, ...],
           dest: str | None, encrypt: bool, password_file: str | None,
           password_command: str | None, recipients: tuple[str, ...],
           recipients_files: tuple[str, ...], as_json: bool, yes: bool) -> None:
    """Back up company groups into one .cheelbackup file (encrypted with a password)."""
    source = passwords.PasswordSource(password_file, password_command)
    if not organizations and not all_orgs and not dest and is_interactive():
        from .backup_wizard import run_wizard

        plan = run_wizard(ctx, source)  # as its summary showed it, file name included
        if plan is None:
            return
    else:
        if all_orgs:
            if organizations:
                raise UsageError("name organizations or use --all, not both")
            organizations = tuple(e.name for e in ctx.catalog.list())
            if not organizations:
                raise NotFound(f"there is no organization to back up in {ctx.catalog.data_dir}",
                               hint="create one with cheel org create NAME, or cheel demo")
        if not organizations:
            raise UsageError("name the organization to back up (or use --all)",
                             hint="cheel backup ORG --dest DIR; cheel org list shows them")
        if not dest:
            raise UsageError("say where to write the backup with --dest DIR")
        keys = list(recipients) + read_recipients(recipients_files)
        pw = source.given() if not keys else None
        if keys and (encrypt or password_file or password_command):
            raise both_password_and_recipients()
        if pw is None and encrypt:
            if not is_interactive():
                raise UsageError("--encrypt needs a terminal to ask for the password",
                                 hint="use CHEEL_PASSWORD, --password-file or --password-command")
            pw = passwords.ask_new_password()
        plan = plan_backup(ctx.catalog, BackupOptions(list(organizations), dest, list(groups), pw,
                                                      recipients=keys))
    with progress_bar("Backing up", enabled=None if not as_json else False) as update:
        result = run_backup(ctx.catalog, plan, update)
    if as_json:
        print_json(result.as_dict())
        return
    lock = "encrypted" if result.encrypted else "not encrypted"
    click.echo(f"Backed up {len(result.groups)} group(s), {len(result.companies)} "
               f"company(ies), {sum(result.rows.values())} rows in {result.seconds:.1f} s "
               f"({human_size(result.size)}, {lock}):")
    click.echo(str(result.path))


def read_recipients(files: tuple[str, ...]) -> list[str]:
    """The public keys of the recipients files given, as text."""
    return [str(r) for r in read_key_files(
        files, x25519.read_recipients, UsageError,
        lambda path, why: said("the recipients file {path} cannot be read: {why}", path=path,
                               why=why),
        lambda path, why: said("the recipients file {path} is not a list of age public keys "
                               "({why})", path=path, why=why))]
