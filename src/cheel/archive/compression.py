"""The zstd layer: zstd frames, then a seal; read with exact end detection and bounded memory.

Format version 2 (written today): one zstd frame per archive member (its header, its data,
its padding), each declaring its content size and carrying zstd's content checksum, then a
frame holding the archive's end. A reader therefore checks every member's bytes (zstd's
checksum) *before* it parses any of them, and knows from a frame's header how large its
content is before it decompresses a byte of it. Format version 1 (still read): the whole
archive in one frame.

After the frames comes one zstd *skippable* frame (which ``zstd -d`` ignores) holding
``cheelsha`` and the SHA-256 of every byte before it. zstd's own checksums cover the
content; the seal also covers the frames' headers and block bits, so that every flipped
byte of an unencrypted backup is found, not only the ones that change the content.
"""

from __future__ import annotations

import hashlib
import struct
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

import zstandard

from ..errors import DamagedFile

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Level 1: on the rows' JSON it is both faster and smaller than level 3 (1 M demo lines:
# 21.8 MB in 0.45 s against 23.5 MB in 0.62 s); readers accept any level. A frame per
# member costs 0.16 % in size against one frame for the whole archive (200 k demo lines).
LEVEL = 1
# Frames that would need a larger window are refused (zstd levels up to 19 use at most
# 8 MiB), so a hostile frame header cannot make a reader allocate more.
MAX_WINDOW = 8 * 1024 * 1024
FRAME_HEADER_MAX = 18
# Compressed input is fed in pieces: one frame per member, whose declared size bounds
# what it expands to (version 2); for version 1's single frame, small pieces, so that a
# hostile frame (long runs of RLE blocks, at most 32768:1) expands a few MiB at a time.
FEED = 64 * 1024
FEED_V1 = 1024
# Compressed frames in flight while the next member is prepared: compression runs on a
# worker thread (zstd releases the GIL) beside the threads reading the database.
IN_FLIGHT = 3

SEAL_MAGIC = struct.pack("<I", 0x184D2A50)
SEAL_TAG = b"cheelsha"
SEAL = SEAL_MAGIC + struct.pack("<I", len(SEAL_TAG) + 32)
SEAL_SIZE = len(SEAL) + len(SEAL_TAG) + 32


class FrameWriter:
    """Writes one zstd frame per :meth:`frame` call into ``raw``, in order, then the seal on
    :meth:`close`. Frames are compressed on a worker thread, a few ahead of the writes."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self._hash = hashlib.sha256()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="cheel-zstd")
        self._cctx = zstandard.ZstdCompressor(level=LEVEL, write_checksum=True,
                                              write_content_size=True)
        self._pending: deque[Future[bytes]] = deque()
        self._closed = False

    def _compress(self, parts: Sequence[bytes | memoryview]) -> bytes:
        # compressobj with the size: the content size is declared in the frame header, and
        # the parts (a header, a 1 MiB chunk, its padding) are never joined into one copy.
        cobj = self._cctx.compressobj(size=sum(len(p) for p in parts))
        out = [cobj.compress(p) for p in parts]
        out.append(cobj.flush())
        return b"".join(out)

    def frame(self, parts: Sequence[bytes | memoryview]) -> None:
        """Compress the concatenation of ``parts`` into one frame (after those before)."""
        self._pending.append(self._pool.submit(self._compress, parts))
        while len(self._pending) > IN_FLIGHT:
            self._write(self._pending.popleft().result())

    def _write(self, data: bytes) -> None:
        self._hash.update(data)
        self._raw.write(data)

    def close(self) -> None:
        """Write the frames still in flight, then the seal."""
        if self._closed:
            return
        while self._pending:
            self._write(self._pending.popleft().result())
        self._raw.write(SEAL + SEAL_TAG + self._hash.digest())
        self._closed = True
        self._pool.shutdown()

    def abort(self) -> None:
        """Give up: nothing more is written."""
        self._closed = True
        for f in self._pending:
            f.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=False)


class _Input:
    """Compressed input with a look-ahead, hashing exactly the bytes consumed (for the seal)
    and counting them (for messages)."""

    def __init__(self, raw: BinaryIO, where: Callable[[], int | None]):
        self._raw = raw
        self._back = b""
        self.hash = hashlib.sha256()
        self._where = where

    def read(self, n: int) -> bytes:
        if self._back:
            data, self._back = self._back[:n], self._back[n:]
            return data
        return self._raw.read(n) or b""

    def unread(self, data: bytes) -> None:
        self._back = data + self._back

    def peek(self, n: int) -> bytes:
        while len(self._back) < n:
            more = self._raw.read(n - len(self._back))
            if not more:
                break
            self._back += more
        return self._back[:n]

    def consumed(self, data: bytes) -> None:
        self.hash.update(data)

    def cut(self) -> DamagedFile:
        at = self._where()
        where = f": it was cut at byte {at}" if at is not None else ""
        return DamagedFile(f"the file ends early{where}")

    def read_seal(self) -> None:
        """The seal must come now, match every byte before it, and end the file."""
        tail = self.peek(SEAL_SIZE + 1)
        if len(tail) < SEAL_SIZE and SEAL.startswith(tail[:len(SEAL)]):
            raise self.cut()
        if len(tail) != SEAL_SIZE or not tail.startswith(SEAL + SEAL_TAG):
            raise DamagedFile("the file has unexpected data after the end of the backup")
        if tail[-32:] != self.hash.digest():
            raise DamagedFile("the file is damaged: its seal does not match its content")
        self._back = b""


def framing(raw: BinaryIO) -> int:
    """Which zstd layout a plaintext (or unencrypted file) ``raw`` holds, from its first
    frame header: 2 (a frame per member, sizes declared) or 1 (one frame). ``raw`` must be
    able to ``peek``."""
    head = raw.peek(FRAME_HEADER_MAX)[:FRAME_HEADER_MAX]  # type: ignore[attr-defined]
    try:
        size = zstandard.frame_content_size(head)
    except zstandard.ZstdError:
        return 1  # too short or damaged: the reader says which
    return 2 if size > 0 else 1


class FrameReader:
    """Version 2: the content of one frame at a time, checked by zstd's checksum before it
    is returned; then the seal."""

    def __init__(self, raw: BinaryIO, where: Callable[[], int | None] = lambda: None):
        self._in = _Input(raw, where)
        self._dctx = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW)

    def next_frame(self, limit: int) -> bytearray | None:
        """The next frame's content (at most ``limit`` bytes, as its header must declare),
        or None once the seal is reached and checked."""
        head = self._in.peek(FRAME_HEADER_MAX)
        if head.startswith(SEAL_MAGIC) or not head:
            self._in.read_seal()
            return None
        if not head.startswith(ZSTD_MAGIC):
            raise DamagedFile("the compressed data is damaged (not a zstd frame)")
        try:
            params = zstandard.get_frame_parameters(head)
            size = zstandard.frame_content_size(head)
        except zstandard.ZstdError:
            if len(head) < FRAME_HEADER_MAX:
                raise self._in.cut() from None
            raise DamagedFile("the compressed data is damaged (bad frame header)") from None
        if size <= 0 or not params.has_checksum:
            raise DamagedFile("the compressed data is damaged (a frame without its size "
                              "or checksum)")
        if size > limit:
            raise DamagedFile(f"a part of the backup claims an absurd size ({size} bytes)")
        out = bytearray(size)
        filled = 0
        dobj = self._dctx.decompressobj()
        while not dobj.eof:
            piece = self._in.read(FEED)
            if not piece:
                raise self._in.cut()
            try:
                data = dobj.decompress(piece)
            except zstandard.ZstdError as e:
                raise DamagedFile(f"the compressed data is damaged ({e})") from None
            if filled + len(data) > size:
                raise DamagedFile("the compressed data is damaged (a frame larger than "
                                  "it declares)")
            out[filled:filled + len(data)] = data
            filled += len(data)
            rest = dobj.unused_data if dobj.eof else b""
            self._in.consumed(piece[:len(piece) - len(rest)] if rest else piece)
            if rest:
                self._in.unread(rest)
        if filled != size:
            raise DamagedFile("the compressed data is damaged (a frame smaller than it "
                              "declares)")
        return out


class StreamReader:
    """Version 1: the one zstd frame, as a stream of exactly ``n`` bytes at a time; then
    nothing but the seal."""

    def __init__(self, raw: BinaryIO, where: Callable[[], int | None] = lambda: None):
        self._in = _Input(raw, where)
        self._dobj = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW).decompressobj()
        self._buf = bytearray()
        self._pos = 0

    def _fill(self, want: int) -> None:
        """Decompress until ``want`` bytes are buffered or the frame ends."""
        while len(self._buf) - self._pos < want and not self._dobj.eof:
            if self._pos:
                del self._buf[:self._pos]
                self._pos = 0
            piece = self._in.read(FEED_V1)
            if not piece:
                raise self._in.cut()
            try:
                out = self._dobj.decompress(piece)
            except zstandard.ZstdError as e:
                raise DamagedFile(f"the compressed data is damaged ({e})") from None
            rest = self._dobj.unused_data if self._dobj.eof else b""
            self._in.consumed(piece[:len(piece) - len(rest)] if rest else piece)
            if rest:
                self._in.unread(rest)
            self._buf += out

    def read_exact(self, n: int, what: str) -> memoryview:
        """Exactly ``n`` bytes of the frame's content."""
        self._fill(n)
        if len(self._buf) - self._pos < n:
            raise DamagedFile(f"the file ends early, inside {what}")
        view = memoryview(bytes(self._buf[self._pos:self._pos + n]))
        self._pos += n
        return view

    def finish(self) -> None:
        """The frame must end here (no more content, however much), then the seal."""
        self._fill(1)
        if len(self._buf) > self._pos:
            raise DamagedFile("the backup has unexpected data after its end")
        self._in.read_seal()
