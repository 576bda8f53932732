"""Opening a backup from the web UI, for the restore wizard and the verify page: what the
file asks for (nothing, its password, or a private key), then an ``Unlocker`` made of what
the user gave, checked by opening the file with it.

A private key is given as the path of its identity file on this computer (typed, or chosen
with the file picker): the core reads it there, as ``--identity FILE`` does. Its contents
are never sent by the browser, written anywhere or logged; once the file opened, the
``Unlocker`` keeps only the file's key, neither the password nor the private keys.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from ..archive.age import Unlocker
from ..archive.age.key_files import read_identity_files
from ..errors import CheelError, KeyNeeded, PasswordNeeded, WrongPassword
from ..verify import BackupInfo, inspect_backup
from .i18n import N_, error_view, message
from .paths import EXAMPLE_FILE, EXAMPLE_KEY, absolute_path, location

# What opens a backup, and the name of the form field that gives it.
PASSWORD, IDENTITY = "password", "identity"


class NotOpened(Exception):
    """What the user gave does not open the file. ``view``: what the page says; ``tried``:
    the file was opened with it and refused it (not a field left empty)."""

    def __init__(self, view: dict, tried: bool = True):
        super().__init__(view["title"])
        self.view, self.tried = view, tried


async def lock_of(file: str) -> tuple[str, BackupInfo | None]:
    """What ``file`` (a path or an address) asks for: ``("", its info)`` when it is not
    encrypted, else ``PASSWORD`` or ``IDENTITY`` and None. Any other failure of the file
    raises as the core's error."""
    try:
        return "", await run_in_threadpool(inspect_backup, file, None)
    except PasswordNeeded:
        return PASSWORD, None
    except KeyNeeded:
        return IDENTITY, None


async def typed_file(typed: str) -> tuple[str, str, dict | None]:
    """A backup as a page's form names it: ``(file, lock, error)``, the path made absolute
    (an address as given), what it asks for (:func:`lock_of`), and what is wrong with it
    (None: nothing, or no file named)."""
    if not typed:
        return "", "", None
    place = location(typed)
    if place is None:
        return typed, "", message(N_("Veuillez indiquer un chemin complet, par exemple "
                                     "%(example)s."), example=EXAMPLE_FILE)
    try:
        lock, _ = await lock_of(place)
    except CheelError as e:
        return place, "", error_view(e)
    return place, lock, None


async def open_with(file: str, lock: str, form) -> tuple[Unlocker, BackupInfo]:
    """An ``Unlocker`` from the form's password or identity file (as ``lock`` asks) and
    the file's info, read with it; ``NotOpened`` says why not, in the page's language (a
    wrong password as such, a private key that does not open it as ``WrongKey``)."""
    if lock == IDENTITY:
        typed = str(form.get(IDENTITY, "")).strip()
        if not typed:
            raise NotOpened(message(N_("Veuillez choisir le fichier de la clé privée.")), False)
        path = absolute_path(typed)
        if path is None:
            raise NotOpened(message(N_("Veuillez indiquer un chemin complet, par exemple "
                                       "%(example)s."), example=EXAMPLE_KEY), False)
        try:
            identities = await run_in_threadpool(read_identity_files, [str(path)])
        except CheelError as e:
            raise NotOpened(error_view(e), False) from None
        unlocker = Unlocker(identities=identities)
    elif lock == PASSWORD:
        password = str(form.get(PASSWORD, ""))
        if not password:
            raise NotOpened(message(N_("Veuillez saisir le mot de passe de la sauvegarde.")),
                            False)
        unlocker = Unlocker(password)
    else:
        unlocker = Unlocker(None)
    try:
        info = await run_in_threadpool(inspect_backup, file, unlocker)
    except WrongPassword:
        raise NotOpened(message(N_("Le mot de passe est incorrect. Veuillez réessayer."))
                        ) from None
    except CheelError as e:
        raise NotOpened(error_view(e)) from None
    unlocker.forget_passphrase()  # the file's key is all a page keeps
    return unlocker, info
