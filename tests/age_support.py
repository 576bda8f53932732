"""What the age tests share: a passphrase, the test-only work factor, round-trip helpers."""

from __future__ import annotations

import io
import shutil

import pytest

from cheel.archive import age_header as hdr
from cheel.archive.age_stream import DecryptReader, EncryptWriter

PW = "correct horse battery staple 7f3c"
LOG2N = 10  # test-only weak work factor

AGE = shutil.which("age")
needs_age = pytest.mark.skipif(AGE is None, reason="the `age` command is not installed")


def encrypt(data: bytes, pw: str = PW, log2n: int = LOG2N) -> bytes:
    out = io.BytesIO()
    with EncryptWriter(out, pw, log2n=log2n) as w:
        w.write(data)
    return out.getvalue()


def decrypt(blob: bytes, pw: str = PW, **kw) -> bytes:
    return DecryptReader(io.BytesIO(blob), pw, **kw).read()


def header_size(blob: bytes) -> int:
    header, _ = hdr.parse_header(blob)
    return header.size
