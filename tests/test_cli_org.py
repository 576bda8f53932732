"""org / group / company commands, in-process, with exit codes and messages."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cheel.cli.main import cli


def run(catalog, *args, env=None):
    result = CliRunner().invoke(cli, ["--data-dir", str(catalog.data_dir), *args], env=env)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


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
