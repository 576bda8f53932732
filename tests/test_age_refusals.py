"""age v1 passphrase files refused: wrong passwords, every flipped byte, truncations, reordered
chunks, hostile headers and work factors, writers that fail half-way."""

from __future__ import annotations

import io
import os

import pyrage
import pytest

from cheel.archive.age import format as age_format, scrypt
from cheel.archive.age.scrypt import ScryptRecipient
from cheel.archive.age.stream import payload_key
from cheel.archive.age import DecryptReader, EncryptWriter, is_age_file
from cheel.archive.age.stream import CHUNK_SIZE, SEALED_CHUNK_SIZE
from cheel.errors import (DamagedFile, KeyNeeded, NotABackup, UnsupportedVersion,
                          WrongPassword)

from age_support import LOG2N, PW, decrypt, encrypt, header_size


def test_wrong_password():
    blob = encrypt(b"secret data")
    with pytest.raises(WrongPassword) as exc:
        decrypt(blob, "not the password")
    assert "not the password" not in str(exc.value)
    with pytest.raises(WrongPassword):
        decrypt(blob, "")


def _flip_cases(blob: bytes):
    """Every byte position: three masks in the header, one in the payload."""
    hsize = header_size(blob)
    for i in range(len(blob)):
        for mask in (0x01, 0x80, 0xFF) if i < hsize + 16 else (0x01,):
            yield i, mask


def test_every_single_byte_flip_is_detected(fast_kdf):
    data = os.urandom(70000)
    blob = encrypt(data)
    buf = bytearray(blob)
    outcomes = {WrongPassword: 0, DamagedFile: 0}
    for i, mask in _flip_cases(blob):
        buf[i] ^= mask
        try:
            got = decrypt(bytes(buf))
        except WrongPassword as exc:
            outcomes[WrongPassword] += 1
            assert PW not in str(exc)
        except DamagedFile as exc:
            outcomes[DamagedFile] += 1
            assert PW not in str(exc)
        else:
            pytest.fail(f"flipping byte {i} with {mask:#x} went unnoticed ({got == data})")
        buf[i] ^= mask
    assert outcomes[WrongPassword] > 0 and outcomes[DamagedFile] > 0


def test_truncation_is_detected(fast_kdf):
    data = os.urandom(3 * CHUNK_SIZE)  # a full last chunk: the hardest case
    blob = encrypt(data)
    hsize = header_size(blob)
    payload = hsize + 16
    boundaries = [payload + k * SEALED_CHUNK_SIZE for k in range(4)]
    cuts = set(range(0, payload + 40))
    for b in boundaries:
        cuts.update(range(b - 20, b + 20))
    cuts.update(range(payload, len(blob), 997))
    cuts = sorted(c for c in cuts if 0 <= c < len(blob))
    for cut in cuts:
        with pytest.raises(DamagedFile) as exc:
            decrypt(blob[:cut])
        if cut > 0:
            assert "cut" in str(exc.value) or "ends early" in str(exc.value), (cut, exc.value)
    # Cut exactly at a chunk boundary: the message says where.
    with pytest.raises(DamagedFile, match=f"cut at byte {boundaries[2]}"):
        decrypt(blob[: boundaries[2]])
    assert decrypt(blob) == data


def test_truncation_detected_only_at_end_of_streaming_read(fast_kdf):
    data = os.urandom(3 * CHUNK_SIZE + 5)
    blob = encrypt(data)
    r = DecryptReader(io.BytesIO(blob[: header_size(blob) + 16 + 2 * SEALED_CHUNK_SIZE]), PW)
    assert r.read(2 * CHUNK_SIZE) == data[: 2 * CHUNK_SIZE]
    with pytest.raises(DamagedFile, match="ends early"):
        r.read(1)
    with pytest.raises(DamagedFile):  # and keeps failing
        r.read(1)


@pytest.mark.parametrize("garbage", [b"\x00", b"x" * 100, os.urandom(SEALED_CHUNK_SIZE)])
@pytest.mark.parametrize("size", [0, 10, CHUNK_SIZE, CHUNK_SIZE + 1])
def test_trailing_garbage(fast_kdf, size, garbage):
    blob = encrypt(os.urandom(size))
    with pytest.raises(DamagedFile):
        decrypt(blob + garbage)


def test_reordered_dropped_duplicated_chunks(fast_kdf):
    data = os.urandom(3 * CHUNK_SIZE + 100)
    blob = encrypt(data)
    p = header_size(blob) + 16
    c = [blob[p + k * SEALED_CHUNK_SIZE : p + (k + 1) * SEALED_CHUNK_SIZE] for k in range(4)]
    head = blob[:p]
    for chunks in ([c[1], c[0], c[2], c[3]], [c[0], c[2], c[3]], [c[0], c[1], c[1], c[2], c[3]],
                   [c[0], c[1], c[2]], [c[3]]):
        with pytest.raises(DamagedFile):
            decrypt(head + b"".join(chunks))
    # Splicing the payload of another file with the same password fails too.
    other = encrypt(data)
    with pytest.raises(DamagedFile):
        decrypt(head + other[p:])


def test_empty_last_chunk_rejected(fast_kdf):
    """A non-empty payload must not end with an empty final chunk."""
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    file_key = os.urandom(16)
    stanza = scrypt.wrap(file_key, PW, LOG2N)
    nonce = os.urandom(16)
    aead = ChaCha20Poly1305(payload_key(file_key, nonce))
    body = aead.encrypt(bytes(11) + b"\x00", b"a" * CHUNK_SIZE, None)
    body += aead.encrypt((1).to_bytes(11, "big") + b"\x01", b"", None)
    blob = age_format.serialize_header([stanza], file_key) + nonce + body
    with pytest.raises(DamagedFile, match="empty"):
        decrypt(blob)


def _scrypt_header_blob(args: tuple[str, ...], body: bytes = b"\x00" * 32) -> bytes:
    stanza = age_format.Stanza("scrypt", args, body)
    return age_format.serialize_header([stanza], os.urandom(16)) + os.urandom(16) + os.urandom(40)


def test_work_factor_above_limit_refused(monkeypatch):
    def forbidden(*a):
        raise AssertionError("scrypt must not run for a refused work factor")

    monkeypatch.setattr(scrypt, "scrypt_kdf", forbidden)
    salt = age_format.b64encode(os.urandom(16))
    with pytest.raises(DamagedFile, match=r"2\^23.*limit of 2\^22"):
        decrypt(_scrypt_header_blob((salt, "23")))
    with pytest.raises(DamagedFile, match=r"2\^11.*limit of 2\^10"):
        decrypt(_scrypt_header_blob((salt, "11")), max_log2n=10)


@pytest.mark.parametrize(
    "args",
    [
        ("SALT", "10"),  # salt of the wrong length
        ("AAAAAAAAAAAAAAAAAAAAAA==", "10"),  # padded
        ("AAAAAAAAAAAAAAAAAAAAAB", "10"),  # non-canonical (low bits set)
        ("AAAAAAAAAAAAAAAAAAAAAA", "010"),  # leading zero
        ("AAAAAAAAAAAAAAAAAAAAAA", "0"),
        ("AAAAAAAAAAAAAAAAAAAAAA", "-1"),
        ("AAAAAAAAAAAAAAAAAAAAAA", "1e1"),
        ("AAAAAAAAAAAAAAAAAAAAAA", "9" * 5000),
        ("AAAAAAAAAAAAAAAAAAAAAA",),
        ("AAAAAAAAAAAAAAAAAAAAAA", "10", "extra"),
    ],
)
def test_malformed_scrypt_stanza(monkeypatch, args):
    monkeypatch.setattr(scrypt, "scrypt_kdf", lambda *a: pytest.fail("scrypt ran"))
    with pytest.raises(DamagedFile):
        decrypt(_scrypt_header_blob(args))


def test_wrapped_key_wrong_length(monkeypatch):
    monkeypatch.setattr(scrypt, "scrypt_kdf", lambda *a: pytest.fail("scrypt ran"))
    salt = age_format.b64encode(os.urandom(16))
    for n in (0, 31, 33, 48):
        with pytest.raises(DamagedFile):
            decrypt(_scrypt_header_blob((salt, "10"), b"\x01" * n))


def test_scrypt_must_be_alone():
    file_key = os.urandom(16)
    s1 = scrypt.wrap(file_key, PW, LOG2N)
    s2 = scrypt.wrap(file_key, PW, LOG2N)
    x = age_format.Stanza("X25519", (age_format.b64encode(os.urandom(32)),), os.urandom(32))
    for stanzas in ([s1, s2], [s1, x], [x, s1]):
        blob = age_format.serialize_header(stanzas, file_key) + os.urandom(16) + os.urandom(40)
        with pytest.raises(DamagedFile, match="mixed"):
            decrypt(blob)
    blob = age_format.serialize_header([x], file_key) + os.urandom(56)
    with pytest.raises(KeyNeeded, match="no private key was given"):  # X25519 alone: a key
        decrypt(blob)


def test_not_age_and_other_versions():
    with pytest.raises(NotABackup):
        decrypt(b"PK\x03\x04" + os.urandom(100))
    with pytest.raises(NotABackup, match="armored"):
        decrypt(b"-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n")
    with pytest.raises(UnsupportedVersion, match="v2"):
        decrypt(b"age-encryption.org/v2\n-> whatever\n\n--- x\n")
    with pytest.raises(DamagedFile, match="empty"):
        decrypt(b"")
    with pytest.raises(NotABackup, match="longer than"):
        decrypt(b"age-encryption.org/v1\n-> a " + b"b" * 70000 + b"\n\n--- x\n")


def test_header_syntax_strictness(fast_kdf):
    good = encrypt(b"payload")
    lines = good.split(b"\n", 4)  # version, stanza, body, mac, payload
    variants = [
        lines[0] + b"\n" + lines[1].replace(b" ", b"  ", 1),  # double space
        lines[0] + b"\n" + lines[1] + b" ",  # trailing space
        lines[0] + b"\n" + lines[1].replace(b"-> ", b"->", 1),
        lines[0] + b"\r",  # CRLF
        lines[0] + b"\n" + lines[1] + b"\n" + lines[2] + b"=",  # padded body
    ]
    for v in variants:
        rest = good[len(b"\n".join(lines[: v.count(b"\n") + 1])) :]
        with pytest.raises(DamagedFile):
            decrypt(v + rest)
    # Body wrapped at the wrong column.
    body = age_format.b64encode(os.urandom(60))
    bad = b"age-encryption.org/v1\n-> scrypt AAAAAAAAAAAAAAAAAAAAAA 10\n" + body[:50].encode()
    bad += b"\n" + body[50:].encode() + b"\n--- " + b"A" * 43 + b"\n" + os.urandom(40)
    with pytest.raises(DamagedFile):
        decrypt(bad)
    # MAC line without its space, or too short.
    mac_at = good.index(b"\n---") + 1
    for mac_line in (b"---" + good[mac_at + 4 : mac_at + 47], b"--- AAAA"):
        with pytest.raises(DamagedFile):
            decrypt(good[:mac_at] + mac_line + good[mac_at + 47 :])


def test_b64_strict():
    assert age_format.b64decode("AAAAAAAAAAAAAAAAAAAAAA") == bytes(16)
    for bad in ("AAAAAAAAAAAAAAAAAAAAAB", "AA==", "A", "AA A", "AA\nA", "A-_A", "ÀA"):
        with pytest.raises(ValueError):
            age_format.b64decode(bad)
    for n in range(70):
        data = os.urandom(n)
        assert age_format.b64decode(age_format.b64encode(data)) == data


def test_stanza_body_wrapping():
    for n, expected in ((0, [b""]), (48, [64, 0]), (47, [63]), (49, [64, 2])):
        enc = age_format.encode_stanza(age_format.Stanza("t", ("a",), os.urandom(n)))
        body_lines = enc.split(b"\n")[1:-1]
        if n:
            assert [len(x) for x in body_lines] == expected
        else:
            assert body_lines == expected


def test_writer_exception_leaves_detectably_incomplete_file(fast_kdf):
    out = io.BytesIO()
    with pytest.raises(RuntimeError):
        with EncryptWriter(out, [ScryptRecipient(PW, LOG2N)]) as w:
            w.write(os.urandom(100000))
            raise RuntimeError("boom")
    assert w.closed
    with pytest.raises(DamagedFile, match="ends early"):
        decrypt(out.getvalue())

    out = io.BytesIO()
    w = EncryptWriter(out, [ScryptRecipient(PW, LOG2N)])
    w.write(b"abc")
    w.abort()
    with pytest.raises(DamagedFile):
        decrypt(out.getvalue())


def test_unclosed_writer_is_never_finalized(fast_kdf):
    import gc

    out = io.BytesIO()
    w = EncryptWriter(out, [ScryptRecipient(PW, LOG2N)])
    w.write(b"abc" * 1000)
    del w
    gc.collect()
    with pytest.raises(DamagedFile, match="ends early"):
        decrypt(out.getvalue())


def test_failed_raw_write_aborts_writer():
    class Full(io.RawIOBase):
        def __init__(self):
            self.n = 0

        def writable(self):
            return True

        def write(self, b):
            self.n += 1
            if self.n > 2:
                raise OSError(28, "No space left on device")
            return len(b)

    w = EncryptWriter(Full(), [ScryptRecipient(PW, LOG2N)])
    with pytest.raises(OSError):
        w.write(os.urandom(5 * CHUNK_SIZE))
    assert w.closed
    w.close()  # no final chunk, no error


def test_short_raw_reads_and_writes():
    """Raw streams that return short reads and accept short writes."""

    class Trickle(io.RawIOBase):
        def __init__(self, data=b""):
            self.data = bytearray(data)
            self.pos = 0

        def readable(self):
            return True

        def writable(self):
            return True

        def readinto(self, b):
            n = min(len(b), 1000, len(self.data) - self.pos)
            b[:n] = self.data[self.pos : self.pos + n]
            self.pos += n
            return n

        def write(self, b):
            n = min(len(b), 777)
            self.data += bytes(b[:n])
            return n

    data = os.urandom(200000)
    sink = Trickle()
    with EncryptWriter(sink, [ScryptRecipient(PW, LOG2N)]) as w:
        w.write(data)
    assert pyrage.passphrase.decrypt(bytes(sink.data), PW) == data
    assert DecryptReader(Trickle(sink.data), PW).read() == data
