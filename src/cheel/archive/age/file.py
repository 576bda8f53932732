"""An age v1 file: header, payload nonce, STREAM payload.

:class:`EncryptWriter` wraps a random file key for its recipients (today the scrypt
passphrase recipient of :mod:`.scrypt`) and encrypts the payload under it;
:class:`DecryptReader` reads a header, asks an :class:`~.unlock.Unlocker` for the file
key, checks the header MAC with it and decrypts the payload. Both are binary file objects
that work as ``fileobj`` for ``zstandard`` and ``tarfile`` streaming modes; neither closes
the underlying stream.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from ...errors import CheelError, DamagedFile, said
from . import format as age_format
from .format import FILE_KEY_SIZE, Stanza
from .stream import PayloadReader, PayloadWriter, payload_key, write_all
from .unlock import Unlocker

PAYLOAD_NONCE_SIZE = 16


def is_age_file(prefix: bytes) -> bool:
    """True if ``prefix`` (the first bytes of a file, at least 19) starts like age.

    Any age version counts (the reader then says which versions it supports);
    ASCII-armored age does not.
    """
    return bytes(prefix[: len(age_format.VERSION_PREFIX)]) == age_format.VERSION_PREFIX


class Recipient(Protocol):
    """Who can open a file: wraps its file key into a stanza."""

    def placeholder(self) -> Stanza:
        """A stanza of the exact size :meth:`wrap` makes (for a late header)."""

    def wrap(self, file_key: bytes) -> Stanza:
        """The file key wrapped for this recipient."""


class EncryptWriter(PayloadWriter):
    """Encrypt everything written to it into ``raw`` as an age v1 file for ``recipients``.

    With ``late_header=True`` and a seekable ``raw``, the constructor returns at once: the
    payload key comes from the random file key, not from any recipient, so the payload is
    encrypted while the recipients wrap the key in a thread (scrypt takes about a second
    by design); the header's space (its length depends only on the stanzas' sizes) is
    reserved and written in place by ``close()``. Until then the output starts with zero
    bytes, which no reader takes for an age file.
    """

    def __init__(self, raw: Any, recipients: Sequence[Recipient], *,
                 late_header: bool = False) -> None:
        if not recipients:
            raise ValueError("an age file needs at least one recipient")
        file_key = os.urandom(FILE_KEY_SIZE)
        nonce = os.urandom(PAYLOAD_NONCE_SIZE)
        super().__init__(raw, payload_key(file_key, nonce))
        self._aborted = True  # until the header is out; makes __del__ harmless
        self._stanzas: Future[list[Stanza]] | None = None
        self._file_key = b""
        self._header_at = -1
        if late_header and raw.seekable():
            self._header_size = age_format.header_size([r.placeholder() for r in recipients])
            self._file_key = file_key
            self._header_at = raw.tell()
            write_all(raw, bytes(self._header_size) + nonce)
            # One short-lived thread: scrypt releases the GIL while the payload is written.
            pool = ThreadPoolExecutor(1, thread_name_prefix="cheel-age-wrap")
            self._stanzas = pool.submit(lambda: [r.wrap(file_key) for r in recipients])
            pool.shutdown(wait=False)
        else:
            stanzas = [r.wrap(file_key) for r in recipients]
            write_all(raw, age_format.serialize_header(stanzas, file_key) + nonce)
        self._aborted = False

    def _finish(self) -> None:
        if self._stanzas is None:
            return
        try:
            header = age_format.serialize_header(self._stanzas.result(), self._file_key)
            if len(header) != self._header_size:  # pragma: no cover - a bug, not an input
                raise CheelError(said("the encryption header does not fit its reserved space"))
            end = self._raw.tell()
            self._raw.seek(self._header_at)
            write_all(self._raw, header)
            self._raw.seek(end)
        except BaseException:
            self.abort()
            raise
        finally:
            self._stanzas = None
            self._file_key = b""


class DecryptReader(PayloadReader):
    """Decrypt an age v1 file read from ``raw``.

    The header is read, the file key obtained from ``unlocker`` (an
    :class:`~.unlock.Unlocker`, or a passphrase for short) and the header MAC checked in
    the constructor (``WrongPassword``, ``PasswordNeeded``, ``DamagedFile``,
    ``NotABackup``…).
    """

    def __init__(self, raw: Any, unlocker: Unlocker | str | bytes) -> None:
        if not isinstance(unlocker, Unlocker):
            unlocker = Unlocker(unlocker)

        def read(n: int) -> bytes:
            data = raw.read(n)
            return b"" if data is None else data

        header, leftover = age_format.read_header(read)
        file_key = unlocker.file_key(header)
        nonce = leftover[:PAYLOAD_NONCE_SIZE]
        while len(nonce) < PAYLOAD_NONCE_SIZE:
            more = read(PAYLOAD_NONCE_SIZE - len(nonce))
            if not more:
                raise DamagedFile(said("the file ends early: it was cut at byte {offset}",
                                       offset=header.size + len(nonce)))
            nonce += more
        super().__init__(raw, payload_key(file_key, bytes(nonce)),
                         pending=leftover[PAYLOAD_NONCE_SIZE:],
                         offset=header.size + PAYLOAD_NONCE_SIZE)
