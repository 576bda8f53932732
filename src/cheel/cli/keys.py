"""``cheel keygen``: a key pair for backups encrypted for public keys (age X25519)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

from ..archive.age import x25519
from ..errors import AlreadyExists, UsageError, said
from .context import Ctx, print_json


@click.command("keygen")
@click.option("-o", "--output", metavar="FILE", type=click.Path(dir_okay=False),
              help="Write the private key to FILE (readable by you only; never overwritten) "
                   "and print the public key.")
@click.option("--json", "as_json", is_flag=True, help="With -o: print the result as JSON.")
@click.pass_obj
def keygen(ctx: Ctx, output: str | None, as_json: bool) -> None:
    """Make an age key pair. Back up with --recipient PUBLIC-KEY on the machine that runs the
    backups; keep the private key elsewhere, and read with --identity FILE."""
    created = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    if output is None:
        if as_json:
            raise UsageError(said("--json needs -o FILE: the private key is not printed as "
                                  "JSON"))
        if sys.stdout.isatty():
            click.echo("# Keep this private key secret; back up with its public key.", err=True)
        click.echo(x25519.identity_file_text(x25519.X25519Identity.generate(), created), nl=False)
        return
    path = Path(output).expanduser().absolute()
    try:
        identity = x25519.write_identity_file(path, created)
    except FileExistsError:
        raise AlreadyExists(said("{path} already exists: a private key is never overwritten",
                                 path=path), hint=said("choose another file name")) from None
    except OSError as e:
        raise UsageError(said("the key file {path} cannot be written: {why}", path=path,
                              why=e.strerror or str(e))) from None
    if as_json:
        print_json({"identity_file": str(path), "recipient": str(identity.recipient)})
        return
    click.echo(f"Private key written to {path} (readable by you only).", err=True)
    click.echo(f"Public key: {identity.recipient}")
