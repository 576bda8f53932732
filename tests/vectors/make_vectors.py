"""Regenerate the .cheelbackup test vectors in this folder, deterministically.

    .venv/bin/python tests/vectors/make_vectors.py [OUT_DIR]

The ok vectors are real backups written by ``cheel.backup.run_backup`` from a small
hand-made organization (`build_sample`), with the clock frozen and ``os.urandom`` seeded, so
the same cheel writes the same bytes. Every other vector is derived from them: damaged,
cut, rebuilt with a hostile member, and so on. ``vectors.json`` lists every case with the
outcome ``verify_backup`` must reach (see ``tests/test_vectors.py``).

Encrypted vectors use the test-only weak scrypt work factor (log2n=10).
The committed files are fixtures of the format: once released they are not regenerated but
kept, so that newer cheel versions prove they still read them.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import sys
import tarfile
import tempfile
import uuid
import zlib
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import zstandard

import cheel.backup
from cheel.archive import age_header as hdr
from cheel.archive import compression, rows
from cheel.archive.age_stream import EncryptWriter
from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.store.catalog import Catalog, OrgEntry
from cheel.store.organizations import create_organization, opened

HERE = Path(__file__).resolve().parent
PASSWORD = "Vektor-Passwort 2025 ü"
WRONG_PASSWORD = "vektor-passwort 2025 ü"
LOG2N = 10  # test-only weak work factor; production never lowers it
CREATED = datetime(2025, 3, 14, 9, 26, 53, tzinfo=timezone.utc)
NS = uuid.UUID("6f6c7f5e-2d0c-4c2b-9a51-7e0c3a1d9b10")

PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")
ALL_BYTES = bytes(range(256))


def uid(text: str) -> str:
    return str(uuid.uuid5(NS, text))


# -- the sample organization ---------------------------------------------------------------
def build_sample(catalog: Catalog, name: str = "Vektor Treuhand AG",
                 postgres: str | None = None, uids_of: str | None = None) -> OrgEntry:
    """A small organization, the same on every run: two groups, three companies.

    "Muster Gruppe" holds "Muster AG" and "Muster Services GmbH" with accounts, VAT codes,
    contacts, articles, journal entries in CHF and EUR, an invoice with a payment and three
    documents (a PDF, all 256 byte values, an empty file). "Solo Sàrl" holds one company.
    Users: admin and marie are referenced by group rows, hans by none. Group and company
    uids derive from ``uids_of`` (default: the organization's name).
    """
    seed = uids_of or name
    entry = create_organization(catalog, name, ["de", "fr", "it", "en"], postgres=postgres)
    with opened(catalog, entry.name) as (_, db):
        with db.transaction():
            lang = dict(db.query("SELECT code, id FROM languages"))
            admin = db.scalar("SELECT id FROM users WHERE login = 'admin'")
            marie = db.insert("users", {"login": "marie", "name": "Marie Muster-Käser",
                                        "role": "accountant", "password_hash": "scrypt$secret"})
            db.insert("users", {"login": "hans", "name": "Hans Unbeteiligt", "role": "viewer"})
            _muster(db, lang, admin, marie, seed)
            _solo(db, lang, admin, seed)
    return entry


def _group(db, name: str, stamp: str, seed: str) -> int:
    return db.insert("company_groups", {"uid": uid(f"{seed} group {name}"), "name": name,
                                        "created_at": stamp})


def _company(db, gid: int, name: str, form: str, ide: str | None, stamp: str,
             city: str, seed: str) -> int:
    contact = db.insert("contacts", {"group_id": gid, "kind": "firm", "name": name,
                                     "language": "de", "created_at": stamp})
    db.insert("addresses", {"contact_id": contact, "kind": "main", "street": "Bahnhofstrasse 1",
                            "postcode": "8001", "city": city, "country": "CH"})
    return db.insert("companies", {
        "group_id": gid, "uid": uid(f"{seed} company {name}"), "name": name, "legal_form": form,
        "ide_number": ide, "vat_number": f"{ide} MWST" if ide else None,
        "contact_id": contact, "created_at": stamp})


def _accounts(db, gid: int, lang: dict, chf: int, eur: int | None) -> dict[str, int]:
    names = {"1020": ("Bank", "Banque", "asset", chf), "1100": ("Debitoren", "Débiteurs",
             "asset", None), "2200": ("Geschuldete MWST", "TVA due", "liability", None),
             "3200": ("Dienstleistungserlöse", "Produits des services", "revenue", None),
             "6500": ("Büroaufwand", "Frais de bureau", "expense", None)}
    if eur is not None:
        names["1025"] = ("Bank EUR", "Banque EUR", "asset", eur)
    ids = {}
    for number, (de, fr, kind, cur) in names.items():
        aid = db.insert("accounts", {"group_id": gid, "number": number, "kind": kind,
                                     "currency_id": cur, "active": number != "6500"})
        db.insert("account_names", {"account_id": aid, "language_id": lang["de"], "name": de})
        db.insert("account_names", {"account_id": aid, "language_id": lang["fr"], "name": fr})
        ids[number] = aid
    return ids


def _entry(db, company: int, year: int, number: int, date: str, text: str, user: int | None,
           lines: list[tuple], reference: str | None = None) -> int:
    eid = db.insert("journal_entries", {
        "company_id": company, "fiscal_year_id": year, "number": number, "date": date,
        "reference": reference, "description": text, "journal": "main", "created_by": user,
        "created_at": f"{date} 17:30:00"})
    assert sum(x[1] for x in lines) == sum(x[2] for x in lines), "unbalanced entry"
    for account, debit, credit, *rest in lines:
        extra = rest[0] if rest else {}
        db.insert("entry_lines", {"entry_id": eid, "account_id": account, "debit": debit,
                                  "credit": credit, **extra})
    return eid


def _muster(db, lang: dict, admin: int, marie: int, seed: str) -> None:
    gid = _group(db, "Muster Gruppe", "2024-01-02 08:00:00", seed)
    chf = db.insert("currencies", {"group_id": gid, "code": "CHF", "name": "Schweizer Franken",
                                   "decimals": 2})
    eur = db.insert("currencies", {"group_id": gid, "code": "EUR", "name": "Euro",
                                   "decimals": 2})
    db.insert("exchange_rates", {"currency_id": eur, "valid_from": "2024-01-01",
                                 "rate": "0.950000"})
    db.insert("exchange_rates", {"currency_id": eur, "valid_from": "2024-07-01",
                                 "rate": "0.962345"})
    acc = _accounts(db, gid, lang, chf, eur)
    n81 = db.insert("vat_codes", {"group_id": gid, "code": "N81", "kind": "sales",
                                  "rate": "8.10", "valid_from": "2024-01-01", "valid_to": None,
                                  "account_id": acc["2200"]})
    db.insert("vat_codes", {"group_id": gid, "code": "N77", "kind": "sales", "rate": "7.70",
                            "valid_from": "2018-01-01", "valid_to": "2023-12-31",
                            "account_id": acc["2200"]})
    db.insert("vat_codes", {"group_id": gid, "code": "R26", "kind": "sales", "rate": "2.60",
                            "valid_from": "2024-01-01", "valid_to": None, "account_id": None})
    firm = db.insert("contacts", {"group_id": gid, "kind": "firm", "name": "Kunde \"Zürich\" AG",
                                  "language": "de", "created_by": marie,
                                  "created_at": "2024-01-03 09:00:00"})
    person = db.insert("contacts", {"group_id": gid, "kind": "person", "name": "Müller",
                                    "first_name": "Anna-Lena", "firm_id": firm, "language": "fr",
                                    "created_by": None, "created_at": "2024-01-03 09:05:00"})
    db.insert("addresses", {"contact_id": firm, "kind": "main", "street": "Limmatquai 12",
                            "postcode": "8001", "city": "Zürich", "country": "CH"})
    db.insert("addresses", {"contact_id": person, "kind": "home", "street": None,
                            "postcode": "1003", "city": "Lausanne", "country": "CH"})
    db.insert("communications", {"contact_id": firm, "kind": "email",
                                 "value": "buchhaltung@kunde-zuerich.example"})
    db.insert("communications", {"contact_id": person, "kind": "phone",
                                 "value": "+41 21 555 01 23"})
    art = db.insert("articles", {"group_id": gid, "code": "BER-01", "unit": "h",
                                 "price": 18000, "vat_code_id": n81,
                                 "account_id": acc["3200"]})
    db.insert("article_names", {"article_id": art, "language_id": lang["de"],
                                "description": "Beratung, pro Stunde"})
    db.insert("article_names", {"article_id": art, "language_id": lang["fr"],
                                "description": "Conseil, à l'heure"})
    ag = _company(db, gid, "Muster AG", "AG", "CHE-123.456.788", "2024-01-02 08:00:00", "Bern",
                  seed)
    svc = _company(db, gid, "Muster Services GmbH", "GmbH", "CHE-109.322.551",
                   "2024-01-02 08:10:00", "Thun", seed)
    y24 = db.insert("fiscal_years", {"company_id": ag, "name": "2024", "start_date": "2024-01-01",
                                     "end_date": "2024-12-31", "closed": True})
    y25 = db.insert("fiscal_years", {"company_id": ag, "name": "2025", "start_date": "2025-01-01",
                                     "end_date": "2025-12-31", "closed": False})
    s24 = db.insert("fiscal_years", {"company_id": svc, "name": "2024",
                                     "start_date": "2024-01-01", "end_date": "2024-12-31",
                                     "closed": False})
    e1 = _entry(db, ag, y24, 1, "2024-02-29", "Rechnung 2024-001 Kunde \"Zürich\" AG", marie, [
        (acc["1100"], 194580, 0),
        (acc["3200"], 0, 180000, {"vat_code_id": n81, "text": "Beratung\nFebruar"}),
        (acc["2200"], 0, 14580, {"vat_code_id": n81})], reference="2024-001")
    _entry(db, ag, y24, 2, "2024-03-15", "Zahlungseingang", admin, [
        (acc["1020"], 194580, 0), (acc["1100"], 0, 194580)])
    _entry(db, ag, y24, 3, "2024-07-02", "Bankgebühren EUR", marie, [
        (acc["6500"], 4812, 0, {"text": "Gebühr ½ Jahr — «Frais»"}),
        (acc["1025"], 0, 4812, {"currency_id": eur, "amount_fc": 5000, "rate": "0.962345",
                                "text": "EUR 50.00"})])
    _entry(db, ag, y25, 1, "2025-01-31", "Büromaterial 😀", None, [
        (acc["6500"], 12345, 0), (acc["1020"], 0, 12345)])
    _entry(db, svc, s24, 1, "2024-12-31", "Jahresabschluss", marie, [
        (acc["1020"], 1, 0), (acc["3200"], 0, 1)])
    inv = db.insert("invoices", {"company_id": ag, "number": "2024-001", "contact_id": firm,
                                 "date": "2024-02-29", "due_date": "2024-03-30",
                                 "currency_id": chf,
                                 "qr_reference": "210000000003139471430009017",
                                 "total": 194580, "status": "paid", "entry_id": e1})
    db.insert("invoice_lines", {"invoice_id": inv, "article_id": art,
                                "description": "Beratung Februar", "quantity": "10.000",
                                "unit_price": 18000, "vat_code_id": n81, "amount": 180000})
    db.insert("invoice_lines", {"invoice_id": inv, "article_id": None,
                                "description": "Rabatt ¼ h", "quantity": "-0.250",
                                "unit_price": 18000, "vat_code_id": n81, "amount": -4500})
    db.insert("invoice_lines", {"invoice_id": inv, "article_id": None,
                                "description": "Spesen", "quantity": "1.000",
                                "unit_price": 4500, "vat_code_id": None, "amount": 4500})
    db.insert("payments", {"invoice_id": inv, "date": "2024-03-15", "amount": 194580,
                           "entry_id": None})
    db.insert("documents", {"company_id": ag, "entry_id": e1, "filename": "Rechnung 2024-001.pdf",
                            "mime_type": "application/pdf", "content": PDF,
                            "created_at": "2024-02-29 17:31:00"})
    db.insert("documents", {"company_id": ag, "entry_id": None, "filename": "alle-bytes.bin",
                            "mime_type": "application/octet-stream", "content": ALL_BYTES,
                            "created_at": "2024-03-01 08:00:00"})
    db.insert("documents", {"company_id": svc, "entry_id": None, "filename": "leer.txt",
                            "mime_type": "text/plain", "content": b"",
                            "created_at": "2024-03-01 08:00:01"})


def _solo(db, lang: dict, admin: int, seed: str) -> None:
    gid = _group(db, "Solo Sàrl", "2024-06-01 10:00:00", seed)
    chf = db.insert("currencies", {"group_id": gid, "code": "CHF", "name": "Franc suisse",
                                   "decimals": 2})
    acc = _accounts(db, gid, lang, chf, None)
    co = _company(db, gid, "Solo Sàrl", "Sàrl", None, "2024-06-01 10:00:00", "Genève", seed)
    y25 = db.insert("fiscal_years", {"company_id": co, "name": "2025", "start_date": "2025-01-01",
                                     "end_date": "2025-12-31", "closed": False})
    _entry(db, co, y25, 1, "2025-01-02", "Apport en capital", admin, [
        (acc["1020"], 2000000, 0), (acc["3200"], 0, 2000000)])


# -- deterministic backups -----------------------------------------------------------------
class _FrozenClock(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return CREATED.astimezone(tz) if tz else CREATED.replace(tzinfo=None)


def backup(catalog: Catalog, orgs: list[str], dest: Path, *, groups: list[str] = (),
           password: str | None = None, seed: int = 1, chunk_bytes: int | None = None) -> bytes:
    """The bytes of a real ``run_backup``, with the clock frozen and randomness seeded."""
    rng = random.Random(seed)
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(cheel.backup, "datetime", _FrozenClock))
        stack.enter_context(mock.patch("os.urandom", rng.randbytes))
        if chunk_bytes:
            stack.enter_context(mock.patch.object(rows, "CHUNK_BYTES", chunk_bytes))
        plan = plan_backup(catalog, BackupOptions(list(orgs), dest, list(groups), password,
                                                  log2n=LOG2N))
        result = run_backup(catalog, plan)
    data = result.path.read_bytes()
    result.path.unlink()
    return data


# -- taking a backup apart and putting it together again -----------------------------------
def plain_tar(data: bytes) -> bytes:
    """The tar archive inside an unencrypted backup."""
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


def members(data: bytes) -> list[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(plain_tar(data)), mode="r:") as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]


def header(name: str, size: int, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.linkname = size, kind, linkname
    info.mtime, info.mode = int(CREATED.timestamp()), 0o644
    info.uname = info.gname = "cheel"
    return info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")


def tar_of(parts: list[bytes]) -> bytes:
    """Header+data parts, the end marker, padding to a 10240-byte record as tar does."""
    out = b"".join(parts) + b"\0" * 1024
    return out + b"\0" * (-len(out) % tarfile.RECORDSIZE)


def member(name: str, data: bytes) -> bytes:
    return header(name, len(data)) + data + b"\0" * (-len(data) % 512)


def index_of(items: list[tuple[str, bytes]], rows_of: dict[str, int | None]) -> bytes:
    listed = []
    for name, data in items:
        e = {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if rows_of.get(name) is not None:
            e["rows"] = rows_of[name]
        listed.append(e)
    return json.dumps({"format": "cheel-backup", "format_version": 1, "members": listed},
                      indent=1).encode()


def seal(tar: bytes, password: str | None = None, seed: int = 7) -> bytes:
    """zstd frame with checksum + cheelsha seal (+ age), as ContainerWriter writes them."""
    out = io.BytesIO()
    with mock.patch("os.urandom", random.Random(seed).randbytes):
        enc = EncryptWriter(out, password, log2n=LOG2N) if password else None
        z = compression.writer(enc or out)
        z.write(tar)
        z.close()
        if enc:
            enc.close()
    return out.getvalue()


def rebuild(items: list[tuple[str, bytes]], rows_of: dict, *, index: bytes | None = None,
            extra: list[bytes] = (), after_index: list[bytes] = (),
            password: str | None = None) -> bytes:
    """A container of ``items`` (manifest and chunks), its index (computed unless given),
    with raw ``extra`` parts before the index and ``after_index`` parts after it."""
    idx = index_of(items, rows_of) if index is None else index
    parts = [member(n, d) for n, d in items] + list(extra) + [member("index.json", idx)]
    return seal(tar_of(parts + list(after_index)), password)


def split(data: bytes) -> tuple[list[tuple[str, bytes]], dict]:
    """(manifest and chunk members, rows per member) of an unencrypted backup."""
    ms = members(data)
    assert ms[0][0] == "manifest.json" and ms[-1][0] == "index.json"
    index = json.loads(ms[-1][1])
    return ms[:-1], {m["name"]: m.get("rows") for m in index["members"]}


def flip(data: bytes, at: int, mask: int = 0x01) -> bytes:
    b = bytearray(data)
    b[at] ^= mask
    return bytes(b)


def other_b64(data: bytes, at: int) -> bytes:
    """``data`` with the base64 character at ``at`` replaced by another one."""
    b = bytearray(data)
    assert chr(b[at]).isalnum()
    b[at] = ord("A") if b[at] != ord("A") else ord("B")
    return bytes(b)


def age_header_size(data: bytes) -> int:
    return hdr.parse_header(data)[0].size


def expected_rows(data: bytes, password: str | None) -> dict[str, int]:
    from cheel.verify import inspect_backup

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.cheelbackup"
        p.write_bytes(data)
        m = inspect_backup(p, password)
    return {k: v for k, v in m["rows"].items() if v}


# -- the vectors ---------------------------------------------------------------------------
def make(out: Path) -> list[dict]:
    """Write every vector and ``vectors.json`` into ``out``; returns the cases."""
    out.mkdir(parents=True, exist_ok=True)
    cases: list[dict] = []

    def add(name: str, data: bytes | None, expect: str, note: str, *, file: str | None = None,
            password: str | None = None, match: str | None = None, **extra) -> None:
        fname = file or f"{name}.cheelbackup"
        if data is not None:
            (out / fname).write_bytes(data)
        exit_code = {"ok": 0, "WrongPassword": 3, "PasswordNeeded": 3}.get(expect, 4)
        case = {"name": name, "file": fname, "password": password, "expect": expect,
                "exit_code": exit_code}
        if match:
            case["match"] = match
        case.update(extra)
        case["note"] = note
        cases.append(case)

    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp) / "data")
        dest = Path(tmp) / "out"
        dest.mkdir()
        org = "Vektor Treuhand AG"
        build_sample(catalog, org)
        build_sample(catalog, "Zweite Org GmbH")
        build_sample(catalog, "Kopie Treuhand AG", uids_of=org)
    
        enc = backup(catalog, [org], dest, password=PASSWORD, seed=1)
        plain = backup(catalog, [org], dest, groups=["Muster Gruppe"], seed=2)
        multi = backup(catalog, [org], dest, groups=["Muster Gruppe"], seed=3, chunk_bytes=120)
        two = backup(catalog, [org, "Zweite Org GmbH"], dest, seed=4)
        solo_enc = backup(catalog, [org], dest, groups=["Solo Sàrl"], password=PASSWORD, seed=5)
        same = backup(catalog, [org, "Kopie Treuhand AG"], dest, seed=6)

    # ok --------------------------------------------------------------------------------------
    add("v1-ok-encrypted", enc, "ok", "whole organization (2 groups, 3 companies), encrypted; "
        "restore tests restore it", password=PASSWORD, encrypted=True,
        rows=expected_rows(enc, PASSWORD), groups=["Muster Gruppe", "Solo Sàrl"])
    add("v1-ok-plain", plain, "ok", "one group chosen out of two, not encrypted",
        encrypted=False, rows=expected_rows(plain, None), groups=["Muster Gruppe"])
    add("v1-ok-multichunk", multi, "ok", "like v1-ok-plain, written with CHUNK_BYTES=120: "
        "several chunks per table", encrypted=False, rows=expected_rows(multi, None),
        groups=["Muster Gruppe"])
    add("v1-ok-two-orgs", two, "ok", "two organizations in one file (data/0/…, data/1/…)",
        encrypted=False, rows=expected_rows(two, None),
        groups=["Muster Gruppe", "Solo Sàrl", "Muster Gruppe", "Solo Sàrl"])
    add("v1-ok-two-orgs-same-uids", same, "ok", "two organizations holding the same groups "
        "(same uids, as after restoring one organization's group into another)",
        encrypted=False, rows=expected_rows(same, None),
        groups=["Muster Gruppe", "Solo Sàrl", "Muster Gruppe", "Solo Sàrl"])
    add("v1-ok-solo-encrypted", solo_enc, "ok", "the one-company group alone, encrypted",
        password=PASSWORD, encrypted=True, rows=expected_rows(solo_enc, PASSWORD),
        groups=["Solo Sàrl"])

    # passwords ------------------------------------------------------------------------------
    add("wrong-password", None, "WrongPassword", "v1-ok-encrypted with a wrong password",
        file="v1-ok-encrypted.cheelbackup", password=WRONG_PASSWORD,
        match="password does not open")
    add("no-password", None, "PasswordNeeded", "v1-ok-encrypted without any password",
        file="v1-ok-encrypted.cheelbackup", match="no password")
    add("plain-with-password", None, "ok", "a password given for an unencrypted file is "
        "not used", file="v1-ok-plain.cheelbackup", password=PASSWORD, encrypted=False,
        rows=expected_rows(plain, None), groups=["Muster Gruppe"])

    # damaged: raw bytes ---------------------------------------------------------------------
    hs = age_header_size(enc)
    add("v1-flip-data-plain", flip(plain, len(plain) // 2), "DamagedFile",
        "a flipped bit in the middle of the compressed data (inside the data chunks)")
    add("v1-flip-end-plain", flip(plain, len(plain) - compression.SEAL_SIZE - 20), "DamagedFile",
        "a flipped bit near the end of the zstd frame (index, tar end, checksum)")
    add("v1-flip-seal-plain", flip(plain, len(plain) - 1), "DamagedFile",
        "a flipped bit in the SHA-256 of the cheelsha seal", match="seal does not match")
    add("v1-flip-seal-tag-plain", flip(plain, len(plain) - 33), "DamagedFile",
        'a flipped bit in the seal\'s "cheelsha" tag')
    add("v1-flip-zstd-magic-plain", flip(plain, 0), "NotABackup",
        "a flipped bit in the zstd magic number: not recognizably a backup any more")
    add("v1-flip-data-encrypted", flip(enc, hs + 16 + (len(enc) - hs) // 2), "DamagedFile",
        "a flipped bit in the encrypted payload", match="integrity check", password=PASSWORD)
    add("v1-flip-mac-encrypted", other_b64(enc, hs - 10), "DamagedFile",
        "a changed character in the age header MAC", match="altered", password=PASSWORD)
    add("v1-flip-salt-encrypted", other_b64(enc, 40), "WrongPassword",
        "a changed character in the scrypt salt: indistinguishable from a wrong password",
        password=PASSWORD)
    add("v1-flip-tag-encrypted", flip(enc, len(enc) - 1), "DamagedFile",
        "a flipped bit in the authentication tag of the last age chunk", password=PASSWORD)

    # cut and extended -----------------------------------------------------------------------
    add("v1-truncated-half-plain", plain[: len(plain) // 2], "DamagedFile",
        "the first half of v1-ok-plain", match="ends early")
    add("v1-truncated-seal-plain", plain[: -compression.SEAL_SIZE], "DamagedFile",
        "v1-ok-plain without its seal (the zstd frame alone is complete)", match="ends early")
    add("v1-truncated-1-plain", plain[:-1], "DamagedFile", "v1-ok-plain minus its last byte",
        match="ends early")
    add("v1-truncated-half-encrypted", enc[: len(enc) // 2], "DamagedFile",
        "the first half of v1-ok-encrypted", password=PASSWORD)
    add("v1-truncated-header-encrypted", enc[: hs + 16], "DamagedFile",
        "v1-ok-encrypted cut right after its header and payload nonce", match="ends early",
        password=PASSWORD)
    add("v1-trailing-plain", plain + b"\n", "DamagedFile", "v1-ok-plain plus one line feed",
        match="unexpected data")
    add("v1-trailing-zeros-plain", plain + b"\0" * 512, "DamagedFile",
        "v1-ok-plain plus 512 zero bytes")
    add("v1-trailing-encrypted", enc + b"garbage", "DamagedFile",
        "v1-ok-encrypted plus 7 bytes (they join its last age chunk, which then fails)",
        password=PASSWORD)
    add("v1-concatenated-plain", plain + plain, "DamagedFile", "v1-ok-plain twice in a row",
        match="unexpected data")

    # not a backup ---------------------------------------------------------------------------
    add("not-backup-pdf", PDF, "NotABackup", "a PDF file", match="not a cheel backup")
    add("not-backup-empty", b"", "NotABackup", "an empty file", match="not a cheel backup")
    readme = b"Dies ist kein Backup.\n"
    tar_zst = seal(tar_of([member("readme.txt", readme)]))[: -compression.SEAL_SIZE]
    add("not-backup-tar-zst", tar_zst, "NotABackup",
        "a plain tar.zst holding readme.txt and no manifest", match="no manifest first")
    add("not-backup-other-manifest",
        seal(tar_of([member("manifest.json", b'{"format": "something-else"}')])),
        "NotABackup", "a tar.zst whose manifest.json is not cheel's", match="unknown manifest")
    add("not-backup-gzip", zlib.compress(readme), "NotABackup", "zlib data")
    fk = bytes(range(16))
    x25519 = hdr.Stanza("X25519", (hdr.b64encode(bytes(range(32))),), bytes(32))
    add("not-backup-age-x25519", hdr.serialize_header([x25519], fk) + bytes(64), "NotABackup",
        "an age file encrypted to an X25519 key, not with a passphrase (read with a "
        "password: without one, any age file asks for it first)", password=PASSWORD,
        match="not with a passphrase")
    add("unsupported-age-v2", b"age-encryption.org/v2\n-> scrypt x 10\n\n--- x\n",
        "UnsupportedVersion", "an age file of a future version v2 (read with a password)",
        password=PASSWORD, match="only v1")

    # rebuilt containers (zstd frame and seal valid) -----------------------------------------
    items, rows_of = split(plain)
    manifest = json.loads(items[0][1])
    chunk_i = next(i for i, (n, _) in enumerate(items) if "-entry_lines-" in n)

    future = dict(manifest, format_version=99)
    v99 = [("manifest.json", json.dumps(future, indent=1, ensure_ascii=False).encode())] + items[1:]
    add("v99-format-version", rebuild(v99, rows_of), "UnsupportedVersion",
        "a valid container whose manifest says format_version 99", match="format version 99")
    add("v99-format-version-encrypted", rebuild(v99, rows_of, password=PASSWORD),
        "UnsupportedVersion", "the same, encrypted", password=PASSWORD,
        match="format version 99")
    newer = dict(manifest, schema_version=99)
    s99 = [("manifest.json", json.dumps(newer, indent=1, ensure_ascii=False).encode())] + items[1:]
    add("v1-schema-99", rebuild(s99, rows_of), "ok",
        "format 1 with schema_version 99: the file is sound (verify passes) but restore "
        "refuses it with UnsupportedVersion", encrypted=False, rows=expected_rows(plain, None),
        groups=["Muster Gruppe"], restore="UnsupportedVersion")

    altered = list(items)
    name, data = altered[chunk_i]
    altered[chunk_i] = (name, data.replace(b'"Beratung\\nFebruar"', b'"Beratung\\nFebruaR"'))
    assert altered[chunk_i] != items[chunk_i]
    add("v1-altered-chunk", rebuild(altered, rows_of, index=index_of(items, rows_of)),
        "DamagedFile", "one byte of an entry_lines chunk changed, index of the original",
        match="altered")
    idx = index_of(items, rows_of).decode()
    sha = hashlib.sha256(items[chunk_i][1]).hexdigest()
    bad = sha[:10] + ("0" if sha[10] != "0" else "1") + sha[11:]
    add("v1-altered-index", rebuild(items, rows_of, index=idx.replace(sha, bad).encode()),
        "DamagedFile", "one hex digit of a checksum in the index changed", match="altered")
    add("v1-index-not-json", rebuild(items, rows_of, index=b'{"format": "cheel-backup", '),
        "DamagedFile", "an index that is not JSON", match="index of the backup is damaged")
    add("v1-no-index", seal(tar_of([member(n, d) for n, d in items])), "DamagedFile",
        "every member but no closing index", match="closing index is missing")
    fewer = list(items)
    cname, cdata = fewer[chunk_i]
    compact = dict(ensure_ascii=False, separators=(",", ":"))
    chunk_rows = json.loads(cdata)
    fewer[chunk_i] = (cname, json.dumps(chunk_rows[1:], **compact).encode())
    add("v1-missing-row", rebuild(fewer, dict(rows_of, **{cname: rows_of[cname] - 1})),
        "DamagedFile", "a row removed from a chunk, index made consistent: the manifest's "
        "counts disagree", match="rows of entry_lines")
    add("v1-row-count-mismatch", rebuild(fewer, rows_of), "DamagedFile",
        "a row removed from a chunk; the index's checksum made to match but not its row "
        "count", match="does not hold the rows its index lists")
    wide = list(items)
    wide[chunk_i] = (cname, json.dumps([chunk_rows[0] + [0]] + chunk_rows[1:],
                                       **compact).encode())
    add("v1-row-shape", rebuild(wide, rows_of), "DamagedFile",
        "a row with one value too many, index consistent", match="wrong shape")
    for vname, value, column, about, match in (
            ("v1-float-value", 12.5, 3, "a float where an integer amount belongs (debit)",
             "wrong type"),
            ("v1-text-for-number", "1250", 3, "text where an integer amount belongs (debit)",
             "wrong type"),
            ("v1-null-not-allowed", None, 1, "null in a column that does not allow it "
             "(entry_lines.entry_id)", "wrong type")):
        typed = list(items)
        row = list(chunk_rows[0])
        row[column] = value
        typed[chunk_i] = (cname, json.dumps([row] + chunk_rows[1:], **compact).encode())
        add(vname, rebuild(typed, rows_of), "DamagedFile", about + ", index consistent",
            match=match)
    b64 = list(items)
    di = next(i for i, (n, _) in enumerate(items) if "-documents-" in n)
    dname, ddata = items[di]
    enc_all = base64.b64encode(ALL_BYTES)
    assert enc_all in ddata
    b64[di] = (dname, ddata.replace(enc_all, b"!" + enc_all[1:]))
    add("v1-bad-base64", rebuild(b64, rows_of), "DamagedFile",
        "a binary value that is not base64, index consistent", match="bad binary value")

    # order ----------------------------------------------------------------------------------
    mitems, mrows = split(multi)
    lines = [i for i, (n, _) in enumerate(mitems) if "-entry_lines-" in n]
    assert len(lines) >= 3, "the multichunk vector needs several entry_lines chunks"
    swapped = list(mitems)
    a, b = lines[0], lines[1]
    swapped[a], swapped[b] = swapped[b], swapped[a]
    add("v1-reordered-chunks", rebuild(swapped, mrows), "DamagedFile",
        "two chunks of entry_lines swapped, index and seal made consistent",
        match="out of order")
    add("v1-reordered-vs-index", rebuild(swapped, mrows, index=index_of(mitems, mrows)),
        "DamagedFile", "two chunks swapped, index of the original order", match="out of order")
    dropped = [m for i, m in enumerate(mitems) if i != lines[1]]
    add("v1-missing-chunk", rebuild(dropped, mrows), "DamagedFile",
        "the second entry_lines chunk dropped, index consistent", match="out of order or missing")
    tables = [i for i, (n, _) in enumerate(items) if "-currencies-" in n or "-accounts-" in n]
    tswap = list(items)
    tswap[tables[0]], tswap[tables[1]] = tswap[tables[1]], tswap[tables[0]]
    add("v1-reordered-tables", rebuild(tswap, rows_of), "DamagedFile",
        "accounts before currencies, index consistent", match="out of order")
    renamed = list(items)
    rn, rd = renamed[chunk_i]
    renamed[chunk_i] = (rn.replace("/016-", "/015-"), rd)
    add("v1-wrong-table-number", rebuild(renamed, {renamed[chunk_i][0]: rows_of[rn], **rows_of}),
        "DamagedFile", "an entry_lines chunk named 015-entry_lines (its number is 016)",
        match="unknown table")

    # hostile members ------------------------------------------------------------------------
    passwd = b"root:x:0:0:root:/root:/bin/bash\n"
    add("hostile-path-traversal", rebuild(items, rows_of,
        extra=[member("../../etc/passwd", passwd)]), "DamagedFile",
        'a member named "../../etc/passwd"', match="unexpected member")
    add("hostile-absolute-path", rebuild(items, rows_of,
        extra=[member("/etc/cron.d/cheel", b"* * * * * root true\n")]), "DamagedFile",
        'a member named "/etc/cron.d/cheel"', match="unexpected member")
    add("hostile-symlink", rebuild(items, rows_of, extra=[
        header("data/0/g1/020-documents-000001.json", 0, tarfile.SYMTYPE, "../../etc/passwd")]),
        "DamagedFile", "a member of type symlink (with a data chunk name)",
        match="unsupported kind")
    add("hostile-hardlink", rebuild(items, rows_of, extra=[
        header("data/0/g1/020-documents-000001.json", 0, tarfile.LNKTYPE, "manifest.json")]),
        "DamagedFile", "a member of type hard link", match="unsupported kind")
    add("hostile-directory", rebuild(items, rows_of, extra=[header("data/", 0, tarfile.DIRTYPE)]),
        "DamagedFile", "a directory member", match="unsupported kind")
    add("hostile-absurd-size", rebuild(items, rows_of, extra=[
        header("data/0/g1/020-documents-000001.json", 8 * 1024 ** 3 - 1) + bytes(512)]),
        "DamagedFile", "a chunk whose header claims 8 GiB - 1 bytes", match="absurd size")
    add("hostile-bomb", _bomb(items, rows_of), "DamagedFile",
        "a chunk of 300 MiB of zeros (compressed to a few KB): refused from its header",
        match="absurd size")
    add("hostile-member-after-index", rebuild(items, rows_of,
        after_index=[member("data/0/g1/020-documents-000001.json", b"[]")]), "DamagedFile",
        "a chunk after the closing index", match="after its closing index")
    add("hostile-second-manifest", rebuild(items, rows_of,
        extra=[member("manifest.json", items[0][1])]), "DamagedFile",
        "a second manifest.json", match="second manifest")
    add("hostile-non-ascii-name", rebuild(items, rows_of,
        extra=[member("data/0/g1/020-dócuments-000001.json", b"[]")]), "DamagedFile",
        "a member name with a non-ASCII character", match="invalid name")

    (out / "vectors.json").write_text(json.dumps(
        {"about": "cheel .cheelbackup test vectors; regenerate with make_vectors.py",
         "password": PASSWORD, "log2n": LOG2N, "vectors": cases},
        indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return cases


def _bomb(items: list[tuple[str, bytes]], rows_of: dict) -> bytes:
    """Like ``rebuild`` but streaming 300 MiB of zeros through zstd (a few KB out)."""
    size = 300 * 1024 * 1024
    out = io.BytesIO()
    z = compression.writer(out)
    z.write(b"".join(member(n, d) for n, d in items))
    z.write(header("data/0/g1/020-documents-000001.json", size))
    zeros = bytes(1 << 20)
    for _ in range(size >> 20):
        z.write(zeros)
    z.write(member("index.json", index_of(items, rows_of)) + b"\0" * 1024)
    z.close()
    return out.getvalue()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE
    if target == HERE:
        for old in HERE.glob("*.cheelbackup"):
            old.unlink()
    made = make(target)
    print(f"{len(made)} cases, {len({c['file'] for c in made})} files in {target}")
