"""The header of an age v1 file (C2SP age, https://c2sp.org/age): its syntax and its MAC.

Format::

    age-encryption.org/v1
    -> <type> <args...>
    <body: base64, wrapped at 64 columns>
    ...
    --- <HMAC-SHA256 of everything up to and including "---", base64>

The binary payload starts right after the final line feed. What the stanzas mean is each
recipient type's business (:mod:`.scrypt`); this module only reads and writes them.

Parsing is strict, as the spec asks: canonical unpadded base64 only, no stray spaces,
stanza bodies wrapped at exactly 64 columns, and the header size is bounded
(``MAX_HEADER_SIZE``).

Which error a reader meets here:

* ``NotABackup`` -- the bytes are not an age file, or ASCII-armored age;
* ``UnsupportedVersion`` -- an age file of a version other than v1;
* ``DamagedFile`` -- malformed or cut-short header, or a MAC that does not match once the
  file key is known.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ...errors import DamagedFile, NotABackup, Text, UnsupportedVersion, said

VERSION_PREFIX = b"age-encryption.org/"
VERSION_LINE = b"age-encryption.org/v1"
MAGIC = VERSION_LINE + b"\n"
ARMOR_PREFIX = b"-----BEGIN AGE ENCRYPTED FILE-----"

STANZA_PREFIX = b"-> "
MAC_PREFIX = b"---"
BODY_COLUMNS = 64

FILE_KEY_SIZE = 16
MAC_SIZE = 32
MAC_B64_LEN = 43

# A header with a few recipients is a few hundred bytes; anything past this is not ours.
MAX_HEADER_SIZE = 64 * 1024

_B64_CHARS = re.compile(rb"[A-Za-z0-9+/]*")
_VCHAR = re.compile(rb"[\x21-\x7e]+")


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


def header_size(stanzas: list[Stanza] | tuple[Stanza, ...]) -> int:
    """Length in bytes of the header of these stanzas (the MAC's length is fixed), so that
    a writer can reserve the space before the stanzas' real bodies are known."""
    return len(header_mac_input(stanzas)) + 1 + MAC_B64_LEN + 1


def verify_header_mac(header: Header, file_key: bytes) -> None:
    """Raise ``DamagedFile`` if the MAC does not match (constant-time compare)."""
    h = hmac.HMAC(_hmac_key(file_key), hashes.SHA256())
    h.update(header.mac_input)
    try:
        h.verify(header.mac)
    except InvalidSignature:
        raise DamagedFile(
            said("the file's header has been altered or damaged: its integrity check does "
                 "not match")
        ) from None


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
                    said("the file ends early: it was cut at byte {offset}, inside its header",
                         offset=len(self._buf))
                )

    def _too_large(self) -> NotABackup:
        return NotABackup(
            said("the file's age header is longer than {limit} bytes, so it is not a backup",
                 limit=self._max)
        )

    @property
    def pos(self) -> int:
        return self._pos

    def consumed(self) -> bytes:
        return bytes(self._buf[: self._pos])

    def leftover(self) -> bytes:
        return bytes(self._buf[self._pos :])


def _malformed(offset: int, what: Text) -> DamagedFile:
    return DamagedFile(said("the file's header is malformed at byte {offset}: {what}",
                            offset=offset, what=what))


def read_header(
    read: Callable[[int], bytes], initial: bytes = b"", max_size: int = MAX_HEADER_SIZE
) -> tuple[Header, bytes]:
    """Read and strictly parse a header from ``read(n)`` (``initial`` bytes first).

    Returns the header and the bytes read past it (the start of the payload).
    """
    src = _LineSource(read, initial, max_size)

    head = src.fill_to(len(ARMOR_PREFIX))
    if not head:
        raise DamagedFile(said("the file is empty"))
    if head == ARMOR_PREFIX:
        raise NotABackup(said("the file is ASCII-armored age, not a backup written by this "
                              "program"))
    n = min(len(head), len(VERSION_PREFIX))
    if head[:n] != VERSION_PREFIX[:n]:
        raise NotABackup(said("the file is not an age-encrypted file"))
    if n < len(VERSION_PREFIX):
        raise DamagedFile(said("the file ends early: it was cut at byte {offset}, inside its "
                               "header", offset=n))

    version_line = src.line()
    if version_line != VERSION_LINE:
        version = version_line[len(VERSION_PREFIX) :]
        if _VCHAR.fullmatch(version) is not None:
            raise UnsupportedVersion(
                said('the file is age format "{version}", but only v1 is supported',
                     version=version.decode("ascii"))
            )
        raise _malformed(0, said("the version line is not valid"))

    stanzas: list[Stanza] = []
    while True:
        line_start = src.pos
        line = src.line()
        if line.startswith(MAC_PREFIX):
            if not stanzas:
                raise _malformed(line_start, said("there is no recipient before the MAC line"))
            if len(line) != len(MAC_PREFIX) + 1 + MAC_B64_LEN or line[3:4] != b" ":
                raise _malformed(line_start, said("the MAC line has the wrong length"))
            try:
                mac = b64decode(line[4:])
            except ValueError:
                raise _malformed(line_start, said("the MAC is not valid base64")) from None
            consumed = src.consumed()
            header = Header(
                stanzas=tuple(stanzas),
                mac=mac,
                mac_input=consumed[: line_start + len(MAC_PREFIX)],
                size=src.pos,
            )
            return header, src.leftover()
        if not line.startswith(STANZA_PREFIX):
            raise _malformed(line_start, said("expected a recipient line or the MAC line"))
        parts = line[len(STANZA_PREFIX) :].split(b" ")
        for part in parts:
            if _VCHAR.fullmatch(part) is None:
                raise _malformed(line_start, said("a recipient line has an empty or invalid value"))
        body_text = bytearray()
        while True:
            body_start = src.pos
            body_line = src.line()
            if len(body_line) > BODY_COLUMNS or _B64_CHARS.fullmatch(body_line) is None:
                raise _malformed(body_start, said("a recipient body line is not valid base64"))
            body_text += body_line
            if len(body_line) < BODY_COLUMNS:
                break
        try:
            body = b64decode(bytes(body_text))
        except ValueError:
            raise _malformed(line_start, said("a recipient body is not canonical base64")) from None
        names = [p.decode("ascii") for p in parts]
        stanzas.append(Stanza(names[0], tuple(names[1:]), body))


def parse_header(data: bytes, max_size: int = MAX_HEADER_SIZE) -> tuple[Header, bytes]:
    """Parse a header from a complete byte string; returns it and the remaining bytes."""
    return read_header(lambda n: b"", bytes(data), max_size)
