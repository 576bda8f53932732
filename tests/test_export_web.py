"""A backup's page in the web UI, in a real browser (issue 20): from the list of a
destination's backups to the page of one (its companies and fiscal years), then downloads
of its exports, read back and compared with the organization's own figures; an encrypted
backup asks its password first (a wrong one said as such); a download that fails is said
on the page; in French and in German."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from cheel.store import organizations

from backup_support import PW, backup
from browser_support import (BROWSER, DEMO, browser, catalog,  # noqa: F401
                             expect, page, ready, server)

pytestmark = BROWSER

COMPANY = "Helvetia Services SA"
WORDS = {
    "fr": {"folder": "Dossier ou adresse", "show": "Afficher", "title": "Contenu d'une sauvegarde",
           "password": "Mot de passe", "open": "Ouvrir",
           "wrong": "Le mot de passe est incorrect. Veuillez réessayer.",
           "ledger": "Grand livre", "whole": "Journal de tous les exercices",
           "damaged": "La sauvegarde est endommagée ou incomplète."},
    "de": {"folder": "Ordner oder Adresse", "show": "Anzeigen", "title": "Inhalt einer Sicherung",
           "password": "Passwort", "open": "Öffnen",
           "wrong": "Das Passwort ist falsch. Bitte versuchen Sie es erneut.",
           "ledger": "Hauptbuch", "whole": "Journal aller Geschäftsjahre",
           "damaged": "Die Datensicherung ist beschädigt oder unvollständig."},
}


@pytest.fixture(scope="module")
def files(catalog, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("export-web")
    plain, locked = root / "plain", root / "locked"
    plain.mkdir()
    locked.mkdir()
    return {"plain": Path(backup(catalog, [DEMO], plain).path),
            "locked": Path(backup(catalog, [DEMO], locked, password=PW).path)}


def lines_of(catalog, year: str | None) -> int:  # noqa: F811
    sql = ("SELECT count(*) FROM entry_lines l JOIN journal_entries e ON e.id = l.entry_id "
           "JOIN companies c ON c.id = e.company_id JOIN fiscal_years f ON "
           "f.id = e.fiscal_year_id WHERE c.name = ?" + (" AND f.name = ?" if year else ""))
    with organizations.opened(catalog, DEMO) as (_, db):
        return int(db.scalar(sql, (COMPANY, year) if year else (COMPANY,)))


def download(pg, link, folder: Path) -> Path:
    with pg.expect_download() as info:
        link.click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    return path


def company(pg):
    return pg.locator(f'section[data-company="{COMPANY}"]')


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_from_the_backups_list_to_downloads(page, server, catalog, files, tmp_path,  # noqa: F811
                                            lang):
    words = WORDS[lang]
    page.goto(f"{server.base}/lang/{lang}?next=/backups")
    ready(page)
    page.get_by_label(words["folder"], exact=True).fill(str(files["plain"].parent))
    page.get_by_role("button", name=words["show"]).click()
    page.locator("[data-backups] tbody tr a").first.click()
    ready(page)
    expect(page.locator("h1")).to_have_text(words["title"])
    expect(company(page).locator("tr[data-year]")).to_have_count(3)
    expect(page.locator('h2[data-group="Groupe Helvetia"]')).to_contain_text(DEMO)
    # a year's journal as CSV: every line of the company's year
    year = company(page).locator('tr[data-year="2024"]')
    path = download(page, year.locator('[data-export="journal"][data-format="csv"]'), tmp_path)
    assert path.name == "helvetia-services-sa_2024_journal.csv"
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == lines_of(catalog, "2024")
    # every year's journal as xlsx
    whole = company(page).locator('[data-whole="journal"]')
    expect(whole).to_contain_text(words["whole"])
    path = download(page, whole.locator('[data-format="xlsx"]'), tmp_path)
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    assert sum(1 for _ in book.active.iter_rows(min_row=2)) == lines_of(catalog, None)
    book.close()


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_an_encrypted_backup_asks_its_password(page, server, files, tmp_path,  # noqa: F811
                                               lang):
    words = WORDS[lang]
    page.goto(f"{server.base}/lang/{lang}?next=/backups/view?file={files['locked']}")
    ready(page)
    field = page.get_by_label(words["password"], exact=True)
    field.fill("not the password")
    page.get_by_role("button", name=words["open"]).click()
    expect(page.get_by_role("alert")).to_contain_text(words["wrong"])
    page.get_by_label(words["password"], exact=True).fill(PW)
    page.get_by_role("button", name=words["open"]).click()
    expect(page.locator("h1")).to_have_text(words["title"])
    expect(page.locator("table.exports").first).to_contain_text(words["ledger"])
    year = company(page).locator('tr[data-year="2025"]')
    path = download(page, year.locator('[data-export="ledger"][data-format="xlsx"]'), tmp_path)
    import openpyxl

    rows = list(openpyxl.load_workbook(path, read_only=True).active.iter_rows(
        min_row=2, values_only=True))
    opening = {r[0]: r[10] for r in rows if r[2] == "opening"}
    closing = {r[0]: r[10] for r in rows if r[2] == "closing"}
    assert opening and opening.keys() == closing.keys()
    # the contacts of the group, as CSV
    path = download(page, company(page).locator('[data-whole="contacts"] [data-format="csv"]'),
                    tmp_path)
    assert path.read_text(encoding="utf-8").startswith("kind,name,first_name")


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_a_file_damaged_after_opening_is_said_on_the_page(page, server, files,  # noqa: F811
                                                          tmp_path, lang):
    words = WORDS[lang]
    copy = tmp_path / f"copy-{lang}.cheelbackup"
    data = files["plain"].read_bytes()
    copy.write_bytes(data)
    page.goto(f"{server.base}/lang/{lang}?next=/backups/view?file={copy}")
    ready(page)
    expect(page.locator("h1")).to_have_text(words["title"])
    middle = len(data) * 3 // 4
    copy.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1:])
    company(page).locator('tr[data-year="2023"] [data-export="accounts"][data-format="csv"]'
                          ).click()
    expect(page.get_by_role("alert")).to_contain_text(words["damaged"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [copy.name]
