"""Diff in the web UI (issue 20), in a real browser, in French and German: from the list of
a destination's backups, "Comparer avec l'organisation" shows what changed since the backup
(an entry added, a VAT rate, a contact renamed, the balances moved); on the restore
wizard's conflicts step, "Voir les différences" shows, for the group it would replace,
what replacing it loses, and leads back to the step."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.store.organizations import opened

from browser_support import (BROWSER, DEMO, browser, catalog,  # noqa: F401
                             expect, page, ready, server, shot, step_title)

pytestmark = BROWSER
GROUP = "Atelier Keller GmbH"

WORDS = {
    "fr": {"show": "Afficher", "folder": "Dossier ou adresse",
           "compare": "Comparer avec l'organisation", "go": "Comparer",
           "done": "Différences entre la sauvegarde et l'organisation",
           "same": "aucune différence", "changed": "modifié", "added": "Ajout",
           "entry": "n° {n}", "vat": "taux : 8.10 → 8.00", "renamed": "nom :",
           "year": "Écritures de l'exercice {y}", "close": "Fermer",
           "existing": "Une organisation existante", "next": "Suivant",
           "file": "Fichier ou adresse", "see": "Voir les différences",
           "conflicts": f"Ces groupes de sociétés existent déjà dans « {DEMO} »",
           "sentence": f"Remplacer « {GROUP} » fait perdre 1 écriture passée depuis le ",
           "nothing": "Remplacer « Groupe Helvetia » ne fait rien perdre"},
    "de": {"show": "Anzeigen", "folder": "Ordner oder Adresse",
           "compare": "Mit der Organisation vergleichen", "go": "Vergleichen",
           "done": "Unterschiede zwischen der Sicherung und der Organisation",
           "same": "keine Unterschiede", "changed": "geändert", "added": "Hinzugefügt",
           "entry": "Nr. {n}", "vat": "Satz: 8.10 → 8.00", "renamed": "Name:",
           "year": "Buchungen des Geschäftsjahrs {y}", "close": "Schliessen",
           "existing": "Eine bestehende Organisation", "next": "Weiter",
           "file": "Datei oder Adresse", "see": "Unterschiede anzeigen",
           "conflicts": f"Diese Firmengruppen bestehen bereits in «{DEMO}»",
           "sentence": f"Das Ersetzen von «{GROUP}» kostet 1 seit dem ",
           "nothing": "Das Ersetzen von «Groupe Helvetia» kostet nichts"},
}


@pytest.fixture(scope="module")
def changed(catalog, tmp_path_factory):  # noqa: F811
    """DEMO backed up, then an entry added to GROUP's company, its VAT rate of 8.10 %
    set to 8.00 % and a contact renamed; (backup file, destination, what changed)."""
    dest = tmp_path_factory.mktemp("diff-backups")
    file = Path(run_backup(catalog, plan_backup(catalog, BackupOptions([DEMO], dest))).path)
    with opened(catalog, DEMO) as (_, db):
        gid = db.scalar("SELECT id FROM company_groups WHERE name = ?", (GROUP,))
        company = db.scalar("SELECT id FROM companies WHERE group_id = ?", (gid,))
        fy, year = db.query("SELECT id, name FROM fiscal_years WHERE company_id = ? "
                            "ORDER BY start_date DESC", (company,))[0]
        number = db.scalar("SELECT MAX(number) FROM journal_entries WHERE fiscal_year_id = ?",
                           (fy,)) + 1
        accounts = [r[0] for r in db.query("SELECT id, number FROM accounts WHERE group_id = ? "
                                           "AND number IN ('1020', '6500') ORDER BY number",
                                           (gid,))]
        with db.transaction():
            entry = db.insert("journal_entries", {
                "company_id": company, "fiscal_year_id": fy, "number": number,
                "date": db.scalar("SELECT end_date FROM fiscal_years WHERE id = ?", (fy,)),
                "description": "Fournitures de bureau", "journal": "d",
                "created_at": "2026-12-01 09:00:00"})
            db.insert("entry_lines", {"entry_id": entry, "account_id": accounts[1],
                                      "debit": 4200, "credit": 0})
            db.insert("entry_lines", {"entry_id": entry, "account_id": accounts[0],
                                      "debit": 0, "credit": 4200})
            db.execute("UPDATE vat_codes SET rate = '8.00' WHERE group_id = ? AND code = 'V81'",
                       (gid,))
            contact, name = db.query("SELECT id, name FROM contacts WHERE group_id = ? "
                                     "AND kind = 'firm' ORDER BY id", (gid,))[0]
            db.execute("UPDATE contacts SET name = ? WHERE id = ?", (name + " & Cie", contact))
    return file, dest, {"number": number, "year": year, "contact": name + " & Cie"}


def _result(page, words: dict, number: int, year: str, contact: str) -> None:  # noqa: F811
    expect(page.locator("h2").filter(has_text=words["done"])).to_be_visible(timeout=60_000)
    group = page.locator(f"section[data-group='{GROUP}']")
    expect(group).to_have_attribute("data-status", "changed")
    expect(group.locator("h3")).to_contain_text(words["changed"])
    expect(group.locator("h5[data-year]").first).to_have_text(words["year"].format(y=year))
    added = group.locator(f"li[data-entry='{number}']")
    expect(added).to_have_attribute("data-kind", "added")
    expect(added).to_contain_text(words["added"])
    expect(added).to_contain_text(words["entry"].format(n=number))
    expect(added).to_contain_text("Fournitures de bureau")
    balances = group.locator("table[data-balances]")
    expect(balances.locator("tr[data-account='6500'] td[data-difference]")).to_contain_text(
        "42")
    expect(balances.locator("tr[data-account='1020'] td[data-difference]")).to_contain_text(
        "-42")
    expect(group.locator("ul[data-table='vat_codes'] li[data-label^='V81']")).to_contain_text(
        words["vat"])
    renamed = group.locator("ul[data-table='contacts'] li[data-kind='changed']")
    expect(renamed).to_contain_text(contact)
    expect(renamed).to_contain_text(words["renamed"])


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_compare_a_backup_with_its_organization(page, server, changed, lang):  # noqa: F811
    file, dest, what = changed
    words = WORDS[lang]
    page.goto(f"{server.base}/lang/{lang}?next=/backups")
    ready(page)
    page.get_by_label(words["folder"], exact=True).fill(str(dest))
    page.get_by_role("button", name=words["show"]).click()
    row = page.locator(f"tr[data-backup='{file.name}']")
    row.get_by_role("link", name=words["compare"]).click()
    ready(page)
    expect(page.locator("select#org")).to_have_value(DEMO)
    expect(page.get_by_role("textbox", name=words["file"], exact=True)).to_have_value(str(file))
    page.get_by_role("button", name=words["go"]).click()
    _result(page, words, what["number"], what["year"], what["contact"])
    for name in ("Boulangerie Favre Sàrl", "Groupe Helvetia"):
        section = page.locator(f"section[data-group='{name}']")
        expect(section).to_have_attribute("data-status", "same")
        expect(section.locator("h3")).to_contain_text(words["same"])
    shot(page, f"50-diff-{lang}.png")
    page.get_by_role("link", name=words["close"]).click()
    expect(page.locator(f"tr[data-backup='{file.name}']")).to_be_visible()


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_see_the_differences_of_a_group_the_restore_would_replace(page, server, changed,  # noqa: F811,E501
                                                                  lang):
    file, _, what = changed
    words = WORDS[lang]
    page.goto(f"{server.base}/lang/{lang}?next=/restore/new?into={DEMO}")
    ready(page)
    expect(page.get_by_label(words["existing"])).to_be_checked()
    page.get_by_role("button", name=words["next"]).click()
    page.get_by_role("textbox", name=words["file"], exact=True).fill(str(file))
    page.get_by_role("button", name=words["next"]).click()
    ready(page)
    page.get_by_role("button", name=words["next"]).click()
    expect(step_title(page)).to_have_text(words["conflicts"], timeout=30_000)
    row = page.locator(f"tr[data-conflict='{GROUP}']")
    row.get_by_role("link", name=words["see"]).click()
    _result(page, words, what["number"], what["year"], what["contact"])
    sentence = page.locator(f"section[data-group='{GROUP}'] [data-sentence]")
    expect(sentence).to_contain_text(words["sentence"])
    expect(page.locator("section[data-group]")).to_have_count(1)  # only that group
    shot(page, f"51-restore-diff-{lang}.png")
    page.get_by_role("link", name=words["close"]).click()
    expect(step_title(page)).to_have_text(words["conflicts"])
    page.locator("tr[data-conflict='Groupe Helvetia']").get_by_role(
        "link", name=words["see"]).click()
    expect(page.locator("section[data-group='Groupe Helvetia'] [data-sentence]")).to_contain_text(
        words["nothing"], timeout=60_000)
