"""Taking a format 2 backup apart and putting it together again, byte by byte, with every
checksum recomputed (or not, on purpose): what the vectors and the tests of hostile files
are made with. Written from docs/FORMAT.md with zstandard, tarfile and hashlib, not with
cheel's writer, so that it can make what cheel never would."""

from __future__ import annotations

import hashlib
import io
import json
import random
import tarfile
from dataclasses import dataclass, field
from unittest import mock

import zstandard

from cheel.archive.age import EncryptWriter
from cheel.archive.age.scrypt import ScryptRecipient

CREATED_MTIME = 1741944413  # 2025-03-14T09:26:53Z, the sample's frozen clock
LOG2N = 10
SEAL = bytes.fromhex("502a4d18") + (40).to_bytes(4, "little") + b"cheelsha"
RECORD = tarfile.RECORDSIZE


def header(name: str, size: int, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.linkname = size, kind, linkname
    info.mtime, info.mode = CREATED_MTIME, 0o644
    info.uname = info.gname = "cheel"
    return info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")


def member(name: str, data: bytes) -> bytes:
    return header(name, len(data)) + data + b"\0" * (-len(data) % 512)


def end_of_archive(offset: int) -> bytes:
    out = b"\0" * 1024
    return out + b"\0" * (-(offset + len(out)) % RECORD)


def frame(content: bytes, *, size: bool = True, checksum: bool = True) -> bytes:
    """One zstd frame of ``content``, declaring its size and with zstd's checksum."""
    return zstandard.ZstdCompressor(level=1, write_checksum=checksum,
                                    write_content_size=size).compress(content)


def seal(frames: bytes) -> bytes:
    return frames + SEAL + hashlib.sha256(frames).digest()


def encrypt(plain: bytes, password: str, seed: int = 7) -> bytes:
    out = io.BytesIO()
    with mock.patch("os.urandom", random.Random(seed).randbytes):
        with EncryptWriter(out, [ScryptRecipient(password, LOG2N)]) as enc:
            enc.write(plain)
    return out.getvalue()


@dataclass
class Parts:
    """A backup taken apart: its members in order (the manifest first, without the index),
    the index's row counts, and the manifest and chunks decoded."""

    items: list[tuple[str, bytes]]
    rows_of: dict[str, int | None]
    manifest: dict = field(default_factory=dict)

    def chunk(self, needle: str, nth: int = 0) -> int:
        """The position of the nth chunk whose name contains ``needle``."""
        return [i for i, (n, _) in enumerate(self.items) if needle in n][nth]

    def rows(self, i: int) -> list[list]:
        return json.loads(self.items[i][1])

    def set_rows(self, i: int, rows: list[list]) -> None:
        name, _ = self.items[i]
        self.items[i] = (name, dumps(rows))
        self.rows_of[name] = len(rows)

    def set_manifest(self, manifest: dict) -> None:
        self.manifest = manifest
        self.items[0] = ("manifest.json", json.dumps(manifest, indent=1,
                                                     ensure_ascii=False).encode())

    def copy(self) -> "Parts":
        return Parts(list(self.items), dict(self.rows_of), json.loads(json.dumps(self.manifest)))


def dumps(rows: list[list]) -> bytes:
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()


def take_apart(data: bytes) -> Parts:
    """The members of an unencrypted format 2 file (every frame decompressed)."""
    body = data[:-len(SEAL) - 32]
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body), read_across_frames=True)
    tar = reader.read()
    with tarfile.open(fileobj=io.BytesIO(tar), mode="r:") as archive:
        ms = [(m.name, archive.extractfile(m).read()) for m in archive.getmembers()]
    assert ms[0][0] == "manifest.json" and ms[-1][0] == "index.json"
    index = json.loads(ms[-1][1])
    return Parts(ms[:-1], {m["name"]: m.get("rows") for m in index["members"]},
                 json.loads(ms[0][1]))


def index_of(items: list[tuple[str, bytes]], rows_of: dict[str, int | None],
             version: int = 2) -> bytes:
    listed = []
    for name, data in items:
        e = {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if rows_of.get(name) is not None:
            e["rows"] = rows_of[name]
        listed.append(e)
    return json.dumps({"format": "cheel-backup", "format_version": version,
                       "members": listed}, indent=1).encode()


def put_together(parts: Parts, *, index: bytes | None = None, extra: list[bytes] = (),
                 after_index: list[bytes] = (), password: str | None = None,
                 frames: list[bytes] | None = None) -> bytes:
    """A format 2 file of ``parts``: a frame per member, the index (computed unless given),
    raw member ``extra`` parts before the index and ``after_index`` after it, the end, the
    seal, and the age layer with ``password``. ``frames``: the frames themselves, as given
    (for files whose framing is the point)."""
    if frames is None:
        idx = index_of(parts.items, parts.rows_of) if index is None else index
        contents = [member(n, d) for n, d in parts.items] + list(extra)
        contents += [member("index.json", idx)] + list(after_index)
        offset = sum(len(c) for c in contents)
        frames = [frame(c) for c in contents] + [frame(end_of_archive(offset))]
    plain = seal(b"".join(frames))
    return encrypt(plain, password) if password else plain


def recount(manifest: dict, parts: Parts) -> dict:
    """``manifest`` with its row counts and id ranges made to agree with the chunks (so that
    a change to rows is self-consistent, not caught by a count)."""
    m = json.loads(json.dumps(manifest))
    names = [t["name"] for t in m["tables"]]
    per: dict[tuple[int, str, str], list[int]] = {}
    for name, data in parts.items[1:]:
        _, org, scope, rest = name.split("/")
        table = names[int(rest[:3])]
        per.setdefault((int(org), scope, table), []).extend(r[0] for r in json.loads(data))
    totals: dict[str, int] = {}
    for o in m["organizations"]:
        o["org_rows"] = {t: len(per.get((o["index"], "org", t), [])) for t in o["org_rows"]}
        for t, n in o["org_rows"].items():
            totals[t] = totals.get(t, 0) + n
        for g in o["groups"]:
            g["ids"] = {}
            for t in g["rows"]:
                ids = per.get((o["index"], g["key"], t), [])
                g["rows"][t] = len(ids)
                totals[t] = totals.get(t, 0) + len(ids)
                if ids:
                    g["ids"][t] = [min(ids), max(ids)]
    m["rows"] = {t: totals.get(t, 0) for t in m["rows"]}
    return m
