"""A backup taken apart (``take_apart``: the manifest and every chunk as JSON values, read
with ``pyrage``, ``zstandard``, ``tarfile`` and ``json`` only) and sealed again
self-consistently (``reseal``: cheel's ``ContainerWriter``, or ``tests/vectors/assemble.py``
for what the writer refuses to write; adapt ``reseal`` when the writer changes)."""

from __future__ import annotations

import io
import json
import tarfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyrage
import zstandard

from cheel.archive.age.scrypt import ScryptRecipient
from cheel.archive.members import DATA_RE
from cheel.archive.writer import ContainerWriter
from vectors_support import load_script

from .verdicts import is_int

LOG2N = 10  # test-only weak work factor
MTIME = 1741944413  # 2025-03-14T09:26:53Z, the vectors' clock

assemble = load_script("assemble")  # files put together byte by byte
SEAL_HEAD = bytes.fromhex("502a4d18") + (40).to_bytes(4, "little") + b"cheelsha"


def plaintext(data: bytes, password: str | None) -> bytes:
    """The tar inside a file: age decrypted by pyrage, every zstd frame decompressed (the
    seal, a skippable frame, set aside)."""
    if data.startswith(b"age-encryption.org/"):
        data = pyrage.passphrase.decrypt(data, password)
    if data[-48:-32] == SEAL_HEAD:
        data = data[:-48]
    return zstandard.ZstdDecompressor().stream_reader(
        io.BytesIO(data), read_across_frames=True).read()


def read_members(data: bytes, password: str | None) -> list[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(plaintext(data, password)), mode="r:") as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]


def decode_json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        return _Unreadable(f"{type(e).__name__}: {e}")


@dataclass
class _Unreadable:
    why: str


def encode_rows(rows: Any) -> bytes:
    """Compact JSON as the writer makes it; a lone surrogate becomes a JSON escape."""
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "backslashreplace")


@dataclass
class Parts:
    """A backup taken apart: the manifest and every chunk as JSON values, the index's row
    counts. ``raw`` holds bytes written instead of a member's JSON (``manifest.json`` or a
    chunk name); ``index`` is None (computed), bytes (written as is) or a function editing
    the computed index (a dict) and returning it or bytes."""

    manifest: Any
    chunks: dict[str, Any]
    index_rows: dict[str, int | None]
    raw: dict[str, bytes] = field(default_factory=dict)
    index: bytes | Callable[[dict], Any] | None = None
    tail: bytes = b""  # after the tar's end blocks and padding, inside the zstd frame

    def __repr__(self) -> str:
        return f"<Parts: {len(self.chunks)} chunks>"

    def _repr_pretty_(self, p, cycle) -> None:  # hypothesis prints this
        p.text(repr(self))

    def manifest_bytes(self) -> bytes:
        if "manifest.json" in self.raw:
            return self.raw["manifest.json"]
        return json.dumps(self.manifest, indent=1, ensure_ascii=False).encode(
            "utf-8", "backslashreplace")

    def chunk_bytes(self, name: str) -> bytes:
        return self.raw[name] if name in self.raw else encode_rows(self.chunks[name])

    # -- addressing --------------------------------------------------------------------
    def tables(self) -> list[dict]:
        return self.manifest["tables"]

    def table(self, name: str) -> dict:
        return next(t for t in self.manifest["tables"] if t["name"] == name)

    def columns(self, table: str) -> list[str]:
        return [c["name"] for c in self.table(table)["columns"]]

    def col(self, table: str, column: str) -> int:
        return self.columns(table).index(column)

    def names(self, table: str, scope: str | None = None, org: int = 0) -> list[str]:
        """Chunk names of ``table`` (in ``scope``, or anywhere), in file order."""
        out = []
        for name in self.chunks:
            m = DATA_RE.match(name)
            if m and m[4] == table and int(m[1]) == org and (scope is None or m[2] == scope):
                out.append(name)
        return out

    def rows(self, table: str, scope: str | None = "g1", org: int = 0) -> list[list]:
        """The rows (the lists themselves: edit them in place) of ``table`` in ``scope``."""
        return [r for n in self.names(table, scope, org) for r in self.chunks[n]]

    def ids(self, table: str, scope: str | None = "g1", org: int = 0) -> list[int]:
        i = self.col(table, "id")
        return [r[i] for r in self.rows(table, scope, org)]

    def group(self, key: str = "g1", org: int = 0) -> dict:
        o = next(o for o in self.manifest["organizations"] if o["index"] == org)
        return next(g for g in o["groups"] if g["key"] == key)


def take_apart(data: bytes, password: str | None = None) -> Parts:
    members = read_members(data, password)
    assert members[0][0] == "manifest.json" and members[-1][0] == "index.json", \
        [n for n, _ in members]
    index = json.loads(members[-1][1])
    return Parts(json.loads(members[0][1]),
                 {name: json.loads(body) for name, body in members[1:-1]},
                 {m["name"]: m.get("rows") for m in index["members"]
                  if m["name"] != "manifest.json"})


def fix_counts(parts: Parts) -> None:
    """Row counts made true again after rows were added, dropped or moved: each chunk's in
    the index, each (organization, scope, table)'s in the manifest, the file's total."""
    counts: dict[tuple[int, str, str], int] = defaultdict(int)
    for name, rows in parts.chunks.items():
        if name in parts.raw or not isinstance(rows, list):
            continue
        parts.index_rows[name] = len(rows)
        m = DATA_RE.match(name)
        if m:
            counts[(int(m[1]), m[2], m[4])] += len(rows)
    man = parts.manifest
    scope_of = {t["name"]: t["scope"] for t in man["tables"]}
    for o in man["organizations"]:
        o["org_rows"] = {t: counts[(o["index"], "org", t)] for t, s in scope_of.items()
                         if s == "org"}
        for g in o["groups"]:
            g["rows"] = {t: counts[(o["index"], g["key"], t)] for t, s in scope_of.items()
                         if s != "org"}
    man["rows"] = {t: sum(n for (_, _, tt), n in counts.items() if tt == t) for t in scope_of}


def fix_ids(parts: Parts) -> None:
    """Each group's declared id ranges made [min id, max id] of its rows again."""
    for o in parts.manifest["organizations"]:
        for g in o["groups"]:
            ids = {}
            for t in parts.manifest["tables"]:
                if t["scope"] == "org":
                    continue
                values = [v for v in parts.ids(t["name"], g["key"], o["index"]) if is_int(v)]
                if values:
                    ids[t["name"]] = [min(values), max(values)]
            g["ids"] = ids


def sort_by_id(parts: Parts, table: str, scope: str = "g1") -> None:
    """Rows of ``table`` in ``scope`` back in id order, each chunk keeping its row count."""
    i = parts.col(table, "id")
    names = parts.names(table, scope)
    rows = sorted(parts.rows(table, scope), key=lambda r: r[i])
    for name in names:
        n = len(parts.chunks[name])
        parts.chunks[name], rows = rows[:n], rows[n:]


def reseal(parts: Parts, password: str | None = None) -> bytes:
    """A self-consistent file of ``parts``: the index (names, sizes, SHA-256, row counts)
    computed, a zstd frame per member with its checksum, the cheelsha seal, age if
    ``password`` (weak test work factor). Written by cheel's own ContainerWriter; what it
    refuses to write (an index given or edited, a member name no writer makes, data after
    the archive's end) by tests/vectors/assemble.py."""
    items = [("manifest.json", parts.manifest_bytes())]
    items += [(name, parts.chunk_bytes(name)) for name in parts.chunks]
    rows = {name: parts.index_rows.get(name) for name in parts.chunks}
    if parts.index is None and not parts.tail and all(DATA_RE.match(n) for n in parts.chunks):
        out = io.BytesIO()
        recipients = [ScryptRecipient(password, LOG2N)] if password else []
        writer = ContainerWriter(out, recipients, mtime=MTIME)
        for name, data in items:
            writer.add(name, data, rows.get(name))
        writer.close()
        return out.getvalue()
    index = parts.index
    if callable(index):
        edited = index(json.loads(assemble.index_of(items, rows)))
        index = edited if isinstance(edited, bytes) else json.dumps(edited, indent=1).encode()
    index = index if index is not None else assemble.index_of(items, rows)
    contents = [assemble.member(n, d) for n, d in items] + [assemble.member("index.json", index)]
    end = assemble.end_of_archive(sum(len(c) for c in contents)) + parts.tail
    frames = [assemble.frame(c) for c in contents] + [assemble.frame(end)]
    return assemble.put_together(assemble.Parts([], {}), frames=frames, password=password)
