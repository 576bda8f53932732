"""The sample organization the vectors and several tests are made from, and deterministic
backups of it (frozen clock, seeded randomness: the same cheel writes the same bytes)."""

from __future__ import annotations

import random
import uuid
from contextlib import ExitStack
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import cheel.backup.run
from cheel.archive import rows
from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.store.catalog import Catalog, OrgEntry
from cheel.store.organizations import create_organization, opened

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
        stack.enter_context(mock.patch.object(cheel.backup.run, "datetime", _FrozenClock))
        stack.enter_context(mock.patch("os.urandom", rng.randbytes))
        if chunk_bytes:
            stack.enter_context(mock.patch.object(rows, "CHUNK_BYTES", chunk_bytes))
        plan = plan_backup(catalog, BackupOptions(list(orgs), dest, list(groups), password,
                                                  log2n=LOG2N))
        result = run_backup(catalog, plan)
    data = result.path.read_bytes()
    result.path.unlink()
    return data
