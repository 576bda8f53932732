"""The members of a backup's ustar archive: their names, their size limits, their headers.

Writing uses :mod:`tarfile` to encode a header. Reading is strict and our own: it accepts
only what cheel writes (regular files with known names and bounded sizes), so a hostile
member is refused from its header, before any byte of it is used.
"""

from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass

from ..errors import DamagedFile, NotABackup, said

MANIFEST = "manifest.json"
INDEX = "index.json"
DATA_RE = re.compile(r"^data/(\d{1,4})/(org|g\d{1,6})/(\d{3})-([a-z_]{1,40})-(\d{6})\.json$")
# A chunk holds about 1 MiB of rows (rows.CHUNK_BYTES) or one large row: a document of up to
# about 70 MiB once base64 makes it 4/3 larger. The limit bounds what one member can cost a
# reader: a decompression bomb is refused from its header, or costs at most this much memory
# (a reader stays under 200 MiB whatever a file claims).
MAX_CHUNK = 96 * 1024 * 1024
MAX_META = 16 * 1024 * 1024  # manifest and index
BLOCK = 512
RECORD = tarfile.RECORDSIZE  # 10240: an archive ends padded to a multiple of it, as tar does
END = bytes(2 * BLOCK)


def limit_of(name: str) -> int:
    """The largest size a member of that name may have; DamagedFile for any other name."""
    if name in (MANIFEST, INDEX):
        return MAX_META
    if DATA_RE.match(name):
        return MAX_CHUNK
    raise DamagedFile(said('the backup holds an unexpected member "{name}"', name=name[:80]))


@dataclass(frozen=True)
class ChunkName:
    """What a chunk's name says: ``data/<org>/<scope>/<seq>-<table>-<n>.json``."""

    org: int
    scope: str  # "org" or a group key "g1", …
    seq: int  # the table's position in the manifest
    table: str
    number: int

    @classmethod
    def parse(cls, name: str) -> "ChunkName":
        m = DATA_RE.match(name)
        if not m:
            raise DamagedFile(said('the backup holds an unexpected member "{name}"',
                                   name=name[:80]))
        return cls(int(m[1]), m[2], int(m[3]), m[4], int(m[5]))

    def __str__(self) -> str:
        return f"data/{self.org}/{self.scope}/{self.seq:03d}-{self.table}-{self.number:06d}.json"


def encode_header(name: str, size: int, mtime: int) -> bytes:
    """The ustar header block of a regular file, as ``tarfile`` writes it."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o644
    info.uname = info.gname = "cheel"
    return info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")


def padding(size: int) -> bytes:
    return bytes(-size % BLOCK)


def end_of_archive(offset: int) -> bytes:
    """The two zero blocks that end an archive of ``offset`` bytes, padded with zeros to a
    multiple of ``RECORD``, as tar writes them."""
    return END + bytes(-(offset + len(END)) % RECORD)


def parse_header(block: bytes | memoryview, first: bool = False) -> tuple[str, int] | None:
    """``(name, size)`` of a member header; None for a zero block (the end of the archive).
    Refuses anything cheel does not write: a bad checksum, no ``ustar`` magic, a type other
    than a regular file, a non-ASCII or unknown name, a size above the name's limit.
    ``first``: the first member, which must be the manifest, or this is no backup."""
    block = bytes(block)
    if block == bytes(BLOCK):
        return None
    try:
        stored = int(block[148:156].split(b"\0", 1)[0].strip() or b"0", 8)
        size = int(block[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
    except ValueError:
        raise DamagedFile(said("the archive inside the backup is damaged")) from None
    check = sum(block[:148]) + 8 * 32 + sum(block[156:])
    if stored != check:
        raise DamagedFile(said("the archive inside the backup is damaged (bad header checksum)"))
    if block[257:262] != b"ustar" or block[156:157] not in (b"0", b"\0"):
        raise DamagedFile(said("the backup holds a member of an unsupported kind"))
    prefix = block[345:500].split(b"\0", 1)[0]
    short = block[0:100].split(b"\0", 1)[0]
    full = (prefix + b"/" + short) if prefix else short
    try:
        name = full.decode("ascii")
    except UnicodeDecodeError:
        raise DamagedFile(said("the backup holds a member with an invalid name")) from None
    if first and name != MANIFEST:
        raise NotABackup(said("this file is not a cheel backup (no manifest first)"))
    if size > limit_of(name):
        raise DamagedFile(said('the member "{name}" claims an absurd size ({size} bytes)',
                               name=name, size=size))
    return name, size
