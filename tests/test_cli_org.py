"""org / group / company commands, in-process, with exit codes and messages."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cheel.cli import org
from cheel.cli.main import cli
from cheel.store import organizations
from cheel.store.catalog import OrgEntry

from helpers import database_exists, fingerprint, lock_held


def run(catalog, *args, env=None, input=None):
    result = CliRunner().invoke(cli, ["--data-dir", str(catalog.data_dir), *args], env=env,
                                input=input)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


@pytest.fixture
def terminal(monkeypatch):
    """The commands believe they run in a terminal (CliRunner's input is what is typed)."""
    monkeypatch.setattr(org, "is_interactive", lambda: True)


def test_org_create_list_show(catalog):
    code, out = run(catalog, "org", "create", "Fiduciaire Dupont SA", "--languages", "fr,de")
    assert code == 0 and 'Created organization "Fiduciaire Dupont SA"' in out
    assert run(catalog, "company", "create", "Fiduciaire Dupont SA", "Alpha SA",
               "--new-group", "Groupe Alpha")[0] == 0
    code, out = run(catalog, "company", "create", "Fiduciaire Dupont SA", "Beta SA",
                    "--group", "Groupe Alpha")
    assert code == 0 and 'in group "Groupe Alpha"' in out
    code, out = run(catalog, "company", "create", "Fiduciaire Dupont SA", "Solo Sàrl",
                    "--new-group")
    assert code == 0 and 'in group "Solo Sàrl"' in out
    code, out = run(catalog, "org", "list", "--json")
    data = json.loads(out)["organizations"]
    assert data[0]["name"] == "Fiduciaire Dupont SA"
    assert data[0]["groups"] == 2 and data[0]["companies"] == 3
    code, out = run(catalog, "org", "show", "Fiduciaire Dupont SA", "--json")
    info = json.loads(out)
    assert info["languages"] == ["fr", "de"]
    assert {g["name"] for g in info["groups"]} == {"Groupe Alpha", "Solo Sàrl"}
    assert info["rows"]["companies"] == 3
    code, out = run(catalog, "org", "show", "Fiduciaire Dupont SA")
    assert code == 0 and "Groupe Alpha" in out and "Beta SA" in out


def test_group_create(catalog):
    run(catalog, "org", "create", "Org")
    code, out = run(catalog, "group", "create", "Org", "Holding")
    assert code == 0 and "Holding" in out
    code, out = run(catalog, "group", "create", "Org", "holding")
    assert code == 1 and out.startswith("Error: A company group named")


def test_bad_inputs_are_one_sentence(catalog):
    run(catalog, "org", "create", "Org")
    cases = [
        (("org", "create", "Org"), 1, "already exists"),
        (("org", "show", "Nope"), 1, 'There is no organization named "Nope"'),
        (("company", "create", "Org", "A SA"), 2, "Say which group"),
        (("company", "create", "Org", "A SA", "--group", "G", "--new-group"), 2, "cannot be used together"),
        (("company", "create", "Org", "A SA", "--group", "Missing"), 1, "no company group"),
        (("company", "create", "Nope", "A SA", "--new-group"), 1, "no organization"),
        (("org", "create", "PG", "--postgres", "postgresql://postgres@127.0.0.1:1"), 1,
         "Cannot connect to PostgreSQL"),
        (("org", "create", "L", "--languages", "fr,klingon"), 2, "not a supported language"),
        (("org", "frobnicate"), 2, "No such command"),
    ]
    for args, code, text in cases:
        got, out = run(catalog, *args)
        assert got == code, (args, out)
        assert text in out, (args, out)
        assert "Traceback" not in out


def test_org_list_empty(catalog):
    code, out = run(catalog, "org", "list")
    assert code == 0 and "No organizations yet" in out


def test_postgres_org_via_cli(catalog, pg_url, pg_dbname):
    name = pg_dbname()
    code, out = run(catalog, "org", "create", "Serveur SA", "--postgres", f"{pg_url}/{name}")
    assert code == 0, out
    code, out = run(catalog, "company", "create", "Serveur SA", "Alpha SA", "--new-group")
    assert code == 0, out
    info = json.loads(run(catalog, "org", "show", "Serveur SA", "--json")[1])
    assert info["engine"] == "postgres" and info["rows"]["companies"] == 1


def test_backup_all_without_organizations(catalog, tmp_path):
    code, out = run(catalog, "backup", "--all", "--dest", str(tmp_path))
    assert code == 1 and "no organization to back up" in out


# -- org delete, org rename ------------------------------------------------------------------
def test_org_delete_asks_the_name_again_in_a_terminal(catalog, terminal):
    run(catalog, "org", "create", "Weg AG")
    path = catalog.sqlite_path(catalog.find("Weg AG")).resolve()
    before = fingerprint(catalog, "Weg AG")
    for typed in ("Weg", "weg ag", ""):  # another name, another case, nothing: kept
        code, out = run(catalog, "org", "delete", "Weg AG", input=typed + "\n")
        assert code == 1, out
        assert f'This deletes the organization "Weg AG" and its database (sqlite: {path}). ' \
               "It cannot be undone." in out
        assert "Type the organization's name to confirm" in out
        assert out.rstrip().endswith("Cancelled; nothing was deleted.")
        assert "Traceback" not in out
    assert fingerprint(catalog, "Weg AG") == before and path.exists()
    code, out = run(catalog, "org", "delete", "weg ag", input="  Weg AG \n")  # as typed
    assert code == 0, out
    assert f'Deleted organization "Weg AG" and its database (sqlite: {path}).' in out
    assert not catalog.exists("Weg AG") and not path.exists()


def test_org_delete_without_a_terminal_needs_yes(catalog):
    run(catalog, "org", "create", "Weg AG")
    code, out = run(catalog, "org", "delete", "Weg AG", input="Weg AG\n")
    assert code == 2
    assert out.startswith('Error: Deleting an organization needs --yes without a terminal.\n'
                          'Hint: cheel org delete "Weg AG" --yes\n')
    assert "Type the" not in out
    assert catalog.exists("Weg AG")
    path = catalog.sqlite_path(catalog.find("Weg AG")).resolve()
    code, out = run(catalog, "org", "delete", "Weg AG", "--yes", "--json")
    assert code == 0, out
    assert json.loads(out) == {"deleted": "Weg AG", "engine": "sqlite", "location": str(path),
                               "database_dropped": True}
    assert not catalog.exists("Weg AG") and not path.exists()
    code, out = run(catalog, "org", "delete", "Weg AG", "--yes")
    assert code == 1 and out.startswith('Error: There is no organization named "Weg AG".')


def test_org_delete_and_rename_refused_while_a_backup_runs(catalog, terminal):
    run(catalog, "org", "create", "Beschäftigt AG")
    before = fingerprint(catalog, "Beschäftigt AG")
    with lock_held(catalog, "Beschäftigt AG"):
        for args, input in ((("delete", "Beschäftigt AG", "--yes"), None),
                            (("delete", "Beschäftigt AG"), "Beschäftigt AG\n"),
                            (("rename", "Beschäftigt AG", "Frei AG"), None)):
            code, out = run(catalog, "org", *args, input=input)
            assert code == 1, out
            assert 'Error: A backup or a restore of "Beschäftigt AG" is running.\n' \
                   "Hint: try again when it has ended\n" in out
    assert [e.name for e in catalog.list()] == ["Beschäftigt AG"]
    assert fingerprint(catalog, "Beschäftigt AG") == before
    assert run(catalog, "org", "delete", "Beschäftigt AG", "--yes")[0] == 0  # free again


def test_org_rename(catalog):
    run(catalog, "org", "create", "Alt AG")
    run(catalog, "org", "create", "Andere AG")
    path = catalog.sqlite_path(catalog.find("Alt AG")).resolve()
    before = fingerprint(catalog, "Alt AG")
    code, out = run(catalog, "org", "rename", "alt ag", " Neu AG ")
    assert (code, out) == (0, 'Renamed organization "Alt AG" to "Neu AG".\n')
    assert fingerprint(catalog, "Neu AG") == before and not catalog.exists("Alt AG")
    code, out = run(catalog, "org", "rename", "Neu AG", "NEU AG", "--json")
    assert code == 0 and json.loads(out) == {"renamed": "Neu AG", "name": "NEU AG",
                                             "engine": "sqlite", "location": str(path)}
    for args, code, text in (
            (("Neu AG", "Andere AG"), 1, 'Error: An organization named "Andere AG" already '
                                         "exists.\nHint: choose another name"),
            (("Neu AG", "Zeile\nZwei"), 2, "Error: The organization name contains a control "
                                            "character (U+000A)."),
            (("Neu AG", "x" * 101), 2, "longer than 100 characters"),
            (("Nope", "Neu"), 1, 'Error: There is no organization named "Nope".')):
        got, out = run(catalog, "org", "rename", *args)
        assert got == code and text in out and "Traceback" not in out, (args, out)
    assert [e.name for e in catalog.list()] == ["NEU AG", "Andere AG"]


def test_org_delete_on_postgresql_owned_or_not(catalog, pg_url, pg_dbname, terminal):
    made, foreign = pg_dbname(), pg_dbname()
    run(catalog, "org", "create", "Serveur SA", "--postgres", f"{pg_url}/{made}")
    entry = organizations.create_organization(catalog, "Fremd AG",
                                              postgres=f"{pg_url}/{foreign}")
    catalog.remove("Fremd AG")  # as if listed from a database someone else made
    catalog.add(OrgEntry("Fremd AG", entry.engine, entry.location, owned=False))

    code, out = run(catalog, "org", "delete", "Serveur SA", input="Serveur SA\n")
    assert code == 0, out
    assert f'This deletes the organization "Serveur SA" and its database ' \
           f"(postgres: {pg_url}/{made}). It cannot be undone." in out
    assert f'Deleted organization "Serveur SA" and its database (postgres: {pg_url}/{made}).' \
        in out
    assert not database_exists(pg_url, made) and not catalog.exists("Serveur SA")

    code, out = run(catalog, "org", "delete", "Fremd AG", input="Fremd AG\n")
    assert code == 0, out
    assert f'This removes the organization "Fremd AG" from the catalog. Its PostgreSQL ' \
           f"database ({pg_url}/{foreign}) was not created by cheel and stays on its server." \
        in out
    assert f'Removed organization "Fremd AG" from the catalog; its PostgreSQL database ' \
           f"({pg_url}/{foreign}) was not created by cheel and was left on its server." in out
    assert database_exists(pg_url, foreign) and not catalog.exists("Fremd AG")


def test_org_delete_never_shows_a_password(catalog, pg_url, pg_dbname):
    name = pg_dbname()
    secret = pg_url.replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    code, out = run(catalog, "org", "create", "Geheim AG", "--postgres", f"{secret}/{name}")
    assert code == 0, out
    code, out = run(catalog, "org", "delete", "Geheim AG", "--yes")
    assert code == 0 and "s3cret" not in out, out
    assert not database_exists(pg_url, name)


def test_org_delete_in_a_real_terminal(catalog):
    """The question and the answer through a pty, as a person meets them."""
    import os
    import sys
    from pathlib import Path

    import pexpect

    run(catalog, "org", "create", "Weg AG")
    env = dict(os.environ, CHEEL_DATA_DIR=str(catalog.data_dir), COLUMNS="200")
    cheel = str(Path(sys.executable).with_name("cheel"))
    p = pexpect.spawn(cheel, ["org", "delete", "Weg AG"], env=env, encoding="utf-8",
                      timeout=30)
    p.expect("It cannot be undone.")
    p.expect("Type the organization's name to confirm: ")
    p.sendline("Weg")
    p.expect("Cancelled; nothing was deleted.")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 1 and catalog.exists("Weg AG")
    p = pexpect.spawn(cheel, ["org", "delete", "Weg AG"], env=env, encoding="utf-8",
                      timeout=30)
    p.expect("to confirm: ")
    p.sendline("Weg AG")
    p.expect('Deleted organization "Weg AG" and its database')
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0 and not catalog.exists("Weg AG")
