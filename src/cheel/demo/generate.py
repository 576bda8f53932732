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

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

from ..store.catalog import Catalog, OrgEntry
from ..store.engines import Database
from ..store import staging
from ..progress import Progress
from . import chart
from . import data
from .common import YEARS, Group, Writer, rate_text, stamp_on, random_uid, random_ide, slug
from .journal import Journal

MIN_ENTRIES = 500  # fewer lines than this cannot show every kind of entry
DEMO_LANGUAGES = ("fr", "de", "it", "en")



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
    new = staging.begin(catalog, options.name, options.postgres)
    try:
        _fill(new.open(DEMO_LANGUAGES), options.seed, total, progress)
        return new.publish()
    except BaseException:
        new.discard()
        raise


def _fill(db: Database, seed: int, total: int, progress: Progress | None) -> None:
    rng = random.Random(seed)
    w = Writer(db)
    lang_ids = {code: lid for lid, code in
                db.query("SELECT id, code FROM languages ORDER BY id")}
    with db.transaction():
        users = _users(w, db)
        # users who write: everyone but read-only viewers
        writers = [users["admin"]] + [users[login] for login, _name, role in data.USERS
                                      if role != "viewer"]
        groups: dict[str, Group] = {}
        for gname, (glang, ncontacts, weights, foreign) in data.GROUPS.items():
            groups[gname] = _group(w, rng, gname, glang, ncontacts, weights, foreign, lang_ids,
                                   writers)
        companies = []
        for spec in data.COMPANIES:
            companies.append(_company(w, rng, groups[spec[0]], spec, users["admin"]))
        w.flush()

    shares = [spec[8] for spec in data.COMPANIES]
    targets = [total * s // sum(shares) for s in shares]
    targets[targets.index(max(targets))] += total - sum(targets)
    done = 0
    for (cid, fiscal_years), spec, target in zip(companies, data.COMPANIES, targets):
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
    # Statistics for the planner right away, as after any bulk load (autovacuum would take
    # them later, if the server runs it): without them PostgreSQL takes any company for an
    # average one and scans a large table to find a small group's rows.
    db.analyze()


def _users(w: Writer, db: Database) -> dict[str, int]:
    users = {login: uid for uid, login in db.query("SELECT id, login FROM users ORDER BY id")}
    for login, name, role in data.USERS:
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
    return stamp_on(d.isoformat(), rng)


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
    w.add("company_groups", (gid, random_uid(rng), gname, stamp_on("2022-12-01", rng)))

    currencies: dict[str, int] = {}
    for code, (decimals, names) in data.CURRENCIES.items():
        cur = w.id("currencies")
        currencies[code] = cur
        w.add("currencies", (cur, gid, code, names[glang], decimals))
    rates: dict[str, list[int]] = {}
    for code, monthly in data.MONTHLY_RATES.items():
        rates[code] = []
        for i, base in enumerate(monthly):
            micro = round(base * 1_000_000) + rng.randint(-1500, 1500)
            rates[code].append(micro)
            valid = f"{YEARS[0] + i // 12}-{i % 12 + 1:02d}-01"
            w.add("exchange_rates", (w.id("exchange_rates"), currencies[code], valid,
                                     rate_text(micro)))

    accounts: dict[str, int] = {}
    langs = [(lang_ids[c], i) for c, i in (("fr", 2), ("de", 3), ("it", 4), ("en", 5))
             if c in lang_ids]
    for row in chart.CHART:
        aid = w.id("accounts")
        accounts[row[0]] = aid
        cur = chart.ACCOUNT_CURRENCY.get(row[0])
        w.add("accounts", (aid, gid, row[0], row[1], currencies[cur] if cur else None,
                           0 if row[0] in chart.INACTIVE_ACCOUNTS else 1))
        for lid, i in langs:
            w.add("account_names", (w.id("account_names"), aid, lid, row[i]))

    vat: dict[tuple[str, str, int], tuple[int, int]] = {}
    for kind, prefix, account in (("output", "V", "2200"), ("input", "I", "1170")):
        for cls, (old, new) in data.VAT_RATES.items():
            for period, rate, valid_from, valid_to in (
                    (0, old, data.VAT_OLD_FROM, data.VAT_OLD_TO),
                    (1, new, data.VAT_NEW_FROM, None)):
                vid = w.id("vat_codes")
                code = prefix + rate.replace(".", "")[:2]
                w.add("vat_codes", (vid, gid, code, kind, rate, valid_from, valid_to,
                                    accounts[account]))
                vat[(kind, cls, period)] = (vid, int(rate.replace(".", "")))
    exempt = w.id("vat_codes")
    w.add("vat_codes", (exempt, gid, "EX", "output", "0.00", data.VAT_OLD_FROM, None,
                        accounts["2200"]))

    articles: dict[str, tuple] = {}
    for code, unit, price, cls, account, *names in data.ARTICLES[gname]:
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
        postcode, city, _canton, area = rng.choice(data.CITIES[lang])
        street = f"{rng.choice(data.STREETS[lang])} {rng.randint(1, 120)}"
        if not firms or rng.random() < 0.4:
            name = ""
            for _ in range(20):
                name = rng.choice(data.FIRM_PATTERNS[lang]).format(
                    L=rng.choice(data.LAST_NAMES[lang]), C=_CANTON_SUFFIX.sub("", city))
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
            first = rng.choice(data.FIRST_NAMES[flang])
            last = rng.choice(data.LAST_NAMES[flang])
            cid = _add_contact(w, rng, gid, "person", last, first, fid, flang, user_ids)
            _add_comm(w, cid, "phone", _phone(rng, farea))
            _add_comm(w, cid, "email", f"{slug(first)}.{slug(last)}@{domain}")
        else:
            first = rng.choice(data.FIRST_NAMES[lang])
            last = rng.choice(data.LAST_NAMES[lang])
            cid = _add_contact(w, rng, gid, "person", last, first, None, lang, user_ids)
            _add_address(w, cid, "main", street, postcode, city)
            _add_comm(w, cid, "mobile", _mobile(rng))
            _add_comm(w, cid, "email", f"{slug(first)}.{slug(last)}@"
                                       f"{rng.choice(data.EMAIL_DOMAINS)}")
            if rng.random() < 0.3:
                _add_comm(w, cid, "phone", _phone(rng, area))
            customers.append((cid, f"{first} {last}"))
        made += 1
    foreign: list[tuple[int, str]] = []
    if with_foreign:  # groups trading across the border
        for name, street, postcode, city, country, lang in data.FOREIGN_FIRMS:
            cid = _add_contact(w, rng, gid, "firm", name, None, None, lang, user_ids)
            _add_address(w, cid, "main", street, postcode, city, country)
            _add_comm(w, cid, "email", f"info@{_domain(name)}")
            foreign.append((cid, name))
    return customers, foreign


def _suppliers(w: Writer, rng: random.Random, gid: int, gname: str,
               user_ids: list[int]) -> None:
    """The suppliers named in the purchases of the group's companies, as firm contacts."""
    seen: list[str] = []
    for spec in data.COMPANIES:
        if spec[0] == gname:
            for item in data.PURCHASES[spec[7]]:
                seen += [n for n in item[6] if n not in seen]
    for name in seen:
        lang = "de" if re.search(r"\b(AG|GmbH)\b", name) else "fr"
        postcode, city, _canton, area = rng.choice(data.CITIES[lang])
        cid = _add_contact(w, rng, gid, "firm", name, None, None, lang, user_ids)
        _add_address(w, cid, "main", f"{rng.choice(data.STREETS[lang])} {rng.randint(1, 120)}",
                     postcode, city)
        _add_comm(w, cid, "phone", _phone(rng, area))
        _add_comm(w, cid, "email", f"{'buchhaltung' if lang == 'de' else 'comptabilite'}@"
                                   f"{_domain(name)}")


def _company(w: Writer, rng: random.Random, g: Group, spec: tuple,
             admin: int) -> tuple[int, dict[int, int]]:
    _gname, name, form, lang, street, postcode, city, _profile, _share, _acct = spec
    contact = _add_contact(w, rng, g.id, "firm", name, None, None, lang, [admin])
    _add_address(w, contact, "main", street, postcode, city)
    area = next(c[3] for c in data.CITIES[lang] if c[0] == postcode)
    domain = _domain(name)
    _add_comm(w, contact, "phone", _phone(rng, area))
    _add_comm(w, contact, "email", f"info@{domain}")
    _add_comm(w, contact, "web", f"https://www.{domain}")
    g.company_contacts[name] = contact
    ide = random_ide(rng)
    vat_number = f"{ide} {'MWST' if lang == 'de' else 'IVA' if lang == 'it' else 'TVA'}"
    cid = w.id("companies")
    w.add("companies", (cid, g.id, random_uid(rng), name, form, ide, vat_number, contact,
                        stamp_on("2022-12-15", rng)))
    fiscal_years = {}
    for year in YEARS:
        fid = w.id("fiscal_years")
        w.add("fiscal_years", (fid, cid, str(year), f"{year}-01-01", f"{year}-12-31",
                               1 if year == YEARS[0] else 0))
        fiscal_years[year] = fid
    return cid, fiscal_years
