"""The table writers: a DBF table (dBase III or Visual FoxPro) written record by record with
``struct``, its FoxPro memo file, and WinBIZ's CSV export of a table."""

from __future__ import annotations

import csv
import struct
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from .tables import CODEPAGE_1252, HEADERS, MEMO_BLOCK, VFP_BACKLINK, Field


class DbfWriter:
    """A DBF table written record by record with struct: header, field descriptors, 0x0D
    (and Visual FoxPro's 263-byte backlink), records, 0x1A; the record count is patched in
    when closing. A memo field (VFP) goes to a FoxPro .fpt beside the table."""

    def __init__(self, path: Path, fields: Sequence[Field], columns: Sequence[str], *,
                 header: str = "db3", stamp: date = date(2025, 1, 31)):
        self.path = path
        self.fields = tuple(fields)
        version = HEADERS[header]
        memo = [i for i, f in enumerate(self.fields) if f.type == "M"]
        if memo and header != "vfp":
            raise ValueError("memo fields are written for Visual FoxPro tables only")
        if len(memo) > 1:
            raise ValueError("at most one memo field")
        self.reclen = 1 + sum(f.length for f in self.fields)
        headerlen = 32 + 32 * len(self.fields) + 1 + (VFP_BACKLINK if header == "vfp" else 0)
        flags = 0x02 if memo else 0x00
        out = bytearray(struct.pack("<BBBBIHH16xBB2x", version, stamp.year - 1900,
                                    stamp.month, stamp.day, 0, headerlen, self.reclen,
                                    flags, CODEPAGE_1252))
        offset = 1
        for f in self.fields:
            out += struct.pack("<11scIBB14x", f.name.encode("ascii"), f.type.encode("ascii"),
                               offset if header == "vfp" else 0, f.length, f.decimals)
            offset += f.length
        out += b"\r"
        if header == "vfp":
            out += bytes(VFP_BACKLINK)
        assert len(out) == headerlen
        self.file = open(path, "wb", buffering=1 << 20)
        self.file.write(out)
        self.count = 0
        # one format string per stretch of text fields, the memo pointer between them
        index = {name: i for i, name in enumerate(columns)}
        parts: list[list[str]] = [[]]
        self.memo_column = None
        for f in self.fields:
            if f.type == "M":
                self.memo_column = index[f.name]
                parts.append([])
                continue
            i = index.get(f.name)
            if i is None:
                parts[-1].append(" " * f.length)
            elif f.type == "C":
                parts[-1].append(f"{{{i}:<{f.length}.{f.length}}}")
            elif f.type == "N":
                parts[-1].append(f"{{{i}:>{f.length}}}")
            else:  # D L: texts of their exact length
                parts[-1].append(f"{{{i}:{f.length}.{f.length}}}")
        self.formats = ["".join(p) for p in parts]
        self.memo = FptWriter(path.with_suffix(".fpt")) if memo else None

    def append(self, values: Sequence, deleted: bool = False) -> None:
        """One record; values follow the columns, as texts (numbers already formatted) or
        ints."""
        flag = b"*" if deleted else b" "
        if self.memo is None:
            record = flag + self.formats[0].format(*values).encode("cp1252")
        else:
            pointer = struct.pack("<I", self.memo.add(values[self.memo_column]))
            record = (flag + self.formats[0].format(*values).encode("cp1252") + pointer
                      + self.formats[1].format(*values).encode("cp1252"))
        if len(record) != self.reclen:
            raise ValueError(f"{self.path.name}: a value does not fit its field: {values!r}")
        self.file.write(record)
        self.count += 1

    def close(self) -> None:
        """End of file mark, record count, memo file's next free block."""
        self.file.write(b"\x1a")
        self.file.seek(4)
        self.file.write(struct.pack("<I", self.count))
        self.file.close()
        if self.memo is not None:
            self.memo.close()


class FptWriter:
    """A FoxPro memo file: a 512-byte header (next free block, block size, big-endian), then
    per memo a block-aligned 8-byte header (type 1 = text, length) and the text."""

    def __init__(self, path: Path, blocksize: int = MEMO_BLOCK):
        self.blocksize = blocksize
        self.file = open(path, "wb", buffering=1 << 20)
        self.file.write(struct.pack(">IHH504x", 0, 0, blocksize))
        self.next = 512 // blocksize

    def add(self, text: str) -> int:
        """Stores a text, returns its block number (0 for an empty text)."""
        if not text:
            return 0
        data = text.encode("cp1252")
        payload = struct.pack(">II", 1, len(data)) + data
        payload += bytes(-len(payload) % self.blocksize)
        block = self.next
        self.file.write(payload)
        self.next += len(payload) // self.blocksize
        return block

    def close(self) -> None:
        self.file.seek(0)
        self.file.write(struct.pack(">I", self.next))
        self.file.close()


class CsvWriter:
    """A WinBIZ CSV export of a table: a header line of the field names, ';', CP1252, dates
    dd.mm.yyyy, numbers with the given decimal separator; deleted rows are not exported."""

    def __init__(self, path: Path, fields: Sequence[Field], columns: Sequence[str], *,
                 decimal: str = "."):
        self.path = path
        self.fields = tuple(fields)
        index = {name: i for i, name in enumerate(columns)}
        self.plan = [(index.get(f.name), f.type) for f in self.fields]
        self.decimal = decimal
        self.handle = open(path, "w", encoding="cp1252", newline="")
        self.writer = csv.writer(self.handle, delimiter=";", lineterminator="\r\n")
        self.writer.writerow([f.name for f in self.fields])
        self.count = 0

    def append(self, values: Sequence, deleted: bool = False) -> None:
        """One exported row (nothing for a deleted record)."""
        if deleted:
            return
        out = []
        for i, kind in self.plan:
            v = "" if i is None else values[i]
            if kind == "N":
                v = str(v).replace(".", self.decimal)
            elif kind == "D" and v.strip():
                v = f"{v[6:8]}.{v[4:6]}.{v[0:4]}"
            out.append(v)
        self.writer.writerow(out)
        self.count += 1

    def close(self) -> None:
        self.handle.close()
