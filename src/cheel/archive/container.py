"""The container: a ustar archive, inside one zstd frame, inside an optional age file.

Writing uses :mod:`tarfile` (ustar). Reading is strict and our own: it accepts only what
cheel writes (regular files with known names and bounded sizes, in order: the manifest first,
data chunks, the index last), so hostile members are refused before any byte of them is used.
Every member's SHA-256 is checked against the closing index.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import (CheelError, DamagedFile, NotABackup, PasswordNeeded,
                      UnsupportedVersion)
from . import compression
from .age_stream import DecryptReader, EncryptWriter, is_age_file

MANIFEST = "manifest.json"
INDEX = "index.json"
FORMAT_NAME = "cheel-backup"
FORMAT_VERSION = 1
DATA_RE = re.compile(r"^data/(\d{1,4})/(org|g\d{1,6})/(\d{3})-([a-z_]{1,40})-(\d{6})\.json$")
MAX_MEMBER = 256 * 1024 * 1024
MAX_META = 64 * 1024 * 1024
BLOCK = 512

AGE_PREFIX = b"age-encryption.org/v1\n"


def is_encrypted(prefix: bytes) -> bool:
    return is_age_file(prefix)


@dataclass
class Member:
    name: str
    data: bytes
    sha256: str


class ContainerWriter:
    """Streams members into ``raw``; ``close()`` writes the index and ends every layer."""

    def __init__(self, raw: BinaryIO, passphrase: str | None, *, mtime: int,
                 log2n: int = 18, threads: int = 1):
        # late_header: scrypt runs while the data is written (the header is filled in last).
        # threads=1: zstd compresses in one worker thread, beside the reading threads; on two
        # cores a second worker was slower and its buffers made memory grow with the data.
        self._enc = (EncryptWriter(raw, passphrase, log2n=log2n, late_header=True)
                     if passphrase else None)
        self._zstd = compression.writer(self._enc or raw, threads=threads)
        self._tar = tarfile.open(fileobj=self._zstd, mode="w|", format=tarfile.USTAR_FORMAT)
        self._mtime = mtime
        self.members: list[dict] = []

    def add(self, name: str, data: bytes, rows: int | None = None) -> None:
        if name not in (MANIFEST, INDEX) and not DATA_RE.match(name):
            raise ValueError(f"bad member name {name}")
        limit = MAX_META if name in (MANIFEST, INDEX) else MAX_MEMBER
        if len(data) > limit:  # never write what a reader would refuse
            raise CheelError(f'"{name}" would be {len(data)} bytes, more than the '
                             f"{limit} bytes a backup member may hold",
                             hint="a single row (e.g. a document) is too large to back up")
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = self._mtime
        info.mode = 0o644
        info.uname = info.gname = "cheel"
        self._tar.addfile(info, io.BytesIO(data))
        entry = {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if rows is not None:
            entry["rows"] = rows
        self.members.append(entry)

    def close(self) -> None:
        index = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                 "members": self.members}
        self.add(INDEX, json.dumps(index, indent=1).encode())
        self._tar.close()
        self._zstd.close()
        if self._enc:
            self._enc.close()

    def abort(self) -> None:
        """Give up a failed write: nothing more reaches ``raw``, which the caller removes."""
        self._zstd.abort()
        if self._enc:
            self._enc.abort()


class ContainerReader:
    """Reads members in order, checking names, sizes, order and checksums."""

    def __init__(self, raw: BinaryIO, passphrase: Callable[[], str | None] | str | None):
        self._counting = compression.CountingReader(raw)
        buffered = io.BufferedReader(self._counting, 1 << 16)
        head = buffered.peek(len(AGE_PREFIX))[:len(AGE_PREFIX)]
        if is_encrypted(head):
            self.encrypted = True
            pw = passphrase() if callable(passphrase) else passphrase
            if not pw:
                raise PasswordNeeded("this backup is encrypted and no password was given",
                                     hint="give it with CHEEL_PASSWORD, --password-file or "
                                          "--password-command, or run in a terminal")
            source: BinaryIO = DecryptReader(buffered, pw)  # type: ignore[assignment]
        elif head.startswith(compression.ZSTD_MAGIC):
            self.encrypted = False
            source = buffered  # type: ignore[assignment]
        else:
            raise NotABackup("this file is not a cheel backup")
        self._zstd = compression.ZstdReader(source, where=lambda: self._counting.count)
        self._stream = io.BufferedReader(self._zstd, 1 << 16)
        self.manifest: dict | None = None
        self.index: dict | None = None
        self._seen: list[dict] = []

    def _read_exact(self, n: int, what: str) -> bytes:
        data = self._stream.read(n)
        if len(data) != n:
            raise DamagedFile(f"the file ends early, inside {what}")
        return data

    def _header(self) -> tuple[str, int] | None:
        block = self._read_exact(BLOCK, "a member header")
        if block == b"\0" * BLOCK:
            return None
        try:
            stored = int(block[148:156].split(b"\0", 1)[0].strip() or b"0", 8)
            size = int(block[124:136].split(b"\0", 1)[0].strip() or b"0", 8)
        except ValueError:
            raise DamagedFile("the archive inside the backup is damaged") from None
        check = sum(block[:148]) + 8 * 32 + sum(block[156:])
        if stored != check:
            raise DamagedFile("the archive inside the backup is damaged (bad header checksum)")
        if block[257:262] != b"ustar" or block[156:157] not in (b"0", b"\0"):
            raise DamagedFile("the backup holds a member of an unsupported kind")
        prefix = block[345:500].split(b"\0", 1)[0]
        name = block[0:100].split(b"\0", 1)[0]
        full = (prefix + b"/" + name) if prefix else name
        try:
            text = full.decode("ascii")
        except UnicodeDecodeError:
            raise DamagedFile("the backup holds a member with an invalid name") from None
        return text, size

    def members(self) -> Iterator[Member]:
        """Every data member (after the manifest); raises :class:`DamagedFile` on any inconsistency."""
        position = 0
        while True:
            header = self._header()
            if header is None:
                break
            name, size = header
            if position == 0 and name != MANIFEST:
                raise NotABackup("this file is not a cheel backup (no manifest first)")
            if self.index is not None:
                raise DamagedFile("the backup has members after its closing index")
            if name in (MANIFEST, INDEX):
                if position and name == MANIFEST:
                    raise DamagedFile("the backup holds a second manifest")
                limit = MAX_META
            elif DATA_RE.match(name):
                limit = MAX_MEMBER
            else:
                raise DamagedFile(f'the backup holds an unexpected member "{name[:80]}"')
            if size > limit:
                raise DamagedFile(f'the member "{name}" claims an absurd size ({size} bytes)')
            data = self._read_exact(size, f'the member "{name}"')
            pad = (-size) % BLOCK
            if pad:
                self._read_exact(pad, f'the member "{name}"')
            digest = hashlib.sha256(data).hexdigest()
            position += 1
            if name == INDEX:
                self.index = _parse_json(data, "index")
                self._check_index()
                continue
            self._seen.append({"name": name, "size": size, "sha256": digest})
            if name == MANIFEST:
                self.manifest = _parse_manifest(data)
                continue
            yield Member(name, data, digest)
        if self.index is None:
            raise DamagedFile("the backup is incomplete: its closing index is missing "
                              f"(the data stops at byte {self._counting.count})")
        if any(self._stream.read()):  # only tar padding may follow the end marker
            raise DamagedFile("the backup has unexpected data after its end")
        self._zstd.finish()

    def _check_index(self) -> None:
        listed = self.index.get("members") if isinstance(self.index, dict) else None
        if not isinstance(listed, list):
            raise DamagedFile("the closing index of the backup is damaged")
        if len(listed) != len(self._seen):
            raise DamagedFile(f"the backup lists {len(listed)} members but holds "
                              f"{len(self._seen)}: some are missing or added")
        for want, got in zip(listed, self._seen):
            if want.get("name") != got["name"]:
                raise DamagedFile(f'the members of the backup are out of order at "{got["name"]}"')
            if want.get("size") != got["size"] or want.get("sha256") != got["sha256"]:
                raise DamagedFile(f'the member "{got["name"]}" is altered (checksum mismatch)')
        self.rows_by_member = {m["name"]: m.get("rows") for m in listed}

    def read_manifest(self) -> dict:
        """Only the manifest (first member): no table data is read."""
        header = self._header()
        if header is None or header[0] != MANIFEST:
            raise NotABackup("this file is not a cheel backup (no manifest first)")
        if header[1] > MAX_META:
            raise DamagedFile("the manifest claims an absurd size")
        data = self._read_exact(header[1], "the manifest")
        self.manifest = _parse_manifest(data)
        return self.manifest


def _parse_json(data: bytes, what: str) -> dict:
    try:
        value = json.loads(data)
    except ValueError:
        raise DamagedFile(f"the {what} of the backup is damaged") from None
    if not isinstance(value, dict):
        raise DamagedFile(f"the {what} of the backup is damaged")
    return value


def _parse_manifest(data: bytes) -> dict:
    m = _parse_json(data, "manifest")
    if m.get("format") != FORMAT_NAME:
        raise NotABackup("this file is not a cheel backup (unknown manifest)")
    version = m.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise DamagedFile("the manifest of the backup is damaged (no format version)")
    if version > FORMAT_VERSION:
        raise UnsupportedVersion(
            f"this backup uses format version {version}, newer than this cheel "
            f"understands ({FORMAT_VERSION})", hint="upgrade cheel to read it")
    return m
