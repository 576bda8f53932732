"""One name rule for organizations, groups and companies (store/names.py): what is refused,
what counts as the same name, and how the CLI and the web UI say it."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from click.testing import CliRunner

from cheel.cli.main import cli
from cheel.errors import AlreadyExists, UsageError
from cheel.store import organizations
from cheel.store.names import check_name, name_key, name_problem

from cheel.web import i18n

from web_support import alert, post

pytest_plugins = ["web_support"]  # its fixtures: orgs, server, client

CAFE_NFC = unicodedata.normalize("NFC", "Café Dupont")
CAFE_NFD = unicodedata.normalize("NFD", "Café Dupont")

# (name, what the refusal says after "the organization name ")
BAD_NAMES = [
    ("Evil\u202eAS", "contains an invisible formatting character (U+202E)"),  # bidi override
    ("Evil\u2066AS\u2069", "contains an invisible formatting character (U+2066)"),  # isolate
    ("Zero\u200bwidth", "contains an invisible formatting character (U+200B)"),
    ("Soft\u00adhyphen", "contains an invisible formatting character (U+00AD)"),
    ("\ufeffBOM SA", "contains an invisible formatting character (U+FEFF)"),
    ("Two\nlines", "contains a control character (U+000A)"),
    ("Esc\x1b[31mape", "contains a control character (U+001B)"),
    ("Nul\x00SA", "contains a control character (U+0000)"),
    ("Line\u2028sep", "contains a line separator (U+2028)"),
    ("Private\ue000use", "contains a private-use character (U+E000)"),
    ("Unassigned\u0378", "contains an unassigned character (U+0378)"),
    ("x" * 101, "is longer than 100 characters"),
    ("", "cannot be empty"),
    ("   \t ", "cannot be empty"),
]


def run(catalog, *args):
    result = CliRunner().invoke(cli, ["--data-dir", str(catalog.data_dir), *args])
    return result.exit_code, result.output


def test_the_rule():
    for name, reason in BAD_NAMES:
        assert str(name_problem(name)) == f"the organization name {reason}", repr(name)
        with pytest.raises(UsageError):
            check_name(name)
    assert str(name_problem("a\udc80b", "group")) == \
        "the group name contains an invalid character (U+DC80)"  # undecodable argv byte
    assert name_problem("x" * 100) is None
    assert name_problem("Groupe [Alpha] & Fils / Zürich – 2024 ✓") is None
    assert check_name(f"  {CAFE_NFD} \n") == CAFE_NFC  # stored NFC, stripped
    assert name_key(CAFE_NFC) == name_key(CAFE_NFD) == name_key("CAFÉ DUPONT")
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("Alpha") != name_key("Alpha SA")


def test_same_name_however_it_is_written(catalog):
    organizations.create_organization(catalog, CAFE_NFC)
    for other in (CAFE_NFD, "CAFÉ DUPONT", unicodedata.normalize("NFD", "café dupont")):
        with pytest.raises(AlreadyExists):
            organizations.create_organization(catalog, other)
    assert catalog.find(CAFE_NFD).name == CAFE_NFC
    assert [e.name for e in catalog.list()] == [CAFE_NFC]

    organizations.create_organization(catalog, CAFE_NFD + " 2")  # stored NFC
    assert json.loads(catalog.path.read_text("utf-8"))["organizations"][1]["name"] == \
        CAFE_NFC + " 2"

    with organizations.opened(catalog, CAFE_NFD) as (_, db):
        group = organizations.create_group(db, unicodedata.normalize("NFD", "École Générale"))
        assert group.name == "École Générale"
        for other in ("ÉCOLE GÉNÉRALE", unicodedata.normalize("NFD", "école générale")):
            with pytest.raises(AlreadyExists):  # SQL lower() folds only ASCII in SQLite
                organizations.create_group(db, other)
        assert organizations.find_group(db, "école générale").uid == group.uid
        organizations.create_company(db, "Öko Bäckerei AG",
                         group=unicodedata.normalize("NFD", "ÉCOLE GÉNÉRALE"))
        with pytest.raises(AlreadyExists):
            organizations.create_company(db, unicodedata.normalize("NFD", "ÖKO BÄCKEREI AG"), new_group="X")
        assert [(g.name, [c.name for c in g.companies]) for g in organizations.list_groups(db)] == [
            ("École Générale", ["Öko Bäckerei AG"])]


def test_cli_refuses_bad_names_in_one_sentence(catalog):
    assert run(catalog, "org", "create", "Org")[0] == 0
    assert run(catalog, "company", "create", "Org", "Alpha SA", "--new-group", "Alpha")[0] == 0
    for name, reason in BAD_NAMES:
        cases = [(("org", "create", name), "organization"),
                 (("group", "create", "Org", name), "group"),
                 (("company", "create", "Org", name, "--group", "Alpha"), "company")]
        if name.strip():  # a blank --new-group names the group after the company
            cases.append((("company", "create", "Org", "Beta SA", "--new-group", name), "group"))
        for args, what in cases:
            code, out = run(catalog, *args)
            assert code == 2, (args, out)
            lines = out.splitlines()
            assert lines[0] == f"Error: The {what} name {reason}.", (args, out)
            assert len(lines) == 2 and lines[1].startswith("Hint: "), (args, out)
    code, out = run(catalog, "org", "create", CAFE_NFC)
    assert code == 0
    code, out = run(catalog, "org", "create", CAFE_NFD)
    assert code == 1 and out.startswith(f'Error: An organization named "{CAFE_NFC}" already')
    info = json.loads(run(catalog, "org", "show", "Org", "--json")[1])
    assert [g["name"] for g in info["groups"]] == ["Alpha"]
    assert [e.name for e in catalog.list()] == ["Org", CAFE_NFC]


def test_web_forms_refuse_bad_names_in_one_sentence(client, server, orgs):
    for name, reason in BAD_NAMES:
        if "\x00" in name:
            continue  # below: a browser never sends it raw
        r = post(client, server, "/organizations/new", name=name, languages=["fr"],
                 engine="sqlite")
        assert r.status_code == 200, (name, r.status_code)
        shown = alert(r)
        # the whole sentence in the page's language (French), the name rule's own words
        assert shown.startswith("Cette saisie ne convient pas."), (name, shown)
        assert i18n.say(name_problem(name), "fr") in shown, (name, shown)
        assert "Le nom (organisation)" in shown, (name, shown)
        r = post(client, server, "/companies/new", org="Zeta SA", name=name, share="no")
        assert r.status_code == 200, name
        assert i18n.say(name_problem(name, "company"), "fr") in alert(r), (name, alert(r))
        if name.strip():  # a blank group name: the group is named after the company
            r = post(client, server, "/companies/new", org="Zeta SA", name="Neue AG",
                     share="no", group_name=name)
            assert r.status_code == 200, name
            assert i18n.say(name_problem(name, "group"), "fr") in alert(r), (name, alert(r))
    r = post(client, server, "/organizations/new", name="Nul\x00SA", languages=["fr"],
             engine="sqlite")
    assert r.status_code == 200 and "caractère de contrôle" in alert(r)
    r = post(client, server, "/organizations/new", name="ZETA sa", languages=["fr"],
             engine="sqlite")
    assert r.status_code == 200 and "Ce nom est déjà utilisé." in alert(r)
    r = post(client, server, "/organizations/new", name=CAFE_NFD, languages=["fr"],
             engine="sqlite")
    assert r.status_code == 200 and "créée" in r.text
    r = post(client, server, "/organizations/new", name=CAFE_NFC.upper(), languages=["fr"],
             engine="sqlite")
    assert r.status_code == 200 and "Ce nom est déjà utilisé." in alert(r)
    assert sorted(e.name for e in orgs.list()) == [CAFE_NFC, "Fiduciaire Alpha", "Zeta SA"]
    with organizations.opened(orgs, "Zeta SA") as (_, db):
        assert [g.name for g in organizations.list_groups(db)] == ["Zeta SA"]


def test_web_finds_organizations_by_name_key(client, server, orgs):
    r = client.get("/companies/new", params={"org": "ZETA sa"})
    assert r.status_code == 200
    assert '<option value="Zeta SA" selected' in r.text
    r = client.get("/backup/new", params={"org": "fiduciaire alpha"})
    assert r.url.path.endswith("/organizations")
    assert re.search(r'value="Fiduciaire Alpha" id="org-\d+" checked', r.text)
