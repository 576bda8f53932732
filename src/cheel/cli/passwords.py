"""Password sources: a hidden prompt, a file, CHEEL_PASSWORD or a command. Never argv."""

from __future__ import annotations

import functools
import os
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import click

from ..archive.age import Unlocker
from ..archive.age.key_files import read_identity_files
from ..errors import PasswordError
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
        return Unlocker(source.for_reading(), identities=read_identity_files(source.identity_files))
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
