"""The backup and restore wizards' server side over HTTP (no browser), and the background
jobs that run them."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.errors import DestinationError
from cheel.store import organizations as O
from cheel.verify import inspect_backup, verify_backup
from cheel.web.jobs import DONE, FAILED, JobRegistry

from web_support import alert, job_id, post, step, wait_job

pytest_plugins = ["web_support"]  # its fixtures: orgs, server, client


# -- the backup wizard, server side ---------------------------------------------------------------
def test_backup_wizard_over_http(client, server, orgs, tmp_path):
    r = client.get("/backup/new?org=Fiduciaire Alpha")
    assert step(r) == "organizations"
    assert re.search(r'value="Fiduciaire Alpha" id="org-\d+" checked', r.text)
    assert not re.search(r'value="Zeta SA" id="org-\d+" checked', r.text)
    base = str(r.url).rsplit("/", 1)[0]

    r = post(client, server, f"{base}/organizations", nav="next")  # nothing selected
    assert step(r) == "organizations"
    assert alert(r) == "Veuillez sélectionner au moins une organisation."

    # two organizations: straight to the settings, back goes to the organizations
    r = post(client, server, f"{base}/organizations", org=["Fiduciaire Alpha", "Zeta SA"],
             nav="next")
    assert step(r) == "settings"
    assert client.get(f"{base}/groups").url.path.endswith("/settings")
    r = post(client, server, f"{base}/settings", dest="", nav="back")
    assert step(r) == "organizations"

    r = post(client, server, f"{base}/organizations", org="Fiduciaire Alpha", nav="next")
    assert step(r) == "groups"
    uids = dict(re.findall(r'name="group" value="([^"]+)" id="group-\d+" checked>\s*</td>\s*'
                           r'<td><label for="group-\d+">([^<]+)</label>', r.text))
    by_name = {v: k for k, v in uids.items()}
    assert set(by_name) == {"Boulangerie Favre Sàrl", "Groupe Alpha"}
    r = post(client, server, f"{base}/groups", groups_present="1", nav="next")
    assert step(r) == "groups"
    assert alert(r) == "Veuillez sélectionner au moins un groupe de sociétés."
    r = post(client, server, f"{base}/groups", groups_present="1",
             group=by_name["Groupe Alpha"], nav="next")
    assert step(r) == "settings"

    # errors of the core, on the step, in the page's language
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    r = post(client, server, f"{base}/settings", dest=str(not_a_folder), nav="next")
    assert step(r) == "settings"
    assert "Le dossier de destination ne peut pas être utilisé." in alert(r)
    assert "n'est pas un dossier" in alert(r) and str(not_a_folder) in alert(r)
    r = post(client, server, f"{base}/settings", dest="", nav="next")
    assert alert(r) == "Veuillez choisir le dossier de destination."
    # a relative folder would be resolved against wherever cheel ui was started: refused
    r = post(client, server, f"{base}/settings", dest="sauvegardes", nav="next")
    assert step(r) == "settings" and "chemin complet" in alert(r)
    # a missing folder is offered to be created, and is only once the user says so
    dest = tmp_path / "sauvegardes" / "2026"
    r = post(client, server, f"{base}/settings", dest=str(dest), nav="next")
    assert step(r) == "settings" and not dest.exists()
    assert f"Le dossier « {dest} » n'existe pas. Voulez-vous le créer ?" in alert(r)
    r = post(client, server, f"{base}/settings", dest=str(dest), password="a", confirm="b",
             nav="next")
    assert alert(r) == "Les deux mots de passe ne sont pas identiques."
    r = post(client, server, f"{base}/settings", dest=str(dest) + "/", password="", confirm="",
             create_dest="1", nav="next")
    assert dest.is_dir() and dest.stat().st_mode & 0o777 == 0o700
    assert step(r) == "end"
    assert 'data-summary="groups"' in r.text and "Groupe Alpha" in r.text
    assert "Boulangerie" not in re.search(r'data-summary="groups">(.*?)</dd>', r.text, re.S)[1]
    assert re.search(r'data-summary="encrypted">Non<', r.text)
    destination = re.search(r'data-summary="destination"><code>([^<]+)<', r.text)[1]

    r = post(client, server, f"{base}/end", nav="finish")
    state = wait_job(client, job_id(r))
    assert state["status"] == "done" and state["percent"] == 100
    r = client.get(r.url)
    path = re.search(r'id="result-path">([^<]+)<', r.text)[1]
    assert path == destination  # the summary named the very file written
    assert verify_backup(path).rows > 0
    [org] = inspect_backup(path).as_dict()["organizations"]
    assert [g["name"] for g in org["groups"]] == ["Groupe Alpha"]
    # the wizard is finished: its steps now lead to the job
    assert "/jobs/" in str(client.get(f"{base}/end").url)


def test_backup_of_a_vanished_folder_fails_on_the_end_step(client, server, tmp_path):
    dest = tmp_path / "gone"
    dest.mkdir()
    r = client.get("/backup/new?org=Zeta SA")
    base = str(r.url).rsplit("/", 1)[0]
    post(client, server, f"{base}/organizations", org="Zeta SA", nav="next")
    post(client, server, f"{base}/groups", nav="next")
    r = post(client, server, f"{base}/settings", dest=str(dest), nav="next")
    assert step(r) == "end"
    dest.rmdir()
    r = post(client, server, f"{base}/end", nav="finish")
    assert step(r) == "end"
    assert "Le dossier de destination ne peut pas être utilisé." in alert(r)
    assert re.search(r'<button type="submit" name="nav" value="finish" disabled>',
                     client.get(f"{base}/end").text)


@pytest.fixture
def fast_kdf(monkeypatch):
    """A cheap scrypt work factor for the backups the wizard makes (this test process only)."""
    import functools

    from cheel.web import wizard_state

    monkeypatch.setattr(wizard_state, "BackupOptions", functools.partial(BackupOptions, log2n=10))


def test_two_backups_run_at_once(client, server, tmp_path, fast_kdf, monkeypatch):
    from cheel.web import backup_wizard

    both = threading.Barrier(2, timeout=20)

    def run_backup_together(*args):
        both.wait()  # returns only once both backups are running
        return run_backup(*args)

    monkeypatch.setattr(backup_wizard, "run_backup", run_backup_together)
    jobs = []
    for org in ("Fiduciaire Alpha", "Zeta SA"):
        dest = tmp_path / org
        dest.mkdir()
        r = client.get(f"/backup/new?org={org}")
        base = str(r.url).rsplit("/", 1)[0]
        post(client, server, f"{base}/organizations", org=org, nav="next")
        post(client, server, f"{base}/groups", nav="next")
        post(client, server, f"{base}/settings", dest=str(dest), password="pw", confirm="pw",
             nav="next")
        jobs.append(job_id(post(client, server, f"{base}/end", nav="finish")))
    assert jobs[0] != jobs[1]
    for jid in jobs:
        assert wait_job(client, jid)["status"] == "done"
    paths = [re.search(r'id="result-path">([^<]+)<', client.get(f"/jobs/{j}").text)[1]
             for j in jobs]
    assert len(set(paths)) == 2
    for p in paths:
        assert inspect_backup(p, "pw").as_dict()["encrypted"]


def test_job_registry_runs_jobs_side_by_side():
    registry = JobRegistry()
    barrier = threading.Barrier(2, timeout=10)

    def work(progress):
        progress(1, 2)
        barrier.wait()  # only returns when both jobs run at the same time
        progress(2, 2)
        return {"ok": True}

    a, b = registry.start("backup", work), registry.start("backup", work)
    for job in (a, b):
        deadline = time.monotonic() + 10
        while job.status == "running":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert job.status == DONE and job.result == {"ok": True}
        assert job.as_dict()["percent"] == 100

    def fails(progress):
        raise DestinationError("the destination folder /x is not writable")

    job = registry.start("backup", fails)
    while job.status == "running":
        time.sleep(0.01)
    assert job.status == FAILED and isinstance(job.error, DestinationError)
    assert registry.get(job.id) is job and registry.get("nope") is None


# -- the restore wizard, server side -------------------------------------------------------------
@pytest.fixture
def backup_file(orgs, tmp_path) -> Path:
    dest = tmp_path / "backups"
    dest.mkdir()
    plan = plan_backup(orgs, BackupOptions(["Fiduciaire Alpha"], dest, log2n=10))
    return run_backup(orgs, plan).path


def test_restore_wizard_into_the_same_organization(client, server, orgs, backup_file,
                                                   tmp_path):
    r = client.get("/restore/new?into=Fiduciaire Alpha")
    assert step(r) == "target"
    base = str(r.url).rsplit("/", 1)[0]
    assert re.search(r'<option value="Fiduciaire Alpha" selected>', r.text)
    r = post(client, server, f"{base}/target", mode="existing", into="Fiduciaire Alpha",
             nav="next")
    assert step(r) == "file"

    # files that are not backups are refused, in plain words
    junk = tmp_path / "junk.cheelbackup"
    junk.write_bytes(b"hello, this is not a backup at all" * 10)
    r = post(client, server, f"{base}/file", file=str(junk), nav="next")
    assert step(r) == "file" and "pas une sauvegarde Cheel" in alert(r)
    r = post(client, server, f"{base}/file", file=str(tmp_path / "nope.cheelbackup"),
             nav="next")
    assert step(r) == "file" and "Élément introuvable." in alert(r)
    r = post(client, server, f"{base}/file", file=str(backup_file), nav="next")
    assert step(r) == "groups"  # not encrypted: no password step
    assert "Alpha Services SA" in r.text

    r = post(client, server, f"{base}/groups", groups_present="1", nav="next")
    assert alert(r) == "Veuillez sélectionner au moins un groupe de sociétés."
    uids = re.findall(r'name="group" value="([^"]+)"', r.text)
    r = post(client, server, f"{base}/groups", groups_present="1", group=uids, nav="next")
    assert step(r) == "conflicts"
    rows = re.findall(r'<tr data-conflict="([^"]+)">', r.text)
    assert sorted(rows) == ["Boulangerie Favre Sàrl", "Groupe Alpha"]
    before = O.describe(orgs, orgs.find("Fiduciaire Alpha"))
    uid = {g["name"]: g["uid"] for g in before["groups"]}
    r = post(client, server, f"{base}/conflicts", nav="next",
             **{f"decision-{uid['Groupe Alpha']}": "replace",
                f"decision-{uid['Boulangerie Favre Sàrl']}": "copy"})
    assert step(r) == "summary"
    assert re.search(r'<tr data-group="Groupe Alpha" data-action="replace">', r.text)
    assert re.search(r'<tr data-group="Boulangerie Favre Sàrl" data-action="copy">', r.text)
    assert "renommé" in r.text

    r = post(client, server, f"{base}/summary", nav="finish")
    assert wait_job(client, job_id(r))["status"] == "done"
    r = client.get(r.url)
    assert "Restauration terminée" in r.text
    after = O.describe(orgs, orgs.find("Fiduciaire Alpha"))
    names = sorted(g["name"] for g in after["groups"])
    assert len(names) == 3 and names[0] == "Boulangerie Favre Sàrl"
    assert names[1].startswith("Boulangerie Favre Sàrl (") and names[2] == "Groupe Alpha"
    alpha = next(g for g in after["groups"] if g["name"] == "Groupe Alpha")
    assert alpha["uid"] == uid["Groupe Alpha"]
    assert alpha["rows"] == next(g for g in before["groups"]
                                 if g["name"] == "Groupe Alpha")["rows"]


def test_restore_wizard_checks_the_target(client, server, orgs):
    r = client.get("/restore/new")
    base = str(r.url).rsplit("/", 1)[0]
    r = post(client, server, f"{base}/target", mode="new", new_name="Zeta SA", nav="next")
    assert step(r) == "target" and "Ce nom est déjà utilisé." in alert(r)
    r = post(client, server, f"{base}/target", mode="new", new_name="  ", nav="next")
    assert step(r) == "target" and "Cette saisie ne convient pas." in alert(r)
    r = post(client, server, f"{base}/target", mode="new", new_name="Neu AG",
             engine="postgres", pg_url="", nav="next")
    assert alert(r) == "Veuillez indiquer l'adresse du serveur PostgreSQL."
    r = post(client, server, f"{base}/target", mode="new", new_name="Neu AG", nav="next")
    assert step(r) == "file"
    # steps that need an earlier answer lead back to it
    assert step(client.get(f"{base}/summary")) == "file"


def test_restore_wizard_password_retry(client, server, orgs, tmp_path):
    dest = tmp_path / "enc"
    dest.mkdir()
    path = run_backup(orgs, plan_backup(orgs, BackupOptions(["Zeta SA"], dest, password="juste",
                                                            log2n=10))).path
    r = client.get("/restore/new")
    base = str(r.url).rsplit("/", 1)[0]
    post(client, server, f"{base}/target", mode="new", new_name="Zeta Copie", nav="next")
    r = post(client, server, f"{base}/file", file=str(path), nav="next")
    assert step(r) == "password"
    r = post(client, server, f"{base}/password", password="", nav="next")
    assert alert(r) == "Veuillez saisir le mot de passe de la sauvegarde."
    r = post(client, server, f"{base}/password", password="faux", nav="next")
    assert step(r) == "password"
    assert alert(r) == "Le mot de passe est incorrect. Veuillez réessayer."
    assert step(client.get(f"{base}/groups")) == "password"  # nothing shown without it
    r = post(client, server, f"{base}/password", password="juste", nav="next")
    assert step(r) == "groups" and "Zeta SA" in r.text
    r = post(client, server, f"{base}/groups", nav="next")
    assert step(r) == "summary"  # a new organization: no conflicts
    r = post(client, server, f"{base}/summary", nav="finish")
    assert wait_job(client, job_id(r))["status"] == "done"
    d = O.describe(orgs, orgs.find("Zeta Copie"))
    assert [c["name"] for g in d["groups"] for c in g["companies"]] == ["Zeta SA"]


@pytest.mark.postgres
def test_postgresql_organizations_from_the_ui(client, server, orgs, backup_file, pg_url,
                                              pg_dbname):
    url = f"{pg_url}/{pg_dbname()}"
    r = post(client, server, "/organizations/new", name="Serveur SA", languages=["de", "fr"],
             engine="postgres", pg_url=url)
    assert "L'organisation « Serveur SA » a été créée." in r.text
    assert orgs.find("Serveur SA").engine == "postgres"
    assert 'data-org="Serveur SA"' in r.text and "PostgreSQL" in r.text

    # restore a SQLite backup into a new PostgreSQL organization
    target = f"{pg_url}/{pg_dbname()}"
    r = client.get("/restore/new")
    base = str(r.url).rsplit("/", 1)[0]
    r = post(client, server, f"{base}/target", mode="new", new_name="Alpha PG",
             engine="postgres", pg_url=target, nav="next")
    r = post(client, server, f"{base}/file", file=str(backup_file), nav="next")
    r = post(client, server, f"{base}/groups", nav="next")
    assert step(r) == "summary" and "PostgreSQL" in r.text
    r = post(client, server, f"{base}/summary", nav="finish")
    assert wait_job(client, job_id(r))["status"] == "done"
    entry = orgs.find("Alpha PG")
    assert entry.engine == "postgres"
    source = O.describe(orgs, orgs.find("Fiduciaire Alpha"))
    restored = O.describe(orgs, entry)
    assert [(g["name"], g["rows"]) for g in restored["groups"]] == [
        (g["name"], g["rows"]) for g in source["groups"]]


def test_restore_one_of_two_groups_sharing_a_uid(client, server, orgs, backup_file, tmp_path):
    """A backup of an organization and of its restored twin holds each group uid twice; the
    wizard still restores exactly the group that was ticked."""
    from cheel.restore import run_restore
    from cheel.restore import RestoreOptions

    run_restore(orgs, RestoreOptions(backup_file, "Alpha Bis", create=True))
    dest = tmp_path / "both"
    dest.mkdir()
    both = run_backup(orgs, plan_backup(orgs, BackupOptions(["Fiduciaire Alpha", "Alpha Bis"],
                                                            dest))).path
    r = client.get("/restore/new")
    base = str(r.url).rsplit("/", 1)[0]
    post(client, server, f"{base}/target", mode="new", new_name="Alpha Ter", nav="next")
    r = post(client, server, f"{base}/file", file=str(both), nav="next")
    boxes = re.findall(r'name="group" value="([^"]+)" id="rg-(\d+)-\d+" checked>\s*</td>\s*'
                       r'<td><label for="rg-\d+-\d+">([^<]+)</label>', r.text)
    assert len(boxes) == 4
    [twin] = [k for k, org, name in boxes if org == "1" and name == "Groupe Alpha"]
    r = post(client, server, f"{base}/groups", groups_present="1", group=twin, nav="next")
    assert step(r) == "summary"
    assert re.findall(r'<tr data-group="([^"]+)"', r.text) == ["Groupe Alpha"]
    assert "(Alpha Bis)" in r.text
    r = post(client, server, f"{base}/summary", nav="finish")
    assert wait_job(client, job_id(r))["status"] == "done"
    d = O.describe(orgs, orgs.find("Alpha Ter"), counts=False)
    assert [g["name"] for g in d["groups"]] == ["Groupe Alpha"]
