"""The big hostile files, streamed to disk (not held in memory): zeros after the tar's end,
a decompression bomb listed truthfully in the index; made with ``zstandard`` and ``hashlib``
alone."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import zstandard

from .parts import SEAL_HEAD, assemble, read_members


class _HashingFile(io.RawIOBase):
    def __init__(self, f):
        self.f, self.hash = f, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.hash.update(b)
        return self.f.write(b)


def write_sealed(path: Path, pieces: Iterable[bytes]) -> None:
    """An unencrypted backup at ``path``: one zstd frame (with checksum) of ``pieces``, then
    the cheelsha seal; made with zstandard and hashlib alone, streamed."""
    with open(path, "wb") as f:
        hashing = _HashingFile(f)
        with zstandard.ZstdCompressor(level=1, write_checksum=True).stream_writer(
                hashing, closefd=False) as z:
            for piece in pieces:
                z.write(piece)
        f.write(SEAL_HEAD + hashing.hash.digest())


def zeros(n: int, step: int = 1 << 20) -> Iterator[bytes]:
    block = bytes(step)
    while n > 0:
        yield block[:min(step, n)]
        n -= step


def _format_1_items(honest: bytes) -> list[tuple[str, bytes]]:
    """``honest``'s members but the index, its manifest saying format version 1 (so that a
    file laid out as format 1 is self-consistent)."""
    items = read_members(honest, None)[:-1]
    manifest = json.loads(items[0][1])
    manifest["format_version"] = 1
    return [("manifest.json", json.dumps(manifest, indent=1).encode())] + items[1:]


def _index(items: list[tuple[str, bytes]], extra: dict | None, version: int) -> bytes:
    listed = json.loads(assemble.index_of(items, {}, version=version))
    if extra:
        listed["members"].append(extra)
    return json.dumps(listed, indent=1).encode()


def trailing_zeros_file(path: Path, honest: bytes, n: int) -> None:
    """Format 1: ``honest``'s archive (end blocks and padding included), then ``n`` more
    zero bytes in the same zstd frame: self-consistent (index, checksum, seal), but a
    stream going on and on."""
    items = _format_1_items(honest)
    parts = [assemble.member(n_, d) for n_, d in items]
    parts.append(assemble.member("index.json", _index(items, None, 1)))
    tar = b"".join(parts)
    write_sealed(path, [tar + assemble.end_of_archive(len(tar)), *zeros(n)])


def bomb_file(path: Path, honest: bytes, size: int, version: int = 2) -> None:
    """``honest``'s members, then a chunk member of ``size`` zero bytes, then an index that
    lists it with its true size and SHA-256: laid out as format 1 (one zstd frame) or 2 (a
    frame per member, this one declaring ``size``)."""
    items = _format_1_items(honest) if version == 1 else read_members(honest, None)[:-1]
    name = "data/0/g2/020-documents-000000.json"
    digest = hashlib.sha256()
    for piece in zeros(size):
        digest.update(piece)
    index = _index(items, {"name": name, "size": size, "sha256": digest.hexdigest(),
                           "rows": 1}, version)

    def bomb() -> Iterator[bytes]:
        yield assemble.header(name, size)
        yield from zeros(size)
        yield bytes(-size % 512)

    before = [assemble.member(n, d) for n, d in items]
    after = assemble.member("index.json", index)
    total = sum(len(p) for p in before) + 512 + size + (-size % 512) + len(after)
    end = assemble.end_of_archive(total)
    if version == 1:
        write_sealed(path, [*before, *bomb(), after, end])
        return
    cctx = zstandard.ZstdCompressor(level=1, write_checksum=True, write_content_size=True)
    cobj = cctx.compressobj(size=512 + size + (-size % 512))
    big = b"".join([cobj.compress(p) for p in bomb()] + [cobj.flush()])
    frames = [assemble.frame(p) for p in before] + [big, assemble.frame(after),
                                                    assemble.frame(end)]
    path.write_bytes(assemble.seal(b"".join(frames)))
