"""age v1 (https://c2sp.org/age), split as the reference implementation splits it:

* :mod:`.format` -- the header's syntax and MAC;
* :mod:`.stream` -- the STREAM payload, driven by a payload key;
* :mod:`.scrypt` -- the passphrase recipient, which wraps and unwraps a file key;
* :mod:`.x25519` -- public-key recipients (``age1…``) and their identities;
* :mod:`.file` -- a whole file: header, nonce, payload (:class:`EncryptWriter`,
  :class:`DecryptReader`);
* :mod:`.unlock` -- the file keys one operation opened (:class:`Unlocker`).
"""

from .file import DecryptReader, EncryptWriter, is_age_file
from .scrypt import ScryptRecipient
from .unlock import Unlocker
from .x25519 import X25519Identity, X25519Recipient

__all__ = ["DecryptReader", "EncryptWriter", "ScryptRecipient", "Unlocker", "X25519Identity",
           "X25519Recipient", "is_age_file"]
