"""``cheel demo``: a new organization filled with plausible Swiss SME data.

Three company groups: "Groupe Helvetia" (a holding, a services company and a real-estate
company sharing one chart of accounts, address book, articles, currencies and VAT codes) and
two single-company groups (a bakery and a metal workshop), each with its own shared data.
Every company gets three fiscal years (2023 closed, 2024, 2025), a balanced double-entry
journal, customer invoices with QR references, their payments and a few PDF documents.

Everything derives from ``random.Random(seed)``: the same seed gives the same rows, ids,
uids and timestamps. Journal data is written in batches with explicit ids and bulk inserts,
so memory stays flat whatever the number of entry lines.
"""

from __future__ import annotations

import heapq
import random
import re
import unicodedata
import uuid
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from ..store import schema as S
from ..store.catalog import Catalog, OrgEntry
from ..store.engines import Database
from ..store.organizations import create_organization, drop_database, open_database
from . import data as D
from .pdf import one_page_pdf

BATCH = 10_000  # entry lines per bulk insert
MIN_ENTRIES = 500  # fewer lines than this cannot show every kind of entry
RECURRING_FROM = 800  # lines a company needs for monthly rent, wages and quarterly VAT
YEARS = (2023, 2024, 2025)
LAST_DAY = "2025-12-31"  # the demo's "today": unpaid invoices due before it are overdue
DEMO_LANGUAGES = ("fr", "de", "it", "en")

Progress = Callable[[int, int], None]


@dataclass
class DemoOptions:
    name: str = "Demo SA"  # organization name
    entries: int = 20_000  # number of journal entry LINES (entry_lines rows) in total
    seed: int = 1
    postgres: str | None = None  # server URL; None → SQLite


def create_demo(catalog: Catalog, options: DemoOptions,
                progress: Progress | None = None) -> OrgEntry:
    """Create the organization ``options.name`` and fill it with demo data.

    ``options.entries`` is the total number of journal entry lines (at least
    :data:`MIN_ENTRIES`). ``progress(done_lines, total_lines)`` is called after every batch.
    The organization is listed in the catalog only once it is complete; on any failure its
    database is dropped again.
    """
    total = max(int(options.entries), MIN_ENTRIES)
    entry = create_organization(catalog, options.name, DEMO_LANGUAGES,
                                postgres=options.postgres, register=False)
    try:
        db = open_database(catalog, entry)
        try:
            _fill(db, options.seed, total, progress)
        finally:
            db.close()
        catalog.add(entry)
    except BaseException:
        drop_database(catalog, entry)
        raise
    return entry


# -- helpers ---------------------------------------------------------------------------------
def ide_check_digit(digits8: str) -> int | None:
    """The mod-11 check digit of a Swiss UID/IDE number, None when 10 (number not issued)."""
    weights = (5, 4, 3, 2, 7, 6, 5, 4)
    check = 11 - sum(w * int(d) for w, d in zip(weights, digits8)) % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def format_ide(digits9: str) -> str:
    return f"CHE-{digits9[0:3]}.{digits9[3:6]}.{digits9[6:9]}"


def random_ide(rng: random.Random) -> str:
    while True:
        body = f"{rng.randint(10_000_000, 99_999_999)}"
        check = ide_check_digit(body)
        if check is not None:
            return format_ide(body + str(check))


_MOD10 = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)


def mod10_check_digit(digits: str) -> int:
    """Check digit of the recursive modulo 10 (QR reference, ISR/ESR)."""
    carry = 0
    for ch in digits:
        carry = _MOD10[(carry + ord(ch) - 48) % 10]
    return (10 - carry) % 10


def qr_reference(body26: str) -> str:
    assert len(body26) == 26 and body26.isdigit()
    return body26 + str(mod10_check_digit(body26))


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _stamp(day: str, rng: random.Random) -> str:
    s = 7 * 3600 + rng.getrandbits(15)  # 07:00:00 .. 16:06:07
    return f"{day} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def _money(centimes: int) -> str:
    sign = "-" if centimes < 0 else ""
    c = abs(centimes)
    francs = f"{c // 100:,}".replace(",", "'")
    return f"{sign}{francs}.{c % 100:02d}"


def _swiss_date(day: str) -> str:
    return f"{day[8:]}.{day[5:7]}.{day[:4]}"


def _quantity(thousandths: int) -> str:
    return f"{thousandths // 1000}.{thousandths % 1000:03d}"


def _rate_str(micro: int) -> str:
    return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"


def _conv(fc: int, micro: int) -> int:
    """Foreign-currency centimes to CHF centimes at a rate in millionths."""
    return (fc * micro + 500_000) // 1_000_000


def _vat_of_net(net: int, rate: int) -> int:
    """VAT on a net amount; ``rate`` in hundredths of a percent (810 = 8.10 %)."""
    return (net * rate + 5000) // 10000


def _net_of_gross(gross: int, rate: int) -> int:
    return (gross * 10000 + (10000 + rate) // 2) // (10000 + rate)


def _business_days() -> list[str]:
    out, d, end = [], date(YEARS[0], 1, 1), date(YEARS[-1], 12, 31)
    while d <= end:
        if d.weekday() < 5:
            out.append(d.isoformat())
        d += timedelta(days=1)
    return out


DAYS = _business_days()


def _month_index(day: str) -> int:
    return (int(day[:4]) - YEARS[0]) * 12 + int(day[5:7]) - 1


def _add_days(day: str, n: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=n)).isoformat()


# -- batched writer ----------------------------------------------------------------------------
class Writer:
    """Buffers full rows per table and writes them in bulk, parents first."""

    def __init__(self, db: Database):
        self.db = db
        self.cols = {t.name: t.column_names for t in S.TABLES}
        self.buf: dict[str, list[tuple]] = {t.name: [] for t in S.TABLES}
        self.next: dict[str, int] = {}
        self.touched: set[str] = set()

    def id(self, table: str) -> int:
        n = self.next.get(table)
        if n is None:
            n = self.db.max_id(table) + 1
        self.next[table] = n + 1
        return n

    def add(self, table: str, row: tuple) -> None:
        self.buf[table].append(row)

    def flush(self) -> None:
        for t in S.TABLES:
            rows = self.buf[t.name]
            if rows:
                self.db.insert_rows(t.name, self.cols[t.name], rows)
                self.touched.add(t.name)
                rows.clear()


# -- reference data --------------------------------------------------------------------------
@dataclass
class Group:
    id: int
    name: str
    lang: str
    accounts: dict[str, int]  # number → id
    currencies: dict[str, int]  # code → id
    rates: dict[str, list[int]]  # code → 36 monthly rates in millionths
    vat: dict[tuple[str, str, int], tuple[int, int]]  # (kind, class, period) → (id, rate)
    exempt_vat: int
    articles: dict[str, tuple]  # code → (id, unit, price, class, account id, {lang: text})
    customers: list[tuple[int, str]]  # domestic firms and private persons
    foreign: list[tuple[int, str]]  # foreign firms (billed in EUR)
    company_contacts: dict[str, int]  # company name → its contact id


def _fill(db: Database, seed: int, total: int, progress: Progress | None) -> None:
    rng = random.Random(seed)
    w = Writer(db)
    lang_ids = {code: lid for lid, code in
                db.query("SELECT id, code FROM languages ORDER BY id")}
    with db.transaction():
        users = _users(w, db)
        # users who write: everyone but read-only viewers
        writers = [users["admin"]] + [users[login] for login, _name, role in D.USERS
                                      if role != "viewer"]
        groups: dict[str, Group] = {}
        for gname, (glang, ncontacts, weights, foreign) in D.GROUPS.items():
            groups[gname] = _group(w, rng, gname, glang, ncontacts, weights, foreign, lang_ids,
                                   writers)
        companies = []
        for spec in D.COMPANIES:
            companies.append(_company(w, rng, groups[spec[0]], spec, users["admin"]))
        w.flush()

    shares = [spec[8] for spec in D.COMPANIES]
    targets = [total * s // sum(shares) for s in shares]
    targets[targets.index(max(targets))] += total - sum(targets)
    done = 0
    for (cid, fiscal_years), spec, target in zip(companies, D.COMPANIES, targets):
        group = groups[spec[0]]
        crng = random.Random(f"{seed}:{spec[1]}")
        journal = Journal(w, crng, group, cid, spec, fiscal_years, target, users, writers,
                          [(cc, n) for n, cc in group.company_contacts.items() if n != spec[1]],
                          progress, done, total)
        with db.transaction():
            journal.run()
            w.flush()
        done += target
        if progress:
            progress(done, total)
    db.after_explicit_ids(sorted(w.touched | {"users"}))


def _users(w: Writer, db: Database) -> dict[str, int]:
    users = {login: uid for uid, login in db.query("SELECT id, login FROM users ORDER BY id")}
    for login, name, role in D.USERS:
        if login not in users:
            uid = w.id("users")
            w.add("users", (uid, login, name, role, None))
            users[login] = uid
    return users


def _phone(rng: random.Random, area: str) -> str:
    return (f"+41 {area} {rng.randint(200, 999)} {rng.randint(0, 99):02d} "
            f"{rng.randint(0, 99):02d}")


def _mobile(rng: random.Random) -> str:
    return (f"+41 {rng.choice(('76', '77', '78', '79'))} {rng.randint(200, 999)} "
            f"{rng.randint(0, 99):02d} {rng.randint(0, 99):02d}")


_CANTON_SUFFIX = re.compile(r" [A-Z]{2}$")
_PO_BOX = {"fr": "Case postale", "de": "Postfach", "it": "Casella postale"}
_LEGAL = re.compile(r"\b(SA|Sàrl|AG|GmbH|Sagl|& Fils|& Figli|& Partner)\b")


def _domain(name: str) -> str:
    base = slug(_LEGAL.sub("", name)) or "firma"
    return base + ".ch"


def _contact_created(rng: random.Random) -> str:
    d = date(2019, 1, 1) + timedelta(days=rng.randint(0, 4 * 365 - 1))
    return _stamp(d.isoformat(), rng)


def _add_contact(w: Writer, rng: random.Random, gid: int, kind: str, name: str,
                 first: str | None, firm: int | None, lang: str, user_ids: list[int]) -> int:
    cid = w.id("contacts")
    w.add("contacts", (cid, gid, kind, name, first, firm, lang, rng.choice(user_ids),
                       _contact_created(rng)))
    return cid


def _add_address(w: Writer, cid: int, kind: str, street: str | None, postcode: str, city: str,
                 country: str = "CH") -> None:
    w.add("addresses", (w.id("addresses"), cid, kind, street, postcode, city, country))


def _add_comm(w: Writer, cid: int, kind: str, value: str) -> None:
    w.add("communications", (w.id("communications"), cid, kind, value))


def _group(w: Writer, rng: random.Random, gname: str, glang: str, ncontacts: int,
           weights: tuple[int, ...], foreign: bool, lang_ids: dict[str, int],
           user_ids: list[int]) -> Group:
    gid = w.id("company_groups")
    w.add("company_groups", (gid, _uid(rng), gname, _stamp("2022-12-01", rng)))

    currencies: dict[str, int] = {}
    for code, (decimals, names) in D.CURRENCIES.items():
        cur = w.id("currencies")
        currencies[code] = cur
        w.add("currencies", (cur, gid, code, names[glang], decimals))
    rates: dict[str, list[int]] = {}
    for code, monthly in D.MONTHLY_RATES.items():
        rates[code] = []
        for i, base in enumerate(monthly):
            micro = round(base * 1_000_000) + rng.randint(-1500, 1500)
            rates[code].append(micro)
            valid = f"{YEARS[0] + i // 12}-{i % 12 + 1:02d}-01"
            w.add("exchange_rates", (w.id("exchange_rates"), currencies[code], valid,
                                     _rate_str(micro)))

    accounts: dict[str, int] = {}
    langs = [(lang_ids[c], i) for c, i in (("fr", 2), ("de", 3), ("it", 4), ("en", 5))
             if c in lang_ids]
    for row in D.CHART:
        aid = w.id("accounts")
        accounts[row[0]] = aid
        cur = D.ACCOUNT_CURRENCY.get(row[0])
        w.add("accounts", (aid, gid, row[0], row[1], currencies[cur] if cur else None,
                           0 if row[0] in D.INACTIVE_ACCOUNTS else 1))
        for lid, i in langs:
            w.add("account_names", (w.id("account_names"), aid, lid, row[i]))

    vat: dict[tuple[str, str, int], tuple[int, int]] = {}
    for kind, prefix, account in (("output", "V", "2200"), ("input", "I", "1170")):
        for cls, (old, new) in D.VAT_RATES.items():
            for period, rate, valid_from, valid_to in (
                    (0, old, D.VAT_OLD_FROM, D.VAT_OLD_TO), (1, new, D.VAT_NEW_FROM, None)):
                vid = w.id("vat_codes")
                code = prefix + rate.replace(".", "")[:2]
                w.add("vat_codes", (vid, gid, code, kind, rate, valid_from, valid_to,
                                    accounts[account]))
                vat[(kind, cls, period)] = (vid, int(rate.replace(".", "")))
    exempt = w.id("vat_codes")
    w.add("vat_codes", (exempt, gid, "EX", "output", "0.00", D.VAT_OLD_FROM, None,
                        accounts["2200"]))

    articles: dict[str, tuple] = {}
    for code, unit, price, cls, account, *names in D.ARTICLES[gname]:
        art = w.id("articles")
        w.add("articles", (art, gid, code, unit, price, vat[("output", cls, 1)][0],
                           accounts[account]))
        texts = dict(zip(("fr", "de", "it", "en"), names))
        for lang, lid in lang_ids.items():
            if lang in texts:
                w.add("article_names", (w.id("article_names"), art, lid, texts[lang]))
        articles[code] = (art, unit, price, cls, accounts[account], texts)

    customers, abroad = _contacts(w, rng, gid, ncontacts, weights, foreign, user_ids)
    _suppliers(w, rng, gid, gname, user_ids)
    return Group(gid, gname, glang, accounts, currencies, rates, vat, exempt, articles,
                 customers, abroad, {})


def _contacts(w: Writer, rng: random.Random, gid: int, n: int, weights: tuple[int, ...],
              with_foreign: bool, user_ids: list[int]
              ) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    regions = ("fr", "de", "it")
    firms: list[tuple[int, str, str, str, str]] = []  # id, name, lang, domain, area
    customers: list[tuple[int, str]] = []
    names: set[str] = set()
    made = 0
    while made < n:
        lang = rng.choices(regions, weights)[0]
        postcode, city, _canton, area = rng.choice(D.CITIES[lang])
        street = f"{rng.choice(D.STREETS[lang])} {rng.randint(1, 120)}"
        if not firms or rng.random() < 0.4:
            name = ""
            for _ in range(20):
                name = rng.choice(D.FIRM_PATTERNS[lang]).format(
                    L=rng.choice(D.LAST_NAMES[lang]), C=_CANTON_SUFFIX.sub("", city))
                if name not in names:
                    break
            names.add(name)
            cid = _add_contact(w, rng, gid, "firm", name, None, None, lang, user_ids)
            _add_address(w, cid, "main", street, postcode, city)
            if rng.random() < 0.15:
                _add_address(w, cid, "billing", f"{_PO_BOX[lang]} {rng.randint(100, 9999)}",
                             postcode, city)
            domain = _domain(name)
            _add_comm(w, cid, "phone", _phone(rng, area))
            _add_comm(w, cid, "email", f"info@{domain}")
            if rng.random() < 0.7:
                _add_comm(w, cid, "web", f"https://www.{domain}")
            firms.append((cid, name, lang, domain, area))
            customers.append((cid, name))
        elif rng.random() < 0.5:
            fid, _fname, flang, domain, farea = rng.choice(firms)
            first = rng.choice(D.FIRST_NAMES[flang])
            last = rng.choice(D.LAST_NAMES[flang])
            cid = _add_contact(w, rng, gid, "person", last, first, fid, flang, user_ids)
            _add_comm(w, cid, "phone", _phone(rng, farea))
            _add_comm(w, cid, "email", f"{slug(first)}.{slug(last)}@{domain}")
        else:
            first = rng.choice(D.FIRST_NAMES[lang])
            last = rng.choice(D.LAST_NAMES[lang])
            cid = _add_contact(w, rng, gid, "person", last, first, None, lang, user_ids)
            _add_address(w, cid, "main", street, postcode, city)
            _add_comm(w, cid, "mobile", _mobile(rng))
            _add_comm(w, cid, "email", f"{slug(first)}.{slug(last)}@"
                                       f"{rng.choice(D.EMAIL_DOMAINS)}")
            if rng.random() < 0.3:
                _add_comm(w, cid, "phone", _phone(rng, area))
            customers.append((cid, f"{first} {last}"))
        made += 1
    foreign: list[tuple[int, str]] = []
    if with_foreign:  # groups trading across the border
        for name, street, postcode, city, country, lang in D.FOREIGN_FIRMS:
            cid = _add_contact(w, rng, gid, "firm", name, None, None, lang, user_ids)
            _add_address(w, cid, "main", street, postcode, city, country)
            _add_comm(w, cid, "email", f"info@{_domain(name)}")
            foreign.append((cid, name))
    return customers, foreign


def _suppliers(w: Writer, rng: random.Random, gid: int, gname: str,
               user_ids: list[int]) -> None:
    """The suppliers named in the purchases of the group's companies, as firm contacts."""
    seen: list[str] = []
    for spec in D.COMPANIES:
        if spec[0] == gname:
            for item in D.PURCHASES[spec[7]]:
                seen += [n for n in item[6] if n not in seen]
    for name in seen:
        lang = "de" if re.search(r"\b(AG|GmbH)\b", name) else "fr"
        postcode, city, _canton, area = rng.choice(D.CITIES[lang])
        cid = _add_contact(w, rng, gid, "firm", name, None, None, lang, user_ids)
        _add_address(w, cid, "main", f"{rng.choice(D.STREETS[lang])} {rng.randint(1, 120)}",
                     postcode, city)
        _add_comm(w, cid, "phone", _phone(rng, area))
        _add_comm(w, cid, "email", f"{'buchhaltung' if lang == 'de' else 'comptabilite'}@"
                                   f"{_domain(name)}")


def _company(w: Writer, rng: random.Random, g: Group, spec: tuple,
             admin: int) -> tuple[int, dict[int, int]]:
    _gname, name, form, lang, street, postcode, city, _profile, _share, _acct = spec
    contact = _add_contact(w, rng, g.id, "firm", name, None, None, lang, [admin])
    _add_address(w, contact, "main", street, postcode, city)
    area = next(c[3] for c in D.CITIES[lang] if c[0] == postcode)
    domain = _domain(name)
    _add_comm(w, contact, "phone", _phone(rng, area))
    _add_comm(w, contact, "email", f"info@{domain}")
    _add_comm(w, contact, "web", f"https://www.{domain}")
    g.company_contacts[name] = contact
    ide = random_ide(rng)
    vat_number = f"{ide} {'MWST' if lang == 'de' else 'IVA' if lang == 'it' else 'TVA'}"
    cid = w.id("companies")
    w.add("companies", (cid, g.id, _uid(rng), name, form, ide, vat_number, contact,
                        _stamp("2022-12-15", rng)))
    fiscal_years = {}
    for year in YEARS:
        fid = w.id("fiscal_years")
        w.add("fiscal_years", (fid, cid, str(year), f"{year}-01-01", f"{year}-12-31",
                               1 if year == YEARS[0] else 0))
        fiscal_years[year] = fid
    return cid, fiscal_years


# -- the journal of one company --------------------------------------------------------------
# Entry kinds and their weights by company profile.
PROFILES = {
    "holding": {"sale": 22, "dividend": 5, "loan_interest": 6, "purchase": 16, "split": 8,
                "expense": 8, "transfer": 6, "fx": 4},
    "services": {"sale": 34, "purchase": 18, "split": 8, "expense": 6, "transfer": 4, "fx": 3},
    "realestate": {"sale": 14, "rent_income": 34, "purchase": 20, "split": 6, "expense": 6,
                   "transfer": 4, "fx": 1},
    "bakery": {"cash_sale": 36, "sale": 18, "purchase": 22, "split": 6, "expense": 5,
               "transfer": 10},
    "workshop": {"sale": 34, "purchase": 24, "split": 8, "expense": 6, "transfer": 4, "fx": 4},
}
PROFILE_ARTICLES = {
    "holding": ("MGMT", "MGMT", "CONS-SR", "PROJ"),
    "services": ("CONS-SR", "CONS-JR", "PROJ", "IT-SUP", "IT-LIC", "FID", "SAL", "FORM",
                 "DEPL", "HEB", "SALLE", "PAP", "CAFE"),
    "realestate": ("GER", "CONC", "NET", "ETAT", "SALLE"),
}
QUANTITY = {  # unit → (low, high, step) in thousandths
    "h": (500, 16000, 250), "pce": (1000, 24000, 1000), "mois": (1000, 3000, 1000),
    "km": (10000, 400000, 1000), "jour": (1000, 3000, 500), "nuit": (1000, 5000, 1000),
    "kg": (5000, 50000, 500), "m": (500, 40000, 250), "m2": (1000, 20000, 500),
}
MISC_EXPENSES = (("6500", "Matériel de bureau", "Büromaterial"),
                 ("6513", "Frais de port", "Porti"),
                 ("6640", "Billets de train", "Bahnbillette"),
                 ("6660", "Repas d'affaires", "Geschäftsessen"),
                 ("5820", "Frais effectifs", "Spesen"),
                 ("6700", "Divers", "Diverses"),
                 ("6510", "Abonnement mobile", "Mobile-Abo"))
BANK_EXPENSES = (("6940", 500, 8000, "bank_fees"), ("6900", 5000, 200000, "interest"),
                 ("6300", 30000, 500000, "insurance"))


class Journal:
    def __init__(self, w: Writer, rng: random.Random, g: Group, company_id: int, spec: tuple,
                 fiscal_years: dict[int, int], target: int, users: dict[str, int],
                 writers: list[int], sisters: list[tuple[int, str]], progress: Progress | None, done_before: int,
                 total: int):
        self.w, self.rng, self.g, self.cid = w, rng, g, company_id
        self.name, self.lang, self.profile = spec[1], spec[3], spec[7]
        self.company_street, self.company_city = spec[4], f"{spec[5]} {spec[6]}"
        self.fy = {str(y): fid for y, fid in fiscal_years.items()}
        self.target = target
        self.accountant = users[spec[9]]
        self.user_ids = writers
        self.progress, self.done_before, self.total = progress, done_before, total
        self.T = D.TEXTS["de" if self.lang == "de" else "fr"]
        self.months = D.MONTHS["de" if self.lang == "de" else "fr"]
        self.acc = g.accounts
        self.done = 0
        self.numbers = {y: 0 for y in self.fy}
        self.invoice_numbers = {y: 0 for y in self.fy}
        self.entry_id = w.id("journal_entries")
        self.line_id = w.id("entry_lines")
        self.heap: list[tuple] = []
        self.heap_seq = 0
        self.vat_out: dict[int, int] = {}
        self.vat_in: dict[int, int] = {}
        self.entries = w.buf["journal_entries"]
        self.lines = w.buf["entry_lines"]
        self.invoices_made = 0
        self.receipts: set[str] = set()
        self.docs_target = max(3, min(40, target // 2500))
        self.docs_step = max(1, target // (12 * self.docs_target))
        self.docs_made = 0

        weights = PROFILES[self.profile]
        self.kinds = [getattr(self, "_" + k) for k in weights]
        self.cum = list(accumulate(weights.values()))
        codes = PROFILE_ARTICLES.get(self.profile) or tuple(g.articles)
        self.sale_articles = [(code, *g.articles[code]) for code in codes]
        self.customers = g.customers
        self.sisters = sisters if self.profile == "holding" else []
        self.purchases = D.PURCHASES[self.profile]
        # recurring entries (rent, wages, quarterly VAT) once the journal is big enough
        self.recurring = target >= RECURRING_FROM
        nemp = max(1, min(25, target // 15000))
        elang = "de" if self.lang == "de" else "fr"
        self.employees = [(f"{rng.choice(D.FIRST_NAMES[elang])} "
                           f"{rng.choice(D.LAST_NAMES[elang])}",
                           rng.randint(45, 110) * 10000) for _ in range(nemp)]
        self.rent = rng.randint(18, 90) * 10000
        self.rent_month = 0
        self.wage_month = 0

    # -- writing -------------------------------------------------------------------------
    def entry(self, day: str, journal: str, description: str, reference: str | None,
              lines: list[tuple]) -> int:
        rng = self.rng
        eid = self.entry_id
        self.entry_id = eid + 1
        year = day[:4]
        number = self.numbers[year] + 1
        self.numbers[year] = number
        user = self.accountant if rng.random() < 0.85 else rng.choice(self.user_ids)
        self.entries.append((eid, self.cid, self.fy[year], number, day, reference, description,
                             journal, user, _stamp(day, rng)))
        lid = self.line_id
        append = self.lines.append
        for line in lines:
            append((lid, eid, *line))
            lid += 1
        self.line_id = lid
        self.done += len(lines)
        if len(self.lines) >= BATCH:
            self.flush()
        return eid

    def flush(self) -> None:
        self.w.flush()
        if self.progress:
            self.progress(self.done_before + self.done, self.total)

    def fits(self, size: int) -> bool:
        left = self.target - self.done - size
        return left == 0 or left >= 2

    # -- the run ---------------------------------------------------------------------------
    def run(self) -> None:
        rng, target, nb = self.rng, self.target, len(DAYS)
        cum, kinds, top = self.cum, self.kinds, self.cum[-1]
        heap = self.heap
        while self.done < target:
            day = DAYS[self.done * nb // target]
            if self.recurring:
                self._recurring(day)
            while heap and heap[0][0] <= day:
                item = heapq.heappop(heap)
                item[2](day, *item[3])
            left = target - self.done
            if left <= 0:
                break
            if left <= 7:
                self._split(day, left if left <= 5 else 3)
                continue
            kinds[bisect_right(cum, rng.random() * top)](day)
        for item in heap:  # never paid within the three years
            item[2](None, *item[3])
        heap.clear()
        self.w.next["journal_entries"] = self.entry_id
        self.w.next["entry_lines"] = self.line_id

    def later(self, day: str, action: Callable, *args) -> None:
        self.heap_seq += 1
        heapq.heappush(self.heap, (day, self.heap_seq, action, args))

    # -- recurring entries ------------------------------------------------------------------
    def _recurring(self, day: str) -> None:
        month = _month_index(day)
        T = self.T
        while self.rent_month <= month:
            m = self.rent_month
            label = f"{self.months[m % 12]} {YEARS[0] + m // 12}"
            if m % 3 == 0 and m > 0:
                self._vat_settlement(day, m // 3 - 1)
            if self.fits(2):
                self.entry(day, "bank", f"{T['rent']} {label}", None, [
                    (self.acc["6000"], self.rent, 0, None, None, None, None, None),
                    (self.acc["1020"], 0, self.rent, None, None, None, None, None)])
            self.rent_month += 1
        while self.wage_month < month or (self.wage_month == month and day[8:] >= "25"):
            m = self.wage_month
            label = f"{self.months[m % 12]} {YEARS[0] + m // 12}"
            for name, gross in self.employees:
                if not self.fits(4):
                    break
                employee = _vat_of_net(gross, 1240)  # AVS/AI/APG/AC, LPP, AANP
                employer = _vat_of_net(gross, 1450)
                self.entry(day, "payroll", f"{T['wages']} {label} – {name}", None, [
                    (self.acc["5000"], gross, 0, None, None, None, None, T["gross"]),
                    (self.acc["5700"], employer, 0, None, None, None, None, T["employer"]),
                    (self.acc["2270"], 0, employee + employer, None, None, None, None,
                     T["social"]),
                    (self.acc["1020"], 0, gross - employee, None, None, None, None, T["net"])])
            self.wage_month += 1

    def _vat_settlement(self, day: str, quarter: int) -> None:
        out, inp = self.vat_out.pop(quarter, 0), self.vat_in.pop(quarter, 0)
        lines = []
        if out:
            lines.append((self.acc["2200"], out, 0, None, None, None, None, None))
        if inp:
            lines.append((self.acc["1170"], 0, inp, None, None, None, None, None))
        if out != inp:
            diff = out - inp
            lines.append((self.acc["1020"], max(-diff, 0), max(diff, 0), None, None, None,
                          None, None))
        if len(lines) >= 2 and self.fits(len(lines)):
            label = f"{self.T['vat']} {self.T['vat_quarter']}{quarter % 4 + 1} " \
                    f"{YEARS[0] + quarter // 4}"
            self.entry(day, "general", label, None, lines)

    # -- sales -----------------------------------------------------------------------------
    def _customer(self) -> tuple[int, str, bool]:
        rng = self.rng
        if self.g.foreign and not self.sisters and rng.random() < 0.03:
            cid, name = rng.choice(self.g.foreign)
            return cid, name, True
        if self.sisters:
            cid, name = rng.choice(self.sisters)
            return cid, name, False
        cid, name = rng.choice(self.customers)
        return cid, name, False

    def _sale(self, day: str) -> None:
        rng, g, T = self.rng, self.g, self.T
        contact, cname, foreign = self._customer()
        currency = "EUR" if foreign else "CHF"
        period = 0 if day < D.VAT_NEW_FROM else 1
        micro = g.rates["EUR"][_month_index(day)] if foreign else 0
        items = []
        combos: dict[tuple[int, int], int] = {}
        rates: dict[int, int] = {}
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
            code, art, unit, price, cls, account, texts = rng.choice(self.sale_articles)
            low, high, step = QUANTITY[unit]
            if unit == "pce" and price >= 1500:
                qty = rng.choice((1000, 1000, 1000, 2000, 3000))
            else:
                qty = rng.randrange(low, high + 1, step)
                if self.profile == "bakery" and unit == "pce":
                    qty *= 5
            vat_id, rate = (g.exempt_vat, 0) if foreign else g.vat[("output", cls, period)]
            key = (account, vat_id)
            if key not in combos and len(combos) == (1 if foreign else 2):
                continue
            amount = (qty * price + 500) // 1000
            combos[key] = combos.get(key, 0) + amount
            rates[vat_id] = rate
            items.append((art, texts.get(self.lang, texts["fr"]), _quantity(qty), price, vat_id,
                          amount))
        nets: dict[int, int] = {}  # VAT is computed per rate on the invoice's net total
        for (_account, vat_id), net in combos.items():
            nets[vat_id] = nets.get(vat_id, 0) + net
        vats = {vat_id: _vat_of_net(net, rates[vat_id]) for vat_id, net in nets.items()}
        total = sum(combos.values()) + sum(vats.values())
        size = 1 + len(combos) + sum(1 for v in vats.values() if v)
        if not self.fits(size):
            self._split(day, 2)
            return

        year = day[:4]
        seq = self.invoice_numbers[year] + 1
        self.invoice_numbers[year] = seq
        number = f"{year}-{seq:06d}"
        description = f"{T['invoice']} {number} – {cname}"
        if foreign:
            rate_s = _rate_str(micro)
            credits = [(account, 0, _conv(net, micro), vat_id, g.currencies["EUR"],
                        net, rate_s, None) for (account, vat_id), net in combos.items()]
            chf_total = sum(c[2] for c in credits)
            lines = [(self.acc["1100"], chf_total, 0, None, g.currencies["EUR"], total, rate_s,
                      None), *credits]
        else:
            chf_total = total
            lines = [(self.acc["1100"], total, 0, None, None, None, None, None)]
            lines += [(account, 0, net, vat_id, None, None, None, None)
                      for (account, vat_id), net in combos.items()]
            lines += [(self.acc["2200"], 0, v, vat_id, None, None, None, None)
                      for vat_id, v in vats.items() if v]
            quarter = _month_index(day) // 3
            self.vat_out[quarter] = self.vat_out.get(quarter, 0) + sum(vats.values())
        eid = self.entry(day, "sales", description, number, lines)

        w = self.w
        inv = w.id("invoices")
        for art, text, qty, price, vat_id, amount in items:
            w.add("invoice_lines", (w.id("invoice_lines"), inv, art, text, qty, price, vat_id,
                                    amount))
        qr = qr_reference(f"{self.cid:04d}{contact:08d}{year}{seq:010d}")
        due = _add_days(day, 30)
        row = (inv, self.cid, number, contact, day, due, g.currencies[currency], qr, total)
        self.invoices_made += 1
        if self.docs_made < self.docs_target and (self.invoices_made - 1) % self.docs_step == 0:
            self._document(eid, day, f"facture-{number}.pdf" if self.lang != "de"
                           else f"rechnung-{number}.pdf", [
                               f"{T['document']} {number}", self.name, self.company_street,
                               self.company_city, "", f"{T['customer']}: {cname}",
                               f"{T['date']}: {_swiss_date(day)}",
                               f"{T['due']}: {_swiss_date(due)}",
                               f"{T['total']}: {currency} {_money(total)}",
                               f"{T['reference']}: {qr}"])
            self.docs_made += 1
        if rng.random() < 0.92:
            pay_day = _add_days(day, rng.randint(5, 60))
            if pay_day <= LAST_DAY:
                self.later(pay_day, self._payment, row, eid, cname, chf_total, micro)
                return
        self._payment(None, row, eid, cname, chf_total, micro)

    def _payment(self, day: str | None, row: tuple, sale_entry: int, cname: str,
                 chf_sale: int, micro_sale: int) -> None:
        w, g, T = self.w, self.g, self.T
        inv, _cid, number, _contact, _date, due, currency_id, _qr, total = row
        if day is not None:
            foreign = currency_id != g.currencies["CHF"]
            if foreign:
                micro = g.rates["EUR"][_month_index(day)]
                chf_pay = _conv(total, micro)
                eur = g.currencies["EUR"]
                lines = [(self.acc["1021"], chf_pay, 0, None, eur, total, _rate_str(micro), None),
                         (self.acc["1100"], 0, chf_sale, None, eur, total,
                          _rate_str(micro_sale), None)]
                diff = chf_pay - chf_sale
                if diff:
                    lines.append((self.acc["3806"], max(-diff, 0), max(diff, 0), None, None,
                                  None, None, T["fx_diff"]))
            else:
                bank = self.acc["1010"] if self.rng.random() < 0.25 else self.acc["1020"]
                lines = [(bank, total, 0, None, None, None, None, None),
                         (self.acc["1100"], 0, total, None, None, None, None, None)]
            if self.fits(len(lines)):
                eid = self.entry(day, "bank", f"{T['payment']} {number} – {cname}", number,
                                 lines)
                w.add("payments", (w.id("payments"), inv, day, total, eid))
                w.add("invoices", (*row, "paid", sale_entry))
                return
        w.add("invoices", (*row, "overdue" if due < LAST_DAY else "open", sale_entry))

    def _cash_sale(self, day: str) -> None:
        rng, g = self.rng, self.g
        period = 0 if day < D.VAT_NEW_FROM else 1
        parts = [("R", rng.randint(30_000, 250_000))]
        if rng.random() < 0.6:
            parts.append(("N", rng.randint(2_000, 30_000)))
        lines, vat_sum = [], 0
        for cls, gross in parts:
            vat_id, rate = g.vat[("output", cls, period)]
            net = _net_of_gross(gross, rate)
            lines.append((self.acc["3200"], 0, net, vat_id, None, None, None, None))
            lines.append((self.acc["2200"], 0, gross - net, vat_id, None, None, None, None))
            vat_sum += gross - net
        total = sum(gross for _, gross in parts)
        lines.insert(0, (self.acc["1000"], total, 0, None, None, None, None, None))
        if not self.fits(len(lines)):
            self._split(day, 2)
            return
        quarter = _month_index(day) // 3
        self.vat_out[quarter] = self.vat_out.get(quarter, 0) + vat_sum
        self.entry(day, "cash", f"{self.T['cash_sale']} {_swiss_date(day)}", None,
                   lines)

    def _rent_income(self, day: str) -> None:
        rng = self.rng
        cid, tenant = rng.choice(self.customers)
        amount = rng.randint(240, 900) * 500
        label = f"{self.months[int(day[5:7]) - 1]} {day[:4]}"
        self.entry(day, "bank", f"{self.T['rent_income']} {label} – {tenant}", None, [
            (self.acc["1020"], amount, 0, None, None, None, None, None),
            (self.acc["7500"], 0, amount, None, None, None, None, self.T["tenant"])])

    def _dividend(self, day: str) -> None:
        gross = self.rng.randint(100, 2000) * 10000
        tax = gross * 35 // 100
        self.entry(day, "bank", self.T["dividend"], None, [
            (self.acc["1020"], gross - tax, 0, None, None, None, None, None),
            (self.acc["1176"], tax, 0, None, None, None, None, None),
            (self.acc["6950"], 0, gross, None, None, None, None, None)])

    def _loan_interest(self, day: str) -> None:
        amount = self.rng.randint(500, 20000) * 100
        self.entry(day, "bank", self.T["interest"], None, [
            (self.acc["1020"], amount, 0, None, None, None, None, None),
            (self.acc["6950"], 0, amount, None, None, None, None, None)])

    # -- purchases and expenses ----------------------------------------------------------------
    def _purchase(self, day: str) -> None:
        rng, g, T = self.rng, self.g, self.T
        account, cls, low, high, text_fr, text_de, suppliers = rng.choice(self.purchases)
        text = text_de if self.lang == "de" else text_fr
        supplier = rng.choice(suppliers)
        gross = rng.randint(low * 100, high * 100)
        direct = rng.random() < 0.35
        credit = self.acc["1020"] if direct else self.acc["2000"]
        if cls:
            vat_id, rate = g.vat[("input", cls, 0 if day < D.VAT_NEW_FROM else 1)]
            net = _net_of_gross(gross, rate)
            lines = [(self.acc[account], net, 0, vat_id, None, None, None, text),
                     (self.acc["1170"], gross - net, 0, vat_id, None, None, None, None),
                     (credit, 0, gross, None, None, None, None, None)]
            quarter = _month_index(day) // 3
            self.vat_in[quarter] = self.vat_in.get(quarter, 0) + gross - net
        else:
            lines = [(self.acc[account], gross, 0, None, None, None, None, text),
                     (credit, 0, gross, None, None, None, None, None)]
        reference = f"{rng.randint(10000, 999999)}"
        eid = self.entry(day, "purchases", f"{T['purchase']} {supplier} – {text}", reference,
                         lines)
        if day[:4] not in self.receipts:
            self.receipts.add(day[:4])
            self._document(eid, day, f"{slug(T['receipt'])}-{day[:4]}-{reference}.pdf", [
                f"{T['receipt']} {reference}", supplier, "", f"{T['date']}: {_swiss_date(day)}",
                text,
                f"{T['total']}: CHF {_money(gross)}", f"{self.name}, {self.company_city}"])
        if not direct:
            pay_day = _add_days(day, rng.randint(10, 45))
            if pay_day <= LAST_DAY:
                self.later(pay_day, self._supplier_payment, supplier, reference, gross)

    def _supplier_payment(self, day: str | None, supplier: str, reference: str,
                          amount: int) -> None:
        if day is None or not self.fits(2):
            return
        self.entry(day, "bank", f"{self.T['supplier_payment']} {supplier}", reference, [
            (self.acc["2000"], amount, 0, None, None, None, None, None),
            (self.acc["1020"], 0, amount, None, None, None, None, None)])

    def _expense(self, day: str) -> None:
        account, low, high, key = self.rng.choice(BANK_EXPENSES)
        amount = self.rng.randint(low, high)
        self.entry(day, "bank", self.T[key], None, [
            (self.acc[account], amount, 0, None, None, None, None, None),
            (self.acc["1020"], 0, amount, None, None, None, None, None)])

    def _transfer(self, day: str) -> None:
        rng, T = self.rng, self.T
        if self.profile == "bakery" or rng.random() < 0.3:
            amount = rng.randint(50, 800) * 1000
            debit, credit, text = "1020", "1000", T["cash_deposit"]
        else:
            amount = rng.randint(10, 500) * 10000
            debit, credit = ("1010", "1020") if rng.random() < 0.5 else ("1020", "1010")
            text = T["transfer"]
        self.entry(day, "bank", text, None, [
            (self.acc[debit], amount, 0, None, None, None, None, None),
            (self.acc[credit], 0, amount, None, None, None, None, None)])

    def _split(self, day: str, n: int | None = None) -> None:
        """A card or petty-cash statement split over several expense accounts."""
        rng = self.rng
        n = n or rng.choice((3, 3, 4, 5))
        lines, total = [], 0
        for _ in range(n - 1):
            account, fr, de = rng.choice(MISC_EXPENSES)
            amount = rng.randint(500, 40000)
            total += amount
            lines.append((self.acc[account], amount, 0, None, None, None, None,
                          de if self.lang == "de" else fr))
        lines.append((self.acc["1020"], 0, total, None, None, None, None, None))
        self.entry(day, "general", self.T["misc"], None, lines)

    def _fx(self, day: str) -> None:
        rng, g, T = self.rng, self.g, self.T
        supplier, currency = rng.choice(D.FOREIGN_SUPPLIERS)
        micro = g.rates[currency][_month_index(day)]
        fc = rng.randint(100, 8000) * 100
        chf = _conv(fc, micro)
        if currency == "USD":
            account = "6570"
        else:
            account = "4000" if self.profile == "workshop" else "4200"
        self.entry(day, "purchases", f"{T['fx']} {currency} – {supplier}", None, [
            (self.acc[account], chf, 0, None, None, None, None, supplier),
            (self.acc["1021" if currency == "EUR" else "1022"], 0, chf, None,
             g.currencies[currency], fc, _rate_str(micro), None)])

    # -- documents -------------------------------------------------------------------------
    def _document(self, entry_id: int, day: str, filename: str, lines: list[str]) -> None:
        w = self.w
        w.add("documents", (w.id("documents"), self.cid, entry_id, filename, "application/pdf",
                            one_page_pdf(lines, title=lines[0]), _stamp(day, self.rng)))

