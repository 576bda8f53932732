"""Stored tables read back and broken (for the hostile variants): a DBF header and its
records as stored, one field of one record overwritten, a table rewritten with other
fields."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from .tables import VFP_BACKLINK, Field


class TableLayout(NamedTuple):
    """A DBF header as stored: version byte, record count, header and record lengths, and
    each field's (offset in the record, length, type)."""

    version: int
    count: int
    headerlen: int
    reclen: int
    fields: dict[str, tuple[int, int, str]]


def table_layout(path: Path) -> TableLayout:
    """Reads a DBF header."""
    with open(path, "rb") as f:
        head = f.read(32)
        version, count, headerlen, reclen = (head[0], *struct.unpack("<IHH", head[4:12]))
        fields: dict[str, tuple[int, int, str]] = {}
        offset = 1
        while True:
            d = f.read(32)
            if not d or d[0] == 0x0D:
                break
            name = d[:11].split(b"\0")[0].decode("ascii")
            fields[name] = (offset, d[16], chr(d[11]))
            offset += d[16]
    return TableLayout(version, count, headerlen, reclen, fields)


def stored_records(path: Path) -> list[tuple[int, bool, dict[str, str]]]:
    """Every record as stored (1-based number, deleted, text of each non-memo field,
    stripped): for locating what a variant breaks in a small table."""
    layout = table_layout(path)
    data = Path(path).read_bytes()
    out = []
    for i in range(layout.count):
        start = layout.headerlen + i * layout.reclen
        rec = data[start:start + layout.reclen]
        values = {name: rec[o:o + n].decode("cp1252").strip()
                  for name, (o, n, t) in layout.fields.items() if t != "M"}
        out.append((i + 1, rec[:1] == b"*", values))
    return out


def patch_field(path: Path, record: int, name: str, value: str | bytes) -> None:
    """Overwrites one field of one stored record (1-based): a text is right-aligned for N
    fields, left-aligned otherwise, and must fit; bytes are written as they are."""
    layout = table_layout(path)
    offset, length, kind = layout.fields[name]
    if isinstance(value, str):
        value = (value.rjust(length) if kind == "N" else value.ljust(length)).encode("cp1252")
    if len(value) != length:
        raise ValueError(f"{value!r} does not fit {name} ({length})")
    with open(path, "r+b") as f:
        f.seek(layout.headerlen + (record - 1) * layout.reclen + offset)
        f.write(value)


def rewrite_table(path: Path, fields: Callable[[list[Field]], list[Field]],
                  pad: int = 0, declared_reclen: int | None = None) -> None:
    """Rewrites a table with other fields (fields(old) gives the new list; a field keeps its
    bytes, right-aligned when widened, a new one is blank), each record padded with pad
    spaces and the header's record length set to declared_reclen when given."""
    layout = table_layout(path)
    data = Path(path).read_bytes()
    old = [Field(n, t, ln) for n, (o, ln, t) in layout.fields.items()]
    raw = data[32:32 + 32 * len(old)]
    decimals = {f.name: raw[i * 32 + 17] for i, f in enumerate(old)}
    new = fields([f._replace(decimals=decimals[f.name]) for f in old])
    vfp = layout.version != 0x03
    reclen = 1 + sum(f.length for f in new) + pad
    headerlen = 32 + 32 * len(new) + 1 + (VFP_BACKLINK if vfp else 0)
    out = bytearray(data[:32])
    struct.pack_into("<HH", out, 8, headerlen, declared_reclen or reclen)
    offset = 1
    for f in new:
        out += struct.pack("<11scIBB14x", f.name.encode("ascii"), f.type.encode("ascii"),
                           offset if vfp else 0, f.length, f.decimals)
        offset += f.length
    out += b"\r" + (bytes(VFP_BACKLINK) if vfp else b"")
    for i in range(layout.count):
        rec = data[layout.headerlen + i * layout.reclen:][:layout.reclen]
        out += rec[:1]
        for f in new:
            if f.name in layout.fields:
                o, n, _t = layout.fields[f.name]
                value = rec[o:o + n]
                out += value.rjust(f.length) if f.type == "N" else value.ljust(f.length)
            else:
                out += b" " * f.length
        out += b" " * pad
    out += b"\x1a"
    Path(path).write_bytes(bytes(out))
