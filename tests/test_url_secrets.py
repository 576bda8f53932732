"""PostgreSQL URLs never carry a password into the catalog, the output or an error message:
neither ``user:password@`` nor the ``password`` / ``sslpassword`` parameters."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cheel.cli.main import cli
from cheel.store.pgserver import redact_url

from web_support import alert, post

pytest_plugins = ["web_support"]  # its fixtures: orgs, server, client

SECRET = "hunter2"


def run(catalog, *args):
    result = CliRunner().invoke(cli, ["--data-dir", str(catalog.data_dir), *args],
                                env={"COLUMNS": "400"})
    return result.exit_code, result.output


def test_redact_url():
    cases = {
        "postgresql://postgres:hunter2@127.0.0.1:5432/db":
            "postgresql://postgres@127.0.0.1:5432/db",
        "postgresql://postgres@127.0.0.1:5432/db?password=hunter2&sslmode=disable":
            "postgresql://postgres@127.0.0.1:5432/db?sslmode=disable",
        "postgres://u@h/db?sslmode=require&PassWord=hunter2&application_name=cheel"
        "&SSLPASSWORD=hunter2&passfile=/home/u/.pgpass&pass%77ord=hunter2":
            "postgres://u@h/db?sslmode=require&application_name=cheel&passfile=/home/u/.pgpass",
        "postgresql://u:hun#ter?2@[::1]:5433,h2:5434/db?password=hunter2":
            "postgresql://u@[::1]:5433,h2:5434/db",
        "postgresql://:hunter2@h/db": "postgresql://h/db",
        "postgresql://h/db?password=hunter2": "postgresql://h/db",
        "postgresql://h/db": "postgresql://h/db",
        "host=h password=hunter2 dbname=d sslpassword='hun ter\\' 2' port=5":
            "host=h  dbname=d  port=5",
    }
    for url, redacted in cases.items():
        assert redact_url(url) == redacted, url


def test_password_parameter_never_stored_or_printed(catalog, pg_url, pg_dbname):
    url = f"{pg_url}/{pg_dbname()}?password={SECRET}&sslmode=disable"
    code, out = run(catalog, "org", "create", "Serveur SA", "--postgres", url)
    assert code == 0, out
    assert "Created organization" in out and SECRET not in out
    assert "sslmode=disable" in out
    stored = catalog.path.read_text("utf-8")
    assert SECRET not in stored
    assert json.loads(stored)["organizations"][0]["location"].endswith("?sslmode=disable")
    code, out = run(catalog, "company", "create", "Serveur SA", "Alpha SA", "--new-group")
    assert code == 0, out
    for args in (("org", "list"), ("org", "list", "--json"), ("org", "show", "Serveur SA"),
                 ("org", "show", "Serveur SA", "--json")):
        code, out = run(catalog, *args)
        assert code == 0 and "Serveur SA" in out and SECRET not in out, (args, out)
    assert json.loads(run(catalog, "org", "list", "--json")[1])["organizations"][0]["groups"] == 1


def test_a_password_an_older_catalog_kept_is_not_printed(catalog, pg_url, pg_dbname):
    url = f"{pg_url}/{pg_dbname()}"
    assert run(catalog, "org", "create", "Ancien SA", "--postgres", url)[0] == 0
    data = json.loads(catalog.path.read_text("utf-8"))
    data["organizations"][0]["location"] = f"{url}?password={SECRET}"  # as 0.1 stored it
    catalog.path.write_text(json.dumps(data), "utf-8")
    for args in (("org", "list"), ("org", "list", "--json"),
                 ("org", "show", "Ancien SA", "--json")):
        code, out = run(catalog, *args)
        assert code == 0 and "Ancien SA" in out and SECRET not in out, (args, out)


def test_unreachable_server_error_has_no_password(catalog):
    for url in (f"postgresql://postgres@127.0.0.1:1/x?password={SECRET}",
                f"postgresql://postgres:{SECRET}@127.0.0.1:1/x?sslpassword={SECRET}"):
        code, out = run(catalog, "org", "create", "PG", "--postgres", url)
        assert code == 1 and out.startswith("Error: Cannot connect to PostgreSQL at "), out
        assert "postgresql://postgres@127.0.0.1:1/x" in out and SECRET not in out, out
    assert not catalog.path.exists()


def test_web_error_has_no_password(client, server):
    r = post(client, server, "/organizations/new", name="PG SA", languages=["fr"],
             engine="postgres", pg_url=f"postgresql://postgres:{SECRET}@127.0.0.1:1/x"
                                       f"?password={SECRET}")
    shown = alert(r)
    assert "Impossible de se connecter à PostgreSQL à l'adresse " \
           "postgresql://postgres@127.0.0.1:1/x" in shown
    assert SECRET not in shown
