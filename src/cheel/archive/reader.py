"""Reading a backup file: age (if encrypted), zstd, ustar members, in one forward pass.

:class:`BackupReader` peels the layers and hands out the members in order: the manifest
first (typed, :mod:`.manifest`), then the data chunks, each once its bytes are checked (an
age chunk's authentication, a zstd frame's checksum) and before any of it is parsed; after
the last chunk, the closing index is compared with every member read, the archive's end and
the seal are checked. Order, names, sizes and counts of members are the format's rules and
are checked here; what the rows must hold is :mod:`cheel.soundness`'s business.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import DamagedFile, NotABackup, NotFound, UsageError, said
from . import compression, members
from .age import DecryptReader, Unlocker, is_age_file
from .age.format import VERSION_PREFIX
from .manifest import Index, Manifest, decode_index, decode_manifest
from .members import ChunkName


@dataclass
class Chunk:
    """One data member: where it belongs, and its bytes (checked, not yet parsed)."""

    where: ChunkName
    data: memoryview

    @property
    def name(self) -> str:
        return str(self.where)


class _Counting(io.RawIOBase):
    """Counts the bytes read from ``raw`` so that errors can say where a file was cut."""

    def __init__(self, raw: BinaryIO):
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._raw.readinto(b)
        self.count += n or 0
        return n or 0


class _StreamMembers:
    """Members of format version 1: the archive as one zstd stream."""

    def __init__(self, source: BinaryIO, where):
        self._zstd = compression.StreamReader(source, where)
        self._offset = 0

    def next(self, first: bool = False) -> tuple[str, memoryview] | None:
        block = self._zstd.read_exact(members.BLOCK, said("a member header"))
        header = members.parse_header(block, first)
        self._offset += members.BLOCK
        if header is None:
            self._end()
            return None
        name, size = header
        data = self._zstd.read_exact(size, said('the member "{name}"', name=name))
        pad = -size % members.BLOCK
        if pad:
            self._zstd.read_exact(pad, said('the member "{name}"', name=name))
        self._offset += size + pad
        return name, data

    def _end(self) -> None:
        """The second zero block, zeros up to a whole record, then nothing: at most one
        record is read, whatever follows."""
        rest = members.BLOCK + (-(self._offset + members.BLOCK) % members.RECORD)
        if any(self._zstd.read_exact(rest, said("the end of the archive"))):
            raise DamagedFile(said("the backup has unexpected data after its end"))
        self._zstd.finish()


class _FrameMembers:
    """Members of format version 2: one zstd frame each."""

    LIMIT = members.MAX_CHUNK + 2 * members.BLOCK

    def __init__(self, source: BinaryIO, where):
        self._frames = compression.FrameReader(source, where)
        self._offset = 0

    def next(self, first: bool = False) -> tuple[str, memoryview] | None:
        frame = self._frames.next_frame(self.LIMIT)
        if frame is None:
            raise DamagedFile(said("the backup is incomplete: the end of its archive is missing"))
        view = memoryview(frame)
        if len(view) < members.BLOCK:
            raise DamagedFile(said("the archive inside the backup is damaged (a part too short)"))
        header = members.parse_header(view[:members.BLOCK], first)
        if header is None:
            self._end(view)
            return None
        name, size = header
        if len(view) != members.BLOCK + size + (-size % members.BLOCK):
            raise DamagedFile(said('the member "{name}" does not fill its part of the file',
                                   name=name))
        if any(view[members.BLOCK + size:]):
            raise DamagedFile(said('the member "{name}" is padded with data', name=name))
        self._offset += len(view)
        return name, view[members.BLOCK:members.BLOCK + size]

    def _end(self, view: memoryview) -> None:
        if (len(view) != len(members.end_of_archive(self._offset)) or any(view)):
            raise DamagedFile(said("the backup has unexpected data after its end"))
        if self._frames.next_frame(self.LIMIT) is not None:
            raise DamagedFile(said("the backup has unexpected data after its end"))


def open_file(path: Path | str) -> BinaryIO:
    p = Path(path).expanduser()
    if not p.exists():
        raise NotFound(said("the file {path} does not exist", path=p))
    if p.is_dir():
        raise UsageError(said("{path} is a folder, not a backup file", path=p))
    try:
        return open(p, "rb")
    except OSError as e:
        raise NotFound(said("the file {path} cannot be read: {why}",
                            path=p, why=e.strerror)) from None


class BackupReader:
    """The members of a backup in order; see the module. ``unlocker`` opens an encrypted
    file (asked only if the file is encrypted)."""

    def __init__(self, raw: BinaryIO, unlocker: Unlocker | None = None):
        self._counting = _Counting(raw)
        buffered = io.BufferedReader(self._counting, 1 << 16)
        head = buffered.peek(len(VERSION_PREFIX))[:len(VERSION_PREFIX)]
        if is_age_file(head):
            self.encrypted = True
            plain = io.BufferedReader(DecryptReader(buffered, unlocker or Unlocker()),
                                      1 << 16)
        elif head.startswith(compression.ZSTD_MAGIC):
            self.encrypted = False
            plain = buffered
        else:
            raise NotABackup(said("this file is not a cheel backup"))
        where = lambda: self._counting.count  # noqa: E731 - the raw offset, for messages
        self.framing = compression.framing(plain)
        self._members = (_FrameMembers(plain, where) if self.framing == 2
                         else _StreamMembers(plain, where))
        self.manifest: Manifest | None = None
        self.index: Index | None = None
        self._seen: list[tuple[str, int, str]] = []

    def read_manifest(self) -> Manifest:
        """The manifest (the first member): nothing else is read."""
        first = self._members.next(first=True)
        if first is None:
            raise NotABackup(said("this file is not a cheel backup (no manifest first)"))
        name, data = first
        manifest = decode_manifest(data)
        if manifest.format_version != self.framing:
            raise DamagedFile(said("the backup's layout does not match its format version "
                                   "({format_version})", format_version=manifest.format_version))
        self._seen.append((name, len(data), hashlib.sha256(data).hexdigest()))
        self.manifest = manifest
        return manifest

    def chunks(self) -> Iterator[Chunk]:
        """Every data member after the manifest, in file order (the chunk order rules are
        checked here); once exhausted, the index, the archive's end and the seal are."""
        manifest = self.manifest or self.read_manifest()
        tables = [t.name for t in manifest.tables]
        organizations = {o.index: {g.key for g in o.groups} for o in manifest.organizations}
        next_number: dict[tuple[int, str, int], int] = {}
        last = (-1, -1, -1)
        while True:
            member = self._members.next()
            if member is None:
                break
            name, data = member
            if self.index is not None:
                raise DamagedFile(said("the backup has members after its closing index"))
            if name == members.MANIFEST:
                raise DamagedFile(said("the backup holds a second manifest"))
            if name == members.INDEX:
                self.index = decode_index(data, manifest.format_version)
                self._check_index()
                continue
            where = ChunkName.parse(name)
            if where.seq >= len(tables) or tables[where.seq] != where.table:
                raise DamagedFile(said('the chunk "{name}" names an unknown table', name=name))
            if where.org not in organizations or (where.scope != "org" and
                                                  where.scope not in organizations[where.org]):
                raise DamagedFile(said('the chunk "{name}" names a group the manifest does not',
                                       name=name))
            # The writer's order: organizations, then "org" before g1, g2, …, then tables
            # in manifest order, then chunk numbers from 0 without a gap.
            place = (where.org, 0 if where.scope == "org" else int(where.scope[1:]), where.seq)
            key = (where.org, where.scope, where.seq)
            if place < last or where.number != next_number.get(key, 0):
                raise DamagedFile(said('the chunks of "{table}" are out of order or missing',
                                       table=where.table))
            last = place
            next_number[key] = where.number + 1
            self._seen.append((name, len(data), hashlib.sha256(data).hexdigest()))
            yield Chunk(where, data)
        if self.index is None:
            raise DamagedFile(said("the backup is incomplete: its closing index is missing (the "
                                   "data stops at byte {count})", count=self._counting.count))

    def _check_index(self) -> None:
        assert self.index is not None
        listed = self.index.members
        if len(listed) != len(self._seen):
            raise DamagedFile(said("the backup lists {count} members but holds {held}: some are "
                                   "missing or added", count=len(listed), held=len(self._seen)))
        for want, (name, size, sha256) in zip(listed, self._seen):
            if want.name != name:
                raise DamagedFile(said('the members of the backup are out of order at "{name}"',
                                       name=name))
            if want.size != size or want.sha256 != sha256:
                raise DamagedFile(said('the member "{name}" is altered (checksum mismatch)',
                                       name=name))

    def rows_listed(self) -> dict[str, int | None]:
        """Rows per chunk as the index lists them (once the index is read)."""
        assert self.index is not None
        return {m.name: m.rows for m in self.index.members}
