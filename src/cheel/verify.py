"""Inspect (manifest only) and verify (every byte) a backup file."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .archive.container import ContainerReader, DATA_RE
from .archive.rows import decode_chunk
from .errors import DamagedFile, NotFound, UsageError

Password = Callable[[], str | None] | str | None
Progress = Callable[[int, int], None]


def open_file(path: Path | str):
    p = Path(path).expanduser()
    if not p.exists():
        raise NotFound(f"the file {p} does not exist")
    if p.is_dir():
        raise UsageError(f"{p} is a folder, not a backup file")
    try:
        return open(p, "rb")
    except OSError as e:
        raise NotFound(f"the file {p} cannot be read: {e.strerror}") from None


def inspect_backup(path: Path | str, password: Password = None) -> dict:
    """The manifest, plus the file's size and whether it is encrypted; no table data is read."""
    with open_file(path) as f:
        reader = ContainerReader(f, password)
        manifest = reader.read_manifest()
        manifest = dict(manifest)
        manifest["encrypted"] = reader.encrypted
        manifest["file"] = str(Path(path))
        manifest["size"] = Path(path).stat().st_size
        return manifest


def table_types(manifest: dict) -> dict[str, list[tuple[str, bool]]]:
    """Per table, its columns' ``(type, nullable)`` as the manifest states them."""
    try:
        return {t["name"]: [(str(c["type"]), bool(c.get("nullable", True)))
                            for c in t["columns"]] for t in manifest["tables"]}
    except (KeyError, TypeError):
        raise DamagedFile("the manifest of the backup is damaged (table list)") from None


def expected_counts(manifest: dict) -> dict[tuple[int, str, str], int]:
    """Rows per (organization index, scope key, table) as the manifest states them."""
    out: dict[tuple[int, str, str], int] = {}
    try:
        for o in manifest["organizations"]:
            for table, n in o["org_rows"].items():
                out[(o["index"], "org", table)] = n
            for g in o["groups"]:
                for table, n in g["rows"].items():
                    out[(o["index"], g["key"], table)] = n
    except (KeyError, TypeError, AttributeError):
        raise DamagedFile("the manifest of the backup is damaged (row counts)") from None
    return out


@dataclass
class Chunk:
    """One table chunk; ``rows`` decodes it on first use."""

    org: int
    scope: str  # "org" or a group key "g1", …
    table: str
    data: bytes
    types: list[tuple[str, bool]]  # (type, nullable) per column
    name: str
    _rows: list[tuple] | None = None

    @property
    def rows(self) -> list[tuple]:
        if self._rows is None:
            self._rows = decode_chunk(self.data, self.types, self.name)
        return self._rows


class ChunkStream:
    """Decoded chunks in file order; when exhausted, counts and checksums are verified."""

    def __init__(self, reader: ContainerReader):
        self.reader = reader
        self.counts: dict[tuple[int, str, str], int] = {}
        self.member_rows: dict[str, int] = {}

    def __iter__(self):
        types: dict[str, list[str]] | None = None
        positions: dict[str, int] = {}
        next_chunk: dict[tuple[int, str, str], int] = {}
        last: tuple[int, int, int] = (-1, -1, -1)
        for member in self.reader.members():
            if types is None:
                types = table_types(self.reader.manifest or {})
                positions = {name: i for i, name in enumerate(types)}
            m = DATA_RE.match(member.name)
            assert m  # the container yields only data members here
            org, scope, seq, table, n = int(m[1]), m[2], int(m[3]), m[4], int(m[5])
            if table not in types or positions[table] != seq:
                raise DamagedFile(f'the chunk "{member.name}" names an unknown table')
            # The writer's order: organizations, then "org" before g1, g2, …, then tables
            # in manifest order, then chunk numbers from 0 without a gap.
            place = (org, 0 if scope == "org" else int(scope[1:]), seq)
            key = (org, scope, table)
            if place < last or n != next_chunk.get(key, 0):
                raise DamagedFile(f'the chunks of "{table}" are out of order or missing')
            last = place
            next_chunk[key] = n + 1
            chunk = Chunk(org, scope, table, member.data, types[table], member.name)
            yield chunk
            n_rows = len(chunk.rows)
            self.member_rows[member.name] = n_rows
            self.counts[key] = self.counts.get(key, 0) + n_rows
        self.check_counts()

    def check_counts(self) -> None:
        for name, n in self.member_rows.items():
            if self.reader.rows_by_member.get(name) != n:
                raise DamagedFile(f'the chunk "{name}" does not hold the rows its index lists')
        want = {k: v for k, v in expected_counts(self.reader.manifest or {}).items() if v}
        got = {k: v for k, v in self.counts.items() if v}
        for k in sorted(set(want) | set(got)):
            if want.get(k, 0) != got.get(k, 0):
                raise DamagedFile(f"the backup should hold {want.get(k, 0)} rows of {k[2]} "
                                  f"but holds {got.get(k, 0)}")


@dataclass
class VerifyResult:
    path: str
    encrypted: bool
    members: int
    rows: int
    seconds: float

    def as_dict(self) -> dict:
        return {"path": self.path, "ok": True, "encrypted": self.encrypted,
                "members": self.members, "rows": self.rows, "seconds": round(self.seconds, 3)}


def verify_backup(path: Path | str, password: Password = None,
                  progress: Progress | None = None) -> VerifyResult:
    """Read everything and check every chunk, checksum and count; raises if anything is off."""
    started = time.monotonic()
    with open_file(path) as f:
        reader = ContainerReader(f, password)
        stream = ChunkStream(reader)
        rows = members = 0
        total = None
        for chunk in stream:
            if total is None:
                total = sum((reader.manifest or {}).get("rows", {}).values())
            rows += len(chunk.rows)
            members += 1
            if progress:
                progress(rows, total or 0)
        return VerifyResult(str(path), reader.encrypted, members, rows,
                            time.monotonic() - started)
