"""The X25519 recipient of age v1: a file key wrapped for a public key.

Stanza (C2SP age, "The X25519 recipient type")::

    -> X25519 <ephemeral share, 32 bytes, base64>
    <the 16-byte file key sealed with ChaCha20-Poly1305, base64>

The wrap key is HKDF-SHA-256 of the X25519 shared secret, salted with the ephemeral share
followed by the recipient's public key, labelled ``age-encryption.org/v1/X25519``. Keys are
written as age writes them, in Bech32: ``age1…`` for a public key (a *recipient*) and
``AGE-SECRET-KEY-1…`` for a private key (an *identity*). A machine that only writes
backups needs only recipients: what opens the files stays elsewhere.

A stanza that does not open with an identity is simply not this identity's: the reader
tries the next one, and says the file is not for its identities only when none opens.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import bech32
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ...errors import DamagedFile, said
from .format import FILE_KEY_SIZE, Header, Stanza, b64decode, b64encode

TYPE = "X25519"
LABEL = b"age-encryption.org/v1/X25519"
PUBLIC_HRP = "age"
SECRET_HRP = "age-secret-key-"
KEY_SIZE = 32
WRAPPED_KEY_SIZE = FILE_KEY_SIZE + 16  # ChaCha20-Poly1305 tag
_ZERO_NONCE = b"\x00" * 12


class BadKey(ValueError):
    """A recipient or identity string that is not a valid age X25519 key."""


def _bech32_decode(text: str, hrp: str) -> bytes:
    found_hrp, data = bech32.bech32_decode(text)
    if found_hrp != hrp or data is None:
        raise BadKey(f"not an age key starting with {hrp}1")
    raw = bech32.convertbits(data, 5, 8, False)
    if raw is None or len(raw) != KEY_SIZE:
        raise BadKey("an age key holds 32 bytes")
    return bytes(raw)


def _bech32_encode(raw: bytes, hrp: str) -> str:
    return bech32.bech32_encode(hrp, bech32.convertbits(raw, 8, 5, True))


@dataclass(frozen=True)
class X25519Recipient:
    """A public key as the recipient of a new file (see :class:`~.file.EncryptWriter`)."""

    public: bytes

    @classmethod
    def parse(cls, text: str) -> X25519Recipient:
        """``age1…`` (lower case, as age writes it); ``BadKey`` otherwise."""
        text = text.strip()
        if text != text.lower():
            raise BadKey("an age recipient is written in lower case")
        return cls(_bech32_decode(text, PUBLIC_HRP))

    def __str__(self) -> str:
        return _bech32_encode(self.public, PUBLIC_HRP)

    def placeholder(self) -> Stanza:
        return Stanza(TYPE, (b64encode(bytes(KEY_SIZE)),), bytes(WRAPPED_KEY_SIZE))

    def wrap(self, file_key: bytes) -> Stanza:
        if len(file_key) != FILE_KEY_SIZE:
            raise ValueError("the file key must be 16 bytes")
        ephemeral = X25519PrivateKey.generate()
        share = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        secret = ephemeral.exchange(X25519PublicKey.from_public_bytes(self.public))
        wrap_key = _wrap_key(secret, share, self.public)
        body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
        return Stanza(TYPE, (b64encode(share),), body)


class X25519Identity:
    """A private key that opens files wrapped for its public key."""

    def __init__(self, private: bytes):
        self._key = X25519PrivateKey.from_private_bytes(private)
        self.recipient = X25519Recipient(
            self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @classmethod
    def generate(cls) -> X25519Identity:
        return cls(os.urandom(KEY_SIZE))

    @classmethod
    def parse(cls, text: str) -> X25519Identity:
        """``AGE-SECRET-KEY-1…`` (upper case, as age writes it); ``BadKey`` otherwise."""
        text = text.strip()
        if text != text.upper():
            raise BadKey("an age identity is written in upper case")
        return cls(_bech32_decode(text.lower(), SECRET_HRP))

    def secret_text(self) -> str:
        raw = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return _bech32_encode(raw, SECRET_HRP).upper()

    def unwrap(self, stanza: Stanza) -> bytes | None:
        """The file key if ``stanza`` was wrapped for this identity, else None; a stanza
        that is malformed is ``DamagedFile``."""
        share = _stanza_share(stanza)
        try:
            secret = self._key.exchange(X25519PublicKey.from_public_bytes(share))
        except ValueError:  # OpenSSL refuses a low-order share itself
            secret = bytes(KEY_SIZE)
        if secret == bytes(KEY_SIZE):  # a low-order share: the spec says to refuse it
            raise DamagedFile(said("the file's public-key recipient is malformed"))
        wrap_key = _wrap_key(secret, share, self.recipient.public)
        try:
            return ChaCha20Poly1305(wrap_key).decrypt(_ZERO_NONCE, stanza.body, None)
        except InvalidTag:
            return None


def _stanza_share(stanza: Stanza) -> bytes:
    if len(stanza.args) != 1:
        raise DamagedFile(said("the file's public-key recipient line does not have exactly one "
                               "value"))
    try:
        share = b64decode(stanza.args[0])
    except ValueError:
        share = b""
    if len(share) != KEY_SIZE or len(stanza.body) != WRAPPED_KEY_SIZE:
        raise DamagedFile(said("the file's public-key recipient is malformed"))
    return share


def _wrap_key(secret: bytes, share: bytes, public: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, share + public, LABEL).derive(secret)


def stanzas_of(header: Header) -> list[Stanza]:
    """The header's X25519 stanzas, each checked for shape."""
    found = [s for s in header.stanzas if s.type == TYPE]
    for stanza in found:
        _stanza_share(stanza)
    return found


def read_identities(path: Path) -> list[X25519Identity]:
    """The identities of an age identity file (``age-keygen``'s format: one
    ``AGE-SECRET-KEY-1…`` per line, ``#`` comments and blank lines ignored).
    ``BadKey`` names the first line that is not a key; ``OSError`` as it comes."""
    return _key_lines(path, X25519Identity.parse, "AGE-SECRET-KEY-1")


def read_recipients(path: Path) -> list[X25519Recipient]:
    """The recipients of a recipients file (one ``age1…`` per line, ``#`` comments)."""
    return _key_lines(path, X25519Recipient.parse, "age1")


def _key_lines(path: Path, parse, prefix: str) -> list:
    keys = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(parse(line))
        except BadKey as e:  # its line, never its text: it may be a secret
            raise BadKey(f"line {number}: {e}") from None
    if not keys:
        raise BadKey(f"it holds no {prefix} line")
    return keys


def identity_file_text(identity: X25519Identity, created: str) -> str:
    """An identity file as ``age-keygen`` writes it (age and pyrage read it)."""
    return (f"# created: {created}\n# public key: {identity.recipient}\n"
            f"{identity.secret_text()}\n")


def write_identity_file(path: Path, created: str) -> X25519Identity:
    """A new key pair; its identity file written at ``path``, readable by its owner only,
    complete or not at all. ``FileExistsError`` if ``path`` exists: a private key is never
    overwritten."""
    identity = X25519Identity.generate()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as f:
            f.write(identity_file_text(identity, created))
            f.flush()
            os.fsync(f.fileno())
        os.link(temporary, path)  # fails if path exists, unlike a rename
    finally:
        os.unlink(temporary)
    return identity
