"""Where backups are kept (see :mod:`.base`): a folder, an S3-compatible bucket
(``s3://BUCKET/FOLDER``), or a folder on an SFTP server (``sftp://USER@HOST/FOLDER``)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from ..errors import UsageError, said
from .base import Destination, Published, StoredFile, Upload

SCHEMES = ("s3", "sftp")


def is_url(text: str | Path) -> bool:
    return isinstance(text, str) and "://" in text


def open_destination(text: str | Path) -> Destination:
    """The destination a user named: a folder, or a URL of a scheme cheel knows."""
    if not is_url(text):
        from .folder import FolderDestination

        return FolderDestination(text)
    scheme = str(text).split("://", 1)[0].lower()
    if scheme == "s3":
        from .s3 import S3Destination

        return S3Destination(str(text))
    if scheme == "sftp":
        from .sftp import SFTPDestination

        return SFTPDestination(str(text))
    raise UsageError(said("cheel writes backups to a folder, to s3://BUCKET/FOLDER or to "
                          "sftp://USER@HOST/FOLDER, not to {scheme}://", scheme=scheme[:20]))


def split_location(text: str) -> tuple[Destination, str]:
    """A backup's location (a file's path, or a URL ending in its name) as its destination
    and its name there."""
    if not is_url(text):
        path = Path(text).expanduser()
        from .folder import FolderDestination

        return FolderDestination(path.parent), path.name
    base, _, query = text.partition("?")
    folder, _, name = base.rstrip("/").rpartition("/")
    if not name or folder.endswith(":/"):
        raise UsageError(said("{url} names no file", url=text.split("?")[0][:200]))
    return open_destination(folder + (f"?{query}" if query else "")), name


def open_location(text: str | Path) -> BinaryIO:
    """A backup, given by its path or URL, opened as a stream."""
    if not is_url(text):
        from ..archive.reader import open_file

        return open_file(text)
    destination, name = split_location(str(text))
    return destination.open(name)


def size_of(text: str | Path) -> int:
    if not is_url(text):
        return Path(text).expanduser().stat().st_size
    destination, name = split_location(str(text))
    return destination.size(name)


__all__ = ["Destination", "Published", "StoredFile", "Upload", "is_url", "open_destination",
           "open_location", "size_of", "split_location"]
