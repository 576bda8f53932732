"""Regenerate the format 2 .cheelbackup test vectors in tests/vectors/v2, deterministically.

    .venv/bin/python tests/vectors/make_vectors.py [OUT_DIR]

The ok vectors are real backups written by ``cheel.backup.run_backup`` from the sample
organization (``sample.py``), with the clock frozen and ``os.urandom`` seeded, so the same
cheel writes the same bytes. Every other vector is derived from them (``assemble.py``):
damaged, cut, re-framed, rebuilt with a hostile member, or rebuilt *self-consistently*
(index, checksums, seal and counts recomputed) with rows or a manifest that break a rule of
a sound file. ``vectors.json`` lists every case with the outcome ``verify_backup`` must
reach (see ``tests/test_vectors.py``). The format 1 vectors in ``tests/vectors/v1`` were made
by an earlier version of this script and are kept as released.

Encrypted vectors use the test-only weak scrypt work factor (log2n=10).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import sys
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import assemble as A  # noqa: E402 - the vectors' own helpers, next to this script
import sample  # noqa: E402

from cheel.archive.age import format as age_format  # noqa: E402
from cheel.store.catalog import Catalog  # noqa: E402

PASSWORD, WRONG_PASSWORD, LOG2N = sample.PASSWORD, sample.WRONG_PASSWORD, sample.LOG2N
OUT = HERE / "v2"


def expected_rows(data: bytes, password: str | None) -> dict[str, int]:
    from cheel.verify import inspect_backup

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.cheelbackup"
        p.write_bytes(data)
        m = inspect_backup(p, password).manifest
    return {k: v for k, v in m.rows.items() if v}


def flip(data: bytes, at: int, mask: int = 0x01) -> bytes:
    b = bytearray(data)
    b[at] ^= mask
    return bytes(b)


def other_b64(data: bytes, at: int) -> bytes:
    b = bytearray(data)
    assert chr(b[at]).isalnum()
    b[at] = ord("A") if b[at] != ord("A") else ord("B")
    return bytes(b)


class Cases:
    def __init__(self, out: Path):
        self.out, self.cases = out, []

    def add(self, name: str, data: bytes | None, expect: str, note: str, *,
            file: str | None = None, password: str | None = None, match: str | None = None,
            **extra) -> None:
        fname = file or f"{name}.cheelbackup"
        if data is not None:
            (self.out / fname).write_bytes(data)
        exit_code = {"ok": 0, "WrongPassword": 3, "PasswordNeeded": 3, "KeyNeeded": 3}.get(
            expect, 4)
        case = {"name": name, "file": fname, "password": password, "expect": expect,
                "exit_code": exit_code}
        if match:
            case["match"] = match
        case.update(extra)
        case["note"] = note
        self.cases.append(case)

    def ok(self, name: str, data: bytes, note: str, groups: list[str],
           password: str | None = None) -> None:
        self.add(name, data, "ok", note, password=password, encrypted=password is not None,
                 rows=expected_rows(data, password), groups=groups)


def make(out: Path = OUT) -> list[dict]:
    """Write every vector and ``vectors.json`` into ``out``; returns the cases."""
    out.mkdir(parents=True, exist_ok=True)
    c = Cases(out)
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "data")
        dest = Path(tmp) / "out"
        dest.mkdir()
        org = "Vektor Treuhand AG"
        sample.build_sample(catalog, org)
        sample.build_sample(catalog, "Zweite Org GmbH")
        sample.build_sample(catalog, "Kopie Treuhand AG", uids_of=org)
        enc = sample.backup(catalog, [org], dest, password=PASSWORD, seed=1)
        plain = sample.backup(catalog, [org], dest, groups=["Muster Gruppe"], seed=2)
        multi = sample.backup(catalog, [org], dest, groups=["Muster Gruppe"], seed=3,
                              chunk_bytes=120)
        two = sample.backup(catalog, [org, "Zweite Org GmbH"], dest, seed=4)
        solo_enc = sample.backup(catalog, [org], dest, groups=["Solo Sàrl"],
                                 password=PASSWORD, seed=5)
        same = sample.backup(catalog, [org, "Kopie Treuhand AG"], dest, seed=6)
        whole = sample.backup(catalog, [org], dest, seed=8)
    both = ["Muster Gruppe", "Solo Sàrl"]
    c.ok("v2-ok-encrypted", enc, "whole organization (2 groups, 3 companies), encrypted; "
         "restore tests restore it", both, PASSWORD)
    c.ok("v2-ok-plain", plain, "one group chosen out of two, not encrypted", ["Muster Gruppe"])
    c.ok("v2-ok-multichunk", multi, "like v2-ok-plain, written with CHUNK_BYTES=120: several "
         "chunks per table", ["Muster Gruppe"])
    c.ok("v2-ok-two-orgs", two, "two organizations in one file (data/0/…, data/1/…)",
         both + both)
    c.ok("v2-ok-two-orgs-same-uids", same, "two organizations holding the same groups (same "
         "uids, as after restoring one organization's group into another)", both + both)
    c.ok("v2-ok-solo-encrypted", solo_enc, "the one-company group alone, encrypted",
         ["Solo Sàrl"], PASSWORD)
    c.ok("v2-ok-whole-plain", whole, "whole organization, not encrypted: the base of the "
         "crafted vectors that need two groups", both)
    _passwords(c, plain)
    _raw_damage(c, plain, enc)
    _not_backups(c)
    parts = A.take_apart(plain)
    _framing(c, parts)
    _rebuilt(c, parts, A.take_apart(multi))
    _hostile(c, parts)
    _unsound(c, parts, A.take_apart(whole))
    (out / "vectors.json").write_text(json.dumps(
        {"about": "cheel .cheelbackup test vectors of format version 2; regenerate with "
                  "make_vectors.py", "password": PASSWORD, "log2n": LOG2N,
         "vectors": c.cases}, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return c.cases


def _passwords(c: Cases, plain: bytes) -> None:
    c.add("wrong-password", None, "WrongPassword", "v2-ok-encrypted with a wrong password",
          file="v2-ok-encrypted.cheelbackup", password=WRONG_PASSWORD,
          match="password does not open")
    c.add("no-password", None, "PasswordNeeded", "v2-ok-encrypted without any password",
          file="v2-ok-encrypted.cheelbackup", match="no password")
    c.add("plain-with-password", None, "ok", "a password given for an unencrypted file is "
          "not used", file="v2-ok-plain.cheelbackup", password=PASSWORD, encrypted=False,
          rows=expected_rows(plain, None), groups=["Muster Gruppe"])


def _raw_damage(c: Cases, plain: bytes, enc: bytes) -> None:
    hs = age_format.parse_header(enc)[0].size
    seal = len(A.SEAL) + 32
    c.add("v2-flip-data-plain", flip(plain, len(plain) // 2), "DamagedFile",
          "a flipped bit in the middle of the compressed data (inside a chunk's frame)")
    c.add("v2-flip-end-plain", flip(plain, len(plain) - seal - 20), "DamagedFile",
          "a flipped bit near the end of the last frames (index, archive end, checksums)")
    c.add("v2-flip-seal-plain", flip(plain, len(plain) - 1), "DamagedFile",
          "a flipped bit in the SHA-256 of the cheelsha seal", match="seal does not match")
    c.add("v2-flip-seal-tag-plain", flip(plain, len(plain) - 33), "DamagedFile",
          'a flipped bit in the seal\'s "cheelsha" tag')
    c.add("v2-flip-zstd-magic-plain", flip(plain, 0), "NotABackup",
          "a flipped bit in the zstd magic number: not recognizably a backup any more")
    c.add("v2-flip-frame-size-plain", flip(plain, 6), "DamagedFile",
          "a flipped bit in the first frame's declared content size")
    c.add("v2-flip-data-encrypted", flip(enc, hs + 16 + (len(enc) - hs) // 2), "DamagedFile",
          "a flipped bit in the encrypted payload", match="integrity check", password=PASSWORD)
    c.add("v2-flip-mac-encrypted", other_b64(enc, hs - 10), "DamagedFile",
          "a changed character in the age header MAC", match="altered", password=PASSWORD)
    c.add("v2-flip-salt-encrypted", other_b64(enc, 40), "WrongPassword",
          "a changed character in the scrypt salt: indistinguishable from a wrong password",
          password=PASSWORD)
    c.add("v2-flip-tag-encrypted", flip(enc, len(enc) - 1), "DamagedFile",
          "a flipped bit in the authentication tag of the last age chunk", password=PASSWORD)
    c.add("v2-truncated-half-plain", plain[: len(plain) // 2], "DamagedFile",
          "the first half of v2-ok-plain", match="ends early")
    c.add("v2-truncated-seal-plain", plain[:-seal], "DamagedFile",
          "v2-ok-plain without its seal (every frame complete)", match="ends early")
    c.add("v2-truncated-1-plain", plain[:-1], "DamagedFile", "v2-ok-plain minus its last byte",
          match="ends early")
    c.add("v2-truncated-half-encrypted", enc[: len(enc) // 2], "DamagedFile",
          "the first half of v2-ok-encrypted", password=PASSWORD)
    c.add("v2-truncated-header-encrypted", enc[: hs + 16], "DamagedFile",
          "v2-ok-encrypted cut right after its header and payload nonce", match="ends early",
          password=PASSWORD)
    c.add("v2-trailing-plain", plain + b"\n", "DamagedFile", "v2-ok-plain plus one line feed",
          match="unexpected data")
    c.add("v2-trailing-zeros-plain", plain + b"\0" * 512, "DamagedFile",
          "v2-ok-plain plus 512 zero bytes")
    c.add("v2-trailing-encrypted", enc + b"garbage", "DamagedFile",
          "v2-ok-encrypted plus 7 bytes (they join its last age chunk, which then fails)",
          password=PASSWORD)
    c.add("v2-concatenated-plain", plain + plain, "DamagedFile", "v2-ok-plain twice in a row",
          match="unexpected data")


def _not_backups(c: Cases) -> None:
    c.add("not-backup-pdf", sample.PDF, "NotABackup", "a PDF file", match="not a cheel backup")
    c.add("not-backup-empty", b"", "NotABackup", "an empty file", match="not a cheel backup")
    readme = b"Dies ist kein Backup.\n"
    tar_zst = A.put_together(A.Parts([], {}), frames=[A.frame(A.member("readme.txt", readme)),
                                                       A.frame(A.end_of_archive(1024))])
    c.add("not-backup-tar-zst", tar_zst, "NotABackup",
          "frames of a tar holding readme.txt and no manifest", match="no manifest first")
    other = A.member("manifest.json", b'{"format": "something-else"}')
    c.add("not-backup-other-manifest",
          A.put_together(A.Parts([], {}), frames=[A.frame(other), A.frame(A.end_of_archive(
              len(other)))]), "NotABackup", "a manifest.json that is not cheel's",
          match="unknown manifest")
    c.add("not-backup-gzip", zlib.compress(readme), "NotABackup", "zlib data")
    fk = bytes(range(16))
    x25519 = age_format.Stanza("X25519", (age_format.b64encode(bytes(range(32))),), bytes(32))
    # (named when cheel read passphrases only; it now reads X25519 files given the key)
    c.add("not-backup-age-x25519", age_format.serialize_header([x25519], fk) + bytes(64),
          "KeyNeeded", "an age file encrypted to an X25519 key, read with a password only",
          password=PASSWORD, match="no private key was given")
    c.add("unsupported-age-v2", b"age-encryption.org/v2\n-> scrypt x 10\n\n--- x\n",
          "UnsupportedVersion", "an age file of a future version v2 (read with a password)",
          password=PASSWORD, match="only v1")


def _framing(c: Cases, parts: A.Parts) -> None:
    """Frames that do not hold one member each, as format 2 demands."""
    contents = [A.member(n, d) for n, d in parts.items]
    contents.append(A.member("index.json", A.index_of(parts.items, parts.rows_of)))
    end = A.end_of_archive(sum(len(x) for x in contents))

    def rebuilt(frames: list[bytes]) -> bytes:
        return A.put_together(parts, frames=frames)

    good = [A.frame(x) for x in contents] + [A.frame(end)]
    i = parts.chunk("-entry_lines-")
    split = good[:i] + [A.frame(contents[i][:512]), A.frame(contents[i][512:])] + good[i + 1:]
    c.add("v2-member-split-across-frames", rebuilt(split), "DamagedFile",
          "a chunk's header in one frame and its data in the next", match="does not fill")
    joined = good[:i] + [A.frame(contents[i] + contents[i + 1])] + good[i + 2:]
    c.add("v2-two-members-in-one-frame", rebuilt(joined), "DamagedFile",
          "two chunks in one frame", match="does not fill")
    sizeless = good[:i] + [A.frame(contents[i], size=False)] + good[i + 1:]
    c.add("v2-frame-without-size", rebuilt(sizeless), "DamagedFile",
          "a chunk's frame that does not declare its content size", match="without its size")
    unchecked = good[:i] + [A.frame(contents[i], checksum=False)] + good[i + 1:]
    c.add("v2-frame-without-checksum", rebuilt(unchecked), "DamagedFile",
          "a chunk's frame without zstd's content checksum", match="without its size or checksum")
    c.add("v2-end-missing", rebuilt(good[:-1]), "DamagedFile",
          "no frame with the archive's end before the seal", match="end of its archive")
    c.add("v2-after-end", rebuilt(good + [A.frame(bytes(10240))]), "DamagedFile",
          "a frame of zeros after the archive's end", match="unexpected data after its end")
    old = copy.deepcopy(parts.manifest)
    old["format_version"] = 1
    v1 = parts.copy()
    v1.set_manifest(old)
    c.add("v2-layout-with-v1-manifest", A.put_together(v1), "DamagedFile",
          "frames of format 2 around a manifest saying format 1",
          match="layout does not match")
    zeros = A.header("data/0/g1/020-documents-000000.json", 300 * 1024 * 1024)
    bomb = good[:-2] + [A.frame(zeros + bytes(300 * 1024 * 1024))] + good[-2:]
    c.add("v2-bomb-frame", rebuilt(bomb), "DamagedFile", "a frame declaring 300 MiB of "
          "content (zeros, a few KB compressed): refused from the frame's header",
          match="absurd size")


def _rebuilt(c: Cases, parts: A.Parts, multi: A.Parts) -> None:
    """Rebuilt containers: every frame and the seal valid, something inside wrong."""
    future = parts.copy()
    future.set_manifest(dict(parts.manifest, format_version=99))
    c.add("v2-format-version-99", A.put_together(future), "UnsupportedVersion",
          "a valid container whose manifest says format_version 99", match="format version 99")
    c.add("v2-format-version-99-encrypted", A.put_together(future, password=PASSWORD),
          "UnsupportedVersion", "the same, encrypted", password=PASSWORD,
          match="format version 99")
    newer = parts.copy()
    newer.set_manifest(dict(parts.manifest, schema_version=99))
    c.add("v2-schema-99", A.put_together(newer), "UnsupportedVersion",
          "format 2 with schema_version 99: refused by verify as by restore",
          match="schema version 99")
    i = parts.chunk("-entry_lines-")
    altered = parts.copy()
    name, data = altered.items[i]
    altered.items[i] = (name, data.replace(b'"Beratung\\nFebruar"', b'"Beratung\\nFebruaR"'))
    assert altered.items[i] != parts.items[i]
    c.add("v2-altered-chunk", A.put_together(altered, index=A.index_of(parts.items,
                                                                       parts.rows_of)),
          "DamagedFile", "one byte of an entry_lines chunk changed, index of the original",
          match="altered")
    idx = A.index_of(parts.items, parts.rows_of).decode()
    sha = hashlib.sha256(parts.items[i][1]).hexdigest()
    bad = sha[:10] + ("0" if sha[10] != "0" else "1") + sha[11:]
    c.add("v2-altered-index", A.put_together(parts, index=idx.replace(sha, bad).encode()),
          "DamagedFile", "one hex digit of a checksum in the index changed", match="altered")
    c.add("v2-index-not-json", A.put_together(parts, index=b'{"format": "cheel-backup", '),
          "DamagedFile", "an index that is not JSON", match="closing index of the backup is "
          "damaged")
    contents = [A.member(n, d) for n, d in parts.items]
    end = A.end_of_archive(sum(len(x) for x in contents))
    c.add("v2-no-index", A.put_together(parts, frames=[A.frame(x) for x in contents] +
                                        [A.frame(end)]),
          "DamagedFile", "every member but no closing index", match="closing index is missing")
    rows = parts.rows(i)
    fewer = parts.copy()
    fewer.set_rows(i, rows[1:])
    c.add("v2-missing-row", A.put_together(fewer), "DamagedFile",
          "a row removed from a chunk, index made consistent: the manifest's counts disagree",
          match="should hold 11 rows of entry_lines")
    k = parts.chunk("-account_names-")
    miscounted = parts.copy()
    miscounted.set_rows(k, parts.rows(k)[1:])
    miscounted.set_manifest(A.recount(parts.manifest, miscounted))
    miscounted.rows_of[miscounted.items[k][0]] = len(parts.rows(k))
    c.add("v2-row-count-mismatch", A.put_together(miscounted), "DamagedFile",
          "an account name removed, the manifest made to agree, not the index's row count",
          match="does not hold the rows its index lists")
    wide = parts.copy()
    wide.set_rows(i, [rows[0] + [0]] + rows[1:])
    c.add("v2-row-shape", A.put_together(wide), "DamagedFile",
          "a row with one value too many, index consistent", match="wrong shape")
    for vname, value, column, about, match in (
            ("v2-float-value", 12.5, 3, "a float where an integer amount belongs (debit)",
             "wrong type"),
            ("v2-text-for-number", "1250", 3, "text where an integer amount belongs (debit)",
             "wrong type"),
            ("v2-null-not-allowed", None, 1, "null in a column that does not allow it "
             "(entry_lines.entry_id)", "wrong type")):
        typed = parts.copy()
        row = list(rows[0])
        row[column] = value
        typed.set_rows(i, [row] + rows[1:])
        c.add(vname, A.put_together(typed), "DamagedFile", about + ", index consistent",
              match=match)
    di = parts.chunk("-documents-")
    b64 = parts.copy()
    enc_all = base64.b64encode(sample.ALL_BYTES)
    assert enc_all in b64.items[di][1]
    b64.items[di] = (b64.items[di][0], b64.items[di][1].replace(enc_all, b"!" + enc_all[1:]))
    c.add("v2-bad-base64", A.put_together(b64), "DamagedFile",
          "a binary value that is not base64, index consistent", match="bad binary value")
    lines = [k for k, (n, _) in enumerate(multi.items) if "-entry_lines-" in n]
    assert len(lines) >= 3, "the multichunk vector needs several entry_lines chunks"
    swapped = multi.copy()
    a, b = lines[0], lines[1]
    swapped.items[a], swapped.items[b] = swapped.items[b], swapped.items[a]
    c.add("v2-reordered-chunks", A.put_together(swapped), "DamagedFile",
          "two chunks of entry_lines swapped, index and seal made consistent",
          match="out of order")
    dropped = multi.copy()
    del dropped.items[lines[1]]
    c.add("v2-missing-chunk", A.put_together(dropped), "DamagedFile",
          "the second entry_lines chunk dropped, index consistent", match="out of order or "
          "missing")
    tables = [k for k, (n, _) in enumerate(parts.items) if "-currencies-" in n or
              "-accounts-" in n]
    tswap = parts.copy()
    tswap.items[tables[0]], tswap.items[tables[1]] = tswap.items[tables[1]], tswap.items[tables[0]]
    c.add("v2-reordered-tables", A.put_together(tswap), "DamagedFile",
          "accounts before currencies, index consistent", match="out of order")
    renamed = parts.copy()
    rn, rd = renamed.items[i]
    renamed.items[i] = (rn.replace("/016-", "/015-"), rd)
    renamed.rows_of[renamed.items[i][0]] = parts.rows_of[rn]
    c.add("v2-wrong-table-number", A.put_together(renamed), "DamagedFile",
          "an entry_lines chunk named 015-entry_lines (its number is 016)",
          match="unknown table")


def _hostile(c: Cases, parts: A.Parts) -> None:
    passwd = b"root:x:0:0:root:/root:/bin/bash\n"
    chunk = "data/0/g1/020-documents-000001.json"
    c.add("hostile-path-traversal", A.put_together(parts, extra=[A.member("../../etc/passwd",
                                                                         passwd)]),
          "DamagedFile", 'a member named "../../etc/passwd"', match="unexpected member")
    c.add("hostile-absolute-path", A.put_together(parts, extra=[
        A.member("/etc/cron.d/cheel", b"* * * * * root true\n")]), "DamagedFile",
        'a member named "/etc/cron.d/cheel"', match="unexpected member")
    c.add("hostile-symlink", A.put_together(parts, extra=[
        A.header(chunk, 0, b"2", "../../etc/passwd")]), "DamagedFile",
        "a member of type symlink (with a data chunk name)", match="unsupported kind")
    c.add("hostile-hardlink", A.put_together(parts, extra=[
        A.header(chunk, 0, b"1", "manifest.json")]), "DamagedFile",
        "a member of type hard link", match="unsupported kind")
    c.add("hostile-directory", A.put_together(parts, extra=[A.header("data/", 0, b"5")]),
          "DamagedFile", "a directory member", match="unsupported kind")
    c.add("hostile-absurd-size", A.put_together(parts, extra=[
        A.header(chunk, 8 * 1024 ** 3 - 1) + bytes(512)]), "DamagedFile",
        "a chunk whose header claims 8 GiB - 1 bytes", match="absurd size")
    c.add("hostile-member-after-index", A.put_together(parts, after_index=[
        A.member(chunk, b"[]")]), "DamagedFile", "a chunk after the closing index",
        match="after its closing index")
    c.add("hostile-second-manifest", A.put_together(parts, extra=[
        A.member("manifest.json", parts.items[0][1])]), "DamagedFile",
        "a second manifest.json", match="second manifest")
    c.add("hostile-non-ascii-name", A.put_together(parts, extra=[
        A.member("data/0/g1/020-dócuments-000001.json", b"[]")]), "DamagedFile",
        "a member name with a non-ASCII character", match="invalid name")


def _unsound(c: Cases, parts: A.Parts, whole: A.Parts) -> None:
    """Self-consistent files (index, checksums, seal and counts recomputed) that break a
    rule of a sound file: the restore would have trusted them."""

    def crafted(name: str, base: A.Parts, change, note: str, match: str,
                expect: str = "DamagedFile", recount: bool = True) -> None:
        p = base.copy()
        change(p)
        if recount:
            p.set_manifest(A.recount(p.manifest, p))
        c.add(name, A.put_together(p), expect, note + " (self-consistent)", match=match)

    names = {t["name"]: [col["name"] for col in t["columns"]] for t in parts.manifest["tables"]}

    def set_value(p: A.Parts, table: str, column: str, value, scope: str = "g1",
                  row: int = 0) -> None:
        i = next(k for k, (n, _) in enumerate(p.items) if f"/{scope}/" in n and f"-{table}-" in n)
        rows = p.rows(i)
        rows[row][names[table].index(column)] = value
        p.set_rows(i, rows)

    g2_account = whole.rows([k for k, (n, _) in enumerate(whole.items)
                             if "/g2/" in n and "-accounts-" in n][0])[0][0]
    crafted("v2-key-into-other-group", whole,
            lambda p: set_value(p, "entry_lines", "account_id", g2_account),
            "an entry line of the first group booked on an account of the second group",
            "point to accounts rows outside the group")
    crafted("v2-key-to-missing-row", parts,
            lambda p: set_value(p, "invoices", "contact_id", 999_999),
            "an invoice's contact that no row of the file is",
            "point to contacts rows outside the group")
    crafted("v2-id-outside-range", parts, lambda p: _move_last_id(p, "entry_lines", 100),
            "the last entry line's id 100 past the range the manifest declares",
            "outside the range", recount=False)
    crafted("v2-duplicate-id", parts, lambda p: _duplicate_first_id(p, "accounts"),
            "two accounts rows with the same id", "repeats ids")
    crafted("v2-id-huge", parts, lambda p: set_value(p, "documents", "id", 2**62),
            "a row id of 2^62, the manifest's range made to agree", "manifest of the backup is "
            "damaged")
    crafted("v2-id-huge-row", parts, lambda p: set_value(p, "documents", "id", 2**62),
            "a row id of 2^62 in a chunk", "wrong type", recount=False)
    crafted("v2-money-declared-binary", parts,
            lambda p: p.set_manifest(_retype(p.manifest, "entry_lines", "debit", "binary")),
            "the manifest calls entry_lines.debit binary", "otherwise than the schema",
            recount=False)
    crafted("v2-bool-seven", parts, lambda p: set_value(p, "accounts", "active", 7),
            "a boolean of 7", "wrong type")
    crafted("v2-date-february-30", parts,
            lambda p: set_value(p, "journal_entries", "date", "2024-02-30"),
            "a journal entry dated 2024-02-30", "is not a date")
    crafted("v2-decimal-nan", parts, lambda p: set_value(p, "exchange_rates", "rate", "NaN"),
            'an exchange rate of "NaN"', "is not a decimal")
    crafted("v2-decimal-1e400", parts,
            lambda p: set_value(p, "exchange_rates", "rate", "1e400"),
            'an exchange rate of "1e400"', "is not a decimal")
    crafted("v2-int-beyond-64-bits", parts,
            lambda p: set_value(p, "journal_entries", "number", 2**64), "an entry number of "
            "2^64", "wrong type")
    crafted("v2-text-with-nul", parts,
            lambda p: set_value(p, "journal_entries", "description", "a\u0000b"),
            "a description holding NUL", "NUL")
    crafted("v2-group-name-newline", parts,
            lambda p: _rename_group(p, "Muster\nGruppe"), "a group named with a newline",
            "contains a control character")
    crafted("v2-group-name-bidi", parts,
            lambda p: _rename_group(p, "Muster \u202eGruppe"), "a group name holding a bidi "
            "override", "contains an invisible formatting character")
    crafted("v2-unbalanced-entry", parts,
            lambda p: set_value(p, "entry_lines", "debit", 194581),
            "an entry line one centime off", "do not balance")
    crafted("v2-account-number-twice", parts,
            lambda p: set_value(p, "accounts", "number", "1100"),
            "two accounts numbered 1100 in one group", "must be unique")
    crafted("v2-ids-span-2-62", parts,
            lambda p: p.set_manifest(_widen_range(p.manifest, "g1", "documents", 2**62)),
            "a lying id range of up to 2^62", "damaged", recount=False)
    deep = b'{"deep": ' + b"[" * 100_000 + b"]" * 100_000 + b", "
    nested = parts.copy()
    nested.items[0] = ("manifest.json", deep + parts.items[0][1][1:])
    c.add("v2-manifest-deep-nesting", A.put_together(nested), "DamagedFile",
          "a manifest with 100,000 nested arrays under an unknown key",
          match="manifest of the backup is damaged")
    extra = parts.copy()
    extra.set_manifest(dict(parts.manifest, comment={"from": "a later cheel", "n": [1, 2]}))
    c.ok("v2-ok-unknown-manifest-keys", A.put_together(extra), "a manifest with a key this "
         "reader does not know: ignored", ["Muster Gruppe"])


def _rename_group(p: A.Parts, name: str) -> None:
    m = copy.deepcopy(p.manifest)
    m["organizations"][0]["groups"][0]["name"] = name
    p.set_manifest(m)


def _move_last_id(p: A.Parts, table: str, by: int) -> None:
    i = [k for k, (n, _) in enumerate(p.items) if f"-{table}-" in n][-1]
    rows = p.rows(i)
    rows[-1][0] += by
    p.set_rows(i, rows)


def _widen_range(manifest: dict, key: str, table: str, high: int) -> dict:
    m = copy.deepcopy(manifest)
    g = next(g for g in m["organizations"][0]["groups"] if g["key"] == key)
    g["ids"][table][1] = high
    return m


def _retype(manifest: dict, table: str, column: str, kind: str) -> dict:
    m = copy.deepcopy(manifest)
    t = next(t for t in m["tables"] if t["name"] == table)
    next(col for col in t["columns"] if col["name"] == column)["type"] = kind
    return m


def _duplicate_first_id(p: A.Parts, table: str) -> None:
    i = [k for k, (n, _) in enumerate(p.items) if f"-{table}-" in n][0]
    rows = p.rows(i)
    rows[1][0] = rows[0][0]
    p.set_rows(i, rows)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    if target == OUT:
        for old in OUT.glob("*.cheelbackup"):
            old.unlink()
    made = make(target)
    print(f"{len(made)} cases, {len({c['file'] for c in made})} files in {target}")
