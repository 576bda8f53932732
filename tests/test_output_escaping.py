"""Names and other data printed by the CLI are printed as they are: never read as Rich markup
(which could restyle the output, hide text, add links, or fail on "[/]"). The backup
wizard's side of this is in test_wizard.py."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cheel.cli.main import cli
from cheel.store import organizations as O
from cheel.store.catalog import Catalog

ORG = "Org [/]"
GROUP = "[bold red]x[/]"
COMPANY = "[link=http://x]y"


def run(catalog, *args):
    result = CliRunner().invoke(cli, ["--data-dir", str(catalog.data_dir), *args])
    return result.exit_code, result.output


def make_org(catalog):
    """An organization, a group and a company named like Rich markup."""
    code, out = run(catalog, "org", "create", ORG)
    assert code == 0, out
    code, out = run(catalog, "company", "create", ORG, COMPANY, "--new-group", GROUP)
    assert code == 0, out
    assert f'Created company "{COMPANY}" in group "{GROUP}" of "{ORG}".' in out


def test_org_list_and_show_print_names_literally(catalog):
    make_org(catalog)
    code, out = run(catalog, "org", "list")
    assert code == 0, out
    assert ORG in out and "unexpected" not in out
    code, out = run(catalog, "org", "show", ORG)
    assert code == 0, out
    assert out.splitlines()[0].startswith(f"{ORG} (sqlite, ")
    assert GROUP in out and COMPANY in out
    code, out = run(catalog, "org", "show", ORG, "--json")
    info = json.loads(out)
    assert info["groups"][0]["name"] == GROUP
    assert info["groups"][0]["companies"][0]["name"] == COMPANY


def test_a_location_or_error_is_printed_literally(tmp_path):
    catalog = Catalog(tmp_path / "[red]data[/]")
    O.create_organization(catalog, "Plain SA")
    path = catalog.sqlite_path(catalog.find("Plain SA"))
    path.rename(tmp_path / "moved.sqlite")  # listed as unavailable, with the reason
    result = CliRunner().invoke(cli, ["--data-dir", str(catalog.data_dir), "org", "list"],
                                env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert f"unavailable: the database file {path} does not exist" in result.output


def test_backup_output_prints_names_literally(catalog, dest):
    make_org(catalog)
    code, out = run(catalog, "backup", ORG, "--group", GROUP, "--dest", str(dest))
    assert code == 0, out
    assert out.startswith("Backed up 1 group(s), 1 company(ies)")
    code, out = run(catalog, "backup", ORG, "--dest", str(dest), "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["organizations"] == [ORG]
    assert result["groups"] == [GROUP] and result["companies"] == [COMPANY]


def test_demo_prints_its_name_literally(catalog):
    code, out = run(catalog, "demo", "--name", "[bold]Démo[/] SA", "--entries", "500")
    assert code == 0, out
    assert 'Created demo organization "[bold]Démo[/] SA"' in out
    assert "\n[bold]Démo[/] SA (sqlite, " in out


def test_inspect_and_restore_print_a_backups_names_literally(catalog, dest):
    """A backup's names are data from a file: inspect, restore's report and its dry run
    print them as written (before, "[/]" made inspect fail, and restore exit 1 after it
    had committed)."""
    make_org(catalog)
    code, out = run(catalog, "backup", ORG, "--dest", str(dest))
    assert code == 0, out
    (path,) = dest.glob("*.cheelbackup")
    code, out = run(catalog, "inspect", str(path))
    assert code == 0, out
    assert ORG in out and GROUP in out and COMPANY in out
    wide = {"COLUMNS": "400"}  # one table row per group: the names are not wrapped
    for args in (["--into", "Neu [/] AG", "--create", "--dry-run"],
                 ["--into", "Neu [/] AG", "--create"],
                 ["--into", ORG, "--on-conflict", "copy"]):
        result = CliRunner().invoke(cli, ["--data-dir", str(catalog.data_dir), "restore",
                                          str(path), *args], env=wide)
        assert result.exit_code == 0, result.output
        assert f"{ORG} / {GROUP}" in result.output and COMPANY in result.output
    assert catalog.exists("Neu [/] AG")
