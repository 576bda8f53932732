"""Where backups are kept: one interface, one implementation per kind of place (a folder,
an S3-compatible bucket), and the same tests over every one (tests/test_destinations.py),
as litestream has one ``ReplicaClient`` per kind of replica.

A destination holds files by name in one flat place. A new file is written through an
:class:`Upload`: its bytes go out as they are written (memory stays bounded) and it appears
under its final name only when :meth:`Upload.publish` has checked it whole; until then, or
after :meth:`Upload.abandon`, nothing carries that name. Small files (a backup's record)
are read and written whole.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import BinaryIO, Protocol
from urllib.parse import parse_qs

from ..errors import DestinationError, Text, UsageError, said

EXTENSION = ".cheelbackup"  # a backup file's name ends so


def query_of(url_query: str, keys: set[str], refusal: Callable[[str], Text]) -> dict[str, str]:
    """A destination URL's query as a dict (a key given twice: its last value). A key not in
    ``keys`` is refused with :class:`UsageError`, saying ``refusal`` of the unknown keys
    (sorted, joined by commas): each kind of destination says which keys it takes."""
    query = {k: v[-1] for k, v in parse_qs(url_query).items()}
    unknown = set(query) - keys
    if unknown:
        raise UsageError(refusal(", ".join(sorted(unknown))))
    return query


def file_digest(path: Path) -> tuple[int, str]:
    """The size and SHA-256 of a local file."""
    with open(path, "rb") as f:
        return stream_digest(f)


def stream_digest(stream: BinaryIO) -> tuple[int, str]:
    """The size and SHA-256 of what ``stream`` holds, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    size = 0
    while block := stream.read(1 << 20):
        digest.update(block)
        size += len(block)
    return size, digest.hexdigest()


class HashingReader(io.RawIOBase):
    """Reads ``raw`` and keeps the size and SHA-256 of what was read (a verify computes
    the file's digest in the same pass as its checks)."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        if not data:
            return 0
        buffer[:len(data)] = data
        self._sha256.update(data)
        self.size += len(data)
        return len(data)

    def digest(self) -> tuple[int, str]:
        """Once everything was read: the size and SHA-256 of the file."""
        while self.read(1 << 20):
            pass
        return self.size, self._sha256.hexdigest()

    def close(self) -> None:
        self._raw.close()
        super().close()


class SendingWriter(io.RawIOBase):
    """What a backup writes to a remote file: its bytes handed to ``send`` in blocks of
    ``block`` bytes (the rest by :meth:`rest`), or as they come with ``block`` 0; their
    size and SHA-256 kept, to compare with what the remote side stores."""

    def __init__(self, send, block: int = 0):
        self._send, self._block = send, block
        self._buffer = bytearray()
        self._sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data) -> int:
        view = memoryview(data)
        self._sha256.update(view)
        self.size += len(view)
        if not self._block:
            self._send(bytes(view))
            return len(view)
        self._buffer += view
        while len(self._buffer) >= self._block:
            self._send(bytes(self._buffer[:self._block]))
            del self._buffer[:self._block]
        return len(view)

    def rest(self) -> bytes:
        rest, self._buffer = bytes(self._buffer), bytearray()
        return rest

    def digest(self) -> tuple[int, str]:
        return self.size, self._sha256.hexdigest()


def check_stored(location: str, stored: tuple[int, str], sent: tuple[int, str],
                 remove) -> None:
    """What was read back must be what was sent; else ``remove()`` and refuse."""
    if stored != sent:
        remove()
        raise DestinationError(said("the backup stored at {location} is not what was sent "
                                    "({size} bytes read back, {sent} sent); it was deleted",
                                    location=location, size=stored[0], sent=sent[0]))


@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int
    modified: str  # ISO 8601, UTC


@dataclass(frozen=True)
class Published:
    location: str  # what a user reads and gives back to inspect, verify, restore
    name: str  # its name at the destination (another than asked if that one was taken)
    size: int
    sha256: str  # of the bytes stored, read back from the destination


class Upload(Protocol):
    raw: BinaryIO  # write here; seekable only where the place allows it

    def publish(self) -> Published:
        """Finish the file, check what is stored (its size and SHA-256, read back), and
        give it its final name. On failure nothing carries the name."""

    def abandon(self) -> None:
        """Give up: nothing of the file remains under its final name."""


class Destination(Protocol):
    url: str  # the folder or the URL, as a user writes it (never with a secret)
    parallel_reads: int  # how many small files may be read at once (1: one at a time)

    def location(self, name: str) -> str:
        """Where the file ``name`` is, as a user writes it."""

    def check(self) -> None:
        """Raise ``DestinationError`` if files cannot be written here."""

    def files(self, prefix: str = "") -> list[StoredFile]:
        """The files here (not the unfinished ones), by name; with ``prefix``, only those
        whose name begins so."""

    def upload(self, name: str) -> Upload:
        """A new file called ``name``, written as a stream."""

    def open(self, name: str) -> BinaryIO:
        """The file ``name``, read as a stream."""

    def read_small(self, name: str, limit: int) -> bytes | None:
        """The whole file ``name`` if it exists and holds at most ``limit`` bytes."""

    def write_small(self, name: str, data: bytes) -> None:
        """Write a small file whole (under a temporary name, then renamed, where the place
        has names that can change)."""

    def delete(self, name: str) -> None:
        """Delete the file ``name`` (no error if it is already gone)."""

    def size(self, name: str) -> int:
        """The size of the file ``name``."""
