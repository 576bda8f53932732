"""cheel export (issue 20, "Take data out"): a company's journal, ledger, accounts and
contacts read straight out of a backup of a demo organization, as CSV and as xlsx, read back
(the csv module, openpyxl) and compared with the live organization's own figures (SQL on
SQLite and PostgreSQL): line counts, debits and credits per account and year, opening +
movements = closing. Also: encrypted backups (a password, a public key), a backup at an
s3:// address, the company and the year as a user names them (a wrong one is one sentence
naming the right ones), a damaged file (exit 4, no output left), where the file goes, and
memory that does not grow with the journal."""

from __future__ import annotations

import csv
import re
import uuid
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from cheel.archive.age import x25519
from cheel.demo import DemoOptions, create_demo
from cheel.export import ExportOptions, backup_contents, run_export
from cheel.store import organizations
from cheel.store.catalog import Catalog
from cheel.store.staging import drop_database

from backup_support import PW, backup, make_org
from sound_fixtures import one_sentence, run_cheel_child, run_cli

COMPANY = "Helvetia Services SA"
LINES = 3000
AMOUNT = re.compile(r"^-?\d+\.\d{2}$")
CARRIED = {"asset", "liability", "equity"}


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def books(request, tmp_path_factory):
    """A demo organization (SQLite or PostgreSQL) and its unencrypted backup."""
    root = tmp_path_factory.mktemp(f"export-{request.param}")
    catalog = Catalog(root / "data")
    postgres = None
    if request.param == "postgres":
        postgres = f"{request.getfixturevalue('pg_url')}/cheel_test_export_{uuid.uuid4().hex[:8]}"
    entry = create_demo(catalog, DemoOptions(name="Demo SA", entries=LINES, seed=3,
                                             postgres=postgres))
    dest = root / "backups"
    dest.mkdir()
    result = backup(catalog, ["Demo SA"], dest)
    yield catalog, Path(result.path), root
    drop_database(catalog, entry)


def export(file, out: Path, **kw) -> Path:
    unlock = kw.pop("unlock", None)
    options = ExportOptions(str(file), kw.pop("company", COMPANY), out=str(out), **kw)
    return Path(run_export(options, unlock).path)


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_xlsx(path: Path) -> list[dict]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    rows: list[dict] = []
    for sheet in book.worksheets:
        values = sheet.iter_rows(values_only=True)
        head = next(values)
        rows += [dict(zip(head, r + (None,) * (len(head) - len(r)))) for r in values]
    book.close()
    return rows


def cents(value) -> int:
    """An amount read back, in minor units, exactly (a CSV text, or an xlsx number)."""
    if value in (None, ""):
        return 0
    if isinstance(value, str):
        assert AMOUNT.match(value), value
        return int(Decimal(value) * 100)
    return int((Decimal(str(value)) * 100).to_integral_value())


def db_sums(catalog, year: str | None, kinds_carried: bool = False) -> dict[str, tuple]:
    """(debit, credit, lines) per account number of COMPANY in ``year`` (every year when
    None), from the live database."""
    sql = ("SELECT a.number, SUM(l.debit), SUM(l.credit), COUNT(*) FROM entry_lines l "
           "JOIN journal_entries e ON e.id = l.entry_id JOIN accounts a ON a.id = l.account_id "
           "JOIN companies c ON c.id = e.company_id "
           "JOIN fiscal_years f ON f.id = e.fiscal_year_id WHERE c.name = ?")
    params: tuple = (COMPANY,)
    if year is not None:
        sql += " AND f.name = ?"
        params += (year,)
    with organizations.opened(catalog, "Demo SA") as (_, db):
        return {n: (int(d), int(c), int(k))
                for n, d, c, k in db.query(sql + " GROUP BY a.number", params)}


def db_closing(catalog, year: str) -> dict[str, int]:
    """Each account's balance at the end of ``year`` as the books give it: balance-sheet
    accounts over every year up to its end, the others over the year alone."""
    with organizations.opened(catalog, "Demo SA") as (_, db):
        end = db.scalar("SELECT f.end_date FROM fiscal_years f JOIN companies c ON "
                        "c.id = f.company_id WHERE c.name = ? AND f.name = ?", (COMPANY, year))
        rows = db.query(
            "SELECT a.number, a.kind, f.name, SUM(l.debit - l.credit) FROM entry_lines l "
            "JOIN journal_entries e ON e.id = l.entry_id JOIN accounts a ON a.id = l.account_id "
            "JOIN companies c ON c.id = e.company_id "
            "JOIN fiscal_years f ON f.id = e.fiscal_year_id WHERE c.name = ? "
            "AND f.end_date <= ? GROUP BY a.number, a.kind, f.name", (COMPANY, end))
    out: dict[str, int] = defaultdict(int)
    for number, kind, fy, amount in rows:
        if kind in CARRIED or fy == year:
            out[number] += int(amount)
    return {k: v for k, v in out.items()}


# -- the journal ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_journal_of_a_year_matches_the_database(books, tmp_path, fmt):
    catalog, file, _ = books
    path = export(file, tmp_path, year="2024", format=fmt)
    assert path.name == f"helvetia-services-sa_2024_journal.{fmt}"
    rows = read_csv(path) if fmt == "csv" else read_xlsx(path)
    want = db_sums(catalog, "2024")
    assert len(rows) == sum(k for _, _, k in want.values())
    got: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        sums = got[r["account"]]
        sums[0] += cents(r["debit"])
        sums[1] += cents(r["credit"])
        sums[2] += 1
        assert r["fiscal_year"] == "2024"
        day = r["date"]
        if fmt == "csv":
            assert re.fullmatch(r"2024-\d\d-\d\d", day)
        else:
            assert isinstance(day, datetime) and day.year == 2024
    assert {k: tuple(v) for k, v in got.items()} == want
    # in entry order; one entry's lines balance
    numbers = [int(r["entry"]) for r in rows]
    assert numbers == sorted(numbers)
    by_entry: dict[int, int] = defaultdict(int)
    for r in rows:
        by_entry[int(r["entry"])] += cents(r["debit"]) - cents(r["credit"])
    assert not any(by_entry.values())
    # names in the organization's main language (French), VAT codes and currencies named
    assert {r["account_name"] for r in rows if r["account"] == "1020"} == {"Banque"}
    assert any(r["vat_code"] for r in rows)
    fc = [r for r in rows if r["currency"]]
    assert fc and all(r["currency"] in ("EUR", "USD") and r["amount_fc"] not in (None, "")
                      and r["rate"] not in (None, "") for r in fc)


def test_journal_of_every_year_and_by_calendar_year(books, tmp_path):
    catalog, file, _ = books
    every = read_csv(export(file, tmp_path))
    assert len(every) == sum(k for _, _, k in db_sums(catalog, None).values())
    assert [r["fiscal_year"] for r in every] == sorted(r["fiscal_year"] for r in every)
    # the year named by the calendar year it ends in, the company by its uid or any case
    uid = next(c.company.uid for c in backup_contents(file) if c.company.name == COMPANY)
    again = export(file, tmp_path / "again.csv", company=uid, year="2025")
    assert again.read_bytes() == export(file, tmp_path / "b.csv", company=COMPANY.upper(),
                                        year="2025").read_bytes()


# -- the ledger and the accounts --------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_ledger_opens_moves_and_closes_as_the_books(books, tmp_path, fmt):
    catalog, file, _ = books
    path = export(file, tmp_path, year="2024", what="ledger", format=fmt)
    rows = read_csv(path) if fmt == "csv" else read_xlsx(path)
    sums = db_sums(catalog, "2024")
    closing = db_closing(catalog, "2024")
    seen: dict[str, dict] = {}
    for r in rows:
        account = seen.setdefault(r["account"], {"moves": [0, 0, 0], "kinds": []})
        account["kinds"].append(r["row"])
        if r["row"] == "opening":
            account["opening"] = cents(r["balance"])
            running = account["opening"]
            assert r["text"] == "Solde d'ouverture"
        elif r["row"] == "movement":
            running += cents(r["debit"]) - cents(r["credit"])
            assert cents(r["balance"]) == running
            account["moves"][0] += cents(r["debit"])
            account["moves"][1] += cents(r["credit"])
            account["moves"][2] += 1
        else:
            assert (cents(r["debit"]), cents(r["credit"])) == tuple(account["moves"][:2])
            account["closing"] = cents(r["balance"])
            assert account["opening"] + account["moves"][0] - account["moves"][1] == \
                account["closing"]
    assert all(a["kinds"][0] == "opening" and a["kinds"][-1] == "closing" for a in seen.values())
    assert {n: tuple(a["moves"]) for n, a in seen.items() if a["moves"][2]} == sums
    assert {n: a["closing"] for n, a in seen.items()} == \
        {n: v for n, v in closing.items() if v or n in sums}
    assert list(seen) == sorted(seen)


def test_accounts_are_the_chart_with_the_years_balances(books, tmp_path):
    catalog, file, _ = books
    rows = read_csv(export(file, tmp_path, what="accounts"))  # the latest year: 2025
    with organizations.opened(catalog, "Demo SA") as (_, db):
        chart = {n: name for n, name in db.query(
            "SELECT a.number, n.name FROM accounts a JOIN company_groups g ON g.id = a.group_id "
            "JOIN account_names n ON n.account_id = a.id JOIN languages l ON "
            "l.id = n.language_id WHERE g.name = 'Groupe Helvetia' AND l.code = 'fr'")}
    assert {r["account"]: r["name"] for r in rows} == chart
    sums = db_sums(catalog, "2025")
    closing = db_closing(catalog, "2025")
    for r in rows:
        assert r["fiscal_year"] == "2025"
        debit, credit, _ = sums.get(r["account"], (0, 0, 0))
        assert (cents(r["debit"]), cents(r["credit"])) == (debit, credit)
        assert cents(r["opening"]) + debit - credit == cents(r["closing"])
        assert cents(r["closing"]) == closing.get(r["account"], 0)


def test_contacts_of_the_companys_group(books, tmp_path):
    catalog, file, _ = books
    for fmt in ("csv", "xlsx"):
        path = export(file, tmp_path, what="contacts", format=fmt)
        assert path.name == f"helvetia-services-sa_contacts.{fmt}"
        rows = read_csv(path) if fmt == "csv" else read_xlsx(path)
        with organizations.opened(catalog, "Demo SA") as (_, db):
            count = db.scalar("SELECT count(*) FROM contacts c JOIN company_groups g ON "
                              "g.id = c.group_id WHERE g.name = 'Groupe Helvetia'")
            email = db.scalar(
                "SELECT m.value FROM communications m JOIN contacts c ON c.id = m.contact_id "
                "WHERE c.name = ? AND m.kind = 'email'", (COMPANY,))
        assert len(rows) == count
        me = next(r for r in rows if r["name"] == COMPANY)
        assert me["email"] == email and me["kind"] == "firm" and me["city"] == "Lausanne"


# -- names in the main language, and a journal too large for one sheet ---------------------
def test_names_in_a_german_organizations_language(tmp_path, monkeypatch):
    catalog = Catalog(tmp_path / "data")
    create_demo(catalog, DemoOptions(name="Demo AG", entries=600, seed=5))
    with organizations.opened(catalog, "Demo AG") as (_, db):
        with db.transaction():
            db.execute("UPDATE languages SET position = position + 10")
            db.execute("UPDATE languages SET position = 0 WHERE code = 'de'")
    (tmp_path / "b").mkdir()
    file = backup(catalog, ["Demo AG"], tmp_path / "b").path
    rows = read_csv(export(file, tmp_path, company="Atelier Keller GmbH", what="ledger"))
    assert {r["account_name"] for r in rows if r["account"] == "1020"} == {"Bank"}
    assert {r["text"] for r in rows if r["row"] == "opening"} == {"Eröffnungssaldo"}
    # a sheet holds what Excel takes; the rest goes on the next one
    from cheel.export import writers

    monkeypatch.setattr(writers, "SHEET_ROWS", 21)
    import openpyxl

    path = export(file, tmp_path / "small.xlsx", company="Atelier Keller GmbH", format="xlsx")
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames[:2] == ["Journal", "Journal (2)"]
    assert len(read_xlsx(path)) == len(read_csv(export(file, tmp_path,
                                                       company="Atelier Keller GmbH")))


# -- encrypted backups, and one at an address ---------------------------------------------------
def test_encrypted_for_a_password_and_for_a_public_key(books, tmp_path, fast_kdf):
    catalog, plain, root = books
    want = export(plain, tmp_path / "plain.csv", year="2024").read_bytes()
    (tmp_path / "pw").mkdir()
    locked = backup(catalog, ["Demo SA"], tmp_path / "pw", password=PW).path
    assert export(locked, tmp_path / "pw.csv", year="2024", unlock=PW).read_bytes() == want
    keyfile = tmp_path / "key.txt"
    identity = x25519.write_identity_file(keyfile, "2026-01-01T00:00:00Z")
    (tmp_path / "key").mkdir()
    for_key = backup(catalog, ["Demo SA"], tmp_path / "key",
                     recipients=[str(identity.recipient)]).path
    locked, for_key = str(locked), str(for_key)
    out = tmp_path / "key.csv"
    r = run_cli(root / "data", "export", for_key, "--company", COMPANY, "--year", "2024",
                "--out", str(out), "--identity", str(keyfile))
    assert r.code == 0, r.stderr
    assert out.read_bytes() == want
    r = run_cli(root / "data", "export", locked, "--company", COMPANY, "--out",
                str(tmp_path / "nope.csv"))
    assert r.code == 3 and not one_sentence(r.stderr), r.stderr
    r = run_cli(root / "data", "export", locked, "--company", COMPANY, "--out",
                str(tmp_path / "nope.csv"), password="not the password")
    assert r.code == 3 and not one_sentence(r.stderr), r.stderr
    assert not (tmp_path / "nope.csv").exists()


def test_from_an_s3_address(books, tmp_path, s3_endpoint):
    from s3_server import new_bucket, s3_url

    catalog, plain, _ = books
    url = s3_url(s3_endpoint, new_bucket(s3_endpoint))
    result = backup(catalog, ["Demo SA"], url)
    rows = read_csv(export(result.path, tmp_path, year="2023", what="accounts"))
    assert rows == read_csv(export(plain, tmp_path / "local.csv", year="2023",
                                   what="accounts"))


# -- what a user names, and what goes wrong ---------------------------------------------------
def test_a_wrong_company_or_year_is_one_sentence_naming_the_right_ones(books, tmp_path):
    _, file, root = books
    data = root / "data"
    r = run_cli(data, "export", str(file), "--company", "Nobody SA", "--out", str(tmp_path))
    assert r.code == 1 and not one_sentence(r.stderr), r.stderr
    assert 'holds no company "Nobody SA"' in r.stderr and '"Helvetia Holding SA"' in r.stderr
    r = run_cli(data, "export", str(file), "--company", COMPANY, "--year", "1999",
                "--out", str(tmp_path))
    assert r.code == 1 and not one_sentence(r.stderr), r.stderr
    assert 'no fiscal year "1999"' in r.stderr and '"2024" (2024-01-01 to 2024-12-31)' in r.stderr
    r = run_cli(data, "export", str(file), "--company", COMPANY, "--what", "contacts",
                "--year", "2024")
    assert r.code == 2 and not one_sentence(r.stderr), r.stderr
    r = run_cli(data, "export", str(file), "--company", COMPANY, "--out",
                str(tmp_path / "missing" / "x.csv"))
    assert r.code == 1 and "does not exist" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_two_companies_of_one_name_are_told_apart_by_uid(tmp_path):
    catalog = Catalog(tmp_path / "data")
    for org in ("Alpha", "Beta"):
        make_org(catalog, org)
        with organizations.opened(catalog, org) as (_, db):
            organizations.create_company(db, "Muster AG")
    (tmp_path / "b").mkdir()
    file = str(backup(catalog, ["Alpha", "Beta"], tmp_path / "b").path)
    r = run_cli(tmp_path / "data", "export", file, "--company", "muster ag")
    assert r.code == 2 and not one_sentence(r.stderr), r.stderr
    assert "2 companies of the backup are named" in r.stderr and "uid" in r.stderr
    uid = next(c.company.uid for c in backup_contents(file) if c.company.org_name == "Beta")
    r = run_cli(tmp_path / "data", "export", file, "--company", uid, "--what", "contacts",
                "--out", str(tmp_path / "c.csv"))
    assert r.code == 0, r.stderr
    assert [r["name"] for r in read_csv(tmp_path / "c.csv")] == ["Muster AG"]  # its own


def test_a_damaged_backup_leaves_no_file(books, tmp_path):
    _, file, root = books
    data = file.read_bytes()
    broken = tmp_path / "broken.cheelbackup"
    for cut in (len(data) // 2, len(data) - 10):
        broken.write_bytes(data[:cut] + bytes([data[cut] ^ 0x40]) + data[cut + 1:])
        out = tmp_path / "out"
        out.mkdir(exist_ok=True)
        for fmt in ("csv", "xlsx"):
            r = run_cli(root / "data", "export", str(broken), "--company", COMPANY,
                        "--what", "ledger", "--format", fmt, "--out", str(out))
            assert r.code == 4 and not one_sentence(r.stderr), r.stderr
            assert list(out.iterdir()) == []
    broken.write_bytes(b"not a backup at all")
    r = run_cli(root / "data", "export", str(broken), "--company", COMPANY)
    assert r.code == 4 and not one_sentence(r.stderr), r.stderr


def test_where_the_file_goes(books, tmp_path, monkeypatch):
    _, file, root = books
    monkeypatch.chdir(tmp_path)
    r = run_cli(root / "data", "export", str(file), "--company", COMPANY, "--year", "2023",
                "--what", "accounts")
    assert r.code == 0, r.stderr
    first = tmp_path / "helvetia-services-sa_2023_accounts.csv"
    assert r.stdout.strip().splitlines()[-1] == str(first)
    assert first.stat().st_mode & 0o777 == 0o600
    # a name of its own never replaces a file; a file named by the user is replaced
    run_cli(root / "data", "export", str(file), "--company", COMPANY, "--year", "2023",
            "--what", "accounts")
    assert (tmp_path / "helvetia-services-sa_2023_accounts-2.csv").exists()
    mine = tmp_path / "mine.csv"
    mine.write_text("old")
    r = run_cli(root / "data", "export", str(file), "--company", COMPANY, "--what",
                "accounts", "--out", str(mine), "--json")
    assert r.code == 0 and '"year": "2025"' in r.stdout
    assert mine.read_text().startswith("account,name,kind")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


# -- memory -------------------------------------------------------------------------------------
SMALL, LARGE = 40_000, 160_000


@pytest.mark.slow
def test_memory_stays_at_the_readers_whatever_the_journal(tmp_path):
    """A journal export costs what verify of the same file costs (the sound reader's
    memory, which grows a little with the file's ids), plus a bounded amount (the spool's
    capped cache, the writer) that does not grow with 4x the journal."""
    catalog = Catalog(tmp_path / "data")
    peaks = {}
    for n in (SMALL, LARGE):
        name = f"Demo {n}"
        create_demo(catalog, DemoOptions(name=name, entries=n, seed=1))
        dest = tmp_path / f"b{n}"
        dest.mkdir()
        file = str(backup(catalog, [name], dest).path)
        base = ["--data-dir", str(tmp_path / "data")]
        verify = run_cheel_child(base + ["verify", file], timeout=300)
        assert verify.code == 0, verify.stderr
        for fmt in ("csv", "xlsx"):
            run = run_cheel_child(base + ["export", file, "--company", COMPANY, "--format",
                                          fmt, "--out", str(tmp_path / f"{n}.{fmt}")],
                                  timeout=600)
            assert run.code == 0, run.stderr
            peaks[(n, fmt)] = run.max_rss_mib
        peaks[(n, "verify")] = verify.max_rss_mib
    for fmt in ("csv", "xlsx"):
        # over what verify of the same file costs: the spool's capped cache, the writer
        extra = {n: peaks[(n, fmt)] - peaks[(n, "verify")] for n in (SMALL, LARGE)}
        assert extra[LARGE] < 30, (fmt, peaks)
        assert extra[LARGE] < extra[SMALL] + 8, (fmt, peaks)  # 4x the journal: no more


def test_texts_stay_texts_in_a_spreadsheet(tmp_path):
    """A name that begins with "=" is text in the xlsx, never a formula; a control
    character XML cannot hold is shown as U+FFFD there; the CSV keeps both as they are."""
    catalog = Catalog(tmp_path / "data")
    make_org(catalog, "Gamma")
    with organizations.opened(catalog, "Gamma") as (_, db):
        organizations.create_company(db, "Gamma SA")
        group = db.scalar("SELECT id FROM company_groups")
        with db.transaction():
            for i, name in enumerate(['=HYPERLINK("http://x.invalid","y")', "Bell\x07 AG"]):
                db.execute("INSERT INTO contacts (id, group_id, kind, name, created_at) "
                           "VALUES (?, ?, 'firm', ?, '2024-01-01 00:00:00')",
                           (1000 + i, group, name))
    (tmp_path / "b").mkdir()
    file = backup(catalog, ["Gamma"], tmp_path / "b").path
    names = {r["name"] for r in read_csv(export(file, tmp_path, company="Gamma SA",
                                                what="contacts"))}
    assert {'=HYPERLINK("http://x.invalid","y")', "Bell\x07 AG"} <= names
    import openpyxl

    path = export(file, tmp_path, company="Gamma SA", what="contacts", format="xlsx")
    sheet = openpyxl.load_workbook(path).active
    cells = {c.value: c.data_type for row in sheet.iter_rows(min_row=2) for c in row[1:2]}
    assert cells['=HYPERLINK("http://x.invalid","y")'] == "s"
    assert "Bell\ufffd AG" in cells
