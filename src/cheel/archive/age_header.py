"""The header of an age v1 file, limited to one scrypt (passphrase) recipient.

Format (C2SP age, https://c2sp.org/age)::

    age-encryption.org/v1
    -> scrypt <salt, 16 bytes, base64> <log2 of the work factor>
    <body: the 16-byte file key wrapped with ChaCha20-Poly1305, base64, 64 columns>
    --- <HMAC-SHA256 of everything up to and including "---", base64>

The binary payload starts right after the final line feed.

Parsing is strict, as the spec asks: canonical unpadded base64 only, no stray
spaces, stanza bodies wrapped at exactly 64 columns, the scrypt stanza must be the
only stanza, the work factor is bounded (``max_log2n``) and the header size is
bounded (``MAX_HEADER_SIZE``).

Which error a reader meets:

* ``NotABackup`` -- the bytes are not an age file, or an age file that is not
  encrypted with a single passphrase (e.g. encrypted to an age key);
* ``UnsupportedVersion`` -- an age file of a version other than v1;
* ``DamagedFile`` -- malformed or cut-short header, work factor above the limit,
  or a header MAC that does not match once the file key is known;
* ``WrongPassword`` -- the passphrase does not unwrap the file key. A damaged salt
  or stanza body is indistinguishable from a wrong passphrase, so it lands here too.

Nothing here ever puts the passphrase in a message.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from cheel.errors import DamagedFile, NotABackup, UnsupportedVersion, WrongPassword

VERSION_PREFIX = b"age-encryption.org/"
VERSION_LINE = b"age-encryption.org/v1"
MAGIC = VERSION_LINE + b"\n"
ARMOR_PREFIX = b"-----BEGIN AGE ENCRYPTED FILE-----"

STANZA_PREFIX = b"-> "
MAC_PREFIX = b"---"
BODY_COLUMNS = 64

FILE_KEY_SIZE = 16
SCRYPT_SALT_SIZE = 16
SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
SCRYPT_TYPE = "scrypt"
SCRYPT_R = 8
SCRYPT_P = 1
WRAPPED_KEY_SIZE = FILE_KEY_SIZE + 16  # ChaCha20-Poly1305 tag
MAC_SIZE = 32
MAC_B64_LEN = 43

DEFAULT_LOG2N = 18
DEFAULT_MAX_LOG2N = 22
MIN_LOG2N = 1

# A single-scrypt header is about 150 bytes; anything past this is not ours.
MAX_HEADER_SIZE = 64 * 1024

_ZERO_NONCE = b"\x00" * 12
_B64_CHARS = re.compile(rb"[A-Za-z0-9+/]*")
_VCHAR = re.compile(rb"[\x21-\x7e]+")
_LOG2N = re.compile(r"[1-9][0-9]*")


# --------------------------------------------------------------------------- base64


def b64encode(data: bytes) -> str:
    """Canonical standard base64 without ``=`` padding."""
    return base64.b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str | bytes) -> bytes:
    """Strict inverse of :func:`b64encode`; raises ``ValueError`` on anything else.

    Rejects padding, characters outside the standard alphabet, impossible lengths
    and non-canonical encodings (unused low bits set in the last character).
    """
    raw = text.encode("ascii") if isinstance(text, str) else bytes(text)
    if _B64_CHARS.fullmatch(raw) is None:
        raise ValueError("invalid base64 character")
    if len(raw) % 4 == 1:
        raise ValueError("invalid base64 length")
    try:
        data = base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except binascii.Error as exc:  # pragma: no cover - excluded by the checks above
        raise ValueError("invalid base64") from exc
    if b64encode(data).encode("ascii") != raw:
        raise ValueError("non-canonical base64")
    return data


# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class Stanza:
    """One recipient stanza: ``-> type args...`` and a binary body."""

    type: str
    args: tuple[str, ...]
    body: bytes


@dataclass(frozen=True)
class Header:
    """A parsed header.

    ``mac_input`` is the exact bytes the MAC covers (up to and including ``---``);
    ``size`` is the header length in bytes including the final line feed, i.e. the
    offset where the payload starts.
    """

    stanzas: tuple[Stanza, ...]
    mac: bytes
    mac_input: bytes
    size: int


# --------------------------------------------------------------------------- serialize


def _check_arg(arg: str) -> bytes:
    raw = arg.encode("ascii")
    if _VCHAR.fullmatch(raw) is None:
        raise ValueError("a stanza argument must be non-empty printable ASCII without spaces")
    return raw


def encode_stanza(stanza: Stanza) -> bytes:
    """Serialize one stanza, its body wrapped at 64 columns (final line shorter)."""
    parts = [_check_arg(stanza.type)] + [_check_arg(a) for a in stanza.args]
    text = b64encode(stanza.body).encode("ascii")
    lines = [text[i : i + BODY_COLUMNS] for i in range(0, len(text), BODY_COLUMNS)]
    if not lines or len(lines[-1]) == BODY_COLUMNS:
        lines.append(b"")
    return STANZA_PREFIX + b" ".join(parts) + b"\n" + b"".join(line + b"\n" for line in lines)


def header_mac_input(stanzas: list[Stanza] | tuple[Stanza, ...]) -> bytes:
    """The bytes the header MAC covers: version line, stanzas, ``---``."""
    if not stanzas:
        raise ValueError("a header needs at least one stanza")
    return MAGIC + b"".join(encode_stanza(s) for s in stanzas) + MAC_PREFIX


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(ikm)


def _hmac_key(file_key: bytes) -> bytes:
    return _hkdf(file_key, b"", b"header")


def header_mac(file_key: bytes, mac_input: bytes) -> bytes:
    """HMAC-SHA256 with key HKDF(file key, salt="", info="header")."""
    h = hmac.HMAC(_hmac_key(file_key), hashes.SHA256())
    h.update(mac_input)
    return h.finalize()


def serialize_header(stanzas: list[Stanza] | tuple[Stanza, ...], file_key: bytes) -> bytes:
    """The complete header, MAC line and final line feed included."""
    mac_input = header_mac_input(stanzas)
    return mac_input + b" " + b64encode(header_mac(file_key, mac_input)).encode("ascii") + b"\n"


def verify_header_mac(header: Header, file_key: bytes) -> None:
    """Raise ``DamagedFile`` if the MAC does not match (constant-time compare)."""
    h = hmac.HMAC(_hmac_key(file_key), hashes.SHA256())
    h.update(header.mac_input)
    try:
        h.verify(header.mac)
    except InvalidSignature:
        raise DamagedFile(
            "the file's header has been altered or damaged: its integrity check does not match"
        ) from None


def payload_key(file_key: bytes, nonce: bytes) -> bytes:
    """HKDF(file key, salt=payload nonce, info="payload")."""
    return _hkdf(file_key, nonce, b"payload")


# --------------------------------------------------------------------------- scrypt


def _passphrase_bytes(passphrase: str | bytes | bytearray) -> bytes:
    if isinstance(passphrase, str):
        return passphrase.encode("utf-8")
    if isinstance(passphrase, (bytes, bytearray, memoryview)):
        return bytes(passphrase)
    raise TypeError("the passphrase must be str or bytes")


def scrypt_kdf(passphrase: bytes, salt: bytes, log2n: int) -> bytes:
    """The scrypt wrap key. A module-level function so tests may memoize it."""
    kdf = Scrypt(salt=SCRYPT_LABEL + salt, length=32, n=1 << log2n, r=SCRYPT_R, p=SCRYPT_P)
    return kdf.derive(passphrase)


_RECENT: dict[bytes, bytes] = {}


def _unwrap_key(passphrase: bytes, salt: bytes, log2n: int) -> bytes:
    """``scrypt_kdf`` for reading, remembered for the few files this process just opened.

    Reading a backup opens it more than once (manifest first, then the data); scrypt is
    deliberately slow, so its result for the same file and passphrase is kept in memory.
    The entry is keyed by a hash; neither the passphrase nor the key is ever written out.
    """
    import hashlib

    key = hashlib.sha256(len(passphrase).to_bytes(4, "big") + passphrase + salt +
                         bytes([log2n])).digest()
    found = _RECENT.get(key)
    if found is None:
        found = scrypt_kdf(passphrase, salt, log2n)
        if len(_RECENT) >= 8:
            _RECENT.pop(next(iter(_RECENT)))
        _RECENT[key] = found
    return found


def check_log2n(log2n: int) -> None:
    """Refuse a work factor this module would not write."""
    if isinstance(log2n, bool) or not isinstance(log2n, int):
        raise TypeError("log2n must be an int")
    if not MIN_LOG2N <= log2n <= DEFAULT_MAX_LOG2N:
        raise ValueError(f"log2n must be between {MIN_LOG2N} and {DEFAULT_MAX_LOG2N}")


def scrypt_header_size(log2n: int) -> int:
    """Length in bytes of the header :func:`scrypt_wrap` and :func:`serialize_header` make.

    It depends only on ``log2n`` (salt, wrapped key and MAC have fixed sizes), so a writer
    can reserve the space and fill it in once the slow key derivation is done.
    """
    check_log2n(log2n)
    salt = b64encode(bytes(SCRYPT_SALT_SIZE))
    stanza = Stanza(SCRYPT_TYPE, (salt, str(log2n)), bytes(WRAPPED_KEY_SIZE))
    return len(serialize_header([stanza], bytes(FILE_KEY_SIZE)))


def scrypt_wrap(
    file_key: bytes, passphrase: str | bytes, log2n: int = DEFAULT_LOG2N,
    salt: bytes | None = None,
) -> Stanza:
    """Wrap ``file_key`` for a passphrase into an ``-> scrypt`` stanza."""
    if len(file_key) != FILE_KEY_SIZE:
        raise ValueError("the file key must be 16 bytes")
    check_log2n(log2n)
    pw = _passphrase_bytes(passphrase)
    salt = os.urandom(SCRYPT_SALT_SIZE) if salt is None else salt
    if len(salt) != SCRYPT_SALT_SIZE:
        raise ValueError("the salt must be 16 bytes")
    wrap_key = scrypt_kdf(pw, salt, log2n)
    body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
    return Stanza(SCRYPT_TYPE, (b64encode(salt), str(log2n)), body)


def check_scrypt_header(
    header: Header, max_log2n: int = DEFAULT_MAX_LOG2N
) -> tuple[bytes, int, bytes]:
    """Validate the single scrypt stanza *before* any expensive work.

    Returns ``(salt, log2n, wrapped_body)``.
    """
    stanzas = header.stanzas
    types = [s.type for s in stanzas]
    if SCRYPT_TYPE not in types:
        raise NotABackup(
            "the file is encrypted with age but not with a passphrase "
            f"(its recipients are of type {', '.join(sorted(set(types)))})"
        )
    if len(stanzas) != 1:
        raise DamagedFile(
            "the file's header has a passphrase recipient mixed with other recipients, "
            "which the age format forbids"
        )
    stanza = stanzas[0]
    if len(stanza.args) != 2:
        raise DamagedFile("the file's passphrase recipient line does not have exactly two values")
    salt_text, log2n_text = stanza.args
    try:
        salt = b64decode(salt_text)
    except ValueError:
        salt = b""
    if len(salt) != SCRYPT_SALT_SIZE:
        raise DamagedFile("the file's passphrase salt is malformed")
    if len(log2n_text) > 3 or _LOG2N.fullmatch(log2n_text) is None:
        raise DamagedFile("the file's passphrase work factor is malformed")
    log2n = int(log2n_text)
    if log2n > max_log2n:
        raise DamagedFile(
            f"the file asks for a passphrase work factor of 2^{log2n}, above the limit of "
            f"2^{max_log2n} accepted here, so it was refused"
        )
    if len(stanza.body) != WRAPPED_KEY_SIZE:
        raise DamagedFile("the file's wrapped key has the wrong length")
    return salt, log2n, stanza.body


def scrypt_unwrap(
    header: Header, passphrase: str | bytes, max_log2n: int = DEFAULT_MAX_LOG2N
) -> bytes:
    """Recover the 16-byte file key, then check the header MAC with it.

    ``WrongPassword`` if the passphrase does not unwrap the key; ``DamagedFile`` if
    it does but the header MAC does not match.
    """
    salt, log2n, body = check_scrypt_header(header, max_log2n)
    wrap_key = _unwrap_key(_passphrase_bytes(passphrase), salt, log2n)
    try:
        file_key = ChaCha20Poly1305(wrap_key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        raise WrongPassword("the password does not open this file") from None
    verify_header_mac(header, file_key)
    return file_key


# --------------------------------------------------------------------------- parse


class _LineSource:
    """Reads LF-terminated lines from ``read(n)`` without losing what follows."""

    _BLOCK = 4096

    def __init__(self, read: Callable[[int], bytes], initial: bytes, max_size: int):
        self._read = read
        self._buf = bytearray(initial)
        self._pos = 0
        self._eof = False
        self._max = max_size

    def _more(self) -> bool:
        if self._eof:
            return False
        chunk = self._read(self._BLOCK)
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def fill_to(self, n: int) -> bytes:
        """Return the first ``n`` bytes from the current position (fewer at EOF)."""
        while len(self._buf) - self._pos < n and self._more():
            pass
        return bytes(self._buf[self._pos : self._pos + n])

    def line(self) -> bytes:
        """The next line without its LF; ``DamagedFile`` if the stream ends first."""
        start = search = self._pos
        while True:
            nl = self._buf.find(b"\n", search)
            if nl >= 0:
                if nl + 1 > self._max:
                    raise self._too_large()
                self._pos = nl + 1
                return bytes(self._buf[start:nl])
            search = len(self._buf)
            if search > self._max:
                raise self._too_large()
            if not self._more():
                raise DamagedFile(
                    f"the file ends early: it was cut at byte {len(self._buf)}, inside its header"
                )

    def _too_large(self) -> NotABackup:
        return NotABackup(
            f"the file's age header is longer than {self._max} bytes, "
            "so it is not a passphrase-encrypted backup"
        )

    @property
    def pos(self) -> int:
        return self._pos

    def consumed(self) -> bytes:
        return bytes(self._buf[: self._pos])

    def leftover(self) -> bytes:
        return bytes(self._buf[self._pos :])


def _malformed(offset: int, what: str) -> DamagedFile:
    return DamagedFile(f"the file's header is malformed at byte {offset}: {what}")


def read_header(
    read: Callable[[int], bytes], initial: bytes = b"", max_size: int = MAX_HEADER_SIZE
) -> tuple[Header, bytes]:
    """Read and strictly parse a header from ``read(n)`` (``initial`` bytes first).

    Returns the header and the bytes read past it (the start of the payload).
    """
    src = _LineSource(read, initial, max_size)

    head = src.fill_to(len(ARMOR_PREFIX))
    if not head:
        raise DamagedFile("the file is empty")
    if head == ARMOR_PREFIX:
        raise NotABackup("the file is ASCII-armored age, not a backup written by this program")
    n = min(len(head), len(VERSION_PREFIX))
    if head[:n] != VERSION_PREFIX[:n]:
        raise NotABackup("the file is not an age-encrypted file")
    if n < len(VERSION_PREFIX):
        raise DamagedFile(f"the file ends early: it was cut at byte {n}, inside its header")

    version_line = src.line()
    if version_line != VERSION_LINE:
        version = version_line[len(VERSION_PREFIX) :]
        if _VCHAR.fullmatch(version) is not None:
            raise UnsupportedVersion(
                f"the file is age format {version.decode('ascii')!r}, but only v1 is supported"
            )
        raise _malformed(0, "the version line is not valid")

    stanzas: list[Stanza] = []
    while True:
        line_start = src.pos
        line = src.line()
        if line.startswith(MAC_PREFIX):
            if not stanzas:
                raise _malformed(line_start, "there is no recipient before the MAC line")
            if len(line) != len(MAC_PREFIX) + 1 + MAC_B64_LEN or line[3:4] != b" ":
                raise _malformed(line_start, "the MAC line has the wrong length")
            try:
                mac = b64decode(line[4:])
            except ValueError:
                raise _malformed(line_start, "the MAC is not valid base64") from None
            consumed = src.consumed()
            header = Header(
                stanzas=tuple(stanzas),
                mac=mac,
                mac_input=consumed[: line_start + len(MAC_PREFIX)],
                size=src.pos,
            )
            return header, src.leftover()
        if not line.startswith(STANZA_PREFIX):
            raise _malformed(line_start, "expected a recipient line or the MAC line")
        parts = line[len(STANZA_PREFIX) :].split(b" ")
        for part in parts:
            if _VCHAR.fullmatch(part) is None:
                raise _malformed(line_start, "a recipient line has an empty or invalid value")
        body_text = bytearray()
        while True:
            body_start = src.pos
            body_line = src.line()
            if len(body_line) > BODY_COLUMNS or _B64_CHARS.fullmatch(body_line) is None:
                raise _malformed(body_start, "a recipient body line is not valid base64")
            body_text += body_line
            if len(body_line) < BODY_COLUMNS:
                break
        try:
            body = b64decode(bytes(body_text))
        except ValueError:
            raise _malformed(line_start, "a recipient body is not canonical base64") from None
        names = [p.decode("ascii") for p in parts]
        stanzas.append(Stanza(names[0], tuple(names[1:]), body))


def parse_header(data: bytes, max_size: int = MAX_HEADER_SIZE) -> tuple[Header, bytes]:
    """Parse a header from a complete byte string; returns it and the remaining bytes."""
    return read_header(lambda n: b"", bytes(data), max_size)
