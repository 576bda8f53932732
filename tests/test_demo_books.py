"""The demo's books on both engines: groups, companies and charts of accounts, VAT and
currencies, invoices, payments and documents."""

from __future__ import annotations

import re
import uuid

import pytest

from demo_support import db_of, group_id_of, ide_valid, qr_valid

pytest_plugins = ["demo_support"]  # its fixture: demo, one organization per engine


# -- groups, companies, charts ---------------------------------------------------------------
def test_helvetia_companies_share_one_chart(demo):
    db = db_of(demo)
    gid = group_id_of(db, "Groupe Helvetia")
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
    db = db_of(demo)
    gid = group_id_of(db, group)
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
    db = db_of(demo)
    gid = group_id_of(db, group)
    helvetia = group_id_of(db, "Groupe Helvetia")
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
    db = db_of(demo)
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
    db = db_of(demo)
    gid = group_id_of(db, "Groupe Helvetia")
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
    db = db_of(demo)
    assert db.scalar("SELECT count(*) FROM users") >= 4
    assert db.scalar("SELECT count(DISTINCT created_by) FROM journal_entries") >= 2
    assert db.scalar("SELECT count(*) FROM journal_entries WHERE created_by IS NULL") == 0


# -- VAT, currencies ----------------------------------------------------------------------------
def test_vat_codes_both_rate_sets(demo):
    db = db_of(demo)
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
    db = db_of(demo)
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
    db = db_of(demo)
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
    db = db_of(demo)
    invoices = db.query("SELECT id, qr_reference, total, status, entry_id, currency_id, number, "
                        "date, due_date FROM invoices")
    assert len(invoices) >= 20
    assert all(qr_valid(r[1]) for r in invoices)
    assert len({r[1] for r in invoices}) == len(invoices)
    chf = db.scalar("SELECT id FROM currencies WHERE code = 'CHF' AND group_id = ?",
                    (group_id_of(db, "Groupe Helvetia"),))
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
    db = db_of(demo)
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
    db = db_of(demo)
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
