"""Who is working on an organization right now.

A backup or a restore holds the organization's lock *shared* for as long as it runs (several
may run at once); deleting or renaming it takes the lock *exclusively*, without waiting, and
is refused while anyone holds it. Locks are ``flock`` locks on small files in the data
folder's ``.locks/``: the kernel releases them when a process ends, however it ends, so a
killed backup never leaves an organization locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
from collections.abc import Iterator

from ..errors import OrganizationBusy, said
from .catalog import Catalog
from .names import name_key

LOCK_DIR = ".locks"


def lock_path(catalog: Catalog, name: str, prefix: str = ""):
    """The lock file of an organization in ``.locks/``: ``<prefix><hash>.lock`` (names may
    hold any character, so the file is named by a hash of the name's key). The prefix tells
    one kind of lock from another: none for :func:`organization_in_use`, ``run-`` for a
    plan's run lock."""
    digest = hashlib.sha256(name_key(name).encode("utf-8")).hexdigest()[:24]
    return catalog.data_dir / LOCK_DIR / f"{prefix}{digest}.lock"


@contextlib.contextmanager
def organization_in_use(catalog: Catalog, name: str, exclusive: bool = False
                        ) -> Iterator[None]:
    """Hold the organization's lock for the block: shared (waiting for an exclusive holder,
    whose work is short), or exclusive (refused at once, with :class:`OrganizationBusy`,
    while a backup or a restore of it runs)."""
    catalog.ensure_data_dir()
    path = lock_path(catalog, name)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if exclusive:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise OrganizationBusy(
                    said('a backup or a restore of "{name}" is running', name=name),
                    hint=said("try again when it has ended")) from None
        else:
            fcntl.flock(fd, fcntl.LOCK_SH)
        yield
    finally:
        os.close(fd)
