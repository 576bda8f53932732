"""The scrypt recipient of age v1: a file key wrapped with a key derived from a passphrase.

Stanza (C2SP age, "The scrypt recipient type")::

    -> scrypt <salt, 16 bytes, base64> <log2 of the work factor>
    <the 16-byte file key sealed with ChaCha20-Poly1305 under the scrypt key, base64>

The scrypt stanza must be the only stanza of its header. The work factor is checked
*before* any expensive work and bounded (``MAX_LOG2N``), so a hostile file cannot make a
reader spend minutes or gigabytes. A damaged salt or body is indistinguishable from a wrong
passphrase: both end as :class:`~cheel.errors.WrongPassword`. Nothing here ever puts the
passphrase in a message, and no derived key outlives the call that needed it.

Weak work factors exist for tests only: :func:`wrap` takes ``log2n`` (default 18, the age
default); production code never passes it.
"""

from __future__ import annotations

import os
import re

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ...errors import DamagedFile, WrongPassword, said
from .format import FILE_KEY_SIZE, Header, Stanza, b64decode, b64encode

TYPE = "scrypt"
LABEL = b"age-encryption.org/v1/scrypt"
SALT_SIZE = 16
R = 8
P = 1
WRAPPED_KEY_SIZE = FILE_KEY_SIZE + 16  # ChaCha20-Poly1305 tag
DEFAULT_LOG2N = 18
MAX_LOG2N = 22
MIN_LOG2N = 1

_ZERO_NONCE = b"\x00" * 12
_LOG2N = re.compile(r"[1-9][0-9]*")


def passphrase_bytes(passphrase: str | bytes | bytearray) -> bytes:
    if isinstance(passphrase, str):
        return passphrase.encode("utf-8")
    if isinstance(passphrase, (bytes, bytearray, memoryview)):
        return bytes(passphrase)
    raise TypeError("the passphrase must be str or bytes")


def scrypt_kdf(passphrase: bytes, salt: bytes, log2n: int) -> bytes:
    """The scrypt wrap key. A module-level function so that tests may memoize it."""
    kdf = Scrypt(salt=LABEL + salt, length=32, n=1 << log2n, r=R, p=P)
    return kdf.derive(passphrase)


def check_log2n(log2n: int) -> None:
    """Refuse a work factor this module would not write."""
    if isinstance(log2n, bool) or not isinstance(log2n, int):
        raise TypeError("log2n must be an int")
    if not MIN_LOG2N <= log2n <= MAX_LOG2N:
        raise ValueError(f"log2n must be between {MIN_LOG2N} and {MAX_LOG2N}")


def placeholder(log2n: int) -> Stanza:
    """A stanza of the exact size :func:`wrap` makes for ``log2n``: its length depends only
    on the work factor, so a writer can reserve the header's space before scrypt ends."""
    check_log2n(log2n)
    return Stanza(TYPE, (b64encode(bytes(SALT_SIZE)), str(log2n)), bytes(WRAPPED_KEY_SIZE))


def wrap(file_key: bytes, passphrase: str | bytes, log2n: int = DEFAULT_LOG2N,
         salt: bytes | None = None) -> Stanza:
    """Wrap ``file_key`` for a passphrase into an ``-> scrypt`` stanza."""
    if len(file_key) != FILE_KEY_SIZE:
        raise ValueError("the file key must be 16 bytes")
    check_log2n(log2n)
    pw = passphrase_bytes(passphrase)
    if not pw:
        raise ValueError("the passphrase must not be empty")
    salt = os.urandom(SALT_SIZE) if salt is None else salt
    if len(salt) != SALT_SIZE:
        raise ValueError("the salt must be 16 bytes")
    wrap_key = scrypt_kdf(pw, salt, log2n)
    body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
    return Stanza(TYPE, (b64encode(salt), str(log2n)), body)


def stanza_of(header: Header, max_log2n: int = MAX_LOG2N) -> tuple[bytes, int, bytes] | None:
    """``(salt, log2n, wrapped key)`` of the header's scrypt stanza, validated *before* any
    expensive work; None if the header has no scrypt stanza."""
    stanzas = header.stanzas
    if TYPE not in [s.type for s in stanzas]:
        return None
    if len(stanzas) != 1:
        raise DamagedFile(
            said("the file's header has a passphrase recipient mixed with other recipients, which "
                 "the age format forbids"))
    stanza = stanzas[0]
    if len(stanza.args) != 2:
        raise DamagedFile(said("the file's passphrase recipient line does not have exactly two "
                               "values"))
    salt_text, log2n_text = stanza.args
    try:
        salt = b64decode(salt_text)
    except ValueError:
        salt = b""
    if len(salt) != SALT_SIZE:
        raise DamagedFile(said("the file's passphrase salt is malformed"))
    if len(log2n_text) > 3 or _LOG2N.fullmatch(log2n_text) is None:
        raise DamagedFile(said("the file's passphrase work factor is malformed"))
    log2n = int(log2n_text)
    if log2n > max_log2n:
        raise DamagedFile(
            said("the file asks for a passphrase work factor of 2^{log2n}, above the limit of "
                 "2^{max_log2n} accepted here, so it was refused",
                 log2n=log2n, max_log2n=max_log2n))
    if len(stanza.body) != WRAPPED_KEY_SIZE:
        raise DamagedFile(said("the file's wrapped key has the wrong length"))
    return salt, log2n, stanza.body


def unwrap(header: Header, passphrase: str | bytes, max_log2n: int = MAX_LOG2N) -> bytes:
    """The 16-byte file key of a header with one scrypt stanza (the caller checks the header
    MAC with it). ``WrongPassword`` if the passphrase does not unwrap it."""
    found = stanza_of(header, max_log2n)
    if found is None:
        raise ValueError("the header has no scrypt stanza")
    salt, log2n, body = found
    wrap_key = scrypt_kdf(passphrase_bytes(passphrase), salt, log2n)
    try:
        return ChaCha20Poly1305(wrap_key).decrypt(_ZERO_NONCE, body, None)
    except InvalidTag:
        raise WrongPassword(said("the password does not open this file")) from None


class ScryptRecipient:
    """A passphrase as the recipient of a new file (see :class:`~.file.EncryptWriter`)."""

    def __init__(self, passphrase: str | bytes, log2n: int = DEFAULT_LOG2N):
        check_log2n(log2n)
        if not passphrase_bytes(passphrase):
            raise ValueError("the passphrase must not be empty")
        self._passphrase = passphrase
        self.log2n = log2n

    def placeholder(self) -> Stanza:
        return placeholder(self.log2n)

    def wrap(self, file_key: bytes) -> Stanza:
        return wrap(file_key, self._passphrase, self.log2n)
