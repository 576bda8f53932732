"""The web UI as a demanding fiduciary uses it (issue 21), in a real browser, in French and in
German: whole messages in the page's language, folders that behave, proof at the end, work
that says what it does and can be cancelled, a dead file stopped at once, the keyboard."""

from __future__ import annotations

import os
import re
import shutil
import stat
import threading
import time
from pathlib import Path

import pytest

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.progress import CHECKS, ROWS
from cheel.restore import RestoreOptions, run_restore

from browser_support import (BROWSER, DEMO, PASSWORD, browser, catalog,  # noqa: F401
                             expect, org_row, page, ready, server, shot, step_title)

pytestmark = BROWSER

# Words of the English sentences that must not show on a French or German page.
ENGLISH = re.compile(r"\b(the|file|folder|does not|cannot|nothing|ends early|damaged|choose)\b")


WORDS = {
    "fr": {"preparing": "Préparation…", "records": "Enregistrements", "cancel": "Annuler",
           "cancelled": "Sauvegarde annulée",
           "no file": "La sauvegarde a été annulée ; aucun fichier n'a été créé.",
           "next": "Suivant", "skip": "Ignorer", "end": "Fin", "finish": "Terminer",
           "all skipped": "Tous les groupes de sociétés sont ignorés : rien ne serait restauré."},
    "de": {"preparing": "Vorbereitung…", "records": "Datensätze", "cancel": "Abbrechen",
           "cancelled": "Datensicherung abgebrochen",
           "no file": "Die Datensicherung wurde abgebrochen; es wurde keine Datei erstellt.",
           "next": "Weiter", "skip": "Überspringen", "end": "Abschluss",
           "finish": "Fertig stellen",
           "all skipped": "Alle Firmengruppen werden übersprungen: Es würde nichts "
                          "wiederhergestellt."},
}


def german(page, server, path: str = "/organizations") -> None:
    page.goto(f"{server.base}/lang/de?next={path}")
    expect(page.locator("html")).to_have_attribute("lang", "de")


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def message_text(page) -> str:
    return " ".join(page.locator(".message").all_inner_texts())


@pytest.fixture
def opener(tmp_path, monkeypatch):
    """A desktop file manager for this test: an ``xdg-open`` early on PATH that records the
    folder it is asked to show (the web UI finds and starts it as it would the real one)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "opened.txt"
    script = bin_dir / "xdg-open"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{record}"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return record


def plain_backup(catalog, tmp_path, password: str | None = None) -> Path:
    out = tmp_path / "made"
    out.mkdir(exist_ok=True)
    return run_backup(catalog, plan_backup(catalog, BackupOptions(
        [DEMO], out, ["Atelier Keller GmbH"], password))).path


def cut_copy(path: Path, tmp_path: Path) -> Path:
    """The file cut in the middle: what a full disk or a broken transfer leaves."""
    damaged = tmp_path / "damaged" / path.name
    damaged.parent.mkdir()
    data = path.read_bytes()
    damaged.write_bytes(data[: len(data) // 2])
    return damaged


# -- the backup wizard, in German, with the keyboard ---------------------------------------------
def test_backup_in_german_folders_passwords_and_proof(page, server, tmp_path, opener):
    german(page, server)
    ready(page)
    page.keyboard.press("Alt+d")  # the Datei menu's access key
    expect(page.locator(".menu").get_by_role("menuitem", name="Organisationen")).to_be_focused()
    page.keyboard.press("Escape")
    org_row(page, DEMO).click(button="right")
    page.locator("#org-context-menu").get_by_role("menuitem", name="Sichern").click()
    ready(page)
    assert page.evaluate(  # the step's first field, not the menu bar five Tabs before it
        "document.activeElement.closest('.wizard-content') !== null")
    page.get_by_role("button", name="Weiter").click()
    ready(page)
    page.get_by_role("button", name="Weiter").click()

    # a relative folder: where would it be? A full path is asked for, in German
    ready(page)
    assert focused_id(page) == "dest"
    folder = page.get_by_label("Ordner oder Adresse", exact=True)
    folder.fill("sicherungen")
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Bitte geben Sie den vollständigen Pfad des Ordners an")

    # the picker opens at the nearest folder that exists
    missing = tmp_path / "Sicherungen" / "2026"
    ready(page)
    folder.fill(str(missing))
    page.get_by_role("button", name="Durchsuchen").click()
    dialog = page.locator("dialog#picker")
    expect(dialog.locator("#picker-path")).to_have_value(str(tmp_path))
    dialog.get_by_role("button", name="Abbrechen").click()

    # a missing folder, and a password: the folder is offered, the password kept unseen
    folder.fill(str(missing))
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Passwort bestätigen").fill(PASSWORD)
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_role("alert")).to_contain_text(
        f"Der Ordner «{missing}» existiert nicht. Möchten Sie ihn erstellen?")
    assert PASSWORD not in page.content()
    expect(page.locator("[data-password-kept]")).to_be_visible()
    shot(page, "30-backup-create-folder-de.png")
    assert not missing.exists()
    page.get_by_role("button", name="Ordner erstellen").click()
    expect(step_title(page)).to_have_text("Abschluss")
    assert missing.is_dir() and missing.stat().st_mode & 0o777 == 0o700
    expect(page.locator("[data-summary=encrypted]")).to_contain_text("Ja")

    # back to the settings: the password is not written back into the page, and is kept
    page.get_by_role("button", name="Zurück").click()
    expect(page.get_by_label("Passwort", exact=True)).to_have_value("")
    assert PASSWORD not in page.content()
    page.get_by_role("button", name="Weiter").click()
    expect(page.locator("[data-summary=encrypted]")).to_contain_text("Ja")
    expect(page.locator("[data-summary=destination]")).to_contain_text(str(missing) + "/")
    page.get_by_role("button", name="Fertig stellen").click()

    # proof at the end: verify it (its password asked again), open its folder, copy its path
    expect(page.get_by_role("heading", name="Datensicherung abgeschlossen")).to_be_visible(
        timeout=60_000)
    path = page.locator("#result-path").inner_text()
    assert Path(path).parent == missing
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Pfad kopieren").click()
    expect(page.get_by_role("button", name="Pfad kopiert")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == path
    page.get_by_role("button", name="Ordner öffnen").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Der Ordner wurde im Dateimanager geöffnet.")
    assert opener.read_text() == str(missing)
    shot(page, "31-backup-done-de.png")
    page.get_by_role("link", name="Datensicherung prüfen").click()
    expect(page.get_by_role("heading", name="Eine Datensicherung prüfen")).to_be_visible()
    expect(page.get_by_role("textbox", name="Datei oder Adresse", exact=True)).to_have_value(path)
    expect(page.get_by_label("Passwort", exact=True)).to_be_focused()
    page.get_by_label("Passwort", exact=True).fill("falsch")
    page.get_by_role("button", name="Prüfen").click()
    expect(page.get_by_role("alert")).to_contain_text("Das Passwort ist falsch")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Prüfen").click()
    expect(page.get_by_role("heading", name="Die Datensicherung ist einwandfrei")).to_be_visible(
        timeout=60_000)
    expect(page.locator("[data-message=verified]")).to_contain_text("Jedes Byte wurde gelesen")


# -- a dead file stops at the file step, said whole in the page's language ------------------------
@pytest.mark.parametrize("lang", ["fr", "de"])
def test_a_damaged_file_stops_the_restore_at_once(page, server, catalog, tmp_path, lang):
    damaged = cut_copy(plain_backup(catalog, tmp_path), tmp_path)
    if lang == "de":
        german(page, server, "/restore/new")
    else:
        page.goto(server.base + "/restore/new")
    new, name, next_ = (("Eine neue Organisation", "Name", "Weiter") if lang == "de" else
                        ("Une nouvelle organisation", "Nom", "Suivant"))
    page.get_by_label(new).check()
    page.get_by_label(name, exact=True).fill("Nie SA")
    expect(page.get_by_label(name, exact=True)).to_have_attribute("maxlength", "100")
    page.get_by_role("button", name=next_).click()
    ready(page)
    page.locator("#file").fill(str(damaged))
    page.get_by_role("button", name=next_).click()

    # the file step again, with the whole message in the page's language
    expect(page.locator("#wizard-form")).to_have_attribute("data-step", "file")
    alert = page.get_by_role("alert")
    if lang == "de":
        expect(alert).to_contain_text("Die Datensicherung ist beschädigt oder unvollständig.")
        expect(alert).to_contain_text("Die Datei endet vorzeitig")
    else:
        expect(alert).to_contain_text("La sauvegarde est endommagée ou incomplète.")
        expect(alert).to_contain_text("Le fichier se termine prématurément")
    assert not ENGLISH.search(alert.inner_text()), alert.inner_text()
    shot(page, f"32-restore-damaged-{lang}.png")
    # the steps after it cannot be reached with this file
    page.goto(page.url.rsplit("/", 1)[0] + "/groups")
    expect(page.locator("#wizard-form")).to_have_attribute("data-step", "file")
    assert not catalog.exists("Nie SA")


def test_a_failed_restore_into_a_new_organization_says_it_was_not_created(
        page, server, catalog, tmp_path):
    damaged = cut_copy(plain_backup(catalog, tmp_path), tmp_path)
    job = server.app.state.jobs.start(
        "restore", lambda progress: run_restore(
            catalog, RestoreOptions(damaged, "Neu AG", create=True), None, progress),
        meta={"target": "Neu AG", "created": True, "file": str(damaged)})
    german(page, server, f"/jobs/{job.id}")
    expect(page.get_by_role("heading", name="Die Wiederherstellung ist fehlgeschlagen")) \
        .to_be_visible(timeout=30_000)
    expect(page.locator(".wizard-content")).to_contain_text(
        "Es wurde nichts geändert: Die neue Organisation «Neu AG» wurde nicht erstellt.")
    assert "genau wie vorher" not in page.locator(".wizard-content").inner_text()
    assert not ENGLISH.search(page.get_by_role("alert").inner_text())
    assert not catalog.exists("Neu AG")


# -- long work says what it does, and can be cancelled --------------------------------------------
@pytest.mark.parametrize("lang", ["fr", "de"])
def test_a_backup_says_its_phase_and_is_cancelled_without_a_trace(page, server, catalog,
                                                                   tmp_path, lang):
    words = WORDS[lang]
    dest = tmp_path / "out"
    dest.mkdir()
    plan = plan_backup(catalog, BackupOptions([DEMO], dest))
    go = threading.Event()

    def work(progress):
        def slowly(done: int, total: int, phase: str = ROWS) -> None:
            progress(done, total, phase)
            time.sleep(0.25)  # room for a person to click Annuler

        go.wait(30)  # nothing counted yet: the page says it prepares
        return run_backup(catalog, plan, slowly)

    job = server.app.state.jobs.start("backup", work, meta={"summary": plan.summary})
    if lang == "de":
        german(page, server, f"/jobs/{job.id}")
    else:
        page.goto(f"{server.base}/jobs/{job.id}")
    text = page.locator("[data-progress-text]")
    expect(text).to_have_text(words["preparing"])
    ready(page)
    assert page.locator("[data-job] progress").get_attribute("value") is None  # indeterminate
    go.set()
    expect(text).to_contain_text(re.compile(words["records"], re.IGNORECASE))
    shot(page, f"33-backup-cancel-{lang}.png")
    page.get_by_role("button", name=words["cancel"]).click()
    expect(page.get_by_role("heading", name=words["cancelled"])).to_be_visible(timeout=30_000)
    expect(page.locator("[data-message=cancelled]")).to_have_text(words["no file"])
    assert list(dest.iterdir()) == []


def test_a_restore_says_when_it_checks_what_it_loaded(page, server, catalog, tmp_path):
    backup = plain_backup(catalog, tmp_path)
    checking, resume = threading.Event(), threading.Event()

    def work(progress):
        def pausing(done: int, total: int, phase: str = ROWS) -> None:
            progress(done, total, phase)
            if phase == CHECKS and not checking.is_set():
                checking.set()
                resume.wait(30)

        return run_restore(catalog, RestoreOptions(backup, "Geprüft AG", create=True), None,
                           pausing)

    job = server.app.state.jobs.start("restore", work,
                                      meta={"target": "Geprüft AG", "created": True})
    german(page, server, f"/jobs/{job.id}")
    expect(page.locator("[data-progress-text]")).to_have_text(
        "Die wiederhergestellten Daten werden vor dem Speichern geprüft…", timeout=30_000)
    resume.set()
    expect(page.get_by_role("heading", name="Wiederherstellung abgeschlossen")).to_be_visible(
        timeout=30_000)
    expect(page.locator("#restore-report")).to_contain_text("Datensätze")
    assert catalog.exists("Geprüft AG")


# -- a restore that would restore nothing --------------------------------------------------------
@pytest.mark.parametrize("lang", ["fr", "de"])
def test_a_restore_whose_every_group_is_skipped_cannot_finish(page, server, catalog, tmp_path,
                                                              lang):
    words = WORDS[lang]
    backup = plain_backup(catalog, tmp_path)  # its group exists in the source organization
    if lang == "de":
        german(page, server, f"/restore/new?into={DEMO}")
    else:
        page.goto(server.base + f"/restore/new?into={DEMO}")
    page.get_by_role("button", name=words["next"]).click()
    page.locator("#file").fill(str(backup))
    page.get_by_role("button", name=words["next"]).click()
    expect(page.locator("[data-checklist] thead")).to_contain_text(words["records"])
    page.get_by_role("button", name=words["next"]).click()
    page.get_by_role("radio", name=f"{words['skip']} — Atelier Keller GmbH").check()
    page.get_by_role("button", name=words["next"]).click()
    expect(step_title(page)).to_have_text(words["end"])
    expect(page.locator(".wizard-steps li[data-step=summary]")).to_contain_text(words["end"])
    expect(page.get_by_role("alert")).to_contain_text(words["all skipped"])
    expect(page.get_by_role("button", name=words["finish"])).to_be_disabled()


# -- the organizations page ---------------------------------------------------------------------
def test_a_company_shows_its_legal_form_once_and_names_are_bounded(page, server):
    page.goto(server.base + "/organizations")
    ready(page)
    org_row(page, DEMO).click()
    details = page.locator(f"[data-details-for='{DEMO}']")
    expect(details).to_contain_text("Helvetia Holding SA")
    assert "Helvetia Holding SA SA" not in details.inner_text()
    page.goto(server.base + "/organizations/new")
    expect(page.get_by_label("Nom", exact=True)).to_have_attribute("maxlength", "100")
    expect(page.get_by_label("Nom", exact=True)).to_be_focused()


def test_no_opener_no_button(page, server, catalog, tmp_path, monkeypatch):
    """Without a desktop to open a folder in, the button is not offered."""
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    backup = plain_backup(catalog, tmp_path)
    job = server.app.state.jobs.start("backup", lambda progress: {
        "path": str(backup), "size": backup.stat().st_size, "encrypted": False,
        "organizations": [DEMO], "groups": ["Atelier Keller GmbH"], "companies": [],
        "rows": {"entry_lines": 1}, "seconds": 0.1})
    page.goto(f"{server.base}/jobs/{job.id}")
    expect(page.get_by_role("heading", name="Sauvegarde terminée")).to_be_visible()
    expect(page.get_by_role("button", name="Copier le chemin")).to_be_visible()
    expect(page.get_by_role("button", name="Ouvrir le dossier")).to_have_count(0)
