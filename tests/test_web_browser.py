"""The web UI in a real browser (Debian Chromium driven by Playwright), following the help
article step by step, with a screenshot of every step (see browser_support): a backup as the
article says, the "…" (More) button's backup wizard, the progress bar fed by the server,
the languages. Restoring, new organizations and companies, renaming and deleting an
organization: test_web_browser_organizations.py."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

from cheel.verify import inspect_backup, verify_backup

from browser_support import (BROWSER, DEMO, OTHER, PASSWORD, browser, catalog,  # noqa: F401
                             expect, open_menu, org_row, page, ready, server, shot, state,
                             step_title)

pytestmark = BROWSER


# -- 1. the article, step by step -------------------------------------------------------------
def test_backup_follows_the_help_article(page, server, catalog, tmp_path_factory, state):  # noqa: F811
    dest = tmp_path_factory.mktemp("picked") / "Sauvegardes"
    dest.mkdir()

    # "Accédez à la page Organisations: Menu Fichier, Organisations."
    page.goto(server.base + "/companies/new")
    open_menu(page, "Organisations")
    expect(page).to_have_url(server.base + "/organizations")
    expect(page.get_by_role("heading", name="Organisations", exact=True)).to_be_visible()
    expect(org_row(page, DEMO)).to_be_visible()
    expect(org_row(page, OTHER)).to_be_visible()
    shot(page, "01-organisations.png")

    # "Faites un clic droit sur l'organisation concernée et choisissez Sauvegarder"
    org_row(page, DEMO).click(button="right")
    menu = page.locator("#org-context-menu")
    expect(menu).to_be_visible()
    shot(page, "02-context-menu.png")
    menu.get_by_role("menuitem", name="Sauvegarder").click()

    # "L'organisation sélectionnée sera activée par défaut."
    expect(step_title(page)).to_have_text(
        "Veuillez sélectionner la ou les organisation(s) à sauvegarder")
    ready(page)
    demo_box = page.get_by_role("checkbox", name=DEMO)
    other_box = page.get_by_role("checkbox", name=OTHER)
    expect(demo_box).to_be_checked()
    expect(other_box).not_to_be_checked()
    shot(page, "03-backup-organisations.png")

    # a right-click checks or unchecks everything
    page.locator("[data-checklist] tbody").click(button="right")
    expect(other_box).to_be_checked()
    page.locator("[data-checklist] tbody").click(button="right")
    expect(demo_box).not_to_be_checked()
    expect(other_box).not_to_be_checked()

    # several organizations: no choice of groups, Suivant goes straight to the settings
    demo_box.check()
    other_box.check()
    page.get_by_role("button", name="Suivant").click()
    expect(step_title(page)).to_have_text("Veuillez définir les paramètres de sauvegarde")
    expect(page.locator(".wizard-steps li[data-step=groups]")).to_have_class(re.compile("skipped"))
    page.get_by_role("button", name="Précédent").click()
    expect(step_title(page)).to_have_text(
        "Veuillez sélectionner la ou les organisation(s) à sauvegarder")

    # one organization: the groups step
    page.get_by_role("checkbox", name=OTHER).uncheck()
    page.get_by_role("button", name="Suivant").click()
    expect(step_title(page)).to_have_text("Veuillez sélectionner le(s) groupe(s) de sociétés")
    ready(page)
    groups = page.locator("[data-checklist] tbody input[type=checkbox]")
    expect(groups).to_have_count(3)
    for i in range(3):
        expect(groups.nth(i)).to_be_checked()
    page.locator("[data-checklist] tbody").click(button="right")  # right-click: none
    for i in range(3):
        expect(groups.nth(i)).not_to_be_checked()
    page.locator("[data-checklist] tbody").click(button="right")  # right-click: all
    for i in range(3):
        expect(groups.nth(i)).to_be_checked()
    page.get_by_role("checkbox", name="Boulangerie Favre Sàrl").uncheck()
    shot(page, "04-backup-groups.png")
    page.get_by_role("button", name="Suivant").click()

    # "Cliquez sur le bouton Parcourir représenté par trois petits points …"
    expect(step_title(page)).to_have_text("Veuillez définir les paramètres de sauvegarde")
    ready(page)
    page.get_by_role("button", name="Parcourir").click()
    dialog = page.locator("dialog#picker")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Choisir un dossier")
    expect(dialog.locator(".picker-list")).to_have_attribute("aria-busy", "false")
    dialog.locator("#picker-path").fill(str(dest.parent))
    dialog.locator("#picker-path").press("Enter")
    entry = dialog.locator(".picker-list li", has_text="Sauvegardes")
    expect(entry).to_be_visible()
    entry.dblclick()  # into the folder …
    expect(dialog.locator("#picker-path")).to_have_value(str(dest))
    dialog.get_by_role("button", name="Dossier parent").click()  # … and back up again
    expect(dialog.locator("#picker-path")).to_have_value(str(dest.parent))
    dialog.locator(".picker-list li", has_text="Sauvegardes").click()
    expect(dialog.locator("[data-picker-chosen]")).to_have_text(str(dest))
    shot(page, "05-folder-picker.png")
    dialog.get_by_role("button", name="Choisir", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("Dossier ou adresse", exact=True)).to_have_value(str(dest))

    # a folder that does not exist: the wizard offers to create it
    folder = page.get_by_label("Dossier ou adresse", exact=True)
    folder.fill(str(dest / "nulle-part"))
    page.get_by_role("button", name="Suivant").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"Le dossier « {dest / 'nulle-part'} » n'existe pas. Voulez-vous le créer ?")
    expect(page.get_by_role("button", name="Créer le dossier")).to_be_visible()
    shot(page, "06-backup-folder-error.png")
    assert not (dest / "nulle-part").exists()
    ready(page)
    folder.fill(str(dest))

    # "Entrez un mot de passe (facultatif)" — two that differ are caught before submitting
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD + "x")
    page.get_by_role("button", name="Suivant").click()
    expect(page.locator(".client-error")).to_have_text(
        "Les deux mots de passe ne sont pas identiques.")
    expect(step_title(page)).to_have_text("Veuillez définir les paramètres de sauvegarde")
    page.get_by_label("Confirmation du mot de passe").fill(PASSWORD)
    shot(page, "07-backup-settings.png")
    page.get_by_role("button", name="Suivant").click()

    # "Dans l'étape Fin de l'assistant, un résumé des informations de la sauvegarde s'affiche"
    expect(step_title(page)).to_have_text("Fin")
    summary = page.locator("#backup-summary")
    expect(summary.locator("[data-summary=organizations]")).to_have_text(DEMO)
    expect(summary.locator("[data-summary=groups]")).to_contain_text("Groupe Helvetia")
    expect(summary.locator("[data-summary=groups]")).not_to_contain_text("Boulangerie")
    expect(summary.locator("[data-summary=destination]")).to_contain_text(str(dest) + "/")
    expect(summary.locator("[data-summary=encrypted]")).to_contain_text("Oui")
    shot(page, "08-backup-summary.png")
    page.get_by_role("button", name="Terminer").click()

    # progress, then "un fichier avec une extension .cheelbackup est créé"
    expect(page.get_by_role("heading", name="Sauvegarde terminée")).to_be_visible(timeout=60_000)
    shot(page, "09-backup-done.png")
    path = Path(page.locator("#result-path").inner_text())
    assert path.parent == dest and path.suffix == ".cheelbackup" and path.is_file()
    assert verify_backup(path, PASSWORD).rows > 0
    manifest = inspect_backup(path, PASSWORD).as_dict()
    assert manifest["encrypted"] is True
    [org] = manifest["organizations"]
    names = {g["name"] for g in org["groups"]}
    assert "Boulangerie Favre Sàrl" not in names
    assert {"Atelier Keller GmbH", "Groupe Helvetia"} <= names
    state["backup"] = path


# -- 2. the "…" (More) button ---------------------------------------------------------------
def test_more_button_starts_the_backup_wizard(page, server):  # noqa: F811
    page.goto(server.base + "/organizations")
    more = page.get_by_role("button", name="Plus")
    more.click()
    backup = page.locator("[data-more]").get_by_role("menuitem", name="Sauvegarder")
    expect(backup).to_be_disabled()  # nothing selected yet
    page.keyboard.press("Escape")
    org_row(page, OTHER).click()
    expect(org_row(page, OTHER)).to_have_class(re.compile("selected"))
    expect(page.locator(f"[data-details-for='{OTHER}']")).to_contain_text("Zeta Conseils Sàrl")
    more.click()
    expect(backup).to_be_enabled()
    shot(page, "10-more-menu.png")
    backup.click()
    expect(step_title(page)).to_have_text(
        "Veuillez sélectionner la ou les organisation(s) à sauvegarder")
    expect(page.get_by_role("checkbox", name=OTHER)).to_be_checked()
    expect(page.get_by_role("checkbox", name=DEMO)).not_to_be_checked()


# -- progress fed by the server ----------------------------------------------------------------
def test_progress_bar_follows_the_job(page, server, tmp_path):  # noqa: F811
    release = threading.Event()

    def work(progress):
        progress(0, 200)
        time.sleep(0.3)
        progress(100, 200)
        release.wait(30)
        progress(200, 200)
        return {"path": str(tmp_path / "x.cheelbackup"), "size": 12345, "encrypted": False,
                "organizations": [OTHER], "groups": ["Zeta Conseils Sàrl"],
                "companies": ["Zeta Conseils Sàrl"], "rows": {"entry_lines": 200},
                "seconds": 1.5}

    job = server.app.state.jobs.start("backup", work, meta={"summary": {
        "organizations": [OTHER]}})
    page.goto(f"{server.base}/jobs/{job.id}")
    expect(page.get_by_role("heading", name="Sauvegarde en cours…")).to_be_visible()
    bar = page.locator("[data-job] progress")
    expect(bar).to_have_attribute("value", "50")
    expect(page.locator("[data-progress-text]")).to_have_text(
        "50 % · 100 / 200 enregistrements")
    shot(page, "11-backup-progress.png")
    release.set()
    expect(page.get_by_role("heading", name="Sauvegarde terminée")).to_be_visible()
    expect(page.locator("#result-path")).to_have_text(str(tmp_path / "x.cheelbackup"))


# -- 4. languages --------------------------------------------------------------------------
def test_languages(page, server):  # noqa: F811
    page.goto(server.base + "/organizations")
    expect(page.get_by_role("heading", name="Organisations", exact=True)).to_be_visible()
    page.get_by_role("link", name="DE", exact=True).click()
    expect(page.get_by_role("heading", name="Organisationen", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Datei", exact=True)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    ready(page)
    org_row(page, DEMO).click()
    shot(page, "22-organisations-de.png")
    org_row(page, DEMO).click(button="right")
    page.locator("#org-context-menu").get_by_role("menuitem", name="Sichern").click()
    expect(page.get_by_role("button", name="Weiter")).to_be_visible()
    expect(page.get_by_role("button", name="Zurück")).to_be_visible()

    page.get_by_role("link", name="EN", exact=True).click()  # stays on the same step
    expect(step_title(page)).to_have_text("Please select the organization(s) to back up")
    expect(page.get_by_role("button", name="Next")).to_be_visible()
    page.goto(server.base + "/organizations")  # the language is remembered (cookie)
    expect(page.get_by_role("heading", name="Organizations", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="File", exact=True)).to_be_visible()
    shot(page, "23-organisations-en.png")

    page.get_by_role("link", name="FR", exact=True).click()
    expect(page.get_by_role("heading", name="Organisations", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Fichier", exact=True)).to_be_visible()
