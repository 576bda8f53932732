"""Typed errors: one class per failure a user can meet.

Each carries a plain-sentence message, an exit code and an optional hint. The CLI's
``main()`` maps them to output and exit codes; nothing else prints them.
"""

from __future__ import annotations


class CheelError(Exception):
    """Base of every error shown to a user."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(CheelError):
    """The command was called in a way that cannot work."""

    exit_code = 2


class NotFound(CheelError):
    """An organization, group, company or file that does not exist."""

    exit_code = 1


class AlreadyExists(CheelError):
    """A name that must be unique is taken."""

    exit_code = 1


class DatabaseUnreachable(CheelError):
    """The database server cannot be reached."""

    exit_code = 1


class DiskFull(CheelError):
    """The disk holding an organization's database is full; the transaction was rolled back."""

    exit_code = 1


class DiskError(CheelError):
    """The disk holding an organization's database failed a read or write (I/O error, a
    file-size limit); the transaction was rolled back."""

    exit_code = 1


class DestinationError(CheelError):
    """The backup destination cannot be written."""

    exit_code = 1


class PasswordError(CheelError):
    """A password source failed (file unreadable, command failed, mismatch)."""

    exit_code = 2


class WrongPassword(CheelError):
    """The password does not open the backup."""

    exit_code = 3


class PasswordNeeded(WrongPassword):
    """The backup is encrypted and no password source was given."""


class DamagedFile(CheelError):
    """The backup is damaged, truncated or altered."""

    exit_code = 4


class NotABackup(DamagedFile):
    """The file is not a cheel backup at all."""


class UnsupportedVersion(DamagedFile):
    """The backup was written by a newer, unknown format version."""


class RestoreConflict(CheelError):
    """Groups of the backup already exist in the target and the policy is ``fail``."""

    exit_code = 5


class IntegrityError(CheelError):
    """Restored data failed a check (foreign key, balance, count); nothing was kept.
    ``cause`` says which: "keys", "balance", "count", "unique" or "check"."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, cause: str = "check"):
        super().__init__(message, hint)
        self.cause = cause


class Interrupted(CheelError):
    """The user interrupted the work."""

    exit_code = 130
