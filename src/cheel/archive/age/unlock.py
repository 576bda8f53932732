"""Opening encrypted backups for one operation: a passphrase, and the file keys it opened.

An operation (a command, a web wizard) may open the same file several times: its manifest
to show it, then every byte to restore it. scrypt is deliberately slow, so the passphrase
is turned into a file's key once per operation: the :class:`Unlocker` keeps the *file
key* of each header it opened (a random key of that file, which says nothing about the
passphrase), and nothing that would let someone who reads this process's memory test
passphrases faster than scrypt allows. It lives as long as the operation, never in a
module-wide cache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from ...errors import KeyNeeded, NotABackup, PasswordNeeded, WrongKey, said
from . import scrypt, x25519
from .format import Header, verify_header_mac

PassphraseSource = Callable[[], "str | None"] | str | bytes | None


class Unlocker:
    """Turns a passphrase or private keys into file keys, asking for the passphrase only
    when a file is encrypted with one. ``passphrase``: the passphrase, None, or a
    zero-argument callable returning it (called at most once per operation, and only if
    needed); ``identities``: the X25519 private keys that may open a file wrapped for
    public keys."""

    def __init__(self, passphrase: PassphraseSource = None,
                 max_log2n: int = scrypt.MAX_LOG2N,
                 identities: Sequence[x25519.X25519Identity] = ()):
        self._identities = list(identities)
        self._source = passphrase
        self._asked = not callable(passphrase)
        self._passphrase = None if callable(passphrase) else passphrase
        self._max_log2n = max_log2n
        self._keys: list[tuple[bytes, bytes]] = []  # (header MAC, file key)
        self._lock = threading.Lock()

    def _get_passphrase(self) -> str | bytes | None:
        if not self._asked:
            assert callable(self._source)
            self._passphrase = self._source()
            self._asked = True
        return self._passphrase

    def file_key(self, header: Header) -> bytes:
        """The file key of ``header``, its MAC checked; raises ``NotABackup`` (no recipient
        cheel can open), ``PasswordNeeded``, ``WrongPassword``, ``KeyNeeded``, ``WrongKey``
        or ``DamagedFile``."""
        with self._lock:
            for mac, key in self._keys:
                if mac == header.mac:
                    verify_header_mac(header, key)  # the same header, not only the same MAC
                    return key
            # checked before any scrypt; a passphrase mixed with other recipients is refused
            found = scrypt.stanza_of(header, self._max_log2n)
            if found is None:
                public = x25519.stanzas_of(header)
                if public:
                    return self._remember(header, self._opened_by_identity(public))
                types = ", ".join(sorted({s.type for s in header.stanzas}))
                raise NotABackup(said("the file is encrypted with age but not with a passphrase "
                                      "(its recipients are of type {types})", types=types))
            passphrase = self._get_passphrase()
            if not passphrase:
                raise PasswordNeeded(said("this backup is encrypted and no password was given"),
                                     hint=said("give it with CHEEL_PASSWORD, --password-file or "
                                               "--password-command, or run in a terminal"))
            return self._remember(header, scrypt.unwrap(header, passphrase, self._max_log2n))

    def _remember(self, header: Header, key: bytes) -> bytes:
        verify_header_mac(header, key)
        self._keys.append((header.mac, key))
        return key

    def _opened_by_identity(self, stanzas: list) -> bytes:
        if not self._identities:
            raise KeyNeeded(said("this backup is encrypted for public keys (age recipients) and "
                                 "no private key was given"),
                            hint=said("give the file of the private key that matches one of "
                                      "its recipients with --identity"))
        for identity in self._identities:
            for stanza in stanzas:
                key = identity.unwrap(stanza)
                if key is not None:
                    return key
        raise WrongKey(said("no private key given opens this backup ({count} tried)",
                            count=len(self._identities)),
                       hint=said("use the private key of one of the recipients it was made "
                                 "for"))

    def forget_passphrase(self) -> None:
        """Keep only the file keys opened so far, neither the passphrase nor the private
        keys (a long-lived holder, such as a web wizard, needs no more)."""
        with self._lock:
            self._source = self._passphrase = None
            self._asked = True
            self._identities = []
