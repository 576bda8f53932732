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

from ..errors import DamagedFile, Text, said

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# Level 1: on the rows' JSON it is both faster and smaller than level 3 (1 M demo lines:
# 21.8 MB in 0.45 s against 23.5 MB in 0.62 s); readers accept any level. A frame per
# member costs 0.16 % in size against one frame for the whole archive (200 k demo lines).
LEVEL = 1
# Frames that would need a larger window are refused (zstd levels up to 19 use at most
# 8 MiB), so a hostile frame header cannot make a reader allocate more.
MAX_WINDOW = 8 * 1024 * 1024
FRAME_HEADER_MAX = 18
BLOCK_MAX = 128 * 1024  # zstd's largest block
# Version 1's single frame is fed in small pieces, so that a hostile frame (long runs of
# RLE blocks, at most 32768:1) expands at most 16 MiB at a time.
FEED_V1 = 512
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
        if at is None:
            return DamagedFile(said("the file ends early"))
        return DamagedFile(said("the file ends early: it was cut at byte {offset}", offset=at))

    def read_seal(self) -> None:
        """The seal must come now, match every byte before it, and end the file."""
        tail = self.peek(SEAL_SIZE + 1)
        if len(tail) < SEAL_SIZE and SEAL.startswith(tail[:len(SEAL)]):
            raise self.cut()
        if len(tail) != SEAL_SIZE or not tail.startswith(SEAL + SEAL_TAG):
            raise DamagedFile(said("the file has unexpected data after the end of the backup"))
        if tail[-32:] != self.hash.digest():
            raise DamagedFile(said("the file is damaged: its seal does not match its content"))
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
    is returned; then the seal.

    A frame is read whole (its blocks walked from their 3-byte headers: RFC 8878 §3.1.1.2)
    and decompressed in one call into exactly the size its header declares, so reading
    costs the member's size once: a bomb (a few KB that claim the limit) costs at most the
    limit, and nothing is decompressed before its size is known to be allowed."""

    def __init__(self, raw: BinaryIO, where: Callable[[], int | None] = lambda: None):
        self._in = _Input(raw, where)
        self._dctx = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW)

    def _take(self, n: int, into: bytearray) -> None:
        data = self._in.read(n)
        while len(data) < n:
            more = self._in.read(n - len(data))
            if not more:
                raise self._in.cut()
            data += more
        into += data

    def next_frame(self, limit: int) -> bytearray | bytes | None:
        """The next frame's content (at most ``limit`` bytes, as its header must declare),
        or None once the seal is reached and checked."""
        head = self._in.peek(FRAME_HEADER_MAX)
        if head.startswith(SEAL_MAGIC) or not head:
            self._in.read_seal()
            return None
        if not head.startswith(ZSTD_MAGIC):
            raise DamagedFile(said("the compressed data is damaged (not a zstd frame)"))
        try:
            params = zstandard.get_frame_parameters(head)
            size = zstandard.frame_content_size(head)
            header_size = zstandard.frame_header_size(head)
        except zstandard.ZstdError:
            if len(head) < FRAME_HEADER_MAX:
                raise self._in.cut() from None
            raise DamagedFile(said("the compressed data is damaged (bad frame header)")) from None
        if size <= 0 or not params.has_checksum:
            raise DamagedFile(said("the compressed data is damaged (a frame without its size or "
                                   "checksum)"))
        if size > limit:
            raise DamagedFile(said("a part of the backup claims an absurd size ({size} bytes)",
                                   size=size))
        frame = bytearray()
        self._take(header_size, frame)
        while True:
            self._take(3, frame)
            block = int.from_bytes(frame[-3:], "little")
            kind, block_size = (block >> 1) & 3, block >> 3
            if kind == 3 or block_size > BLOCK_MAX:
                raise DamagedFile(said("the compressed data is damaged (a bad block header)"))
            self._take(1 if kind == 1 else block_size, frame)
            if len(frame) > limit + FRAME_HEADER_MAX + 3 * (limit // BLOCK_MAX + 2):
                raise DamagedFile(said("the compressed data is damaged (a frame longer than its "
                                       "content)"))
            if block & 1:  # the last block
                break
        self._take(4, frame)  # the content checksum
        self._in.consumed(frame)
        try:
            content = self._dctx.decompress(frame, max_output_size=size)
        except zstandard.ZstdError as e:
            raise DamagedFile(said("the compressed data is damaged ({why})", why=e)) from None
        if len(content) != size:
            raise DamagedFile(said("the compressed data is damaged (a frame of another size than "
                                   "it declares)"))
        return content


class StreamReader:
    """Version 1: the one zstd frame, as a stream of exactly ``n`` bytes at a time; then
    nothing but the seal."""

    def __init__(self, raw: BinaryIO, where: Callable[[], int | None] = lambda: None):
        self._in = _Input(raw, where)
        self._dobj = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW).decompressobj()
        self._pending = memoryview(b"")  # decompressed, not yet read

    def _piece(self) -> bytes:
        """The content of the next ``FEED_V1`` bytes of input (b"" at the frame's end)."""
        if self._dobj.eof:
            return b""
        piece = self._in.read(FEED_V1)
        if not piece:
            raise self._in.cut()
        try:
            out = self._dobj.decompress(piece)
        except zstandard.ZstdError as e:
            raise DamagedFile(said("the compressed data is damaged ({why})", why=e)) from None
        rest = self._dobj.unused_data if self._dobj.eof else b""
        self._in.consumed(piece[:len(piece) - len(rest)] if rest else piece)
        if rest:
            self._in.unread(rest)
        return out

    def read_exact(self, n: int, what: Text) -> memoryview:
        """Exactly ``n`` bytes of the frame's content, copied once into their own buffer
        (a member of the limit's size costs that, plus one piece decompressed ahead)."""
        out = bytearray(n)
        filled = 0
        while filled < n:
            while not self._pending:
                piece = self._piece()
                if not piece and self._dobj.eof:
                    raise DamagedFile(said("the file ends early, inside {what}", what=what))
                self._pending = memoryview(piece)
            take = min(len(self._pending), n - filled)
            out[filled:filled + take] = self._pending[:take]
            self._pending = self._pending[take:]
            filled += take
        return memoryview(out)

    def finish(self) -> None:
        """The frame must end here (no more content, however much), then the seal."""
        while not self._dobj.eof or self._pending:
            if self._pending or self._piece():
                raise DamagedFile(said("the backup has unexpected data after its end"))
        self._in.read_seal()
