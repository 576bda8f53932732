"""Key files a user names: identity files (private keys) that open backups made for public
keys, and recipients files (public keys) to make them. The command line and the web UI
read them here, so a file that cannot be used is said the same way by both: one sentence
naming the file and why, never a line of it (it may be a secret)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ...errors import CheelError, PasswordError, Text, said
from . import x25519

# (path, why) → the sentence
Sentence = Callable[[str, str], Text]
MAX_KEY_FILE = 1 << 20  # a key file holds lines of ~75 characters; a larger one is not one


def read_key_files(files: Iterable[str], read: Callable[[Path], list],
                   error: type[CheelError], unreadable: Sentence, malformed: Sentence) -> list:
    """The keys of every file, read by ``read``; a file that cannot be read or holds
    something else raises ``error`` with the sentence ``unreadable`` or ``malformed``
    makes of its path and the reason."""
    keys: list = []
    for name in files:
        try:
            if Path(name).stat().st_size > MAX_KEY_FILE:
                raise error(malformed(name, "larger than 1 MiB"))
            keys += read(Path(name))
        except OSError as e:
            raise error(unreadable(name, e.strerror or str(e))) from None
        except (x25519.BadKey, UnicodeDecodeError) as e:
            raise error(malformed(name, str(e)[:120])) from None
    return keys


def read_identity_files(files: Iterable[str]) -> list[x25519.X25519Identity]:
    """The private keys of the identity files given (none: an empty list);
    ``PasswordError`` names a file that cannot be used."""
    return read_key_files(
        files, x25519.read_identities, PasswordError,
        lambda path, why: said("the identity file {path} cannot be read: {why}", path=path,
                               why=why),
        lambda path, why: said("the identity file {path} is not an age identity file ({why})",
                               path=path, why=why))
