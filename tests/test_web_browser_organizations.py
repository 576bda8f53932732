"""The web UI in a real browser (Debian Chromium driven by Playwright), with a screenshot of
every step (see browser_support), on organizations: a backup restored into a new
organization and, in conflict, into its source; a new organization and company; deleting an
organization by typing its name (also in German) and renaming one. The help article's
backup, the More button, progress and languages: test_web_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

from cheel.store import organizations

from browser_support import (BROWSER, DEMO, PASSWORD, browser, catalog, expect,  # noqa: F401
                             open_menu, org_row, page, ready, server, shot, state, step_title)

pytestmark = BROWSER


# -- 3. restore that backup into a new organization ----------------------------------------
def _backup_for_restore(catalog, state, tmp_path_factory) -> Path:  # noqa: F811
    if "backup" in state:
        return state["backup"]
    from cheel.backup import BackupOptions, plan_backup, run_backup

    dest = tmp_path_factory.mktemp("made")
    plan = plan_backup(catalog, BackupOptions([DEMO], dest, ["Atelier Keller GmbH",
                                                             "Groupe Helvetia"], PASSWORD))
    state["backup"] = run_backup(catalog, plan).path
    return state["backup"]


def test_restore_into_a_new_organization(page, server, catalog, state, tmp_path_factory):  # noqa: F811
    backup = _backup_for_restore(catalog, state, tmp_path_factory)
    target = "Fiduciaire Restaurée SA"

    # "Menu Fichier, Nouveau, Restauration de données Cheel"
    open_menu(page, "Nouveau", "Restauration de données Cheel",
              screenshot="12-menu-fichier-nouveau.png")
    expect(step_title(page)).to_have_text(
        "Veuillez sélectionner l'organisation dans laquelle les données seront restaurées")
    page.get_by_label("Une nouvelle organisation").check()
    page.get_by_label("Nom", exact=True).fill(target)
    expect(page.get_by_label("SQLite (fichier local, par défaut)")).to_be_checked()
    shot(page, "13-restore-target.png")
    page.get_by_role("button", name="Suivant").click()

    # the backup file, chosen with the file picker (only folders and .cheelbackup files)
    expect(step_title(page)).to_have_text("Veuillez choisir le fichier de sauvegarde")
    (backup.parent / "notes.txt").write_text("not a backup")
    ready(page)
    page.get_by_role("button", name="Parcourir").click()
    dialog = page.locator("dialog#picker")
    expect(dialog.get_by_role("heading")).to_have_text("Choisir un fichier de sauvegarde")
    expect(dialog.locator(".picker-list")).to_have_attribute("aria-busy", "false")
    dialog.locator("#picker-path").fill(str(backup.parent))
    dialog.get_by_role("button", name="Aller").click()
    item = dialog.locator(".picker-list li", has_text=backup.name)
    expect(item).to_be_visible()
    expect(dialog.locator(".picker-list li", has_text="notes.txt")).to_have_count(0)
    item.click()
    shot(page, "14-restore-file-picker.png")
    dialog.get_by_role("button", name="Ouvrir").click()
    expect(page.get_by_role("textbox", name="Fichier ou adresse", exact=True)).to_have_value(str(backup))  # noqa: E501
    page.get_by_role("button", name="Suivant").click()

    # the password: a wrong one is said as such, and can be retried
    expect(step_title(page)).to_have_text("Cette sauvegarde est protégée par un mot de passe")
    page.get_by_label("Mot de passe", exact=True).fill("pas le bon")
    page.get_by_role("button", name="Suivant").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Le mot de passe est incorrect. Veuillez réessayer.")
    shot(page, "15-restore-wrong-password.png")
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Suivant").click()

    # what the backup holds: organizations → groups → companies, all checked
    expect(step_title(page)).to_have_text(
        "Veuillez sélectionner les groupes de sociétés à restaurer")
    boxes = page.locator("[data-checklist] tbody input[type=checkbox]")
    expect(boxes).to_have_count(2)
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).to_be_checked()
    expect(page.locator("[data-checklist]")).to_contain_text("Helvetia Services SA")
    shot(page, "16-restore-groups.png")
    page.get_by_role("button", name="Suivant").click()

    # a new organization has no conflicts: straight to the summary
    expect(step_title(page)).to_have_text("Fin")
    plan = page.locator("#restore-plan")
    expect(plan.locator("tbody tr")).to_have_count(2)
    expect(plan).to_contain_text("Nouveau groupe")
    expect(page.locator("[data-summary=target]")).to_contain_text(target)
    shot(page, "17-restore-summary.png")
    page.get_by_role("button", name="Terminer").click()

    expect(page.get_by_role("heading", name="Restauration terminée")).to_be_visible(
        timeout=60_000)
    expect(page.locator("#restore-report tbody tr")).to_have_count(2)
    shot(page, "18-restore-report.png")

    d = organizations.describe(catalog, catalog.find(target))
    assert sorted(g["name"] for g in d["groups"]) == ["Atelier Keller GmbH", "Groupe Helvetia"]
    source = organizations.describe(catalog, catalog.find(DEMO))
    helvetia = next(g for g in source["groups"] if g["name"] == "Groupe Helvetia")
    restored = next(g for g in d["groups"] if g["name"] == "Groupe Helvetia")
    assert restored["uid"] == helvetia["uid"]
    assert restored["rows"] == helvetia["rows"]
    assert [c["name"] for c in restored["companies"]] == [c["name"] for c in
                                                           helvetia["companies"]]


def test_restore_conflicts_into_the_source_organization(page, server, catalog, state,  # noqa: F811
                                                        tmp_path_factory):
    backup = _backup_for_restore(catalog, state, tmp_path_factory)
    before = organizations.describe(catalog, catalog.find(DEMO))
    page.goto(server.base + "/organizations")
    org_row(page, DEMO).click(button="right")
    page.locator("#org-context-menu").get_by_role("menuitem",
                                                  name="Restaurer des données…").click()
    expect(page.get_by_label("Une organisation existante")).to_be_checked()
    expect(page.locator("select#into")).to_have_value(DEMO)
    page.get_by_role("button", name="Suivant").click()
    page.get_by_role("textbox", name="Fichier ou adresse", exact=True).fill(str(backup))
    page.get_by_role("button", name="Suivant").click()
    page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Suivant").click()
    page.get_by_role("button", name="Suivant").click()

    # both groups exist in the target: replace / copy / skip, per group
    expect(step_title(page)).to_have_text(
        f"Ces groupes de sociétés existent déjà dans « {DEMO} »")
    expect(page.locator("[data-conflict]")).to_have_count(2)
    page.get_by_role("radio", name="Ignorer — Atelier Keller GmbH").check()
    page.get_by_role("radio", name="Copie — Groupe Helvetia").check()
    shot(page, "19-restore-conflicts.png")
    page.get_by_role("button", name="Suivant").click()
    expect(step_title(page)).to_have_text("Fin")
    expect(page.locator("tr[data-group='Atelier Keller GmbH']")).to_have_attribute(
        "data-action", "skip")
    copy_row = page.locator("tr[data-group='Groupe Helvetia']")
    expect(copy_row).to_have_attribute("data-action", "copy")
    expect(copy_row).to_contain_text(re.compile(r"Groupe Helvetia \(\d{4}-\d\d-\d\d\)"))
    page.get_by_role("button", name="Terminer").click()
    expect(page.get_by_role("heading", name="Restauration terminée")).to_be_visible(
        timeout=60_000)

    after = organizations.describe(catalog, catalog.find(DEMO))
    assert len(after["groups"]) == len(before["groups"]) + 1
    copies = [g for g in after["groups"] if g["name"].startswith("Groupe Helvetia (")]
    assert len(copies) == 1 and copies[0]["uid"] not in {g["uid"] for g in before["groups"]}


# -- new organization, new company ----------------------------------------------------------
def test_new_organization_and_company(page, server, catalog):  # noqa: F811
    open_menu(page, "Nouveau", "Nouvelle organisation")
    expect(page.get_by_role("heading", name="Nouvelle organisation")).to_be_visible()
    page.get_by_label("Nom", exact=True).fill("Cabinet Rossi")
    page.get_by_role("button", name="Monter — Allemand").click()  # German first
    page.get_by_role("checkbox", name="Italien (it)").uncheck()
    expect(page.get_by_label("SQLite (fichier local, par défaut)")).to_be_checked()
    shot(page, "20-new-organisation.png")
    page.get_by_role("button", name="Créer").click()
    expect(page.get_by_role("status")).to_contain_text(
        "L'organisation « Cabinet Rossi » a été créée.")
    expect(org_row(page, "Cabinet Rossi")).to_have_class(re.compile("selected"))
    languages = organizations.describe(catalog, catalog.find("Cabinet Rossi"))["languages"]
    assert languages == ["de", "fr", "en"]

    # a company that forms its own group, under an edited group name
    open_menu(page, "Nouveau", "Nouvelle société")
    page.get_by_label("Organisation", exact=True).select_option("Cabinet Rossi")
    expect(page.get_by_label("Oui : la société rejoint un groupe existant")).to_be_disabled()
    page.get_by_label("Nom de la société").fill("Rossi Fiduciaire SA")
    expect(page.get_by_label("Nom du nouveau groupe")).to_have_value("Rossi Fiduciaire SA")
    page.get_by_label("Nom du nouveau groupe").fill("Groupe Rossi")
    page.get_by_label("Nom de la société").fill("Rossi Fiduciaire SA")
    page.get_by_role("button", name="Créer").click()
    expect(page.get_by_role("status")).to_contain_text("Rossi Fiduciaire SA")

    # a second company that shares the data of that group
    open_menu(page, "Nouveau", "Nouvelle société")
    page.get_by_label("Organisation", exact=True).select_option("Cabinet Rossi")
    page.get_by_label("Nom de la société").fill("Rossi Immobilier Sàrl")
    page.get_by_label("Oui : la société rejoint un groupe existant").check()
    expect(page.get_by_label("Groupe de sociétés", exact=True)).to_contain_text("Groupe Rossi")
    shot(page, "21-new-company.png")
    page.get_by_role("button", name="Créer").click()
    expect(page.get_by_role("status")).to_contain_text("Rossi Immobilier Sàrl")
    d = organizations.describe(catalog, catalog.find("Cabinet Rossi"), counts=False)
    assert [(g["name"], sorted(c["name"] for c in g["companies"])) for g in d["groups"]] == [
        ("Groupe Rossi", ["Rossi Fiduciaire SA", "Rossi Immobilier Sàrl"])]


# -- 5. renaming and deleting an organization ---------------------------------------------------
def context_menu(page, name: str, item: str, screenshot: str | None = None) -> None:  # noqa: F811
    """Right-click the organization's row and choose ``item`` in its context menu."""
    ready(page)
    org_row(page, name).click(button="right")
    menu = page.locator("#org-context-menu")
    expect(menu).to_be_visible()
    if screenshot:
        menu.get_by_role("menuitem", name=item, exact=True).hover()
        shot(page, screenshot)
    menu.get_by_role("menuitem", name=item, exact=True).click()
    page.wait_for_load_state()


def test_delete_an_organization_typing_its_name(page, server, catalog):  # noqa: F811
    name = "Copie d'essai SA"
    organizations.create_organization(catalog, name)
    path = catalog.sqlite_path(catalog.find(name)).resolve()
    page.goto(server.base + "/organizations")
    context_menu(page, name, "Supprimer…", screenshot="27-context-menu-delete.png")
    expect(page.get_by_role("heading", name=f"Supprimer l'organisation « {name} »")
           ).to_be_visible()
    expect(page.locator(".consequence")).to_contain_text(
        "L'organisation et son fichier de base de données seront supprimés définitivement :")
    expect(page.locator(".consequence code")).to_have_text(str(path))
    expect(page.locator(".consequence")).to_contain_text("Cette opération est irréversible")
    field = page.get_by_label("Pour confirmer, saisissez le nom de l'organisation :")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("maxlength", "100")

    field.fill("Copie d'essai")  # a wrong name keeps the organization
    page.get_by_role("button", name="Supprimer", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        "Le nom saisi n'est pas celui de l'organisation ; rien n'a été supprimé.")
    assert catalog.exists(name) and path.exists()
    page.get_by_role("link", name="Annuler").click()  # cancelling keeps it too
    expect(org_row(page, name)).to_have_class(re.compile("selected"))

    context_menu(page, name, "Supprimer…")
    page.get_by_label("Pour confirmer, saisissez le nom de l'organisation :").fill(name)
    shot(page, "24-delete-organisation.png")
    page.get_by_role("button", name="Supprimer", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        f"L'organisation « {name} » et sa base de données ont été supprimées.")
    expect(org_row(page, name)).to_have_count(0)
    expect(org_row(page, DEMO)).to_be_visible()
    assert not catalog.exists(name) and not path.exists()


def test_delete_an_organization_in_german(page, server, catalog):  # noqa: F811
    name = "Testkopie AG"
    organizations.create_organization(catalog, name)
    path = catalog.sqlite_path(catalog.find(name)).resolve()
    page.goto(server.base + "/organizations")
    page.get_by_role("link", name="DE", exact=True).click()
    expect(page.get_by_role("heading", name="Organisationen", exact=True)).to_be_visible()
    context_menu(page, name, "Löschen…")
    expect(page.get_by_role("heading", name=f"Organisation «{name}» löschen")).to_be_visible()
    expect(page.locator(".consequence")).to_contain_text(
        "Die Organisation und ihre Datenbankdatei werden endgültig gelöscht:")
    expect(page.locator(".consequence")).to_contain_text(
        "Dies kann nicht rückgängig gemacht werden")
    field = page.get_by_label("Geben Sie zur Bestätigung den Namen der Organisation ein:")
    field.fill("testkopie ag")  # the name as written, not another case of it
    page.get_by_role("button", name="Löschen", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text(
        "Der eingegebene Name ist nicht der Name der Organisation; es wurde nichts gelöscht.")
    assert catalog.exists(name)
    page.get_by_label("Geben Sie zur Bestätigung den Namen der Organisation ein:").fill(name)
    shot(page, "25-delete-organisation-de.png")
    page.get_by_role("button", name="Löschen", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        f"Die Organisation «{name}» und ihre Datenbank wurden gelöscht.")
    expect(org_row(page, name)).to_have_count(0)
    assert not catalog.exists(name) and not path.exists()


def test_rename_an_organization(page, server, catalog):  # noqa: F811
    organizations.create_organization(catalog, "Ancien Nom SA")
    with organizations.opened(catalog, "Ancien Nom SA") as (_, db):
        organizations.create_company(db, "Ancien Nom SA")
    location = catalog.find("Ancien Nom SA").location
    page.goto(server.base + "/organizations")
    context_menu(page, "Ancien Nom SA", "Renommer…")
    expect(page.get_by_role("heading", name="Renommer l'organisation « Ancien Nom SA »")
           ).to_be_visible()
    field = page.get_by_label("Nouveau nom")
    expect(field).to_have_value("Ancien Nom SA")
    expect(field).to_have_attribute("maxlength", "100")
    field.fill("Nouveau Nom SA")
    shot(page, "26-rename-organisation.png")
    page.get_by_role("button", name="Renommer", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        "L'organisation « Ancien Nom SA » s'appelle désormais « Nouveau Nom SA ».")
    expect(org_row(page, "Nouveau Nom SA")).to_have_class(re.compile("selected"))
    expect(org_row(page, "Ancien Nom SA")).to_have_count(0)
    expect(page.locator("[data-details-for='Nouveau Nom SA']")).to_contain_text("Ancien Nom SA")
    assert catalog.find("Nouveau Nom SA").location == location  # the same database

    # in German, through the "…" button of the selected organization
    page.get_by_role("link", name="DE", exact=True).click()
    ready(page)
    page.get_by_role("button", name="Mehr").click()
    page.locator("[data-more]").get_by_role("menuitem", name="Umbenennen…").click()
    expect(page.get_by_role("heading", name="Organisation «Nouveau Nom SA» umbenennen")
           ).to_be_visible()
    page.get_by_label("Neuer Name").fill("Neuer Name AG")
    page.get_by_role("button", name="Umbenennen", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        "Die Organisation «Nouveau Nom SA» heisst jetzt «Neuer Name AG».")
    expect(org_row(page, "Neuer Name AG")).to_be_visible()
    assert [e.location for e in catalog.list() if e.name == "Neuer Name AG"] == [location]
