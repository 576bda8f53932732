"""The web UI over HTTP (no browser): access token, cross-site refusals, pages, pickers,
translations, new organizations and companies, and the ``cheel ui`` command itself. The
wizards' server side is in test_web_wizards.py."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from cheel.store import organizations as O
from cheel.store.catalog import OrgEntry
from cheel.web import pickers

from helpers import database_exists, fingerprint, lock_held
from web_support import alert, csrf, post

CHEEL = str(Path(sys.executable).with_name("cheel"))
WEB = Path(__file__).resolve().parents[1] / "src" / "cheel" / "web"
pytest_plugins = ["web_support"]  # its fixtures: orgs, server, client


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


# -- renaming and deleting an organization ---------------------------------------------------
def status_text(r) -> str:
    m = re.search(r'<div class="message info" role="status"[^>]*>(.*?)</div>', r.text, re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(1))).strip()
                         ) if m else ""


def said(r) -> str:
    """The error box's text, as read."""
    return html.unescape(alert(r))


def test_delete_an_organization_over_http(client, server, orgs):
    path = orgs.sqlite_path(orgs.find("Zeta SA")).resolve()
    before = fingerprint(orgs, "Zeta SA")
    r = client.get("/organizations/delete", params={"name": "zeta sa"})
    assert r.status_code == 200
    assert "<h1>Supprimer l'organisation « Zeta SA »</h1>" in r.text
    assert "L'organisation et son fichier de base de données seront supprimés définitivement" \
        in r.text and f'<code class="location">{path}</code>' in r.text
    assert 'name="name" value="Zeta SA"' in r.text and 'maxlength="100"' in r.text
    for typed in ("Zeta", "zeta sa", ""):  # another name, another case, nothing: kept
        r = post(client, server, "/organizations/delete", name="Zeta SA", confirm=typed)
        assert r.status_code == 200 and str(r.url).endswith("/organizations/delete")
        assert alert(r) == ("Le nom saisi n'est pas celui de l'organisation ; rien n'a été "
                            "supprimé.")
    assert fingerprint(orgs, "Zeta SA") == before
    # without the CSRF token, or from another site: refused, and nothing changes
    r = client.post("/organizations/delete", data={"name": "Zeta SA", "confirm": "Zeta SA"})
    assert r.status_code == 403 and "ne vient pas de cette page" in r.text
    r = client.post("/organizations/delete", data={"csrf": "x", "name": "Zeta SA",
                                                   "confirm": "Zeta SA"})
    assert r.status_code == 403
    r = client.post("/organizations/delete", data={"csrf": csrf(server), "name": "Zeta SA",
                                                   "confirm": "Zeta SA"},
                    headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    assert orgs.exists("Zeta SA") and path.exists()
    r = post(client, server, "/organizations/delete", name="Zeta SA", confirm=" Zeta SA ")
    assert str(r.url).endswith("/organizations?done=org_deleted&name=Zeta%20SA")
    assert status_text(r) == "L'organisation « Zeta SA » et sa base de données ont été supprimées."
    assert 'data-org="Zeta SA"' not in r.text
    assert not orgs.exists("Zeta SA") and not path.exists()
    assert [e.name for e in orgs.list()] == ["Fiduciaire Alpha"]


def test_rename_an_organization_over_http(client, server, orgs):
    before = fingerprint(orgs, "Zeta SA")
    r = client.get("/organizations/rename", params={"name": "Zeta SA"})
    assert "<h1>Renommer l'organisation « Zeta SA »</h1>" in r.text
    assert re.search(r'<input type="text" id="new_name" name="new_name" value="Zeta SA"[^>]* '
                     r'maxlength="100">', r.text)
    r = post(client, server, "/organizations/rename", name="Zeta SA", new_name="Zeta SA ")
    assert alert(r) == "C'est déjà le nom de cette organisation."
    assert client.post("/organizations/rename", data={"name": "Zeta SA", "new_name": "Omega"}
                       ).status_code == 403
    assert orgs.exists("Zeta SA") and not orgs.exists("Omega")
    r = post(client, server, "/organizations/rename", name="Zeta SA", new_name="Zeta & Co <SA>")
    assert str(r.url).endswith("/organizations?done=org_renamed&name=Zeta%20%26%20Co%20%3CSA%3E"
                               "&old=Zeta%20SA&select=Zeta%20%26%20Co%20%3CSA%3E")
    assert status_text(r) == "L'organisation « Zeta SA » s'appelle désormais « Zeta & Co <SA> »."
    assert "Zeta &amp; Co &lt;SA&gt;" in r.text and "<SA>" not in r.text  # escaped everywhere
    assert 'class="selected"' in r.text
    assert fingerprint(orgs, "Zeta & Co <SA>") == before


def test_core_refusals_are_shown_on_the_pages(client, server, orgs):
    """The core's errors (a taken name, a name against the rule, a backup running, an unknown
    organization) are said on the page, and nothing changes. In English: the core's sentences
    need no catalog there."""
    client.get("/lang/en")
    try:
        r = post(client, server, "/organizations/rename", name="Zeta SA",
                 new_name="fiduciaire alpha")
        assert said(r) == ('This name is already taken. An organization named "fiduciaire '
                           'alpha" already exists. Hint: Choose another name.')
        assert 'value="fiduciaire alpha"' in r.text  # the typed name stays, to be corrected
        r = post(client, server, "/organizations/rename", name="Zeta SA", new_name="x" * 101)
        assert "The organization name is longer than 100 characters." in said(r)
        with lock_held(orgs, "Zeta SA"):
            r = post(client, server, "/organizations/delete", name="Zeta SA", confirm="Zeta SA")
            assert said(r) == ('The organization is in use. A backup or a restore of "Zeta SA" '
                               "is running. Hint: Try again when it has ended.")
            r = post(client, server, "/organizations/rename", name="Zeta SA", new_name="Omega")
            assert 'A backup or a restore of "Zeta SA" is running.' in said(r)
        assert [e.name for e in orgs.list()] == ["Fiduciaire Alpha", "Zeta SA"]
        for url in ("/organizations/delete", "/organizations/rename"):
            r = client.get(url, params={"name": "Nope"})
            assert r.status_code == 200
            assert said(r).startswith('Not found. There is no organization named "Nope".')
            assert 'name="confirm"' not in r.text and 'name="new_name"' not in r.text
            assert 'href="/organizations">Back to the organizations</a>' in r.text
    finally:
        client.get("/lang/fr")


def test_delete_says_what_happens_to_a_postgresql_database(client, server, orgs, pg_url,
                                                           pg_dbname):
    made, foreign = pg_dbname(), pg_dbname()
    O.create_organization(orgs, "Serveur SA", postgres=f"{pg_url}/{made}")
    entry = O.create_organization(orgs, "Fremd AG", postgres=f"{pg_url}/{foreign}")
    orgs.remove("Fremd AG")  # as if listed from a database someone else made
    orgs.add(OrgEntry("Fremd AG", entry.engine, entry.location, owned=False))
    r = client.get("/organizations/delete", params={"name": "Serveur SA"})
    assert "L'organisation et sa base de données PostgreSQL seront supprimées définitivement" \
        in r.text and f'<code class="location">{pg_url}/{made}</code>' in r.text
    assert '<button type="submit" class="danger">Supprimer</button>' in r.text
    r = client.get("/organizations/delete", params={"name": "Fremd AG"})
    assert "Cette base de données PostgreSQL n'a pas été créée par Cheel : elle restera sur son " \
           "serveur, et l'organisation sera seulement retirée de la liste." in r.text
    assert f'<code class="location">{pg_url}/{foreign}</code>' in r.text
    assert '<button type="submit" class="danger">Retirer de la liste</button>' in r.text
    r = post(client, server, "/organizations/delete", name="Serveur SA", confirm="Serveur SA")
    assert status_text(r) == ("L'organisation « Serveur SA » et sa base de données ont été "
                              "supprimées.")
    assert not database_exists(pg_url, made)
    r = post(client, server, "/organizations/delete", name="Fremd AG", confirm="Fremd AG")
    assert status_text(r) == ("L'organisation « Fremd AG » a été retirée de la liste ; sa base "
                              "de données PostgreSQL, que Cheel n'avait pas créée, est restée "
                              "sur son serveur.")
    assert database_exists(pg_url, foreign) and not orgs.exists("Fremd AG")


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
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None,
                "pgettext": ((1, "c"), 2)}
    wanted = set()
    for _f, _l, message, _c, context in extract_from_dir(str(WEB), method_map, options,
                                                         keywords):
        wanted.add((context, message if isinstance(message, str) else tuple(message)))
    assert len(wanted) > 150
    for lang in ("de", "en"):
        folder = WEB / "locale" / lang / "LC_MESSAGES"
        with open(folder / "messages.po", "rb") as f:
            po = read_po(f)
        with open(folder / "messages.mo", "rb") as f:
            mo = gettext.GNUTranslations(f)  # what the app loads
        have = {(m.context, m.id): m for m in po if m.id}
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
            elif m.context:
                compiled = (mo.pgettext(m.context, m.id),)
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
        for url in ("/organizations", "/organizations/new", "/companies/new", backup, restore,
                    "/organizations/delete?name=Zeta+SA", "/organizations/rename?name=Zeta+SA"):
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
