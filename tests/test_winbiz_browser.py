"""The WinBIZ import wizard in a real browser (issue 17), in French and in German:
*Fichier → Nouveau → Nouvelle société avec import de données*, from the folder picker to
the report with the balances of WinBIZ and of Cheel side by side."""

from __future__ import annotations

import re

from cheel.store import organizations

from browser_support import (BROWSER, DEMO, OTHER, browser, catalog,  # noqa: F401
                             expect, open_menu, page, ready, server, shot, step_title)
from winbiz_fixtures import hostile_variants, write_company

pytestmark = BROWSER


def test_import_a_winbiz_company_in_french(page, server, catalog, tmp_path):
    expected = write_company(tmp_path / "winbiz", years=(2022, 2023, 2024), lines=1500)
    open_menu(page, "Nouveau", "Nouvelle société avec import de données")
    expect(step_title(page)).to_have_text("Veuillez choisir les données WinBIZ à importer")
    ready(page)
    expect(page.get_by_label("Dossier ou fichier")).to_be_focused()

    # the folder picker, down to the company's folder
    page.get_by_role("button", name="Choisir un dossier").click()
    dialog = page.locator("dialog#picker")
    expect(dialog.get_by_role("heading")).to_have_text("Choisir le dossier de la société WinBIZ")
    dialog.locator("#picker-path").fill(str(expected.source.parent))
    dialog.locator("#picker-path").press("Enter")
    dialog.locator(".picker-list li", has_text=expected.source.name).click()
    expect(dialog.locator("[data-picker-chosen]")).to_have_text(str(expected.source))
    dialog.get_by_role("button", name="Choisir", exact=True).click()
    expect(page.get_by_label("Dossier ou fichier")).to_have_value(str(expected.source))
    shot(page, "40-import-source.png")
    page.get_by_role("button", name="Suivant").click()

    # what was found: three fiscal years with their entries
    expect(step_title(page)).to_have_text("Veuillez choisir les exercices à importer")
    expect(page.locator(".intro")).to_contain_text(f"Société WinBIZ « {expected.company} »")
    for year in expected.years:
        row = page.locator(f"tr[data-year='{year.name}']")
        expect(row).to_contain_text(f"{year.entries:,}".replace(",", "’"))
    page.get_by_role("checkbox", name="2022").uncheck()
    shot(page, "41-import-years.png")
    page.get_by_role("button", name="Suivant").click()

    # where: the organization, the company's name, its own group
    expect(step_title(page)).to_have_text("Veuillez choisir où créer la nouvelle société")
    page.get_by_label("Organisation", exact=True).select_option(OTHER)
    expect(page.get_by_label("Nom de la société")).to_have_value(expected.company)
    page.get_by_label("Non : la société forme son propre groupe").check()
    page.get_by_label("Nom du nouveau groupe").fill("Groupe Muster")
    page.get_by_role("button", name="Suivant").click()
    expect(step_title(page)).to_have_text("Fin")
    expect(page.locator("[data-summary=years]")).to_contain_text("2023")
    expect(page.locator("[data-summary=years]")).not_to_contain_text("2022")
    shot(page, "42-import-summary.png")
    page.get_by_role("button", name="Terminer").click()

    expect(page.get_by_role("heading", name="Import terminé")).to_be_visible(timeout=60_000)
    report = page.locator("#import-report")
    for name in ("2023", "2024"):
        expect(report.locator(f"tr[data-year='{name}'] [data-balances]")).to_have_attribute(
            "data-balances", "equal")
        expect(report.locator(f"tr[data-year='{name}']")).to_contain_text("✓")
    page.locator("details.rows summary", has_text="2024").click()
    expect(page.locator("[data-balances-of='2024']")).to_contain_text("1020")
    shot(page, "43-import-report.png")
    info = organizations.describe(catalog, catalog.find(OTHER))
    group = next(g for g in info["groups"] if g["name"] == "Groupe Muster")
    assert [c["name"] for c in group["companies"]] == [expected.company]
    assert group["rows"]["entry_lines"] == sum(expected.year(y).lines for y in ("2023", "2024"))


def test_import_wizard_in_german_refuses_a_damaged_source(page, server, catalog, tmp_path):
    case = next(c for c in hostile_variants(tmp_path / "hostile") if c.id == "truncated")
    page.goto(f"{server.base}/lang/de?next=/import/new?into={DEMO}")
    expect(step_title(page)).to_have_text("Bitte wählen Sie die zu importierenden WinBIZ-Daten")
    ready(page)
    page.get_by_label("Ordner oder Datei").fill(str(case.path))
    page.get_by_role("button", name="Weiter").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Die WinBIZ-Daten können nicht importiert werden.")
    for where in case.where:
        expect(alert).to_contain_text(where)
    text = alert.inner_text()
    assert not re.search(r"\b(record|field|the|is cut short)\b", text), text
    shot(page, "44-import-damaged-de.png")
    expect(page.locator("#wizard-form")).to_have_attribute("data-step", "source")
