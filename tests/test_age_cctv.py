"""The official age test vectors (C2SP CCTV age testkit) run through cheel's age reader.

The vectors are committed byte for byte in ``tests/age_testkit/testdata/`` (where they come
from, and how to update them: ``tests/age_testkit/README.md``). Each file is one vector: a
textual header of ``key: value`` lines, an empty line, then an age file, zlib-compressed when
the header says ``compressed: zlib`` (format: ``tests/age_testkit/UPSTREAM_README.md``,
"Test file format").

cheel reads binary age v1 files whose only recipient is one scrypt passphrase
(``docs/FORMAT.md``, layer 1). A vector applies when cheel's reader, given a passphrase,
must reach the testkit's verdict:

* every vector that carries a ``passphrase:``;
* vectors without a passphrase or identity (an empty file, an empty armor);
* ``armor failure`` vectors: cheel must refuse the armor, whatever key it holds;
* header failures in the recipient-independent header grammar (version line, line ends,
  stanza framing, body base64 and wrapping, MAC line), which cheel's parser must refuse
  before it ever looks at the recipient type: ``GENERIC_HEADER_FAILURES``.

The rest needs an X25519 or ML-KEM-768+X25519 identity (``SKIPPED`` says why, per
category) and is not run. ``test_selection`` pins how many vectors fall in each category,
so that a new testkit version or a change of the rules shows up in review.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from cheel.errors import CheelError, DamagedFile, NotABackup, UnsupportedVersion, WrongPassword


# --------------------------------------------------------------------------- the adapter
# The only place that knows cheel's reader API: when the age code moves, change this alone.


def decrypt_with_cheel(data: bytes, passphrase: str, released: bytearray | None = None) -> bytes:
    """Decrypt the age file ``data`` with ``passphrase``; return the whole plaintext.

    Raises cheel's typed errors. Every plaintext byte the reader hands out is also appended
    to ``released`` as it comes, so that a caller can check what was released before an
    error (the testkit's rule for ``payload failure``).
    """
    from cheel.archive.age import DecryptReader

    reader = DecryptReader(io.BytesIO(data), passphrase)
    out = bytearray()
    while True:
        piece = reader.read1()  # at most one authenticated 64 KiB chunk
        if not piece:
            return bytes(out)
        out += piece
        if released is not None:
            released += piece


# --------------------------------------------------------------------------- the vectors

TESTDATA = Path(__file__).parent / "age_testkit" / "testdata"

EXPECTS = {"success", "no match", "HMAC failure", "header failure", "payload failure",
           "armor failure"}
KNOWN_KEYS = {"expect", "payload", "file key", "identity", "passphrase", "armored",
              "compressed", "comment"}

# Given to the vectors that carry no passphrase: they must fail before any key is tried.
SOME_PASSPHRASE = "not-the-passphrase-of-any-testkit-vector"


@dataclass(frozen=True)
class Vector:
    name: str
    expect: str
    payload_sha256: str | None
    passphrases: tuple[str, ...]
    identities: tuple[str, ...]
    armored: bool
    compressed: bool
    unknown_keys: tuple[str, ...]
    body: bytes  # as stored (still compressed if ``compressed``)
    file_key: str | None = None  # hex: every vector states the file key it was made with

    @property
    def data(self) -> bytes:
        """The age file itself (some large STREAM vectors inflate to megabytes: lazy)."""
        return zlib.decompress(self.body) if self.compressed else self.body


def parse_vector(name: str, raw: bytes) -> Vector:
    """Parse one vector file as the testkit's README and Go harness (testkit_test.go) do."""
    fields: dict[str, list[str]] = {}
    rest = raw
    while True:
        line, sep, rest = rest.partition(b"\n")
        if not sep:
            raise ValueError(f"{name}: the textual header does not end with an empty line")
        if not line:
            break
        key, sep, value = line.decode("utf-8").partition(": ")
        if not sep:
            raise ValueError(f"{name}: header line {line!r} is not 'key: value'")
        fields.setdefault(key, []).append(value)

    def one(key: str) -> str | None:
        values = fields.get(key, [])
        if len(values) > 1:
            raise ValueError(f"{name}: {key!r} appears {len(values)} times")
        return values[0] if values else None

    expect = one("expect")
    if expect not in EXPECTS:
        raise ValueError(f"{name}: unknown expect value {expect!r}")
    compressed = one("compressed")
    if compressed not in (None, "zlib"):
        raise ValueError(f"{name}: unknown compression {compressed!r}")
    payload = one("payload")
    if payload is not None and (len(payload) != 64 or payload != payload.lower()):
        raise ValueError(f"{name}: the payload hash is not 64 lower-case hex digits")
    return Vector(
        name=name,
        expect=expect,
        payload_sha256=payload,
        passphrases=tuple(fields.get("passphrase", [])),
        identities=tuple(fields.get("identity", [])),
        armored=one("armored") == "yes",
        compressed=compressed == "zlib",
        unknown_keys=tuple(sorted(set(fields) - KNOWN_KEYS)),
        body=rest,
        file_key=one("file key"),
    )


VECTORS = {p.name: parse_vector(p.name, p.read_bytes())
           for p in sorted(TESTDATA.iterdir()) if p.is_file()}


# --------------------------------------------------------------------------- selection

# Identity-carrying vectors whose defect is in the header grammar every reader parses
# before it looks at a recipient type (c2sp.org/age, "ABNF definition of file header" and
# "Conventions": canonical unpadded base64). Their X25519 (or hybrid) stanza only makes the
# rest of the file valid; cheel, given any passphrase, must refuse them as damaged.
GENERIC_HEADER_FAILURES = frozenset({
    "header_crlf",                   # every header line ends in CRLF
    "version_unsupported",           # age-encryption.org/v1234
    "stanza_bad_start",              # a stanza line starting "-- " instead of "-> "
    "stanza_no_arguments",           # "->" alone: a stanza needs at least one argument
    "stanza_empty_argument",         # two spaces: an argument is 1*VCHAR
    "stanza_invalid_character",      # a non-ASCII argument
    "stanza_base64_padding",         # "=" padding in a body
    "stanza_not_canonical",          # non-canonical base64 in a body
    "stanza_long_line",              # a body line over 64 columns
    "stanza_missing_body",           # the MAC line right after "-> empty": no body line
    "stanza_missing_final_line",     # a 64-column line followed by the MAC
    "stanza_multiple_short_lines",   # a short line ends the body; a second one follows
    "stanza_spurious_cr",            # CR inside a body line
    "x25519_not_canonical_body",     # non-canonical base64 in a body (type-independent)
    "hybrid_not_canonical_body",     # the same, in an ML-KEM-768+X25519 stanza
    "hmac_missing",                  # "--- " and no MAC
    "hmac_no_space",                 # "---MAC"
    "hmac_extra_space",              # "---  MAC"
    "hmac_trailing_space",           # "--- MAC "
    "hmac_truncated",                # "--- 1234": a MAC cut to 4 characters
    "hmac_garbage",                  # "AAA" after the MAC on its line
    "hmac_not_canonical",            # non-canonical base64 MAC
})

APPLIES = {
    "passphrase": "carries a passphrase: an scrypt file (or one that must be refused)",
    "keyless": "carries neither passphrase nor identity: fails before any key is needed",
    "armor failure": "broken ASCII armor: cheel must refuse it whatever key it holds",
    "generic header": "header grammar failure that cheel's parser must catch first",
}

# The payload (STREAM) vectors are all encrypted to an X25519 identity, but each states its
# file key: cheel's STREAM layer is driven by that key directly (test_stream_vector_by_key).
STREAM = "STREAM behind X25519"

# Categories that do not apply, and why (counted by test_selection, not run). None of
# these is a file cheel writes or could open.
SKIPPED = {
    "armored, needs an identity": (
        "ASCII armor around an X25519/hybrid file: the expected outcome lies inside the "
        "armor and behind a recipient cheel does not implement (cheel refuses every armored "
        "file as NotABackup, FORMAT.md layer 1)"
    ),
    "needs an identity": (
        "the outcome depends on unwrapping an X25519 or ML-KEM-768+X25519 stanza (share "
        "checks, low-order points, extra arguments, HMAC with that file key, success with "
        "an unusual but valid header): cheel implements only scrypt and answers NotABackup"
    ),
    "unknown header key": (
        "the testkit README says vectors with unknown header keys are to be ignored"
    ),
}


def category(v: Vector) -> str:
    if v.unknown_keys:
        return "unknown header key"
    if v.passphrases:
        return "passphrase"
    if v.armored:
        if v.expect == "armor failure":
            return "armor failure"
        return "keyless" if not v.identities else "armored, needs an identity"
    if not v.identities:
        return "keyless"
    if v.name in GENERIC_HEADER_FAILURES:
        return "generic header"
    if v.name.startswith("stream_"):
        return STREAM
    return "needs an identity"


APPLICABLE = [name for name, v in VECTORS.items() if category(v) in APPLIES]


# --------------------------------------------------------------------------- verdicts

# The testkit's expectation -> the cheel error a reader must raise (exact class).
#
# * ``no match`` (the header parses, no stanza unwraps with the key given) -> WrongPassword:
#   the scrypt stanza is well formed and the passphrase does not open it (wrong passphrase,
#   bad tag, or a work factor other than the one the key was wrapped with).
# * ``HMAC failure`` (the file key unwraps, the header MAC does not match) -> DamagedFile:
#   the passphrase is right, so the header was altered. (No applicable vector today:
#   the testkit's only one, hmac_bad, is an X25519 file.)
# * ``header failure`` (the header does not parse, or a stanza is invalid) -> DamagedFile:
#   an age v1 file, damaged; not WrongPassword, which would send the user hunting for
#   another passphrase, and not NotABackup, since it is recognisably age v1. That includes
#   a scrypt stanza mixed with others, a malformed salt or work factor, a wrapped key of
#   the wrong length, a work factor above cheel's 2^22 limit, and an empty file (a backup
#   cut to nothing is damaged, not "something else").
# * ``payload failure`` (the header is fine, the STREAM payload is not) -> DamagedFile, and
#   the plaintext released before the error must hash to ``payload``. (No applicable
#   vector today: all STREAM vectors are X25519 files.)
# * ``armor failure`` -> NotABackup: cheel does not read ASCII armor at all, so it refuses
#   the file from its first bytes (FORMAT.md layer 1: "Anything else is not a cheel
#   backup"); that is a refusal, as the testkit asks, and no plaintext comes out.
EXPECTED_ERROR: dict[str, type[CheelError]] = {
    "no match": WrongPassword,
    "HMAC failure": DamagedFile,
    "header failure": DamagedFile,
    "payload failure": DamagedFile,
    "armor failure": NotABackup,
}

# Vectors whose right cheel verdict is a more precise class than the table above, and why.
PRECISE_ERROR: dict[str, type[CheelError]] = {
    # "age-encryption.org/v1234": an age file of another version, not a damaged v1 file;
    # FORMAT.md: "age version other than v1 -> UnsupportedVersion".
    "version_unsupported": UnsupportedVersion,
    # The only stanza is of type "Scrypt". Stanza types are case-sensitive and readers MUST
    # ignore unknown ones (c2sp.org/age, "Recipient stanza"), so the file has no passphrase
    # stanza at all: FORMAT.md's "age file without passphrase stanza -> NotABackup", the
    # same verdict as for any age file encrypted to other recipients. The testkit's "no
    # match" means exactly this (nothing this reader can unwrap); WrongPassword would be
    # a false hint, since no passphrase can open the file. Refused either way, nothing
    # released.
    "scrypt_uppercase": NotABackup,
    # An armored file whose armor is fine but holds nothing (testkit: header failure of
    # the decoded, empty file). cheel refuses every armored file before decoding it.
    "armor_empty": NotABackup,
}

# Vectors where cheel's outcome differs from the testkit's. Each stays xfail(strict): the
# day cheel changes, the test says so and the entry must go.
KNOWN_DEVIATIONS: dict[str, str] = {
    "armor_scrypt": (
        "valid ASCII-armored scrypt file: the testkit expects it to decrypt; cheel's "
        "read_header refuses any file starting with '-----BEGIN AGE ENCRYPTED FILE-----' "
        "as NotABackup (it reads only the binary format it writes, FORMAT.md layer 1)"
    ),
}


def expected_error(v: Vector) -> type[CheelError] | None:
    """The cheel error the vector must raise, or None if it must decrypt."""
    if v.name in PRECISE_ERROR:
        return PRECISE_ERROR[v.name]
    if v.expect == "success":
        return None
    return EXPECTED_ERROR[v.expect]


def _params():
    """The applicable vectors (the others are counted by test_selection; CI runs no test
    that skips)."""
    for name in APPLICABLE:
        marks = []
        if name in KNOWN_DEVIATIONS:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DEVIATIONS[name]))
        yield pytest.param(name, id=name, marks=marks)


# --------------------------------------------------------------------------- tests


def test_selection():
    """How many vectors there are and which apply: a change here is a change of scope."""
    assert len(VECTORS) == 143
    counts = Counter(category(v) for v in VECTORS.values())
    assert counts == {
        "passphrase": 26,
        "keyless": 2,
        "armor failure": 22,
        "generic header": 22,
        "armored, needs an identity": 9,
        "STREAM behind X25519": 28,
        "needs an identity": 34,
    }
    assert set(counts) <= set(APPLIES) | set(SKIPPED) | {STREAM}
    assert len(APPLICABLE) == 72
    assert len(STREAM_VECTORS) == 28
    # Every named exception is a vector that exists and applies.
    for name in GENERIC_HEADER_FAILURES:
        assert VECTORS[name].expect == "header failure", name
    assert set(PRECISE_ERROR) | set(KNOWN_DEVIATIONS) <= set(APPLICABLE)
    # cheel's reader takes one passphrase. A vector offering several (scrypt_double) is run
    # once per passphrase, and each run must give the verdict; a success vector with several
    # would need another rule.
    assert all(len(VECTORS[n].passphrases) <= 1 for n in APPLICABLE
               if VECTORS[n].expect == "success")


@pytest.mark.parametrize("name", list(_params()))
def test_vector(name: str):
    v = VECTORS[name]
    want = expected_error(v)

    if want is None:
        (passphrase,) = v.passphrases or (SOME_PASSPHRASE,)
        plaintext = decrypt_with_cheel(v.data, passphrase)
        assert hashlib.sha256(plaintext).hexdigest() == v.payload_sha256
        return

    for passphrase in v.passphrases or (SOME_PASSPHRASE,):
        released = bytearray()
        with pytest.raises(CheelError) as info:
            decrypt_with_cheel(v.data, passphrase, released)
        got = info.value
        assert type(got) is want, (
            f"testkit expects {v.expect!r} -> {want.__name__}; cheel raised "
            f"{type(got).__name__}: {got.message}"
        )
        if v.expect == "payload failure" and v.payload_sha256 is not None:
            # Whatever was released before the error must be exactly the good prefix.
            assert hashlib.sha256(released).hexdigest() == v.payload_sha256
        else:
            assert not released, "plaintext was released from a file that must be refused"


# --------------------------------------------------------------------------- STREAM by key

STREAM_VECTORS = [name for name, v in VECTORS.items() if category(v) == STREAM]

# Where cheel's STREAM reader releases less plaintext than the reference before refusing:
# it withholds a chunk that claims to be the last until it has seen that nothing follows,
# so the trailing bytes or second final chunk are found before that chunk is handed out.
# Stricter, not weaker: the file is refused all the same and nothing unauthenticated leaks.
WITHHOLDS_LAST_CHUNK = {
    "stream_trailing_garbage_long", "stream_trailing_garbage_short",
    "stream_two_final_chunks", "stream_two_final_chunks_full",
    "stream_two_final_chunks_second",
}


def open_payload_by_key(data: bytes, file_key: bytes, released: bytearray) -> None:
    """cheel's header parser and MAC check, then its STREAM layer driven by ``file_key``
    (no recipient involved); every plaintext byte handed out is appended to ``released``."""
    from cheel.archive.age import format as age_format
    from cheel.archive.age.stream import PayloadReader, payload_key

    header, rest = age_format.parse_header(data)
    age_format.verify_header_mac(header, file_key)
    nonce, payload = rest[:16], rest[16:]
    if len(nonce) < 16:
        raise DamagedFile("the file ends early, inside its payload nonce")
    reader = PayloadReader(io.BytesIO(payload), payload_key(file_key, nonce),
                           offset=header.size + 16)
    while piece := reader.read1():
        released += piece


@pytest.mark.parametrize("name", STREAM_VECTORS)
def test_stream_vector_by_key(name: str):
    """The payload vectors, through cheel's STREAM layer by their stated file key."""
    v = VECTORS[name]
    assert v.file_key is not None
    released = bytearray()
    if v.expect == "success":
        open_payload_by_key(v.data, bytes.fromhex(v.file_key), released)
        assert hashlib.sha256(released).hexdigest() == v.payload_sha256
        return
    with pytest.raises(DamagedFile):
        open_payload_by_key(v.data, bytes.fromhex(v.file_key), released)
    if v.expect == "payload failure" and name not in WITHHOLDS_LAST_CHUNK:
        assert hashlib.sha256(released).hexdigest() == v.payload_sha256
