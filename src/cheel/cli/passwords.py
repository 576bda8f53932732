"""Password sources: a hidden prompt, a file, CHEEL_PASSWORD or a command. Never argv."""

from __future__ import annotations

import functools
import os
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click

from ..archive.age import Unlocker, X25519Identity, x25519
from ..errors import PasswordError, said
from .context import is_interactive

ENV = "CHEEL_PASSWORD"


def options(f):
    """The password-source options shared by backup, inspect, verify and restore."""
    f = click.option("--password-command", metavar="CMD",
                     help="Run CMD and use the first line it prints as the password.")(f)
    f = click.option("--password-file", metavar="FILE", type=click.Path(dir_okay=False),
                     help="Read the password from the first line of FILE.")(f)
    return f


def identity_option(f):
    """``--identity FILE`` of the commands that read a backup."""
    return click.option("--identity", "identity_files", multiple=True, metavar="FILE",
                        type=click.Path(dir_okay=False),
                        help="An age identity file (cheel keygen, age-keygen) whose private "
                             "key opens a backup encrypted for public keys; repeatable.")(f)


def read_identities(files: tuple[str, ...] | list[str]) -> list[X25519Identity]:
    """The private keys of the identity files given (none: an empty list)."""
    return read_key_files(
        files, x25519.read_identities, PasswordError,
        lambda path, why: said("the identity file {path} cannot be read: {why}", path=path,
                               why=why),
        lambda path, why: said("the identity file {path} is not an age identity file ({why})",
                               path=path, why=why))


def read_key_files(files, read, error, unreadable, malformed) -> list:
    """The keys of every file, read by ``read``; a file that cannot be read or holds
    something else raises ``error`` with the sentence ``unreadable`` or ``malformed``
    makes of its path and the reason."""
    keys: list = []
    for name in files:
        try:
            keys += read(Path(name))
        except OSError as e:
            raise error(unreadable(name, e.strerror or str(e))) from None
        except (x25519.BadKey, UnicodeDecodeError) as e:
            raise error(malformed(name, str(e)[:120])) from None
    return keys


@dataclass
class PasswordSource:
    file: str | None = None
    command: str | None = None
    identity_files: tuple[str, ...] = ()

    def given(self) -> str | None:
        """The password from a file, the environment or a command; None if no source."""
        if self.file and self.command:
            raise PasswordError("use either --password-file or --password-command, not both")
        if self.file:
            try:
                with open(self.file, encoding="utf-8") as f:
                    text = f.readline().rstrip("\r\n")
            except OSError as e:
                raise PasswordError(f"the password file {self.file} cannot be read: "
                                    f"{e.strerror}") from None
            return _nonempty(text, f"the password file {self.file} is empty")
        if self.command:
            try:
                out = subprocess.run(shlex.split(self.command), capture_output=True, text=True,
                                     timeout=120, check=False)
            except (OSError, ValueError, subprocess.TimeoutExpired) as e:
                raise PasswordError(f"the password command could not run: {e}") from None
            if out.returncode != 0:
                raise PasswordError(f"the password command failed with exit code "
                                    f"{out.returncode}")
            return _nonempty(out.stdout.split("\n", 1)[0].rstrip("\r"),
                             "the password command printed nothing")
        env = os.environ.get(ENV)
        if env is not None:
            return _nonempty(env, f"{ENV} is set but empty")
        return None

    def for_reading(self) -> Callable[[], str | None]:
        """A provider called only if the backup turns out to be encrypted (a terminal's
        prompt, with retries, is ``unlock``'s)."""
        return functools.cache(self.given)


def _nonempty(text: str, message: str) -> str:
    if not text:
        raise PasswordError(message)
    return text


def ask_new_password() -> str | None:
    """Ask twice, hidden; empty means no encryption."""
    while True:
        pw = click.prompt("Password (leave empty for no encryption)", hide_input=True,
                          default="", show_default=False, err=True)
        if not pw:
            return None
        again = click.prompt("Password again", hide_input=True, default="",
                             show_default=False, err=True)
        if pw == again:
            return pw
        click.echo("The two passwords differ; please type them again.", err=True)


def unlock(path: str, source: PasswordSource, interactive: bool | None = None) -> Unlocker:
    """What opens ``path`` for this command: a password from a source, or typed (three
    tries) in a terminal. The file is opened once here when a password is typed (to say
    at once whether it is right); an unencrypted file never asks."""
    from ..archive.reader import BackupReader
    from ..destinations import open_location
    from ..errors import PasswordNeeded, WrongPassword

    interactive = is_interactive() if interactive is None else interactive
    if source.identity_files:
        return Unlocker(source.for_reading(), identities=read_identities(source.identity_files))
    if not interactive or source.given() is not None:
        return Unlocker(source.for_reading())
    for attempt in range(3):
        unlocker = Unlocker(lambda: click.prompt("Password of the backup", hide_input=True,
                                                 err=True))
        try:
            with open_location(path) as f:
                BackupReader(f, unlocker)  # reads the header, unwraps the key: no more
            return unlocker
        except WrongPassword as e:
            if isinstance(e, PasswordNeeded) or attempt == 2:
                raise
            click.echo("Wrong password; try again.", err=True)
    raise AssertionError("unreachable")
