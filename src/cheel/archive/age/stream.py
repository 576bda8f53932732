"""The age v1 payload: the STREAM construction, driven by a payload key.

(C2SP age, "Payload".) After the header comes a 16-byte random nonce, then the plaintext
cut into 64 KiB chunks, each sealed with ChaCha20-Poly1305 under
``HKDF-SHA256(ikm=file key, salt=nonce, info="payload")`` with the 12-byte nonce
``11-byte big-endian chunk counter || last-chunk flag``. The last chunk carries flag
0x01; it may be full, and it is empty only when the whole plaintext is empty.

:class:`PayloadWriter` is a writable binary file object, :class:`PayloadReader` a readable
one; both take the key, not a passphrase or a recipient (that is :mod:`.file`'s business),
so the layer can be driven and tested by key. Neither closes the underlying stream.
Memory is bounded: each side holds one plaintext chunk and one sealed chunk.

What the reader detects, and how it reports it:

* the stream ends before a chunk marked "last" -> ``DamagedFile`` ("ends early");
* bytes after the last chunk -> ``DamagedFile``;
* a chunk that fails authentication (altered, cut in the middle, reordered,
  dropped, or duplicated) -> ``DamagedFile``.

A reader that has raised keeps raising the same error on later reads, so a caller
that swallows one exception never receives unverified data afterwards.
"""

from __future__ import annotations

import io
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ...errors import CheelError, DamagedFile, said

CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE
PAYLOAD_NONCE_SIZE = 16

_FLAG_MORE = b"\x00"
_FLAG_LAST = b"\x01"


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    """HKDF-SHA256(file key, salt=payload nonce, info="payload")."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=nonce,
                info=b"payload").derive(file_key)


def _nonce(counter: int, last: bool) -> bytes:
    return counter.to_bytes(11, "big") + (_FLAG_LAST if last else _FLAG_MORE)


def write_all(raw: Any, data: memoryview | bytes) -> None:
    """Write everything, looping over short writes of raw (unbuffered) streams."""
    view = memoryview(data)
    while view:
        n = raw.write(view)
        if n is None or n >= len(view):  # None: a file-like that does not report
            return
        view = view[n:]


class PayloadWriter(io.BufferedIOBase):
    """Seal everything written to it into ``raw`` as age STREAM chunks under ``key``.

    ``close()`` writes the final chunk and flushes ``raw`` but does not close it. Output
    is only complete after ``close()``. Leaving a ``with`` block by an exception, calling
    :meth:`abort`, a failed write to ``raw``, or letting the object be garbage-collected
    without ``close()`` does *not* write the final chunk (the writer just becomes closed),
    so a partial output is always detected as cut short by any age reader.
    """

    def __init__(self, raw: Any, key: bytes) -> None:
        super().__init__()
        self._aborted = False
        self._raw = raw
        self._buf = bytearray(CHUNK_SIZE)
        self._view = memoryview(self._buf)
        self._fill = 0
        self._counter = 0
        self._plain_written = 0
        self._aead = ChaCha20Poly1305(key)

    # -- io protocol ------------------------------------------------------------

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        """Plaintext bytes accepted so far."""
        self._check_open()
        return self._plain_written

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def _seal(self, data: memoryview, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._counter, last), data, None)
        self._counter += 1
        try:
            write_all(self._raw, sealed)
        except BaseException:
            # The output is now inconsistent: never finish it as if it were whole.
            self.abort()
            raise

    def write(self, data: Any) -> int:  # type: ignore[override]
        self._check_open()
        view = memoryview(data)
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")
        total = len(view)
        buf, size = self._view, CHUNK_SIZE
        while view:
            # A full buffer is sealed as "not last" only once more data is known to
            # follow, since a full chunk may turn out to be the last one.
            if self._fill == size:
                self._seal(buf, last=False)
                self._fill = 0
            if self._fill == 0 and len(view) > size:
                self._seal(view[:size], last=False)
                view = view[size:]
                continue
            take = min(size - self._fill, len(view))
            buf[self._fill : self._fill + take] = view[:take]
            self._fill += take
            view = view[take:]
        self._plain_written += total
        return total

    def flush(self) -> None:
        """Flush ``raw``. Buffered plaintext stays buffered: age cannot seal a
        partial chunk before the end of the stream."""
        self._check_open()
        if not self._aborted:
            flush = getattr(self._raw, "flush", None)
            if flush is not None:
                flush()

    def close(self) -> None:
        """Seal the final chunk, flush ``raw`` (not closed). Idempotent."""
        if self.closed:
            return
        try:
            if not self._aborted:
                # _fill is 0 only if nothing was ever written: the one empty chunk.
                self._seal(self._view[: self._fill], last=True)
                self._fill = 0
                self._finish()
        finally:
            super().close()  # calls self.flush() while still open (no-op if aborted)

    def _finish(self) -> None:
        """What a subclass completes once the last chunk is out (a late header)."""

    def abort(self) -> None:
        """Close without sealing the final chunk: the output reads as cut short."""
        if not self.closed:
            self._aborted = True
            self._fill = 0
            super().close()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.abort()
        else:
            self.close()

    def __del__(self) -> None:
        # Never finalize implicitly: an unclosed writer means an unfinished file.
        try:
            self.abort()
        except Exception:
            pass


class PayloadReader(io.BufferedIOBase):
    """Open the age STREAM chunks read from ``raw`` under ``key``.

    ``read()`` returns plaintext only from chunks that passed authentication. ``pending``
    are bytes of the payload already read from ``raw`` (after a header), ``offset`` the
    position of ``raw``'s next byte in the file, for messages. ``close()`` does not close
    ``raw``.
    """

    def __init__(self, raw: Any, key: bytes, *, pending: bytes = b"", offset: int = 0) -> None:
        super().__init__()
        self._raw = raw
        self._raw_readinto = getattr(raw, "readinto", None)
        self._error: CheelError | None = None
        self._eof = False
        self._counter = 0
        self._plain_read = 0
        self._chunk: bytes = b""
        self._chunk_view = memoryview(self._chunk)
        self._chunk_pos = 0
        self._in = bytearray(SEALED_CHUNK_SIZE)
        self._in_view = memoryview(self._in)
        self._pending = memoryview(pending)
        self._offset = offset  # file offset of the next payload byte not yet used
        self._aead = ChaCha20Poly1305(key)

    # -- raw input --------------------------------------------------------------

    def _raw_read(self, n: int) -> bytes:
        data = self._raw.read(n)
        return b"" if data is None else data

    def _read_exact(self, view: memoryview) -> int:
        """Fill ``view`` from leftover header bytes then ``raw``; short only at EOF."""
        n = 0
        if self._pending:
            n = min(len(self._pending), len(view))
            view[:n] = self._pending[:n]
            self._pending = self._pending[n:]
        while n < len(view):
            if self._raw_readinto is not None:
                got = self._raw_readinto(view[n:])
            else:
                data = self._raw.read(len(view) - n)
                got = None if data is None else len(data)
                if got:
                    view[n : n + got] = data
            if not got:  # 0 at EOF; None (would block) is treated as EOF
                break
            n += got
        return n

    # -- chunks -----------------------------------------------------------------

    def _open(self, sealed: memoryview, last: bool) -> bytes | None:
        try:
            return self._aead.decrypt(_nonce(self._counter, last), sealed, None)
        except InvalidTag:
            return None

    def _next_chunk(self) -> None:
        """Decrypt the next chunk into ``self._chunk``; sets ``_eof`` after the last."""
        start = self._offset
        n = self._read_exact(self._in_view)
        self._offset += n
        if n == 0:
            raise DamagedFile(
                said("the file ends early: it was cut at byte {offset}, where more data should "
                     "follow", offset=start)
            )
        sealed = self._in_view[:n]
        if n < TAG_SIZE:
            raise DamagedFile(said("the file ends early: it was cut at byte {offset}",
                                   offset=self._offset))
        plain: bytes | None
        if n == SEALED_CHUNK_SIZE:
            # A full chunk is usually followed by more; a full last chunk is allowed.
            plain = self._open(sealed, last=False)
            last = plain is None
            if last:
                plain = self._open(sealed, last=True)
        else:
            last = True
            plain = self._open(sealed, last=True)
        if plain is None:
            if n < SEALED_CHUNK_SIZE:
                raise DamagedFile(
                    said("the file is damaged or cut short: the data from byte {start} to its end "
                         "at byte {offset} fails its integrity check",
                         start=start, offset=self._offset)
                )
            raise DamagedFile(
                said("the file is damaged: the block of data at bytes {start} to {offset} fails "
                     "its integrity check", start=start, offset=self._offset)
            )
        if last:
            if not plain and self._counter != 0:
                raise DamagedFile(
                    said("the file is damaged: it ends with an empty final block at byte {start}",
                         start=start)
                )
            probe = self._read_exact(memoryview(bytearray(1)))
            if probe:
                raise DamagedFile(
                    said("the file has unexpected data after its end, from byte {offset}",
                         offset=self._offset)
                )
            self._eof = True
        self._counter += 1
        self._chunk = plain
        self._chunk_view = memoryview(plain)
        self._chunk_pos = 0

    def _available(self) -> int:
        """Bytes ready in the current chunk, decrypting the next one if needed;
        0 means the verified end of the plaintext."""
        if self._error is not None:
            raise self._error
        left = len(self._chunk) - self._chunk_pos
        while left == 0 and not self._eof:
            try:
                self._next_chunk()
            except CheelError as exc:
                self._error = exc
                self._chunk = b""
                self._chunk_view = memoryview(b"")
                self._chunk_pos = 0
                raise
            left = len(self._chunk)
        return left

    # -- io protocol ------------------------------------------------------------

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        """Plaintext bytes returned so far."""
        self._check_open()
        return self._plain_read

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def readinto(self, b: Any) -> int:  # type: ignore[override]
        """Fill ``b`` completely unless the plaintext ends first."""
        self._check_open()
        view = memoryview(b)
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")
        n, want = 0, len(view)
        while n < want:
            left = self._available()
            if left == 0:
                break
            k = min(left, want - n)
            pos = self._chunk_pos
            view[n : n + k] = self._chunk_view[pos : pos + k]
            self._chunk_pos = pos + k
            n += k
        self._plain_read += n
        return n

    def readinto1(self, b: Any) -> int:  # type: ignore[override]
        """Like ``readinto`` but stops at the end of the current chunk."""
        self._check_open()
        view = memoryview(b)
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")
        if not view:
            return 0
        left = self._available()
        k = min(left, len(view))
        pos = self._chunk_pos
        view[:k] = self._chunk_view[pos : pos + k]
        self._chunk_pos = pos + k
        self._plain_read += k
        return k

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all remaining if negative or None); fewer only at
        the end of the plaintext."""
        self._check_open()
        if size is None or size < 0:
            parts = []
            while True:
                left = self._available()
                if left == 0:
                    break
                pos = self._chunk_pos
                parts.append(self._chunk[pos:] if pos else self._chunk)
                self._chunk_pos = len(self._chunk)
                self._plain_read += left
            return b"".join(parts)
        if size == 0:
            return b""
        left = self._available()
        if size <= left:  # fast path: a slice of the current chunk
            pos = self._chunk_pos
            self._chunk_pos = pos + size
            self._plain_read += size
            if pos == 0 and size == len(self._chunk):
                return self._chunk
            return self._chunk[pos : pos + size]
        out = bytearray(size)
        n = self.readinto(out)
        del out[n:]
        return bytes(out)

    def read1(self, size: int = -1) -> bytes:
        """At most one chunk's worth, at most ``size`` bytes."""
        self._check_open()
        left = self._available()
        if size is None or size < 0 or size > left:
            size = left
        pos = self._chunk_pos
        self._chunk_pos = pos + size
        self._plain_read += size
        return self._chunk[pos : pos + size]

    def readall(self) -> bytes:
        return self.read(-1)

    def close(self) -> None:
        """Release buffers; ``raw`` stays open."""
        if not self.closed:
            self._chunk = b""
            self._chunk_view = memoryview(b"")
            self._pending = memoryview(b"")
            super().close()
