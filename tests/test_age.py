"""age v1 passphrase files: round trips, interoperability, late headers (refusals of damaged
and hostile files: test_age_refusals.py)."""

from __future__ import annotations

import io
import os
import tarfile

import pexpect
import pyrage
import pytest

from cheel.archive.age import format as age_format, scrypt
from cheel.archive.age.scrypt import ScryptRecipient
from cheel.archive.age.stream import payload_key
from cheel.archive.age import DecryptReader, EncryptWriter, is_age_file
from cheel.archive.age.stream import CHUNK_SIZE, SEALED_CHUNK_SIZE
from cheel.errors import NotABackup

from age_support import AGE, LOG2N, PW, decrypt, encrypt, header_size, needs_age


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 2 * 65536, 200000])
def test_round_trip_sizes(size):
    data = os.urandom(size)
    blob = encrypt(data)
    n_chunks = max(1, -(-size // CHUNK_SIZE))
    assert len(blob) == header_size(blob) + 16 + size + 16 * n_chunks
    assert decrypt(blob) == data


@pytest.mark.parametrize("write_size", [1, 7, 4096, 65535, 65536, 65537, 300000])
@pytest.mark.parametrize("read_size", [1, 1000, 65536, 70001, -1])
def test_round_trip_piecewise(write_size, read_size):
    data = os.urandom(3 * 65536 + 123) if write_size >= 4096 else os.urandom(70000)
    out = io.BytesIO()
    with EncryptWriter(out, [ScryptRecipient(PW, LOG2N)]) as w:
        for i in range(0, len(data), write_size):
            assert w.write(memoryview(data)[i : i + write_size]) == len(data[i : i + write_size])
        assert w.tell() == len(data)
    r = DecryptReader(io.BytesIO(out.getvalue()), PW)
    if read_size < 0:
        assert r.read() == data
    else:
        got = bytearray()
        while chunk := r.read(read_size):
            assert len(chunk) == read_size or len(got) + len(chunk) == len(data)
            got += chunk
        assert bytes(got) == data
    assert r.read() == b"" and r.read(10) == b""
    assert r.tell() == len(data)


def test_readinto_read1_and_io_flags():
    data = os.urandom(150000)
    blob = encrypt(data)
    r = DecryptReader(io.BytesIO(blob), PW)
    assert r.readable() and not r.writable() and not r.seekable()
    buf = bytearray(100000)
    assert r.readinto(buf) == 100000 and bytes(buf) == data[:100000]
    first = r.read1(10**6)
    assert 0 < len(first) <= CHUNK_SIZE
    rest = bytearray(10**6)
    n = r.readinto1(rest)
    got = data[:100000] + first + bytes(rest[:n]) + r.read()
    assert got == data
    r.close()
    with pytest.raises(ValueError):
        r.read()

    w = EncryptWriter(io.BytesIO(), [ScryptRecipient(PW, LOG2N)])
    assert w.writable() and not w.readable() and not w.seekable()
    w.close()
    w.close()  # idempotent
    with pytest.raises(ValueError):
        w.write(b"x")


def test_writer_does_not_close_raw_and_streams_output():
    raw = io.BytesIO()
    w = EncryptWriter(raw, [ScryptRecipient(PW, LOG2N)])
    w.write(os.urandom(10 * CHUNK_SIZE + 5))
    # Bounded memory: everything but at most one chunk is already out.
    assert len(raw.getvalue()) >= 9 * SEALED_CHUNK_SIZE
    w.close()
    assert not raw.closed
    r = DecryptReader(raw := io.BytesIO(raw.getvalue()), PW)
    r.read()
    r.close()
    assert not raw.closed


def test_zstandard_and_tarfile_streaming():
    zstandard = pytest.importorskip("zstandard")
    files = {f"f{i}.bin": os.urandom(i * 40000) for i in range(5)}
    out = io.BytesIO()
    with EncryptWriter(out, [ScryptRecipient(PW, LOG2N)]) as enc:
        with zstandard.ZstdCompressor().stream_writer(enc, closefd=False) as zw:
            with tarfile.open(fileobj=zw, mode="w|") as tar:
                for name, content in files.items():
                    info = tarfile.TarInfo(name)
                    info.size = len(content)
                    tar.addfile(info, io.BytesIO(content))
    dec = DecryptReader(io.BytesIO(out.getvalue()), PW)
    with zstandard.ZstdDecompressor().stream_reader(dec) as zr:
        with tarfile.open(fileobj=zr, mode="r|") as tar:
            got = {m.name: tar.extractfile(m).read() for m in tar}
    assert got == files


def test_is_age_file():
    assert is_age_file(encrypt(b"hi")[:32])
    assert is_age_file(b"age-encryption.org/v1\n")
    assert not is_age_file(b"PK\x03\x04 zip file")
    assert not is_age_file(b"")
    assert not is_age_file(b"-----BEGIN AGE ENCRYPTED FILE-----\n")


def test_empty_passphrase_refused_by_writer():
    with pytest.raises(ValueError):
        EncryptWriter(io.BytesIO(), [ScryptRecipient("", LOG2N)])


def test_header_format_is_canonical():
    blob = encrypt(b"x")
    lines = blob.split(b"\n")
    assert lines[0] == b"age-encryption.org/v1"
    arg = lines[1].split(b" ")
    assert arg[:2] == [b"->", b"scrypt"] and arg[3] == b"10"
    assert len(age_format.b64decode(arg[2])) == 16 and b"=" not in lines[1] + lines[2]
    assert len(lines[2]) == 43
    assert lines[3].startswith(b"--- ") and len(lines[3]) == 47


def test_default_work_factor_is_18():
    import inspect

    assert inspect.signature(ScryptRecipient).parameters["log2n"].default == 18
    assert ScryptRecipient(PW).log2n == scrypt.DEFAULT_LOG2N == 18


# --------------------------------------------------------------------------- interop


def test_decrypts_pyrage_output():
    data = os.urandom(140000)
    assert decrypt(pyrage.passphrase.encrypt(data, PW)) == data  # rage picks log2n ~19


def test_pyrage_decrypts_our_output():
    for size in (0, 65536, 140000):
        data = os.urandom(size)
        assert pyrage.passphrase.decrypt(encrypt(data), PW) == data


def _age(args: list[str], prompts: list[str]) -> None:
    child = pexpect.spawn(AGE, args, timeout=60)
    for prompt in prompts:
        child.expect_exact(prompt)
        child.sendline(PW)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before


@needs_age
def test_age_cli_interop(tmp_path):
    data = os.urandom(200000)
    plain = tmp_path / "in.bin"
    plain.write_bytes(data)
    theirs = tmp_path / "theirs.age"
    _age(["-p", "-o", str(theirs), str(plain)], ["Enter passphrase", "Confirm passphrase"])
    assert decrypt(theirs.read_bytes()) == data

    ours = tmp_path / "ours.age"
    ours.write_bytes(encrypt(data))
    back = tmp_path / "back.bin"
    _age(["-d", "-o", str(back), str(ours)], ["Enter passphrase"])
    assert back.read_bytes() == data


# --------------------------------------------------------------------------- late header


class _Unseekable(io.RawIOBase):
    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE, 3 * CHUNK_SIZE + 17])
@pytest.mark.parametrize("log2n", [LOG2N, 18])
def test_late_header_round_trip_and_reserved_size(size, log2n):
    data = os.urandom(size)
    out = io.BytesIO()
    out.write(b"prefix")  # the header goes where the writer started, not at 0
    w = EncryptWriter(out, [ScryptRecipient(PW, log2n)], late_header=True)
    w.write(data)
    pending = out.getvalue()
    # Before close(): reserved zeros where the header goes, nothing an age reader accepts.
    assert pending[6:6 + age_format.header_size([scrypt.placeholder(log2n)])] == bytes(age_format.header_size([scrypt.placeholder(log2n)]))
    assert not is_age_file(pending[6:])
    w.close()
    blob = out.getvalue()[6:]
    assert out.getvalue()[:6] == b"prefix"
    assert header_size(blob) == age_format.header_size([scrypt.placeholder(log2n)])
    assert decrypt(blob) == data
    assert pyrage.passphrase.decrypt(blob, PW) == data
    assert out.tell() == len(out.getvalue())  # the writer left raw at the end


def test_late_header_aborted_file_is_not_age():
    out = io.BytesIO()
    w = EncryptWriter(out, [ScryptRecipient(PW, LOG2N)], late_header=True)
    w.write(os.urandom(100000))
    w.abort()
    assert not is_age_file(out.getvalue())
    with pytest.raises(NotABackup):
        decrypt(out.getvalue())


def test_late_header_needs_a_seekable_output():
    raw = _Unseekable()
    with EncryptWriter(raw, [ScryptRecipient(PW, LOG2N)], late_header=True) as w:
        assert is_age_file(bytes(raw.data))  # header first, as without late_header
        w.write(b"x" * 1000)
    assert decrypt(bytes(raw.data)) == b"x" * 1000


@needs_age
def test_age_cli_decrypts_late_header_output(tmp_path):
    data = os.urandom(200000)
    ours = tmp_path / "late.age"
    with open(ours, "wb") as f, EncryptWriter(f, [ScryptRecipient(PW)], late_header=True) as w:
        w.write(data)
    back = tmp_path / "back.bin"
    _age(["-d", "-o", str(back), str(ours)], ["Enter passphrase"])
    assert back.read_bytes() == data
