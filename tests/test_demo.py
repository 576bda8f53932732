"""``create_demo`` on real SQLite files and a real PostgreSQL server: integrity and content."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest

from cheel.demo import MIN_ENTRIES, DemoOptions, create_demo
from cheel.errors import AlreadyExists
from cheel.store import schema as S
from cheel.store.catalog import Catalog
from cheel.store.organizations import describe, drop_database, opened

LINES = 2000


# -- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def demo(request, tmp_path_factory):
    """One demo organization per engine (2000 lines), shared by the tests of this module."""
    catalog = Catalog(tmp_path_factory.mktemp(f"demo-{request.param}"))
    postgres = None
    if request.param == "postgres":
        url = request.getfixturevalue("pg_url")
        postgres = f"{url}/cheel_test_demo_{uuid.uuid4().hex[:10]}"
    calls: list[tuple[int, int]] = []
    entry = create_demo(catalog, DemoOptions(name="Demo SA", entries=LINES, seed=7,
                                             postgres=postgres),
                        progress=lambda done, total: calls.append((done, total)))
    with opened(catalog, entry.name) as (_, db):
        yield catalog, entry, db, calls
    drop_database(catalog, entry)


def _db(demo):
    return demo[2]


def _group_id(db, name):
    return db.scalar("SELECT id FROM company_groups WHERE name = ?", (name,))


def content_hash(db) -> str:
    """A hash of every row of every table, in canonical form and id order."""
    h = hashlib.sha256()
    for key, value in db.query("SELECT key, value FROM meta ORDER BY key"):
        h.update(repr((key, value)).encode())
    for t in S.TABLES:
        exprs = ", ".join(db.select_expr(c, "t0") for c in t.columns)
        h.update(t.name.encode())
        for row in db.query(f"SELECT {exprs} FROM {t.name} t0 ORDER BY t0.id"):
            h.update(repr(tuple(bytes(v) if isinstance(v, memoryview) else v
                                for v in row)).encode())
    return h.hexdigest()


# -- independent check-digit implementations ------------------------------------------------
def ide_valid(ide: str) -> bool:
    m = re.fullmatch(r"CHE-(\d{3})\.(\d{3})\.(\d{3})", ide)
    if not m:
        return False
    digits = [int(c) for c in "".join(m.groups())]
    rest = sum(w * d for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4), digits)) % 11
    check = (11 - rest) % 11
    return check != 10 and check == digits[8]


def qr_valid(ref: str) -> bool:
    if not re.fullmatch(r"\d{27}", ref):
        return False
    table = (0, 9, 4, 6, 8, 2, 7, 1, 3, 5)
    carry = 0
    for ch in ref[:26]:
        carry = table[(carry + int(ch)) % 10]
    return (10 - carry) % 10 == int(ref[26])


def test_check_digit_references():
    # Published examples: the UID of the Swiss Federal Chancellery and a SIX QR reference.
    assert ide_valid("CHE-116.281.710")
    assert not ide_valid("CHE-116.281.711")
    assert qr_valid("210000000003139471430009017")
    assert not qr_valid("210000000003139471430009018")


# -- integrity ------------------------------------------------------------------------------
def test_exact_number_of_lines_and_progress(demo):
    db, calls = _db(demo), demo[3]
    assert db.scalar("SELECT count(*) FROM entry_lines") == LINES
    assert calls and calls[-1] == (LINES, LINES)
    done = [c[0] for c in calls]
    assert done == sorted(done)
    assert all(total == LINES for _, total in calls)


@pytest.mark.postgres
def test_postgres_demo_has_planner_statistics(tmp_path, pg_url, pg_dbname):
    """A bulk-filled PostgreSQL demo is analyzed: its planner knows how the rows spread."""
    catalog = Catalog(tmp_path / "data")
    entry = create_demo(catalog, DemoOptions(name="Stats SA", entries=500,
                                             postgres=f"{pg_url}/{pg_dbname()}"))
    with opened(catalog, entry.name) as (_, db):
        analyzed = {t for (t,) in db.query("SELECT DISTINCT tablename FROM pg_stats "
                                           "WHERE schemaname = 'public'")}
    assert {"journal_entries", "entry_lines", "companies"} <= analyzed


def test_registered_in_catalog(demo):
    catalog, entry = demo[0], demo[1]
    assert catalog.find("Demo SA").engine == entry.engine
    info = describe(catalog, entry)
    assert info["languages"] == ["fr", "de", "it", "en"]
    assert {g["name"] for g in info["groups"]} == {
        "Groupe Helvetia", "Boulangerie Favre Sàrl", "Atelier Keller GmbH"}


def test_every_foreign_key_resolves(demo):
    db = _db(demo)
    checked = 0
    for t in S.TABLES:
        for c in t.foreign_keys:
            dangling = db.scalar(
                f"SELECT count(*) FROM {t.name} t0 LEFT JOIN {c.ref} r ON r.id = t0.{c.name} "
                f"WHERE t0.{c.name} IS NOT NULL AND r.id IS NULL")
            assert dangling == 0, f"{t.name}.{c.name} has {dangling} dangling references"
            if not c.nullable:
                assert db.scalar(f"SELECT count(*) FROM {t.name} WHERE {c.name} IS NULL") == 0
            checked += 1
    assert checked >= 30


def test_references_stay_inside_their_group(demo):
    """A row only references group data of its own company group."""
    db = _db(demo)
    group_of: dict[str, dict[int, int]] = {S.GROUP_TABLE: {
        r[0]: r[0] for r in db.query("SELECT id FROM company_groups")}}
    for t in S.TABLES:
        if t.scope == S.ORG or t.name == S.GROUP_TABLE:
            continue
        parent = t.column(t.via).ref
        group_of[t.name] = {i: group_of[parent][p] for i, p in
                            db.query(f"SELECT id, {t.via} FROM {t.name}")}
    for t in S.TABLES:
        if t.name not in group_of or t.name == S.GROUP_TABLE:
            continue
        for c in t.foreign_keys:
            if c.ref not in group_of or c.name == t.via:
                continue
            for rid, ref in db.query(f"SELECT id, {c.name} FROM {t.name} "
                                     f"WHERE {c.name} IS NOT NULL"):
                assert group_of[c.ref][ref] == group_of[t.name][rid], (t.name, c.name, rid)


def test_every_entry_balances(demo):
    db = _db(demo)
    assert db.scalar("SELECT count(*) FROM (SELECT entry_id FROM entry_lines GROUP BY entry_id "
                     "HAVING sum(debit) <> sum(credit)) x") == 0
    assert db.scalar("SELECT count(*) FROM journal_entries e WHERE NOT EXISTS "
                     "(SELECT 1 FROM entry_lines l WHERE l.entry_id = e.id)") == 0
    assert db.scalar("SELECT count(*) FROM entry_lines WHERE debit < 0 OR credit < 0 "
                     "OR (debit = 0 AND credit = 0) OR (debit <> 0 AND credit <> 0)") == 0
    sizes = {r[0] for r in db.query(
        "SELECT count(*) FROM entry_lines GROUP BY entry_id")}
    assert {2, 3, 4, 5} <= sizes


def test_entries_are_dated_in_their_fiscal_year_and_numbered(demo):
    db = _db(demo)
    assert db.scalar(
        "SELECT count(*) FROM journal_entries e JOIN fiscal_years f ON f.id = e.fiscal_year_id "
        "WHERE e.date < f.start_date OR e.date > f.end_date OR f.company_id <> e.company_id") == 0
    assert db.scalar(
        "SELECT count(*) FROM (SELECT fiscal_year_id, number FROM journal_entries "
        "GROUP BY fiscal_year_id, number HAVING count(*) > 1) x") == 0
    years = db.query("SELECT company_id, name, closed FROM fiscal_years "
                     "ORDER BY company_id, name")
    assert len(years) == 15
    for _company, name, closed in years:
        assert closed == (name == "2023")
    # every fiscal year of every company has entries
    assert db.scalar("SELECT count(DISTINCT fiscal_year_id) FROM journal_entries") == 15


def test_journal_has_every_kind_of_entry(demo):
    db = _db(demo)
    journals = {r[0] for r in db.query("SELECT DISTINCT journal FROM journal_entries")}
    assert {"sales", "purchases", "bank", "payroll", "cash", "general"} <= journals

    def accounts_of(eid):
        return sorted(r[0] for r in db.query(
            "SELECT a.number FROM entry_lines l JOIN accounts a ON a.id = l.account_id "
            "WHERE l.entry_id = ?", (eid,)))

    wages = db.query("SELECT id FROM journal_entries WHERE journal = 'payroll' LIMIT 5")
    assert wages and all(accounts_of(e) == ["1020", "2270", "5000", "5700"] for e, in wages)
    rent = db.scalar(
        "SELECT count(*) FROM entry_lines l JOIN accounts a ON a.id = l.account_id "
        "WHERE a.number = '6000' AND l.debit > 0")
    assert rent >= 12
    purchases = db.query("SELECT id FROM journal_entries WHERE journal = 'purchases' "
                         "AND id IN (SELECT entry_id FROM entry_lines WHERE vat_code_id "
                         "IS NOT NULL) LIMIT 5")
    assert purchases and all("1170" in accounts_of(e) for e, in purchases)
    # quarterly VAT settlements clear output tax against input tax
    settlements = db.query("SELECT id FROM journal_entries WHERE description LIKE 'Décompte TVA%'")
    assert settlements
    for e, in settlements:
        accounts = set(accounts_of(e))
        assert accounts <= {"2200", "1170", "1020"} and accounts & {"2200", "1170"}


def test_lines_distributed_most_to_helvetia(demo):
    db = _db(demo)
    per = dict(db.query(
        "SELECT c.name, count(*) FROM entry_lines l JOIN journal_entries e ON e.id = l.entry_id "
        "JOIN companies c ON c.id = e.company_id GROUP BY c.name"))
    assert len(per) == 5
    helvetia = sum(n for name, n in per.items() if name.startswith("Helvetia"))
    assert helvetia == pytest.approx(0.8 * LINES, abs=5)
    assert per["Helvetia Services SA"] == max(per.values())


# -- groups, companies, charts ---------------------------------------------------------------
def test_helvetia_companies_share_one_chart(demo):
    db = _db(demo)
    gid = _group_id(db, "Groupe Helvetia")
    names = {r[0] for r in db.query("SELECT name FROM companies WHERE group_id = ?", (gid,))}
    assert names == {"Helvetia Holding SA", "Helvetia Services SA", "Helvetia Immobilier SA"}
    # every account used by the three companies is one of the group's accounts
    groups_used = {r[0] for r in db.query(
        "SELECT DISTINCT a.group_id FROM entry_lines l JOIN journal_entries e ON e.id = l.entry_id "
        "JOIN companies c ON c.id = e.company_id JOIN accounts a ON a.id = l.account_id "
        "WHERE c.group_id = ?", (gid,))}
    assert groups_used == {gid}
    used_by = db.query(
        "SELECT e.company_id, count(DISTINCT l.account_id) FROM entry_lines l "
        "JOIN journal_entries e ON e.id = l.entry_id JOIN companies c ON c.id = e.company_id "
        "WHERE c.group_id = ? GROUP BY e.company_id", (gid,))
    assert len(used_by) == 3


@pytest.mark.parametrize("group", ["Groupe Helvetia", "Boulangerie Favre Sàrl",
                                   "Atelier Keller GmbH"])
def test_chart_of_accounts_per_group(demo, group):
    db = _db(demo)
    gid = _group_id(db, group)
    accounts = dict(db.query("SELECT number, id FROM accounts WHERE group_id = ?", (gid,)))
    assert len(accounts) >= 150
    for number in ("1000", "1020", "1100", "1170", "2000", "2200", "3200", "4200", "5000",
                   "6000", "9200"):
        assert number in accounts
    names = db.query(
        "SELECT g.code, count(*) FROM account_names n JOIN accounts a ON a.id = n.account_id "
        "JOIN languages g ON g.id = n.language_id WHERE a.group_id = ? GROUP BY g.code", (gid,))
    counts = dict(names)
    for lang in ("fr", "de", "it"):
        assert counts[lang] == len(accounts)
    caisse = dict(db.query(
        "SELECT g.code, n.name FROM account_names n JOIN languages g ON g.id = n.language_id "
        "WHERE n.account_id = ?", (accounts["1000"],)))
    assert (caisse["fr"], caisse["de"], caisse["it"]) == ("Caisse", "Kasse", "Cassa")
    assert db.scalar("SELECT count(*) FROM currencies WHERE group_id = ?", (gid,)) == 3
    assert db.scalar(
        "SELECT count(*) FROM exchange_rates r JOIN currencies c ON c.id = r.currency_id "
        "WHERE c.group_id = ? AND c.code = 'EUR'", (gid,)) == 36
    assert db.scalar("SELECT count(*) FROM articles WHERE group_id = ?", (gid,)) >= 10
    assert db.scalar(
        "SELECT count(*) FROM article_names n JOIN articles a ON a.id = n.article_id "
        "JOIN languages g ON g.id = n.language_id WHERE a.group_id = ? AND g.code IN "
        "('fr', 'de', 'it')", (gid,)) == 3 * db.scalar(
        "SELECT count(*) FROM articles WHERE group_id = ?", (gid,))


@pytest.mark.parametrize("group", ["Boulangerie Favre Sàrl", "Atelier Keller GmbH"])
def test_single_company_group_sees_only_its_own(demo, group):
    db = _db(demo)
    gid = _group_id(db, group)
    helvetia = _group_id(db, "Groupe Helvetia")
    assert gid != helvetia
    assert [r[0] for r in db.query("SELECT name FROM companies WHERE group_id = ?",
                                   (gid,))] == [group]
    used = {r[0] for r in db.query(
        "SELECT DISTINCT a.group_id FROM entry_lines l JOIN journal_entries e ON e.id = l.entry_id "
        "JOIN companies c ON c.id = e.company_id JOIN accounts a ON a.id = l.account_id "
        "WHERE c.name = ?", (group,))}
    assert used == {gid}
    assert db.scalar("SELECT count(*) FROM contacts WHERE group_id = ?", (gid,)) >= 50


def test_companies_identity(demo):
    db = _db(demo)
    rows = db.query("SELECT c.name, c.legal_form, c.ide_number, c.vat_number, c.group_id, "
                    "k.kind, k.name, k.group_id FROM companies c "
                    "JOIN contacts k ON k.id = c.contact_id")
    assert len(rows) == 5
    ides = set()
    for name, form, ide, vat, gid, kind, kname, kgid in rows:
        assert form in ("SA", "Sàrl", "GmbH")
        assert ide_valid(ide), ide
        assert vat.startswith(ide + " ") and vat.split(" ")[1] in ("TVA", "MWST", "IVA")
        assert (kind, kname, kgid) == ("firm", name, gid)
        ides.add(ide)
    assert len(ides) == 5
    uids = [r[0] for r in db.query("SELECT uid FROM companies UNION ALL "
                                   "SELECT uid FROM company_groups")]
    assert all(uuid.UUID(u).version == 4 for u in uids)


def test_address_book(demo):
    db = _db(demo)
    gid = _group_id(db, "Groupe Helvetia")
    kinds = dict(db.query("SELECT kind, count(*) FROM contacts WHERE group_id = ? GROUP BY kind",
                          (gid,)))
    assert kinds["firm"] + kinds["person"] >= 200 and kinds["firm"] >= 50 and kinds["person"] >= 50
    # persons working for a firm point at a firm of the same group
    assert db.scalar(
        "SELECT count(*) FROM contacts p JOIN contacts f ON f.id = p.firm_id "
        "WHERE f.kind <> 'firm' OR p.kind <> 'person' OR f.group_id <> p.group_id") == 0
    assert db.scalar("SELECT count(*) FROM contacts WHERE firm_id IS NOT NULL") >= 20
    assert db.scalar("SELECT count(*) FROM contacts WHERE created_by IS NULL") == 0
    swiss = db.query("SELECT postcode, city FROM addresses WHERE country = 'CH'")
    assert all(re.fullmatch(r"[1-9]\d{3}", p) for p, _ in swiss)
    assert ("1003", "Lausanne") in {tuple(r) for r in swiss}
    regions = {p[0] for p, _ in swiss}
    assert {"1", "3", "6", "8"} <= regions  # Romandie, Bern, Ticino/Central, Zürich
    comms = db.query("SELECT kind, value FROM communications")
    phones = [v for k, v in comms if k in ("phone", "mobile")]
    assert phones and all(re.fullmatch(r"\+41 \d{2} \d{3} \d{2} \d{2}", v) for v in phones)
    assert all("@" in v for k, v in comms if k == "email")
    assert any(k == "web" and v.startswith("https://www.") for k, v in comms)


def test_users_referenced(demo):
    db = _db(demo)
    assert db.scalar("SELECT count(*) FROM users") >= 4
    assert db.scalar("SELECT count(DISTINCT created_by) FROM journal_entries") >= 2
    assert db.scalar("SELECT count(*) FROM journal_entries WHERE created_by IS NULL") == 0


# -- VAT, currencies ----------------------------------------------------------------------------
def test_vat_codes_both_rate_sets(demo):
    db = _db(demo)
    for gid, in db.query("SELECT id FROM company_groups"):
        rows = db.query(
            "SELECT v.kind, v.rate, v.valid_from, v.valid_to, a.number FROM vat_codes v "
            "LEFT JOIN accounts a ON a.id = v.account_id WHERE v.group_id = ?", (gid,))
        got = {(kind, rate, vf, vt, acc) for kind, rate, vf, vt, acc in
               ((k, str(r), str(f), None if t is None else str(t), a) for k, r, f, t, a in rows)}
        for kind, acc in (("output", "2200"), ("input", "1170")):
            for rate in ("7.70", "2.50", "3.70"):
                assert (kind, rate, "2018-01-01", "2023-12-31", acc) in got
            for rate in ("8.10", "2.60", "3.80"):
                assert (kind, rate, "2024-01-01", None, acc) in got


def test_vat_rate_valid_at_entry_date(demo):
    db = _db(demo)
    bad = db.scalar(
        "SELECT count(*) FROM entry_lines l JOIN journal_entries e ON e.id = l.entry_id "
        "JOIN vat_codes v ON v.id = l.vat_code_id "
        "WHERE e.date < v.valid_from OR (v.valid_to IS NOT NULL AND e.date > v.valid_to)")
    assert bad == 0
    used = {str(r[0]) for r in db.query(
        "SELECT DISTINCT v.rate FROM entry_lines l JOIN vat_codes v ON v.id = l.vat_code_id")}
    assert {"7.70", "8.10"} <= used
    # VAT lines hold the rate applied to the sale's net amounts
    for eid, in db.query("SELECT id FROM journal_entries WHERE journal = 'sales' "
                         "AND id IN (SELECT entry_id FROM entry_lines WHERE currency_id IS NULL)"
                         " ORDER BY id LIMIT 50"):
        lines = db.query(
            "SELECT a.number, l.credit, v.rate, v.id FROM entry_lines l "
            "JOIN accounts a ON a.id = l.account_id LEFT JOIN vat_codes v "
            "ON v.id = l.vat_code_id WHERE l.entry_id = ?", (eid,))
        for vid in {ln[3] for ln in lines if ln[3] is not None}:
            net = sum(ln[1] for ln in lines if ln[3] == vid and ln[0] != "2200")
            vat = sum(ln[1] for ln in lines if ln[3] == vid and ln[0] == "2200")
            rate = next(str(ln[2]) for ln in lines if ln[3] == vid)
            expected = (net * int(rate.replace(".", "")) + 5000) // 10000
            assert vat == expected


def test_foreign_currency_lines(demo):
    db = _db(demo)
    rows = db.query("SELECT l.debit + l.credit, l.amount_fc, l.rate, c.code FROM entry_lines l "
                    "JOIN currencies c ON c.id = l.currency_id")
    assert rows
    for chf, fc, rate, code in rows:
        assert code in ("EUR", "USD")
        rate = str(rate)
        assert re.fullmatch(r"\d+\.\d{6}", rate)
        micro = int(rate.replace(".", ""))
        assert chf == (fc * micro + 500_000) // 1_000_000


# -- invoices, payments, documents ---------------------------------------------------------------
def test_invoices(demo):
    db = _db(demo)
    invoices = db.query("SELECT id, qr_reference, total, status, entry_id, currency_id, number, "
                        "date, due_date FROM invoices")
    assert len(invoices) >= 20
    assert all(qr_valid(r[1]) for r in invoices)
    assert len({r[1] for r in invoices}) == len(invoices)
    chf = db.scalar("SELECT id FROM currencies WHERE code = 'CHF' AND group_id = ?",
                    (_group_id(db, "Groupe Helvetia"),))
    statuses = {r[3] for r in invoices}
    assert "paid" in statuses and statuses <= {"paid", "open", "overdue"}
    quantities = {str(r[0]) for r in db.query("SELECT quantity FROM invoice_lines")}
    assert all(re.fullmatch(r"\d+\.\d{3}", q) for q in quantities)
    for inv, _qr, total, status, entry, currency, number, day, due in invoices:
        assert str(due) > str(day)
        e = db.query("SELECT journal, reference, date FROM journal_entries WHERE id = ?",
                     (entry,))[0]
        assert e[0] == "sales" and e[1] == number and str(e[2]) == str(day)
        net = db.scalar("SELECT sum(amount) FROM invoice_lines WHERE invoice_id = ?", (inv,))
        assert net and net <= total
        if currency == chf:
            receivable = db.scalar(
                "SELECT sum(l.debit) FROM entry_lines l JOIN accounts a ON a.id = l.account_id "
                "WHERE l.entry_id = ? AND a.number = '1100'", (entry,))
            assert receivable == total
        paid = db.query("SELECT amount, entry_id FROM payments WHERE invoice_id = ?", (inv,))
        if status == "paid":
            assert len(paid) == 1 and paid[0][0] == total
        else:
            assert paid == []
    share = sum(1 for r in invoices if r[3] == "paid") / len(invoices)
    assert share > 0.7


def test_payments_have_their_own_entry(demo):
    db = _db(demo)
    rows = db.query("SELECT p.date, e.date, e.journal, i.date FROM payments p "
                    "JOIN journal_entries e ON e.id = p.entry_id "
                    "JOIN invoices i ON i.id = p.invoice_id")
    assert rows
    for pay_date, entry_date, journal, inv_date in rows:
        assert str(pay_date) == str(entry_date) and journal == "bank"
        assert str(pay_date) > str(inv_date)
    assert db.scalar("SELECT count(*) FROM payments WHERE entry_id IS NULL") == 0


def _check_pdf(content: bytes) -> None:
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\s+(\d+)\s+%%EOF", content).group(1))
    assert content[start:start + 4] == b"xref"
    m = re.match(rb"xref\s+0 (\d+)\s+", content[start:])
    count = int(m.group(1))
    table = content[start + m.end():start + m.end() + 20 * count]
    entries = [table[i:i + 20] for i in range(0, len(table), 20)]
    assert entries[0].startswith(b"0000000000 65535 f")
    for num, e in enumerate(entries[1:], start=1):
        offset = int(e[:10])
        assert e[17:18] == b"n"
        assert content[offset:].startswith(b"%d 0 obj" % num)
    length = int(re.search(rb"/Length (\d+)", content).group(1))
    body = content[content.index(b"stream\n") + 7:]
    assert body[length:].startswith(b"endstream")


def test_documents_are_small_real_pdfs(demo):
    db = _db(demo)
    docs = db.query("SELECT filename, mime_type, content, entry_id FROM documents")
    assert len(docs) >= 5
    for filename, mime, content, entry in docs:
        content = bytes(content)
        assert filename.endswith(".pdf") and mime == "application/pdf"
        assert 300 <= len(content) <= 10_000
        assert entry is not None
        _check_pdf(content)
    invoice_docs = db.query("SELECT d.content, i.number FROM documents d "
                            "JOIN invoices i ON i.entry_id = d.entry_id")
    assert invoice_docs
    for content, number in invoice_docs:
        assert number.encode() in bytes(content)


# -- determinism ----------------------------------------------------------------------------
@pytest.mark.postgres
def test_same_seed_same_content_on_both_engines(tmp_path, pg_url, pg_dbname):
    catalog = Catalog(tmp_path)
    a = create_demo(catalog, DemoOptions(name="On SQLite", entries=900, seed=3))
    b = create_demo(catalog, DemoOptions(name="On PostgreSQL", entries=900, seed=3,
                                         postgres=f"{pg_url}/{pg_dbname()}"))
    with opened(catalog, a.name) as (_, da), opened(catalog, b.name) as (_, dbb):
        assert content_hash(da) == content_hash(dbb)


def test_same_seed_same_content_other_seed_differs(tmp_path):
    hashes = []
    for i, seed in enumerate((11, 11, 12)):
        catalog = Catalog(tmp_path / f"c{i}")
        entry = create_demo(catalog, DemoOptions(entries=700, seed=seed))
        with opened(catalog, entry.name) as (_, db):
            hashes.append(content_hash(db))
            assert db.scalar("SELECT count(*) FROM entry_lines") == 700
    assert hashes[0] == hashes[1]
    assert hashes[0] != hashes[2]


def test_tiny_request_gets_the_minimum(tmp_path):
    catalog = Catalog(tmp_path)
    entry = create_demo(catalog, DemoOptions(entries=10))
    with opened(catalog, entry.name) as (_, db):
        assert db.scalar("SELECT count(*) FROM entry_lines") == MIN_ENTRIES
        assert db.scalar("SELECT count(DISTINCT company_id) FROM journal_entries") == 5
        assert db.scalar("SELECT count(*) FROM invoices") >= 5


@pytest.mark.parametrize("lines", [MIN_ENTRIES + 1, 1234, 3001])
def test_line_count_is_exact(tmp_path, lines):
    catalog = Catalog(tmp_path)
    entry = create_demo(catalog, DemoOptions(entries=lines, seed=lines))
    with opened(catalog, entry.name) as (_, db):
        assert db.scalar("SELECT count(*) FROM entry_lines") == lines
        assert db.scalar("SELECT count(*) FROM (SELECT entry_id FROM entry_lines "
                         "GROUP BY entry_id HAVING sum(debit) <> sum(credit)) x") == 0


def test_existing_name_is_refused_and_nothing_is_left(tmp_path):
    catalog = Catalog(tmp_path)
    create_demo(catalog, DemoOptions(entries=MIN_ENTRIES))
    files = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(AlreadyExists):
        create_demo(catalog, DemoOptions(entries=MIN_ENTRIES))
    assert sorted(p.name for p in tmp_path.iterdir()) == files
    assert [e.name for e in catalog.list()] == ["Demo SA"]


def test_failure_drops_the_half_made_database(tmp_path):
    catalog = Catalog(tmp_path)

    def boom(done, total):
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        create_demo(catalog, DemoOptions(entries=MIN_ENTRIES), progress=boom)
    assert catalog.list() == []
    assert not list(tmp_path.glob("*.sqlite*"))
