"""Zips and ``.wb_backup`` files: a data folder zipped (deterministically), a company
zipped, ``.wb_backup`` containers the import must refuse, and a zip made to lie about a
member's size."""

from __future__ import annotations

import gzip
import random
import shutil
import struct
import tempfile
import zipfile
from pathlib import Path

from .company import write_company
from .expected import Expected

ZIP_TIME = (2025, 1, 31, 17, 30, 0)


def zip_folder(folder: Path, zip_path: Path, prefix: str = "",
               directories: bool = True) -> Path:
    """Zips folder's content into zip_path (deflated, deterministic: sorted names, fixed
    times), member names prefix + the path relative to folder (prefix "a/b/" puts the data
    at that depth); with directory entries unless directories=False."""
    folder = Path(folder)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder).as_posix()
            if path.is_dir():
                if directories:
                    info = zipfile.ZipInfo(prefix + rel + "/", ZIP_TIME)
                    info.external_attr = (0o40755 << 16) | 0x10
                    z.writestr(info, b"")
                continue
            info = zipfile.ZipInfo(prefix + rel, ZIP_TIME)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, z.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    return Path(zip_path)


def write_company_zip(zip_path: Path, *, prefix: str = "", **company) -> Expected:
    """A company (write_company's arguments) zipped; Expected.source is the zip."""
    with tempfile.TemporaryDirectory() as tmp:
        expected = write_company(Path(tmp), **company)
        zip_folder(Path(tmp), zip_path, prefix)
    expected.source = Path(zip_path)
    return expected


def write_wb_backup_zip(path: Path, *, prefix: str = "WinBIZ/Sauvegarde/",
                        **company) -> Expected:
    """A .wb_backup that is a zip container holding a data folder (at prefix/DAT/...)."""
    return write_company_zip(path, prefix=prefix, **company)


WB_BACKUP_KINDS = {
    "7z": "a 7-Zip signature followed by junk",
    "gzip": "gzip-compressed junk",
    "rar": "a RAR 5 signature followed by junk",
    "random": "64 KiB of random (high-entropy) bytes",
    "empty": "no bytes at all",
    "zip_without_data": "a valid zip holding no DBF table (a readme and an ini file)",
}


def write_wb_backup_unknown(path: Path, kind: str, seed: int = 1) -> Path:
    """A .wb_backup the import must refuse: "7z" (7-Zip signature then junk), "gzip", "rar",
    "random" (high-entropy bytes), "empty" (0 bytes), "zip_without_data" (a valid zip with no
    DBF table in it)."""
    rng = random.Random(seed)
    junk = rng.randbytes(4096)
    if kind == "7z":
        data = b"7z\xbc\xaf\x27\x1c\x00\x04" + junk
    elif kind == "gzip":
        data = gzip.compress(b"WinBIZ 9.0 backup\0" + junk, mtime=0)
    elif kind == "rar":
        data = b"Rar!\x1a\x07\x01\x00" + junk
    elif kind == "random":
        data = rng.randbytes(64 * 1024)
    elif kind == "empty":
        data = b""
    elif kind == "zip_without_data":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(zipfile.ZipInfo("LISEZMOI.txt", ZIP_TIME),
                       "Sauvegarde WinBIZ — aucune donnée.\r\n".encode("cp1252"))
            z.writestr(zipfile.ZipInfo("config/winbiz.ini", ZIP_TIME), b"[WinBIZ]\r\n")
        return Path(path)
    else:
        raise ValueError(f"kind is one of {sorted(WB_BACKUP_KINDS)}")
    Path(path).write_bytes(data)
    return Path(path)


def set_zip_size(zip_path: Path, member: str, size: int) -> None:
    """Makes the zip lie about a member's uncompressed size, in its local header and its
    central directory entry alike."""
    with zipfile.ZipFile(zip_path) as z:
        info = z.getinfo(member)
    data = bytearray(Path(zip_path).read_bytes())
    local = info.header_offset
    assert data[local:local + 4] == b"PK\x03\x04"
    struct.pack_into("<I", data, local + 22, size)
    encoded = member.encode("utf-8")
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46:pos + 46 + name_len]) == encoded:
            struct.pack_into("<I", data, pos + 24, size)
            break
        pos = data.find(b"PK\x01\x02", pos + 46)
    else:
        raise ValueError(f"{member} not in the central directory")
    Path(zip_path).write_bytes(bytes(data))
