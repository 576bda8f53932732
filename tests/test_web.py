"""The web UI over HTTP (no browser): access token, cross-site refusals, the wizards' server
side, background jobs, pickers, translations, and the ``cheel ui`` command itself."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.store import organizations as O
from cheel.verify import inspect_backup, verify_backup
from cheel.web import pickers
from cheel.web.jobs import DONE, FAILED, JobRegistry
from cheel.errors import DestinationError

from liveserver import LiveServer

CHEEL = str(Path(sys.executable).with_name("cheel"))
WEB = Path(__file__).resolve().parents[1] / "src" / "cheel" / "web"


@pytest.fixture
def orgs(catalog):
    a = O.create_organization(catalog, "Fiduciaire Alpha")
    with O.opened(catalog, a.name) as (_, db):
        O.create_company(db, "Alpha Holding SA", new_group="Groupe Alpha")
        O.create_company(db, "Alpha Services SA", group="Groupe Alpha")
        O.create_company(db, "Boulangerie Favre Sàrl")
    O.create_organization(catalog, "Zeta SA")
    with O.opened(catalog, "Zeta SA") as (_, db):
        O.create_company(db, "Zeta SA")
    return catalog


@pytest.fixture
def server(orgs):
    with LiveServer(orgs) as s:
        yield s


@pytest.fixture
def client(server):
    """A client that opened the URL with the token (so it holds the cookie)."""
    with httpx.Client(base_url=server.base, follow_redirects=True, timeout=30) as c:
        r = c.get(server.url)
        assert r.status_code == 200
        c.headers["origin"] = server.base
        yield c


def csrf(server) -> str:
    return server.secrets.csrf


def post(client, server, url: str, **data):
    return client.post(url, data={"csrf": csrf(server), **data})


def step(r) -> str:
    """The wizard step the response shows (from its URL)."""
    return str(r.url).rsplit("/", 1)[-1]


def alert(r) -> str:
    m = re.search(r'<div class="message error" role="alert"[^>]*>(.*?)</div>', r.text, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))).strip() if m else ""


def wait_job(client, job_id: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = client.get(f"/api/jobs/{job_id}").json()
        if state["status"] != "running":
            return state
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.05)


def job_id(r) -> str:
    m = re.search(r"/jobs/([\w-]+)$", str(r.url))
    assert m, f"not on a job page: {r.url}"
    return m.group(1)


# -- 5. access: token, hosts, cross-site requests ----------------------------------------------
def test_requests_without_the_token_are_refused(server):
    with httpx.Client(base_url=server.base) as c:
        for path in ("/", "/organizations", "/api/browse", "/static/app.js", "/backup/new",
                     "/api/jobs/x", "/lang/de"):
            r = c.get(path)
            assert r.status_code == 403, path
            assert "Accès refusé" in r.text
        assert c.post("/organizations/new", data={"name": "X"}).status_code == 403
        assert c.get("/?token=wrong").status_code == 403
    with httpx.Client(base_url=server.base, cookies={server.secrets.cookie_name: "x"}) as c:
        assert c.get("/organizations").status_code == 403
    with httpx.Client(base_url=server.base) as c:

        r = c.get(server.url)  # the printed URL: cookie, then the same URL without the token
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = r.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert c.get("/organizations").status_code == 200  # the cookie is enough now
        r = c.get(f"/organizations?select=Zeta+SA&token={server.secrets.token}")
        assert r.headers["location"] == "/organizations?select=Zeta+SA"


def test_the_refusal_is_in_the_users_language(server):
    with httpx.Client(base_url=server.base, cookies={"cheel_lang": "de"}) as c:
        assert "Zugriff verweigert" in c.get("/organizations").text
    with httpx.Client(base_url=server.base, cookies={"cheel_lang": "en"}) as c:
        assert "Access denied" in c.get("/organizations").text


def test_other_host_names_are_refused(client, server):
    r = client.get("/organizations", headers={"host": f"evil.example:{server.port}"})
    assert r.status_code == 403
    assert client.get("/organizations", headers={"host": f"localhost:{server.port}"}
                      ).status_code == 200


def test_cross_site_posts_are_refused(client, server, orgs):
    form = {"csrf": csrf(server), "name": "Intrus SA", "languages": ["fr"], "engine": "sqlite"}
    r = client.post("/organizations/new", data=form, headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    assert "ne vient pas de cette page" in r.text
    r = client.post("/organizations/new", data=form,
                    headers={"origin": f"http://127.0.0.1:{server.port + 1}"})
    assert r.status_code == 403
    # no Origin: the Referer must name this server; neither: refused
    no_origin = {k: v for k, v in client.headers.items() if k != "origin"}
    with httpx.Client(base_url=server.base, cookies=client.cookies, headers=no_origin) as c:
        assert c.post("/organizations/new", data=form).status_code == 403
        assert c.post("/organizations/new", data=form,
                      headers={"referer": "http://evil.example/page"}).status_code == 403
    # the right Origin but no CSRF token in the form
    assert client.post("/organizations/new", data={**form, "csrf": "x"}).status_code == 403
    assert client.post("/organizations/new", data={"name": "Intrus SA"}).status_code == 403
    assert not orgs.exists("Intrus SA")
    # fetch() calls carry the token in a header
    assert client.post("/api/mkdir", json={"parent": "/tmp", "name": "x"}).status_code == 403
    # same origin and the token: accepted
    with httpx.Client(base_url=server.base, cookies=client.cookies, headers=no_origin) as c:
        r = c.post("/organizations/new", data=form,
                   headers={"referer": f"{server.base}/organizations/new"})
    assert r.status_code in (200, 303)
    assert orgs.exists("Intrus SA")


def test_security_headers(client):
    r = client.get("/organizations")
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


# -- pages ----------------------------------------------------------------------------------
def test_organizations_page_lists_everything(client):
    r = client.get("/organizations")
    assert r.status_code == 200
    text = r.text
    for name in ("Fiduciaire Alpha", "Zeta SA", "Groupe Alpha", "Alpha Services SA",
                 "Boulangerie Favre Sàrl"):
        assert name in text
    assert 'data-org="Fiduciaire Alpha"' in text
    assert "Sauvegarder" in text and 'aria-label="Plus"' in text
    assert re.search(r"<td class=\"num\">2</td>\s*<td class=\"num\">3</td>", text)


def test_menu_entries(client):
    text = client.get("/organizations").text
    for label, href in (("Organisations", "/organizations"),
                        ("Restauration de données Cheel", "/restore/new"),
                        ("Nouvelle organisation", "/organizations/new"),
                        ("Nouvelle société", "/companies/new")):
        assert re.search(rf'<a role="menuitem" href="{re.escape(href)}">{label}</a>', text)


def test_languages_switch_and_stick(client):
    r = client.get("/lang/de?next=/organizations")
    assert str(r.url).endswith("/organizations")
    assert "<h1>Organisationen</h1>" in r.text and ">Datei<" in r.text
    assert '<html lang="de">' in r.text
    r = client.get("/organizations")
    assert "<h1>Organisationen</h1>" in r.text  # remembered
    r = client.get("/lang/en?next=/organizations")
    assert "<h1>Organizations</h1>" in r.text and ">File<" in r.text
    assert "Company groups" in r.text
    client.get("/lang/xx?next=/organizations")  # unknown: ignored
    assert "<h1>Organizations</h1>" in client.get("/organizations").text
    r = client.get("/lang/fr?next=//evil.example/x", follow_redirects=False)
    assert r.headers["location"] == "/"
    assert "<h1>Organisations</h1>" in client.get("/organizations").text


def test_unknown_wizard_or_job(client):
    r = client.get("/backup/nope/organizations")
    assert r.status_code == 404 and "Page introuvable" in r.text
    assert client.get("/jobs/nope").status_code == 404
    assert client.get("/api/jobs/nope").status_code == 404


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

    # errors of the core, on the step
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    for dest, expected in ((tmp_path / "missing", "does not exist"),
                           (not_a_folder, "is not a folder")):
        r = post(client, server, f"{base}/settings", dest=str(dest), nav="next")
        assert step(r) == "settings"
        assert "Le dossier de destination ne peut pas être utilisé." in alert(r)
        assert expected in alert(r)
    r = post(client, server, f"{base}/settings", dest="", nav="next")
    assert alert(r) == "Veuillez choisir le dossier de destination."
    dest = tmp_path / "out"
    dest.mkdir()
    r = post(client, server, f"{base}/settings", dest=str(dest), password="a", confirm="b",
             nav="next")
    assert alert(r) == "Les deux mots de passe ne sont pas identiques."
    r = post(client, server, f"{base}/settings", dest=str(dest), password="", confirm="",
             nav="next")
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
    [org] = inspect_backup(path)["organizations"]
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

    from cheel.web import wizards

    monkeypatch.setattr(wizards, "BackupOptions", functools.partial(BackupOptions, log2n=10))


def test_two_backups_run_at_once(client, server, tmp_path, fast_kdf, monkeypatch):
    from cheel.web import wizards

    both = threading.Barrier(2, timeout=20)

    def run_backup_together(*args):
        both.wait()  # returns only once both backups are running
        return run_backup(*args)

    monkeypatch.setattr(wizards, "run_backup", run_backup_together)
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
        assert inspect_backup(p, "pw")["encrypted"]


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


# -- new organization, new company ---------------------------------------------------------
def test_new_organization_and_company_over_http(client, server, orgs):
    r = post(client, server, "/organizations/new", name="Zeta SA", languages=["fr"],
             engine="sqlite")
    assert "Ce nom est déjà utilisé." in alert(r)
    r = post(client, server, "/organizations/new", name="Rossi", languages=["xx"],
             engine="sqlite")
    assert "Cette saisie ne convient pas." in alert(r)
    r = post(client, server, "/organizations/new", name="Rossi", languages=["fr"],
             engine="postgres", pg_url="")
    assert alert(r) == "Veuillez indiquer l'adresse du serveur PostgreSQL."
    r = post(client, server, "/organizations/new", name="Rossi", languages=["it", "fr"],
             engine="sqlite")
    assert str(r.url).endswith("/organizations?done=org_created&name=Rossi&select=Rossi")
    assert "L'organisation « Rossi » a été créée." in r.text
    assert O.describe(orgs, orgs.find("Rossi"))["languages"] == ["it", "fr"]

    r = post(client, server, "/companies/new", org="Rossi", name="Rossi SA", share="no",
             group_name="Gruppo Rossi")
    assert "La société « Rossi SA » a été créée" in r.text
    r = post(client, server, "/companies/new", org="Rossi", name="Rossi SA", share="no")
    assert "Ce nom est déjà utilisé." in alert(r)
    r = post(client, server, "/companies/new", org="Rossi", name="Rossi Due", share="yes")
    assert alert(r) == "Veuillez choisir le groupe de sociétés à rejoindre."
    groups = client.get("/api/organizations/Rossi/groups").json()
    assert [g["name"] for g in groups] == ["Gruppo Rossi"]
    r = post(client, server, "/companies/new", org="Rossi", name="Rossi Due", share="yes",
             group=groups[0]["uid"], ide_number="CHE-123.456.788")
    assert "La société « Rossi Due » a été créée" in r.text
    d = O.describe(orgs, orgs.find("Rossi"), counts=False)
    assert [(g["name"], [c["name"] for c in g["companies"]]) for g in d["groups"]] == [
        ("Gruppo Rossi", ["Rossi Due", "Rossi SA"])]


# -- pickers ----------------------------------------------------------------------------------
def test_folder_and_file_listing(tmp_path):
    (tmp_path / "b-dir").mkdir()
    (tmp_path / "A-dir").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "x.cheelbackup").write_bytes(b"12345")
    (tmp_path / "notes.txt").write_text("x")
    d = pickers.listing(str(tmp_path), "dir")
    assert [x["name"] for x in d["dirs"]] == ["A-dir", "b-dir"] and d["files"] == []
    assert d["parent"] == str(tmp_path.parent) and d["writable"]
    f = pickers.listing(str(tmp_path), "file", ".cheelbackup")
    assert f["files"] == [{"name": "x.cheelbackup", "path": str(tmp_path / "x.cheelbackup"),
                           "size": 5}]
    assert ".hidden" in [x["name"] for x in pickers.listing(str(tmp_path), hidden=True)["dirs"]]
    assert pickers.listing("/")["parent"] is None
    with pytest.raises(pickers.PickerError) as e:
        pickers.listing(str(tmp_path / "missing"))
    assert e.value.kind == "missing"
    with pytest.raises(pickers.PickerError) as e:
        pickers.listing(str(tmp_path / "notes.txt"))
    assert e.value.kind == "not_dir"
    assert pickers.start_dir(str(tmp_path / "x.cheelbackup")) == tmp_path
    assert pickers.start_dir("relative/path") == Path.home()
    made = pickers.make_dir(str(tmp_path), "Sauvegardes")
    assert Path(made).is_dir()
    for bad in ("", "..", "a/b"):
        with pytest.raises(pickers.PickerError):
            pickers.make_dir(str(tmp_path), bad)
    with pytest.raises(pickers.PickerError) as e:
        pickers.make_dir(str(tmp_path), "Sauvegardes")
    assert e.value.kind == "exists"


def test_browse_and_mkdir_endpoints(client, server, tmp_path):
    tmp_path = tmp_path / "browse"
    tmp_path.mkdir()
    (tmp_path / "a.cheelbackup").write_bytes(b"x" * 2048)
    (tmp_path / "sub").mkdir()
    r = client.get("/api/browse", params={"path": str(tmp_path), "mode": "file",
                                          "ext": ".cheelbackup"})
    data = r.json()
    assert [d["name"] for d in data["dirs"]] == ["sub"]
    assert data["files"][0]["size_text"] == "2,0\u00a0Ko"
    r = client.get("/api/browse", params={"path": str(tmp_path / "nope")})
    assert r.status_code == 400 and r.json()["error"] == "Ce dossier n'existe pas."
    r = client.get("/api/browse", params={"start": str(tmp_path / "a.cheelbackup")})
    assert r.json()["path"] == str(tmp_path)
    h = {"x-csrf-token": csrf(server)}
    r = client.post("/api/mkdir", json={"parent": str(tmp_path), "name": "Neu"}, headers=h)
    assert r.status_code == 200 and (tmp_path / "Neu").is_dir()
    r = client.post("/api/mkdir", json={"parent": str(tmp_path), "name": "Neu"}, headers=h)
    assert r.status_code == 400 and r.json()["error"] == "Un dossier de ce nom existe déjà."


# -- translations -------------------------------------------------------------------------
def test_catalogs_translate_every_text():
    """Every msgid of the templates and the code has a German and an English translation, and
    the committed .mo files are compiled from the .po files."""
    import gettext

    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True",
                                     "lstrip_blocks": "True"}}
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
    wanted = set()
    for _f, _l, message, _c, _ctx in extract_from_dir(str(WEB), method_map, options, keywords):
        wanted.add(message if isinstance(message, str) else tuple(message))
    assert len(wanted) > 150
    for lang in ("de", "en"):
        folder = WEB / "locale" / lang / "LC_MESSAGES"
        with open(folder / "messages.po", "rb") as f:
            po = read_po(f)
        with open(folder / "messages.mo", "rb") as f:
            mo = gettext.GNUTranslations(f)  # what the app loads
        have = {m.id: m for m in po if m.id}
        missing = [m for m in wanted if m not in have]
        assert not missing, f"{lang}: untranslated {missing}"
        for m in have.values():
            assert m.string and all(m.string) if isinstance(m.string, tuple) else m.string, m.id
            assert not m.fuzzy, m.id
            ids = m.id if isinstance(m.id, tuple) else (m.id,)
            strings = m.string if isinstance(m.string, tuple) else (m.string,)
            wanted_vars = set(re.findall(r"%\((\w+)\)", ids[0]))
            for s in strings:
                assert set(re.findall(r"%\((\w+)\)", s)) == wanted_vars, (lang, m.id)
            if isinstance(m.id, tuple):
                compiled = (mo.ngettext(*m.id, 1), mo.ngettext(*m.id, 2))
            else:
                compiled = (mo.gettext(m.id),)
            assert compiled == strings, (lang, m.id)


def test_every_page_renders_in_every_language(client, server):
    r = client.get("/backup/new?org=Zeta SA")
    backup = str(r.url)
    r = client.get("/restore/new")
    restore = str(r.url)
    for lang, word in (("fr", "Organisations"), ("de", "Organisationen"),
                       ("en", "Organizations")):
        client.get(f"/lang/{lang}")
        for url in ("/organizations", "/organizations/new", "/companies/new", backup, restore):
            r = client.get(url)
            assert r.status_code == 200, (lang, url)
            assert f'<html lang="{lang}">' in r.text
            assert word in r.text
    client.get("/lang/fr")


# -- the command ----------------------------------------------------------------------------
def test_cheel_ui_command(orgs, tmp_path):
    env = dict(os.environ, CHEEL_DATA_DIR=str(orgs.data_dir), PYTHONUNBUFFERED="1")
    p = subprocess.Popen([CHEEL, "ui", "--no-browser"], env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:(\d+)/\?token=([\w-]+))", line)
        assert m, line
        url, port = m.group(1), int(m.group(2))
        assert len(m.group(3)) >= 40
        with httpx.Client(follow_redirects=True, timeout=10) as c:
            assert c.get(f"http://127.0.0.1:{port}/organizations").status_code == 403
            r = c.get(url)
            assert r.status_code == 200 and "Fiduciaire Alpha" in r.text

        # the port is taken now: a second one on it says so
        r = subprocess.run([CHEEL, "ui", "--no-browser", "--port", str(port)], env=env,
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1
        assert f"the port {port} is already in use" in r.stderr.lower()
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    assert p.returncode == 0


def test_cheel_ui_help():
    r = subprocess.run([CHEEL, "ui", "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0
    assert "--port" in r.stdout and "--no-browser" in r.stdout


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
    from cheel.restore_plan import RestoreOptions

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
