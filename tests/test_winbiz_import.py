"""Importing WinBIZ companies (issue 17) from every kind of source, on SQLite and PostgreSQL:
what lands in cheel equals what the fixture writer put in the source (totals per fiscal
year, and entry by entry for small companies); joining a group; import → backup → restore
equals itself; every hostile variant refused with the organization unchanged."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.cli.main import cli
from cheel.errors import ImportConflict, SourceRefused, UsageError
from cheel.restore import RestoreOptions, run_restore
from cheel.store import organizations
from cheel.winbiz import ImportOptions, inspect_source, run_import

from helpers import fingerprint, group_content
from winbiz_fixtures import (hostile_variants, write_company, write_company_zip,
                             write_csv_exports, write_wb_backup_unknown, write_wb_backup_zip)

ORG = "Fiduciaire Import SA"


@pytest.fixture(params=["sqlite", "postgres"])
def target(request, catalog):
    """An organization to import into, on each engine."""
    postgres = None
    if request.param == "postgres":
        postgres = f"{request.getfixturevalue('pg_url')}/" \
                   f"{request.getfixturevalue('pg_dbname')()}"
    organizations.create_organization(catalog, ORG, ["fr", "de"], postgres)
    return catalog


def imported(catalog, company: str) -> dict:
    """What the company holds in cheel, per fiscal year: counts, balances and (in order)
    its entries with their lines."""
    with organizations.opened(catalog, ORG) as (_, db):
        company_id = db.scalar("SELECT id FROM companies WHERE name = ?", (company,))
        years = {}
        for year_id, name, start, end in db.query(
                "SELECT id, name, start_date, end_date FROM fiscal_years WHERE company_id = ? "
                "ORDER BY id", (company_id,)):
            entries = []
            lines_of: dict[int, list] = {}
            for entry_id, account, debit, credit, currency, amount_fc, rate in db.query(
                    "SELECT l.entry_id, a.number, l.debit, l.credit, c.code, l.amount_fc, "
                    "l.rate FROM entry_lines l JOIN journal_entries e ON e.id = l.entry_id "
                    "JOIN accounts a ON a.id = l.account_id "
                    "LEFT JOIN currencies c ON c.id = l.currency_id "
                    "WHERE e.fiscal_year_id = ? ORDER BY l.id", (year_id,)):
                lines_of.setdefault(entry_id, []).append(
                    (account, debit, credit, currency, amount_fc,
                     Decimal(rate).normalize() if rate is not None else None))
            balances: dict[str, int] = {}
            for entry_id, number, date, piece, label, journal in db.query(
                    "SELECT id, number, date, reference, description, journal FROM "
                    "journal_entries WHERE fiscal_year_id = ? ORDER BY id", (year_id,)):
                lines = lines_of.get(entry_id, [])
                entries.append((number, str(date), piece or "", label, journal, lines))
                for account, debit, credit, *_ in lines:
                    balances[account] = balances.get(account, 0) + debit - credit
            years[name] = {"start": str(start), "end": str(end), "entries": entries,
                           "balances": {a: b for a, b in balances.items() if b}}
        return years


def expected_entries(year) -> list:
    return [(e.number, e.date.isoformat(), e.piece, e.label, e.journal,
             [(line.account, line.debit, line.credit, line.currency, line.amount_fc,
               Decimal(line.rate).normalize() if line.rate is not None else None)
              for line in e.lines]) for e in year.entry_list]


def assert_equal(catalog, company: str, expected) -> None:
    got = imported(catalog, company)
    assert list(got) == [y.name for y in expected.years]
    for year in expected.years:
        have = got[year.name]
        assert (have["start"], have["end"]) == (year.start.isoformat(), year.end.isoformat())
        assert len(have["entries"]) == year.entries
        assert sum(len(e[5]) for e in have["entries"]) == year.lines
        assert have["balances"] == {a: b for a, b in year.balances.items() if b}
        if year.entry_list is not None:
            assert have["entries"] == expected_entries(year)


SOURCES = {
    "dbase3": lambda tmp: write_company(tmp / "src", lines=1500, header="db3"),
    "foxpro-memo": lambda tmp: write_company(tmp / "src", lines=1500, header="vfp", memo=True),
    "zip": lambda tmp: write_company_zip(tmp / "muster.zip", lines=1500),
    "wb_backup": lambda tmp: write_wb_backup_zip(tmp / "muster.wb_backup", lines=1500),
    "csv": lambda tmp: write_csv_exports(tmp / "csv", lines=1500),
}


@pytest.mark.parametrize("kind", list(SOURCES))
def test_every_source_kind_imports_what_it_holds(target, tmp_path, kind):
    expected = SOURCES[kind](tmp_path)
    company = expected.company if kind != "csv" else "Export AG"
    report = run_import(target, ImportOptions(expected.source, ORG, company=company
                                              if kind == "csv" else None))
    assert report.company == company and report.new_group
    assert [y.name for y in report.years] == [y.name for y in expected.years]
    for year, want in zip(report.years, expected.years):
        assert (year.entries, year.lines, year.debit) == (want.entries, want.lines,
                                                          want.total_debit)
        assert all(source == cheel for source, cheel in year.balances.values())
        assert {a: s for a, (s, _) in year.balances.items() if s} == \
            {a: b for a, b in want.balances.items() if b}
    assert_equal(target, company, expected)
    with organizations.opened(target, ORG) as (_, db):
        codes = {r[0] for r in db.query("SELECT code FROM currencies")}
        names = db.query("SELECT n.name FROM account_names n JOIN accounts a ON "
                         "a.id = n.account_id WHERE a.number = '1020'")
    assert codes == expected.currencies
    assert len(names) == 2 and names[0] == names[1]  # every language, the same name


def test_inspect_says_what_a_source_holds(tmp_path):
    expected = write_company(tmp_path / "src", years=(2022, 2023, 2024), lines=1200)
    info = inspect_source(expected.source)
    assert info.company == expected.company and info.kind == "folder"
    assert [(y.name, y.entries) for y in info.years] == [(y.name, y.entries)
                                                         for y in expected.years]
    assert info.accounts == len(expected.accounts)
    # the DAT folder above it, or its dos_info.dbf, lead to the same company
    assert inspect_source(expected.source.parent.parent).company == expected.company
    assert inspect_source(expected.source / "dos_info.dbf").company == expected.company


def test_chosen_years_only(target, tmp_path):
    expected = write_company(tmp_path / "src", years=(2022, 2023, 2024), lines=900)
    report = run_import(target, ImportOptions(expected.source, ORG, years=["2024", "2022"]))
    assert [y.name for y in report.years] == ["2022", "2024"]
    with pytest.raises(UsageError, match="no fiscal year 2019"):
        run_import(target, ImportOptions(expected.source, ORG, company="Autre AG",
                                         years=["2019"]))


def test_dry_run_checks_everything_and_changes_nothing(target, tmp_path):
    expected = write_company(tmp_path / "src", lines=800)
    before = fingerprint(target, ORG)
    report = run_import(target, ImportOptions(expected.source, ORG, dry_run=True))
    assert report.dry_run and report.lines == expected.lines
    assert fingerprint(target, ORG) == before


def test_joining_a_group_shares_its_chart(target, tmp_path):
    first = write_company(tmp_path / "a", lines=900, seed=3)
    run_import(target, ImportOptions(first.source, ORG, company="Alpha SA",
                                     new_group="Groupe Alpha"))
    second = write_company(tmp_path / "b", lines=900, seed=4)
    report = run_import(target, ImportOptions(second.source, ORG, company="Beta SA",
                                              group="Groupe Alpha"))
    assert not report.new_group and report.accounts_matched > 0
    assert report.accounts_added == len(set(second.accounts) - set(first.accounts))
    with organizations.opened(target, ORG) as (_, db):
        [group] = organizations.list_groups(db)
        numbers = [r[0] for r in db.query("SELECT number FROM accounts")]
    assert [c.name for c in group.companies] == ["Alpha SA", "Beta SA"]
    assert len(numbers) == len(set(numbers))  # matched by number, never twice
    assert_equal(target, "Beta SA", second)


def test_a_clash_of_account_numbers_is_refused(target, tmp_path):
    with organizations.opened(target, ORG) as (_, db):
        organizations.create_company(db, "Gamma SA", new_group="Groupe Gamma")
        group_id = db.scalar("SELECT id FROM company_groups")
        with db.transaction():
            account = db.insert("accounts", {"group_id": group_id, "number": "1020",
                                             "kind": "asset", "currency_id": None,
                                             "active": True})
            for (language_id,) in db.query("SELECT id FROM languages"):
                db.insert("account_names", {"account_id": account, "language_id": language_id,
                                            "name": "Compte courant Raiffeisen"})
    before = fingerprint(target, ORG)
    expected = write_company(tmp_path / "src", lines=600)
    with pytest.raises(ImportConflict, match="1020: \"Banque\""):
        run_import(target, ImportOptions(expected.source, ORG, group="Groupe Gamma"))
    assert fingerprint(target, ORG) == before


def test_import_backup_restore_equals_itself(target, tmp_path):
    expected = write_company(tmp_path / "src", lines=1200, header="vfp", memo=True)
    run_import(target, ImportOptions(expected.source, ORG))
    dest = tmp_path / "backups"
    dest.mkdir()
    path = run_backup(target, plan_backup(target, BackupOptions([ORG], dest))).path
    run_restore(target, RestoreOptions(path, "Copie SA", create=True))
    with organizations.opened(target, ORG) as (_, db):
        [group] = organizations.list_groups(db)
        original = group_content(db, group.uid)
    with organizations.opened(target, "Copie SA") as (_, db):
        copy = group_content(db, group.uid)
    assert copy == original


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_variants(tmp_path_factory.mktemp("hostile"))


def test_every_hostile_variant_is_refused_saying_where(catalog, hostile, tmp_path):
    organizations.create_organization(catalog, ORG, ["fr"])
    before = fingerprint(catalog, ORG)
    runner = CliRunner()
    assert len(hostile) >= 20
    for case in hostile:
        result = runner.invoke(cli, ["--data-dir", str(catalog.data_dir), "import", "winbiz",
                                     str(case.path), "--into", ORG, "--company", "Hostile AG"])
        assert result.exit_code == 4, (case.id, result.output)
        first = result.output.splitlines()[0]
        assert first.startswith("Error: "), (case.id, result.output)
        for where in case.where:
            assert where in first, (case.id, where, first)
        assert "Traceback" not in result.output
        assert fingerprint(catalog, ORG) == before, case.id
        assert [e.name for e in catalog.list()] == [ORG]


def test_hostile_variants_refused_on_postgres(catalog, hostile, pg_url, pg_dbname):
    organizations.create_organization(catalog, ORG, ["fr"], f"{pg_url}/{pg_dbname()}")
    before = fingerprint(catalog, ORG)
    for case in hostile:
        with pytest.raises(SourceRefused):
            run_import(catalog, ImportOptions(case.path, ORG, company="Hostile AG"))
        assert fingerprint(catalog, ORG) == before, case.id


@pytest.mark.parametrize("kind", ["7z", "gzip", "rar", "random", "empty", "zip_without_data"])
def test_a_wb_backup_that_holds_no_data_folder_is_refused_with_the_way_out(catalog, tmp_path,
                                                                          kind):
    organizations.create_organization(catalog, ORG, ["fr"])
    path = tmp_path / f"muster-{kind}.wb_backup"
    write_wb_backup_unknown(path, kind)
    result = CliRunner().invoke(cli, ["--data-dir", str(catalog.data_dir), "import", "winbiz",
                                      str(path), "--into", ORG])
    assert result.exit_code == 4, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Error: ") and path.name in lines[0]
    assert lines[1].startswith("Hint: ") and "CSV" in lines[1] and "DAT" in lines[1]


def test_cli_json_report_and_usage(catalog, tmp_path):
    organizations.create_organization(catalog, ORG, ["fr", "de"])
    expected = write_csv_exports(tmp_path / "csv", lines=700)
    runner = CliRunner()
    base = ["--data-dir", str(catalog.data_dir), "import", "winbiz"]
    result = runner.invoke(cli, base + [str(expected.source), "--into", ORG])
    assert result.exit_code == 2 and "--company" in result.output  # CSV exports name none
    result = runner.invoke(cli, base + [str(expected.source), "--into", ORG, "--company",
                                        "Export AG", "--new-group", "Groupe Export", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["company"] == "Export AG" and report["group"] == "Groupe Export"
    assert report["lines"] == expected.lines
    for year, want in zip(report["years"], expected.years):
        assert year["balances_equal"] and year["debit"] == want.total_debit
        assert {a["number"]: a["source"] for a in year["accounts"] if a["source"]} == \
            {a: b for a, b in want.balances.items() if b}
    result = runner.invoke(cli, base + [str(expected.source), "--into", ORG, "--company",
                                        "Export AG"])
    assert result.exit_code == 1 and "already exists" in result.output
    result = runner.invoke(cli, base + [str(expected.source), "--into", ORG, "--group", "G",
                                        "--new-group"])
    assert result.exit_code == 2
    missing = Path(tmp_path / "nowhere")
    result = runner.invoke(cli, base + [str(missing), "--into", ORG])
    assert result.exit_code == 1 and "does not exist" in result.output
