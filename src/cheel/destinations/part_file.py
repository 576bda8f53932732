"""A destination folder, checked, or created when a user asks for it, and a backup file
being written into it: a hidden, private, locked ``.part`` file, given its final name only
once complete, never replacing a file (FORMAT.md, "Writing the file"). A backup killed
midway leaves only its ``.part``, which the next one sweeps."""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO

from ..errors import DestinationError, said
from .base import EXTENSION


def create_destination(dest: Path | str) -> Path:
    """Create the destination folder ``dest`` (and its missing parents), readable by its
    owner only as cheel's other private folders are; returns it. A user is asked first:
    nothing creates a folder on its own."""
    path = Path(dest).expanduser()
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    try:
        for folder in reversed(missing):
            folder.mkdir(mode=0o700)
    except OSError as e:
        raise DestinationError(said("the destination folder {path} cannot be created: {reason}",
                                    path=path, reason=e.strerror or str(e)),
                               hint=said("choose a folder you may write in")) from None
    return path


def check_destination(dest: Path | str) -> Path:
    """The destination folder, checked writable before any work starts."""
    path = Path(dest).expanduser()
    if not path.exists():
        raise DestinationError(said("the destination folder {path} does not exist", path=path),
                               hint=said("create it first, or choose an existing folder"))
    if not path.is_dir():
        raise DestinationError(said("the destination {path} is not a folder", path=path))
    probe = path / f".cheel-write-test-{secrets.token_hex(4)}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError:
        raise DestinationError(said("the destination folder {path} is not writable",
                                    path=path)) from None
    return path


class PartFile:
    """``.<filename>.<8 hex>.part`` in ``dest``, open for writing (mode 0600) and locked
    while it is written: :meth:`publish` gives it its final name, :meth:`abandon` removes
    it. Opening one sweeps the ``.part`` files of killed backups there."""

    def __init__(self, dest: Path, filename: str):
        self.dest, self.filename = dest, filename
        self.path = dest / f".{filename}.{secrets.token_hex(4)}.part"
        # Private: the final name is a link to it.
        self.raw: BinaryIO = os.fdopen(
            os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        try:
            # Held while writing: a later backup removes only .part files nobody holds.
            fcntl.flock(self.raw, fcntl.LOCK_EX | fcntl.LOCK_NB)
            sweep_parts(dest)
        except BaseException:
            self.abandon()
            raise

    def publish(self) -> Path:
        """Flush the file to disk and give it its final name; returns that name."""
        self.raw.flush()
        os.fsync(self.raw.fileno())
        self.raw.close()
        return _publish(self.path, self.dest, self.filename)

    def abandon(self) -> None:
        """Close and remove the file (a failed or interrupted backup)."""
        with contextlib.suppress(OSError):
            self.raw.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def sweep_parts(dest: Path) -> list[Path]:
    """Remove the temporary files of backups that were killed (their lock is free).

    Only regular files: a FIFO, a directory or a symbolic link named like one is left
    alone (opened without blocking and without following links, then looked at)."""
    removed = []
    for part in dest.glob(f".*{EXTENSION}.*.part"):
        try:
            fd = os.open(part, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
        except OSError:  # a symbolic link, unreadable, or already gone
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                continue
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.stat(part, follow_symlinks=False).st_ino != st.st_ino:
                continue  # replaced since it was opened: not the file we looked at
            part.unlink()
            removed.append(part)
        except OSError:  # held by a running backup, or already gone
            continue
        finally:
            os.close(fd)
    return removed


def _publish(tmp: Path, dest: Path, filename: str) -> Path:
    """Give ``tmp`` its final name without ever replacing an existing file."""
    stem = filename[: -len(EXTENSION)]
    for n in range(1, 1000):
        final = dest / (filename if n == 1 else f"{stem}-{n}{EXTENSION}")
        try:
            os.link(tmp, final)  # fails if ``final`` exists: no overwrite, no race
        except FileExistsError:
            continue
        except OSError:  # no hard links here (FAT, some network shares)
            if final.exists():
                continue
            os.rename(tmp, final)
            return final
        tmp.unlink()
        fd = os.open(dest, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        return final
    raise DestinationError(said("too many backups named {filename} in {dest}",
                                filename=filename, dest=dest))
