"""Typed errors: one class per failure a user can meet.

Each carries a plain-sentence message, an exit code and an optional hint. The CLI's
``main()`` maps them to output and exit codes; nothing else prints them.
"""

from __future__ import annotations

import unicodedata

# Characters a message never shows as they are: a file's names and values end up in
# messages, and a terminal would obey an ESC or a bidi override.
_UNSHOWN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
MAX_MESSAGE = 500


def printable(text: str) -> str:
    """``text`` as a message may show it: invisible and control characters written as
    escapes (``\\x1b``, ``\\u202e``), at most ``MAX_MESSAGE`` characters."""
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE - 1] + "…"
    if text.isprintable():
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii")
                   if unicodedata.category(ch) in _UNSHOWN else ch for ch in text)


class Text:
    """Something said to a user: an English template with ``{named}`` parameters, and the
    parameters. ``str()`` gives the English sentence (what the command line prints); the web
    UI translates the template with its catalogs, then fills in the parameters (a parameter
    may itself be a Text, translated the same way). Make one with :func:`said`."""

    __slots__ = ("template", "params")

    def __init__(self, template: str, params: dict[str, object]):
        self.template, self.params = template, params

    def render(self, translate=lambda template: template) -> str:
        values = {k: v.render(translate) if isinstance(v, Text) else v
                  for k, v in self.params.items()}
        return translate(self.template).format(**values)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"said({self.template!r}, ...)"


def sentence(text: Text | str) -> str:
    """``text`` as a whole sentence (English, when a Text): made printable, with a capital
    and a full stop."""
    text = printable(str(text))
    text = text[:1].upper() + text[1:]
    if text and not text.endswith((".", "?", "!")):
        text += "."
    return text


def joined(parts: list[Text | str], separator: str = "; ") -> Text:
    """Several sentences or fragments as one (each translated on its own)."""
    names = [f"part{i}" for i in range(len(parts))]
    return Text(separator.join("{" + n + "}" for n in names), dict(zip(names, parts)))


def said(template: str, **params: object) -> Text:
    """What an error says (or a part of it), in English, with its parameters; the template
    is what the web UI's catalogs translate (``pybabel extract -k said``)."""
    return Text(template, params)


class CheelError(Exception):
    """Base of every error shown to a user: a sentence (a :class:`Text`, or a plain str),
    a hint, an exit code. ``message`` and ``hint`` are the English text, made printable
    (see :func:`printable`), whatever data they quote; ``text`` and ``hint_text`` keep what
    a translation needs."""

    exit_code = 1

    def __init__(self, message: str | Text, hint: str | Text | None = None):
        self.text = message if isinstance(message, Text) else said(_literal(message))
        self.hint_text = hint if hint is None or isinstance(hint, Text) else \
            said(_literal(hint))
        self.message = printable(str(self.text))
        super().__init__(self.message)
        self.hint = printable(str(self.hint_text)) if self.hint_text is not None else None


def _literal(text: str) -> str:
    """A plain sentence as a template (its braces are text, not parameters)."""
    return text.replace("{", "{{").replace("}", "}}")


class UsageError(CheelError):
    """The command was called in a way that cannot work."""

    exit_code = 2


class NotFound(CheelError):
    """An organization, group, company or file that does not exist."""

    exit_code = 1


class AlreadyExists(CheelError):
    """A name that must be unique is taken."""

    exit_code = 1


class OrganizationBusy(CheelError):
    """A backup or a restore of the organization runs: it cannot be deleted or renamed."""

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


class NoVerifiedBackup(CheelError):
    """A destination holds backups of an organization, but none that a verify passed last:
    a recovery uses only verified ones."""

    exit_code = 1


class PasswordError(CheelError):
    """A password source failed (file unreadable, command failed, mismatch)."""

    exit_code = 2


class WrongPassword(CheelError):
    """The password does not open the backup."""

    exit_code = 3


class PasswordNeeded(WrongPassword):
    """The backup is encrypted and no password source was given."""


class KeyNeeded(CheelError):
    """The backup is encrypted for public keys and no identity was given."""

    exit_code = 3


class WrongKey(CheelError):
    """None of the identities given opens the backup."""

    exit_code = 3


class DamagedFile(CheelError):
    """The backup is damaged, truncated or altered."""

    exit_code = 4


class NotABackup(DamagedFile):
    """The file is not a cheel backup at all."""


class UnsupportedVersion(DamagedFile):
    """The backup was written by a newer, unknown format version."""


class PreviewOutdated(CheelError):
    """A confirmed preview no longer says what the work would do (a pruning would now
    delete other backups than those shown); nothing was done."""

    exit_code = 1


class RestoreConflict(CheelError):
    """Groups of the backup already exist in the target and the policy is ``fail``."""

    exit_code = 5


class SourceRefused(CheelError):
    """Data to import (a WinBIZ folder, zip, export or backup) is malformed or of a kind
    cheel does not read: the sentence names the file, the record and the field."""

    exit_code = 4


class ImportConflict(CheelError):
    """The group a company is imported into already has accounts that the imported chart
    numbers the same way with another meaning."""

    exit_code = 5


class IntegrityError(CheelError):
    """Restored data failed a check (foreign key, balance, count); nothing was kept.
    ``cause`` says which: "keys", "balance", "count", "unique" or "check"."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, cause: str = "check"):
        super().__init__(message, hint)
        self.cause = cause


class DrillMismatch(CheelError):
    """A drill restored the backup into a throwaway organization, but what it holds differs
    from what the file declares (rows per table, or an account's balance): the file reads,
    yet restoring it does not give back what was backed up. ``report`` is the drill's."""

    exit_code = 6
    report: object = None


class Interrupted(CheelError):
    """The user interrupted the work."""

    exit_code = 130
