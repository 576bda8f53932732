"""What the age tests share: a passphrase, the test-only work factor, round-trip helpers."""

from __future__ import annotations

import io
import shutil

import pytest

from cheel.archive.age import format as age_format, scrypt
from cheel.archive.age.scrypt import ScryptRecipient
from cheel.archive.age.stream import payload_key
from cheel.archive.age import DecryptReader, EncryptWriter, Unlocker

PW = "correct horse battery staple 7f3c"
LOG2N = 10  # test-only weak work factor

AGE = shutil.which("age")
needs_age = pytest.mark.skipif(AGE is None, reason="the `age` command is not installed")


def encrypt(data: bytes, pw: str = PW, log2n: int = LOG2N) -> bytes:
    out = io.BytesIO()
    with EncryptWriter(out, [ScryptRecipient(pw, log2n)]) as w:
        w.write(data)
    return out.getvalue()


def decrypt(blob: bytes, pw: str = PW, max_log2n: int | None = None) -> bytes:
    unlocker = Unlocker(pw) if max_log2n is None else Unlocker(pw, max_log2n)
    return DecryptReader(io.BytesIO(blob), unlocker).read()


def header_size(blob: bytes) -> int:
    header, _ = age_format.parse_header(blob)
    return header.size
