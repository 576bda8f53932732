"""The web UI over HTTP (issue 18): a backup encrypted for public keys restored and verified
with an identity file named by its path (never its contents in a page), the refusals of a
missing, unusable or wrong key; and the pruning of a folder from the /backups page: a
preview, then its confirmation, refused (nothing deleted) when it no longer holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cheel.archive.age import x25519
from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.store import organizations as O

from dated_backups import dated_backups
from web_support import (alert, client, job_id, orgs, post, server, step,  # noqa: F401
                         wait_job)


def key_pair(folder: Path, name: str = "key.txt") -> tuple[Path, str]:
    path = folder / name
    identity = x25519.write_identity_file(path, "2026-01-01T00:00:00Z")
    return path, str(identity.recipient)


@pytest.fixture
def for_key(orgs, tmp_path) -> tuple[Path, Path]:
    """A backup of Zeta SA encrypted for a public key, and the private key's file."""
    key, recipient = key_pair(tmp_path)
    dest = tmp_path / "enc"
    dest.mkdir()
    path = run_backup(orgs, plan_backup(orgs, BackupOptions(["Zeta SA"], dest,
                                                            recipients=[recipient]))).path
    return path, key


def secret_of(key: Path) -> str:
    return next(line for line in key.read_text().splitlines()
                if line.startswith("AGE-SECRET-KEY-1"))


def test_restore_wizard_opens_a_backup_with_an_identity_file(client, server, orgs, for_key,
                                                             tmp_path):
    path, key = for_key
    other, _ = key_pair(tmp_path, "other.txt")
    r = client.get("/restore/new")
    base = str(r.url).rsplit("/", 1)[0]
    post(client, server, f"{base}/target", mode="new", new_name="Zeta Clé", nav="next")
    r = post(client, server, f"{base}/file", file=str(path), nav="next")
    pages = [r]
    assert step(r) == "password"
    assert "Cette sauvegarde est chiffrée pour des clés publiques" in r.text
    assert 'name="identity"' in r.text and 'name="password"' not in r.text
    assert re.search(r'data-step="password"[^>]*>.*?Clé privée', r.text, re.S)

    r = post(client, server, f"{base}/password", identity="", nav="next")
    assert alert(r) == "Veuillez choisir le fichier de la clé privée."
    r = post(client, server, f"{base}/password", identity="key.txt", nav="next")
    assert alert(r).startswith("Veuillez indiquer un chemin complet")
    r = post(client, server, f"{base}/password", identity=str(path), nav="next")
    assert "Le mot de passe ne peut pas être utilisé." in alert(r)
    assert "n'est pas un fichier d'identité age" in alert(r)
    pages.append(r)
    r = post(client, server, f"{base}/password", identity=str(other), nav="next")
    assert step(r) == "password"
    assert alert(r).startswith("Aucune des clés privées données n'ouvre cette sauvegarde. "
                               "Aucune des clés privées données n'ouvre cette sauvegarde "
                               "(1 essayées).")
    assert str(other) in r.text  # the path typed is shown again, never what it holds
    pages.append(r)
    assert step(client.get(f"{base}/groups")) == "password"  # nothing shown without it

    r = post(client, server, f"{base}/password", identity=str(key), nav="next")
    assert step(r) == "groups" and "Zeta SA" in r.text
    pages.append(r)
    r = post(client, server, f"{base}/groups", nav="next")
    assert step(r) == "summary"
    pages.append(r)
    r = post(client, server, f"{base}/summary", nav="finish")
    assert wait_job(client, job_id(r))["status"] == "done"
    pages.append(client.get(r.url))
    d = O.describe(orgs, orgs.find("Zeta Clé"))
    assert [c["name"] for g in d["groups"] for c in g["companies"]] == ["Zeta SA"]
    for key_file in (key, other):
        assert all(secret_of(key_file) not in p.text for p in pages)


def test_verify_page_asks_for_the_private_key(client, server, orgs, for_key, tmp_path):
    path, key = for_key
    other, _ = key_pair(tmp_path, "other.txt")
    r = client.get("/verify", params={"file": str(path)})
    assert 'name="identity"' in r.text and 'name="password"' not in r.text
    r = post(client, server, "/verify", file=str(path), identity=str(other))
    assert alert(r).startswith("Aucune des clés privées données n'ouvre cette sauvegarde.")
    r = post(client, server, "/verify", file=str(path), identity=str(key))
    state = wait_job(client, job_id(r))
    assert state["status"] == "done"
    r = client.get(r.url)
    assert "Oui, et la clé privée l'ouvre" in r.text
    assert secret_of(key) not in r.text


# -- pruning a folder from the /backups page -------------------------------------------------
@pytest.fixture
def dest(orgs, tmp_path) -> Path:
    """Four verified backups of Zeta SA, a day apart, the newest two days ago."""
    folder = tmp_path / "kept"
    folder.mkdir()
    dated_backups(orgs, "Zeta SA", str(folder), 4)
    return folder


def decisions(r) -> dict[str, str]:
    return dict(re.findall(r'<tr data-backup="([^"]+)" data-decision="(\w+)">', r.text))


def test_prune_a_folder_after_its_preview(client, server, dest):
    names = sorted(p.name for p in dest.glob("*.cheelbackup"))
    r = client.get("/backups", params={"dest": str(dest)})
    assert 'id="prune"' in r.text and 'value="7"' in r.text  # suggested rules

    rules = {"keep_last": "2", "keep_daily": "0", "keep_weekly": "", "keep_monthly": "0",
             "keep_yearly": "0"}
    r = post(client, server, "/backups", dest=str(dest), action="prune", delete=[],
             **{**rules, "keep_last": "0"})
    assert alert(r).startswith("Veuillez indiquer au moins une règle supérieure à 0")
    r = post(client, server, "/backups", dest=str(dest), action="preview",
             **{**rules, "keep_daily": "x"})
    assert alert(r) == "Veuillez indiquer pour chaque règle un nombre entier, 0 ou plus."

    r = post(client, server, "/backups", dest=str(dest), action="preview", **rules)
    assert decisions(r) == {names[3]: "keep", names[2]: "keep", names[1]: "delete",
                            names[0]: "delete"}
    assert "2 dernières (1)." in r.text and "2 gardée(s), 2 à supprimer." in r.text
    assert "Supprimer 2 sauvegarde(s)" in r.text
    assert sorted(p.name for p in dest.glob("*.cheelbackup")) == names  # a preview only
    shown = re.findall(r'name="delete" value="([^"]+)"', r.text)
    assert sorted(shown) == names[:2]

    # confirmed with other rules than previewed: refused, nothing deleted, a new preview
    r = post(client, server, "/backups", dest=str(dest), action="prune", delete=shown,
             **{**rules, "keep_last": "1"})
    assert alert(r).startswith("L'aperçu n'est plus à jour ; rien n'a été supprimé.")
    assert sorted(p.name for p in dest.glob("*.cheelbackup")) == names
    assert list(decisions(r).values()).count("delete") == 3
    assert "Supprimer 3 sauvegarde(s)" in r.text

    r = post(client, server, "/backups", dest=str(dest), action="prune", delete=shown, **rules)
    assert "2 sauvegarde(s) supprimée(s)" in r.text
    assert decisions(r) == {names[3]: "keep", names[2]: "keep", names[1]: "deleted",
                            names[0]: "deleted"}
    assert sorted(p.name for p in dest.glob("*.cheelbackup")) == names[2:]
    assert sorted(p.name for p in dest.glob("*.json")) == [n + ".json" for n in names[2:]]

    r = post(client, server, "/backups", dest=str(dest), action="preview", **rules)
    assert set(decisions(r).values()) == {"keep"}
    assert "Rien à supprimer" in r.text and 'value="prune"' not in r.text
