"""Diff (issue 20) from the command line, on the organization and backups of
diff_support.py (SQLite and PostgreSQL): the changes printed and as JSON, what restore
--dry-run says replacing a group loses, groups and usage errors, an encrypted backup, a
backup at an sftp:// address."""

from __future__ import annotations

import json

import pytest

from cheel.diff import DiffOptions, diff
from cheel.errors import NotFound, UsageError
from cheel.store.organizations import opened

from backup_support import PW, backup
from diff_support import GROUP, ORG, books, mode  # noqa: F401
from helpers import run_cli


def test_the_command_prints_the_changes_and_json(books):  # noqa: F811
    x = books.expected
    out = run_cli(books.catalog, "diff", str(books.before), "--against", ORG,
                  "--group", GROUP, env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    text = out.output
    assert f"{GROUP}: changed" in text and "Fiscal year " + x.fiscal_year in text
    assert f"added {x.added[0]} " in text and f"removed {x.removed[0]} " in text
    assert "Libellé corrigé" in text and f"rate {x.vat[2]} → 9.99" in text
    assert x.contacts["added"] in text and x.contacts["changed"] in text
    data = json.loads(run_cli(books.catalog, "diff", str(books.before), "--against", ORG,
                              "--json").output)
    assert data["differs"] is True
    g = next(g for g in data["groups"] if g["name"] == GROUP)
    assert g["rows"]["journal_entries"] == {"added": 1, "removed": 1, "changed": 4}
    balances = [b for c in g["companies"] for b in c["balances"]]
    assert {(b["fiscal_year"], b["account"]): (b["before"], b["after"]) for b in balances} == \
        {k: (str(b), str(a)) for k, (b, a) in x.balances.items()}
    between = run_cli(books.catalog, "diff", str(books.before), str(books.after), "--json")
    assert json.loads(between.output)["differs"] is True


def test_restore_dry_run_says_what_replacing_loses(books, mode):  # noqa: F811
    x = books.expected
    out = run_cli(books.catalog, "restore", str(books.before), "--into", ORG, "--group", GROUP,
                  "--on-conflict", "replace", "--dry-run", env={"COLUMNS": "300"})
    assert out.exit_code == 0, out.output
    day = json.loads(run_cli(books.catalog, "inspect", str(books.before), "--json")
                     .output)["created_at"][:10]
    assert (f'Replacing "{GROUP}" loses 1 entry booked since {day}, undoes the changes to '
            f"4 entries, brings back 1 deleted entry, undoes ") in " ".join(out.output.split())
    assert f"and changes {len(x.balances)} balances" in " ".join(out.output.split())
    data = json.loads(run_cli(books.catalog, "restore", str(books.before), "--into", ORG,
                              "--on-conflict", "replace", "--dry-run", "--json").output)
    replacing = {r["group"]: r for r in data["replacing"]}
    assert set(replacing) == {GROUP, "Boulangerie Favre Sàrl", "Groupe Helvetia"}
    assert replacing[GROUP]["rows"]["journal_entries"] == {"added": 1, "removed": 1,
                                                           "changed": 4}
    assert replacing["Groupe Helvetia"]["sentence"] == \
        'replacing "Groupe Helvetia" loses nothing: it holds what the backup holds'
    with opened(books.catalog, ORG) as (_, db):  # nothing was replaced
        assert db.scalar("SELECT count(*) FROM contacts WHERE name = ?",
                         (x.contacts["added"],)) == 1


def test_groups_and_usage(books):  # noqa: F811
    with pytest.raises(NotFound):
        diff(books.catalog, DiffOptions(books.before, against=ORG, groups=["Nulle part"]))
    with pytest.raises(UsageError):
        diff(books.catalog, DiffOptions(books.before))
    report = diff(books.catalog, DiffOptions(books.before, against=ORG,
                                             groups=[f"{ORG}/Groupe Helvetia"]))
    assert [g.name for g in report.groups] == ["Groupe Helvetia"]
    both = run_cli(books.catalog, "diff", str(books.before), str(books.after), "--against", ORG)
    assert both.exit_code == 2 and "Error:" in both.output


def test_an_encrypted_backup_is_compared_with_its_password(books, tmp_path):  # noqa: F811
    dest = tmp_path / "enc"
    dest.mkdir()
    locked = backup(books.catalog, [ORG], dest, password=PW).path
    out = run_cli(books.catalog, "diff", str(locked), "--against", ORG, "--json",
                  env={"CHEEL_PASSWORD": PW})
    assert out.exit_code == 0 and json.loads(out.output)["differs"] is False
    wrong = run_cli(books.catalog, "diff", str(locked), "--against", ORG,
                    env={"CHEEL_PASSWORD": "faux"})
    assert wrong.exit_code == 3


def test_a_backup_at_an_address_is_compared_where_it_is(books, sftp_server, tmp_path):  # noqa: F811
    """``cheel diff sftp://…/FILE --against ORG``: read where it is, streaming; the same
    differences as the file on this disk, on either engine (CI runs every test)."""
    folder = tmp_path / "remote"
    folder.mkdir()
    (folder / books.before.name).write_bytes(books.before.read_bytes())
    url = sftp_server.url(folder / books.before.name)
    remote = run_cli(books.catalog, "diff", url, "--against", ORG, "--group", GROUP, "--json")
    local = run_cli(books.catalog, "diff", str(books.before), "--against", ORG, "--group", GROUP,
                    "--json")
    assert remote.exit_code == 0, remote.output
    mine, theirs = json.loads(remote.output), json.loads(local.output)
    assert mine["before"]["file"] == url and mine["groups"] == theirs["groups"]
