"""The backup and restore wizards, driven in a real terminal (pty) with pexpect."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect

from cheel.store import organizations as O
from cheel.verify import inspect_backup, verify_backup

CHEEL = str(Path(sys.executable).with_name("cheel"))
ORG, GROUP, COMPANY = "Org [/]", "[bold red]x[/]", "[link=http://x]y"  # names like Rich markup
pytest_plugins = ["web_support"]  # its fixture orgs: two small organizations


def spawn(catalog, *args, env=None):
    e = dict(os.environ, CHEEL_DATA_DIR=str(catalog.data_dir), COLUMNS="250", TERM="xterm")
    e.pop("CHEEL_PASSWORD", None)
    e.update(env or {})
    return pexpect.spawn(CHEEL, list(args), env=e, encoding="utf-8", timeout=30,
                         dimensions=(50, 250))


def test_backup_wizard_one_org_untick_a_group(orgs, tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    p = spawn(orgs, "backup")
    p.expect("Step 1 of 4")
    p.expect("Enter = next")
    p.sendline("")  # the first organization is checked
    p.expect("Step 2 of 4: Company groups")
    p.expect(r"1\. \[x\] Boulangerie Favre")
    p.expect("Enter = next")
    p.sendline("1")  # untick the bakery
    p.expect(r"1\. \[ \] Boulangerie Favre")
    p.expect("Enter = next")
    p.sendline("")
    p.expect("Destination folder")
    p.sendline(str(tmp_path / "missing"))
    p.expect("does not exist")
    p.expect_exact(f"Create the folder {tmp_path / 'missing'}? [Y/n]")
    p.sendline("n")  # not created: asked again
    p.expect("Destination folder")
    p.sendline(str(dest))
    p.expect("Password")
    p.sendline("s3cret-pw")
    p.expect("Password again")
    p.sendline("other")
    p.expect("differ")
    p.expect("Password")
    p.sendline("s3cret-pw")
    p.expect("Password again")
    p.sendline("s3cret-pw")
    p.expect("Step 4 of 4")
    p.expect("Groups: +Groupe Alpha")
    p.expect("Encrypted: +yes")
    path = finish_backup(p, dest)
    assert "s3cret-pw" not in (p.before or "")
    m = inspect_backup(path, "s3cret-pw").as_dict()
    assert [g["name"] for g in m["organizations"][0]["groups"]] == ["Groupe Alpha"]
    verify_backup(path, "s3cret-pw")


def finish_backup(p: pexpect.spawn, dest: Path) -> Path:
    """Answer Finish at the summary; the one backup file the wizard wrote in ``dest``."""
    p.expect("Finish")
    p.sendline("f")
    p.expect(r"\.cheelbackup")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0
    files = list(dest.glob("*.cheelbackup"))
    assert len(files) == 1
    return files[0]


def test_backup_wizard_several_orgs_skip_group_step(orgs, tmp_path):
    p = spawn(orgs, "backup")
    p.expect("Enter = next")
    p.sendline("a")  # all: check every organization
    p.expect(r"2\. \[x\] Zeta SA")
    p.expect("Enter = next")
    p.sendline("")
    p.expect("every group of each is included")
    p.expect("Step 3 of 4")
    p.expect("Destination folder")
    p.sendline(str(tmp_path))
    p.expect("Password")
    p.sendline("")
    p.expect("Step 4 of 4")
    p.expect("Encrypted: +no")
    p.sendline("c")
    p.expect("nothing was written")
    p.expect(pexpect.EOF)
    assert not list(tmp_path.glob("*.cheelbackup"))


def test_backup_wizard_prints_names_literally(catalog, tmp_path):
    """Names, answers and paths are printed as they are, never read as Rich markup."""
    O.create_organization(catalog, ORG)
    with O.opened(catalog, ORG) as (_, db):
        O.create_company(db, COMPANY, new_group=GROUP)
        O.create_company(db, "[green]Gamma[/green] AG", new_group="[i]Gamma[/i]")
    dest = tmp_path / "out"
    dest.mkdir()
    p = spawn(catalog, "backup")
    p.expect("Step 1 of 4")
    p.expect_exact(f"[x] {ORG}")
    p.expect("Enter = next")
    p.sendline("")
    p.expect("Step 2 of 4")
    p.expect_exact(f"[x] {GROUP} ({COMPANY})")
    p.expect_exact("[x] [i]Gamma[/i] ([green]Gamma[/green] AG)")
    p.expect("Enter = next")
    p.sendline("x[/]")  # a wrong answer is echoed as typed
    p.expect_exact("'x[/]' is not an item number.")
    p.expect("Enter = next")
    p.sendline("")
    p.expect("Destination folder")
    missing = tmp_path / "[bold]missing[/]"
    p.sendline(str(missing))
    p.expect_exact(f"The folder {missing} does not exist.")
    p.expect_exact(f"Create the folder {missing}? [Y/n]")
    p.sendline("n")
    p.expect("Destination folder")
    p.sendline(str(dest))
    p.expect("Password")
    p.sendline("")
    p.expect("Step 4 of 4")
    p.expect_exact(f"Organizations: {ORG}")
    p.expect_exact(f"Groups:        {GROUP}, [i]Gamma[/i]")
    p.expect_exact(f"Companies:     {COMPANY}, [green]Gamma[/green] AG")
    finish_backup(p, dest)


def test_backup_wizard_creates_a_missing_folder_and_writes_the_file_it_names(orgs, tmp_path):
    """A missing destination folder is created when the user says so (private, as cheel's
    other folders); the summary names the very file the backup then writes, however long the
    user takes to answer."""
    import time

    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    dest = tmp_path / "Sauvegardes" / "cheel"
    p = spawn(orgs, "backup")
    p.expect("Enter = next")
    p.sendline("")
    p.expect("Step 2 of 4")
    p.expect("Enter = next")
    p.sendline("")
    p.expect("Destination folder")
    p.sendline(str(a_file / "sub"))  # cannot be made: said, and asked again
    p.expect_exact(f"Create the folder {a_file / 'sub'}? [Y/n]")
    p.sendline("y")
    p.expect_exact(f"the destination folder {a_file / 'sub'} cannot be created: Not a directory")
    p.expect("Destination folder")
    p.sendline(str(dest))
    p.expect_exact(f"The folder {dest} does not exist.")
    p.expect_exact(f"Create the folder {dest}? [Y/n]")
    p.sendline("")  # yes, the default
    p.expect("Password")
    p.sendline("")
    p.expect("Step 4 of 4")
    p.expect(r"File: +(\S+\.cheelbackup)\s")
    shown = p.match.group(1)
    assert dest.is_dir() and (dest.stat().st_mode & 0o777) == 0o700
    assert (dest.parent.stat().st_mode & 0o777) == 0o700
    time.sleep(1.2)  # the file's time stamp is the summary's, not the time of the answer
    path = finish_backup(p, dest)
    assert str(path) == shown
    verify_backup(path)


def test_restore_wizard_with_password_retry(orgs, tmp_path):
    from cheel.backup import BackupOptions, plan_backup, run_backup

    plan = plan_backup(orgs, BackupOptions(["Fiduciaire Alpha"], tmp_path, password="pw-ok",
                                               log2n=10))
    path = run_backup(orgs, plan).path
    p = spawn(orgs, "restore")
    p.expect("organization to restore into")
    p.expect("Number")
    p.sendline("3")  # a new organization
    p.expect("Name of the new organization")
    p.sendline("Restored SA")
    p.expect("PostgreSQL")
    p.sendline("n")
    p.expect("Backup file")
    p.sendline(str(path))
    p.expect("Password of the backup")
    p.sendline("wrong")
    p.expect("Wrong password")
    p.expect("Password of the backup")
    p.sendline("pw-ok")
    p.expect("Step 3: groups to restore")
    p.expect("Enter = next")
    p.sendline("")
    p.expect("Finish")
    p.sendline("y")
    p.expect("Restored 2 group")
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0
    info = O.describe(orgs, orgs.find("Restored SA"))
    assert sorted(g["name"] for g in info["groups"]) == ["Boulangerie Favre Sàrl", "Groupe Alpha"]


def test_import_wizard_from_winbiz(orgs, tmp_path):
    from winbiz_fixtures import write_company

    expected = write_company(tmp_path / "src", years=(2023, 2024), lines=600)
    p = spawn(orgs, "import", "winbiz")
    p.expect("Step 1: the WinBIZ data")
    p.expect("Folder or file")
    p.sendline(str(tmp_path / "nowhere"))
    p.expect("does not exist")  # said, then asked again
    p.expect("Folder or file")
    p.sendline(str(expected.source))
    p.expect_exact(f"Found: {expected.company}")
    p.expect("Step 2: fiscal years to import")
    p.expect(r"1\. \[x\] 2023")
    p.expect("Enter = next")
    p.sendline("1")  # only 2024
    p.expect(r"1\. \[ \] 2023")
    p.expect("Enter = next")
    p.sendline("")
    p.expect("Step 3: the organization that receives the company")
    p.expect("Number")
    p.sendline("2")  # Zeta SA
    p.expect("Name of the new company")
    p.sendline("")  # the name WinBIZ gives
    p.expect("Step 4: share the data of a company group")
    p.expect("Number")
    p.sendline("2")  # no: a new group (Zeta SA has one group)
    p.expect("Years: +2024")
    p.expect("Import?")
    p.sendline("y")
    p.expect("all equal")
    p.expect(f'Imported company "{expected.company}"')
    p.expect(pexpect.EOF)
    p.close()
    assert p.exitstatus == 0
    info = O.describe(orgs, orgs.find("Zeta SA"))
    group = next(g for g in info["groups"] if g["name"] == expected.company)
    assert group["rows"]["journal_entries"] == expected.year("2024").entries
    assert group["rows"]["entry_lines"] == expected.year("2024").lines
