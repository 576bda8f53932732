"""Off-site destinations in the web UI, in a real browser (issue 18): the backup wizard's
Paramètres step takes an s3:// address, "Tester la destination" says whether it can be
used (in the page's language), the backup goes there, and the page of a destination's
backups lists it; the restore wizard restores from an s3:// or sftp:// address, and a
backup encrypted for public keys with an identity file (a wrong key said as such); the
/backups page prunes an s3:// or sftp:// destination after a preview; in French and in
German."""

from __future__ import annotations

from pathlib import Path

import pytest

from cheel.archive.age import x25519
from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.backups.listing import list_backups
from cheel.store import organizations

from dated_backups import dated_backups
from s3_server import new_bucket, s3_url
from browser_support import (BROWSER, DEMO, OTHER, browser, catalog,  # noqa: F401
                             expect, org_row, page, ready, server, shot,
                             step_title)

pytestmark = BROWSER

WORDS = {
    "fr": {"menu": "Sauvegarder", "next": "Suivant", "finish": "Terminer",
           "folder": "Dossier ou adresse", "test": "Tester la destination",
           "usable": "La destination est utilisable",
           "unusable": "La destination S3 s3://no-such-bucket/backups ne peut pas être utilisée",
           "done": "Sauvegarde terminée", "show": "Afficher", "verified": "pas encore",
           "count": "1 sauvegarde(s)."},
    "de": {"menu": "Sichern", "next": "Weiter", "finish": "Fertig stellen",
           "folder": "Ordner oder Adresse", "test": "Ziel testen",
           "usable": "Das Ziel ist verwendbar",
           "unusable": "Das S3-Ziel s3://no-such-bucket/backups kann nicht verwendet werden",
           "done": "Sicherung abgeschlossen", "show": "Anzeigen", "verified": "noch nicht",
           "count": "1 Sicherung(en)."},
}


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_a_backup_to_s3_from_the_wizard_then_listed(page, server, s3_endpoint,  # noqa: F811
                                                     lang):
    words = WORDS[lang]
    page.goto(f"{server.base}/lang/{lang}?next=/organizations")
    ready(page)
    org_row(page, DEMO).click(button="right")
    page.locator("#org-context-menu").get_by_role("menuitem", name=words["menu"]).click()
    for _ in range(2):
        ready(page)
        page.get_by_role("button", name=words["next"]).click()
    ready(page)
    folder = page.get_by_label(words["folder"], exact=True)

    # a bucket that does not exist: said whole in the page's language
    folder.fill(s3_url(s3_endpoint, "no-such-bucket"))
    page.get_by_role("button", name=words["test"]).click()
    expect(page.get_by_role("alert")).to_contain_text(words["unusable"])

    url = s3_url(s3_endpoint, new_bucket(s3_endpoint))
    ready(page)
    folder.fill(url)
    page.get_by_role("button", name=words["test"]).click()
    expect(page.get_by_role("status")).to_contain_text(words["usable"])
    expect(folder).to_have_value(url)
    page.get_by_role("button", name=words["next"]).click()
    ready(page)
    page.get_by_role("button", name=words["finish"]).click()
    expect(page.locator("h2, h1").filter(has_text=words["done"]).first).to_be_visible(
        timeout=30_000)
    location = page.locator("#result-path").inner_text()
    assert location.startswith(url.split("?")[0] + "/") and ".cheelbackup?" in location
    assert page.locator("[data-reveal]").count() == 0  # no folder to open on this machine

    page.goto(f"{server.base}/backups")
    ready(page)
    page.get_by_label(words["folder"], exact=True).fill(url)
    page.get_by_role("button", name=words["show"]).click()
    rows = page.locator("[data-backups] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(DEMO)
    expect(rows.first).to_contain_text(words["verified"])
    expect(page.locator(".backups-page")).to_contain_text(words["count"])


# -- the restore wizard: a backup at an address, a backup for public keys ---------------------
RESTORE = {
    "fr": {"new": "Une nouvelle organisation", "name": "Nom", "next": "Suivant",
           "finish": "Terminer", "file": "Fichier ou adresse",
           "groups": "Veuillez sélectionner les groupes de sociétés à restaurer",
           "done": "Restauration terminée",
           "for_keys": "Cette sauvegarde est chiffrée pour des clés publiques",
           "key_step": "Clé privée", "key": "Fichier de la clé privée",
           "browse": "Parcourir", "picker": "Choisir le fichier de la clé privée",
           "open": "Ouvrir",
           "wrong_key": "Aucune des clés privées données n'ouvre cette sauvegarde.",
           "wrong_key_hint": "Utilisez la clé privée de l'un des destinataires",
           "not_a_key": "n'est pas un fichier d'identité age"},
    "de": {"new": "Eine neue Organisation", "name": "Name", "next": "Weiter",
           "finish": "Fertig stellen", "file": "Datei oder Adresse",
           "groups": "Bitte wählen Sie die wiederherzustellenden Firmengruppen",
           "done": "Wiederherstellung abgeschlossen",
           "for_keys": "Diese Sicherung ist für öffentliche Schlüssel verschlüsselt",
           "key_step": "Privater Schlüssel", "key": "Datei des privaten Schlüssels",
           "browse": "Durchsuchen", "picker": "Datei des privaten Schlüssels wählen",
           "open": "Öffnen",
           "wrong_key": "Keiner der angegebenen privaten Schlüssel öffnet diese Sicherung.",
           "wrong_key_hint": "Verwenden Sie den privaten Schlüssel eines der Empfänger",
           "not_a_key": "ist keine age-Identitätsdatei"},
}


def start_restore(page, server, lang: str, target: str) -> dict:
    """The restore wizard in ``lang``, into a new organization: on its file step."""
    words = RESTORE[lang]
    page.goto(f"{server.base}/lang/{lang}?next=/restore/new")
    ready(page)
    page.get_by_label(words["new"]).check()
    page.get_by_label(words["name"], exact=True).fill(target)
    page.get_by_role("button", name=words["next"]).click()
    ready(page)
    return words


def finish_restore(page, catalog, words: dict, target: str) -> None:
    """From the groups step to the report; the organization holds OTHER's company."""
    expect(step_title(page)).to_have_text(words["groups"], timeout=30_000)
    page.get_by_role("button", name=words["next"]).click()
    ready(page)
    page.get_by_role("button", name=words["finish"]).click()
    expect(page.locator("h2, h1").filter(has_text=words["done"]).first).to_be_visible(
        timeout=60_000)
    d = organizations.describe(catalog, catalog.find(target))
    assert [c["name"] for g in d["groups"] for c in g["companies"]] == [OTHER]


def address(request, kind: str, tmp_path: Path) -> str:
    """A new, empty destination of ``kind`` on the tests' own servers."""
    if kind == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        return s3_url(endpoint, new_bucket(endpoint))
    folder = tmp_path / "sftp-backups"
    folder.mkdir()
    return request.getfixturevalue("sftp_server").url(folder)


@pytest.mark.parametrize("kind, lang", [("s3", "fr"), ("sftp", "de")])
def test_restore_from_an_address(page, server, catalog, request, tmp_path,  # noqa: F811
                                 kind, lang):
    url = address(request, kind, tmp_path)
    location = str(run_backup(catalog, plan_backup(catalog, BackupOptions([OTHER], url))).path)
    assert location.startswith(f"{kind}://")
    target = f"Restaurée {kind} {lang}"
    words = start_restore(page, server, lang, target)
    page.get_by_role("textbox", name=words["file"], exact=True).fill(location)
    page.get_by_role("button", name=words["next"]).click()
    finish_restore(page, catalog, words, target)
    expect(page.locator("#restore-report tbody tr")).to_have_count(1)


@pytest.mark.parametrize("lang", ["fr", "de"])
def test_restore_with_a_private_key(page, server, catalog, tmp_path, lang):  # noqa: F811
    keys = tmp_path / "keys"
    keys.mkdir()
    key, other = keys / "cheel-key.txt", keys / "autre-cle.txt"
    recipient = x25519.write_identity_file(key, "2026-01-01T00:00:00Z").recipient
    x25519.write_identity_file(other, "2026-01-01T00:00:00Z")
    dest = tmp_path / "backups"
    dest.mkdir()
    backup = run_backup(catalog, plan_backup(catalog, BackupOptions(
        [OTHER], dest, recipients=[str(recipient)]))).path
    target = f"Restaurée avec clé {lang}"
    words = start_restore(page, server, lang, target)
    page.get_by_role("textbox", name=words["file"], exact=True).fill(str(backup))
    page.get_by_role("button", name=words["next"]).click()

    # the password step asks for the private key's file instead
    expect(step_title(page)).to_have_text(words["for_keys"])
    expect(page.locator(".wizard-steps li[data-step=password]")).to_contain_text(
        words["key_step"])
    assert page.locator("input[type=password]").count() == 0
    field = page.get_by_role("textbox", name=words["key"], exact=True)
    field.fill(str(backup))  # a file that is not a key file: said, with its path
    page.get_by_role("button", name=words["next"]).click()
    expect(page.get_by_role("alert")).to_contain_text(words["not_a_key"])

    # another key, chosen with the file picker: not one of the backup's recipients
    ready(page)
    page.get_by_role("button", name=words["browse"]).click()
    dialog = page.locator("dialog#picker")
    expect(dialog.get_by_role("heading")).to_have_text(words["picker"])
    dialog.locator("#picker-path").fill(str(keys))
    dialog.locator("#picker-path").press("Enter")
    dialog.locator(".picker-list li", has_text=other.name).click()
    dialog.get_by_role("button", name=words["open"]).click()
    expect(field).to_have_value(str(other))
    page.get_by_role("button", name=words["next"]).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(words["wrong_key"])
    expect(alert).to_contain_text(words["wrong_key_hint"])
    expect(field).to_have_value(str(other))  # the path again, to correct it
    shot(page, f"40-restore-wrong-key-{lang}.png")

    field.fill(str(key))
    page.get_by_role("button", name=words["next"]).click()
    finish_restore(page, catalog, words, target)
    secret = key.read_text().split("AGE-SECRET-KEY-1", 1)[1][:20]
    assert secret not in page.content()


# -- pruning a destination from the /backups page ---------------------------------------------
PRUNE = {
    "fr": {"dest": "Dossier ou adresse", "show": "Afficher", "last": "Dernières",
           "daily": "Journalières", "weekly": "Hebdomadaires", "monthly": "Mensuelles",
           "preview": "Aperçu", "delete": "supprimer", "keep": "garder",
           "reason": "2 dernières (1).", "summary": "2 gardée(s), 2 à supprimer.",
           "confirm": "Supprimer 2 sauvegarde(s)", "deleted": "supprimée",
           "done": "2 sauvegarde(s) supprimée(s)"},
    "de": {"dest": "Ordner oder Adresse", "show": "Anzeigen", "last": "Letzte",
           "daily": "Tägliche", "weekly": "Wöchentliche", "monthly": "Monatliche",
           "preview": "Vorschau", "delete": "löschen", "keep": "behalten",
           "reason": "Letzte 2 (1).", "summary": "2 behalten, 2 zu löschen.",
           "confirm": "2 Sicherung(en) löschen", "deleted": "gelöscht",
           "done": "2 Sicherung(en) gelöscht"},
}


@pytest.mark.parametrize("kind, lang", [("s3", "fr"), ("sftp", "de")])
def test_prune_a_destination_after_a_preview(page, server, catalog, request, tmp_path,  # noqa: F811
                                             kind, lang):
    url = address(request, kind, tmp_path)
    names = dated_backups(catalog, OTHER, url, 4)  # oldest first, all verified
    words = PRUNE[lang]
    page.goto(f"{server.base}/lang/{lang}?next=/backups")
    ready(page)
    page.get_by_label(words["dest"], exact=True).fill(url)
    page.get_by_role("button", name=words["show"]).click()
    expect(page.locator("[data-backups] tbody tr")).to_have_count(4)

    page.get_by_label(words["last"], exact=True).fill("2")
    for rule in ("daily", "weekly", "monthly"):
        page.get_by_label(words[rule], exact=True).fill("0")
    page.get_by_role("button", name=words["preview"]).click()
    rows = page.locator("[data-decisions] tbody tr")
    expect(rows).to_have_count(4)
    for name, decision in zip(names, ["delete", "delete", "keep", "keep"]):
        row = page.locator(f"tr[data-backup='{name}']")
        expect(row).to_have_attribute("data-decision", decision)
        expect(row).to_contain_text(words[decision])
    expect(page.locator(f"tr[data-backup='{names[-1]}']")).to_contain_text(words["reason"])
    expect(page.locator("[data-summary=preview]")).to_have_text(words["summary"])
    assert [b.name for b in list_backups(url)] == names  # a preview deletes nothing
    shot(page, f"41-backups-prune-preview-{lang}.png")

    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.locator("[data-message=pruned]")).to_contain_text(words["done"])
    for name in names[:2]:
        expect(page.locator(f"tr[data-backup='{name}']")).to_contain_text(words["deleted"])
    assert [b.name for b in list_backups(url)] == names[2:]
    shot(page, f"42-backups-pruned-{lang}.png")
