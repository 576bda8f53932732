"""Writing a backup: members into a ustar archive, a zstd frame each, an optional age layer.

The manifest goes first, the data chunks follow, the closing index (every member's name,
size, SHA-256 and row count) last, then the archive's end and the seal (FORMAT.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import BinaryIO

from ..errors import CheelError, said
from . import members
from .age import EncryptWriter
from .age.file import Recipient
from .compression import FrameWriter
from .manifest import FORMAT_NAME, FORMAT_VERSION, Index, IndexEntry


class ContainerWriter:
    """Streams members into ``raw``; ``close()`` writes the index and ends every layer.
    With ``recipients``, the file is an age file for them (the header is written last, so
    that a passphrase's scrypt runs while the data is written)."""

    def __init__(self, raw: BinaryIO, recipients: Sequence[Recipient] = (), *, mtime: int):
        self._enc = EncryptWriter(raw, recipients, late_header=True) if recipients else None
        self._frames = FrameWriter(self._enc or raw)
        self._mtime = mtime
        self._offset = 0
        self.members: list[IndexEntry] = []

    def add(self, name: str, data: bytes | memoryview, rows: int | None = None) -> None:
        limit = members.limit_of(name)
        if len(data) > limit:  # never write what a reader would refuse
            raise CheelError(said('"{name}" would be {count} bytes, more than the {limit} bytes a '
                                  'backup member may hold',
                                  name=name, count=len(data), limit=limit),
                             hint=said("a single row (e.g. a document) is too large to back up"))
        header = members.encode_header(name, len(data), self._mtime)
        pad = members.padding(len(data))
        self._frames.frame([header, data, pad])
        self._offset += len(header) + len(data) + len(pad)
        self.members.append(IndexEntry(name, len(data), hashlib.sha256(data).hexdigest(),
                                       rows))

    def close(self) -> None:
        index = Index(FORMAT_NAME, FORMAT_VERSION, list(self.members))
        self.add(members.INDEX, index.encode())
        self._frames.frame([members.end_of_archive(self._offset)])
        self._frames.close()
        if self._enc:
            self._enc.close()

    def abort(self) -> None:
        """Give up a failed write: nothing more reaches ``raw``, which the caller removes."""
        self._frames.abort()
        if self._enc:
            self._enc.abort()
