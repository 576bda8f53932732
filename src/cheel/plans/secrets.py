"""A plan's secrets (a passphrase, an SMTP password), read when needed from where the plan
names them: a file's first line, or the first line a command prints (``pass show …``,
``secret-tool lookup …``). Never stored, never in argv of ours, never in a message."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import Text, UsageError, said
from .model import Secret

COMMAND_TIMEOUT = 60  # seconds: a password manager waiting for a prompt nobody answers


def read_secret(secret: Secret, what: Text) -> str:
    """The secret's first line. ``what`` says which secret in an error (``said("the plan's
    passphrase")``), translated with it."""
    if secret.file:
        path = Path(secret.file).expanduser()
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise UsageError(said("{what} cannot be read from {path}: {why}", what=what,
                                  path=path, why=getattr(e, "strerror", None) or
                                  type(e).__name__)) from None
    elif secret.command:
        try:
            done = subprocess.run(secret.command, capture_output=True, timeout=COMMAND_TIMEOUT,
                                  stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise UsageError(said("{what} cannot be read: the command {command} failed "
                                  "({why})", what=what, command=secret.command[0],
                                  why=type(e).__name__)) from None
        if done.returncode != 0:
            raise UsageError(said("{what} cannot be read: the command {command} ended with "
                                  "code {code}", what=what, command=secret.command[0],
                                  code=done.returncode))
        text = done.stdout.decode("utf-8", "replace")
    else:
        raise UsageError(said("{what} is named by neither a file nor a command", what=what))
    line = text.splitlines()[0] if text else ""
    if not line:
        raise UsageError(said("{what} is empty", what=what))
    return line
