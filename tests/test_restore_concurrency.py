"""Restores side by side, and what one restore pays to open an encrypted file (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cheel.archive.age import scrypt
from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.cli.main import cli
from cheel.demo import DemoOptions, create_demo
from cheel.restore import RestoreOptions, run_restore
from cheel.store import organizations

from helpers import group_content

PW = "nebeneinander 2026"


def _demo_backup(catalog, tmp_path: Path, postgres: str | None = None,
                 password: str | None = None) -> Path:
    create_demo(catalog, DemoOptions(name="Demo SA", entries=2000, seed=5, postgres=postgres))
    dest = tmp_path / "out"
    dest.mkdir()
    options = BackupOptions(["Demo SA"], dest, ["Boulangerie Favre Sàrl"], password, log2n=10)
    return run_backup(catalog, plan_backup(catalog, options)).path


@pytest.mark.parametrize("engine", ["sqlite", "postgres"])
def test_two_copies_restored_at_once_both_succeed(request, catalog, tmp_path, engine):
    """Two ``restore --on-conflict copy`` of one group into one organization at the same
    time: each chooses its copy's name and ids inside its own write transaction, so both
    succeed, under two names, with the backup's content each."""
    url = None
    if engine == "postgres":
        url = f"{request.getfixturevalue('pg_url')}/{request.getfixturevalue('pg_dbname')()}"
    path = _demo_backup(catalog, tmp_path, url)
    env = dict(os.environ, CHEEL_DATA_DIR=str(catalog.data_dir))
    env.pop("CHEEL_PASSWORD", None)
    args = [sys.executable, "-c", "from cheel.cli.main import main; main()", "restore",
            str(path), "--into", "Demo SA", "--on-conflict", "copy", "--json"]
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=180), p.stdout.read(), p.stderr.read()) for p in procs]
    for code, out, err in results:
        assert code == 0, err
    with organizations.opened(catalog, "Demo SA") as (_, db):
        groups = {g.name: g.uid for g in organizations.list_groups(db)}
        copies = [n for n in groups if n.startswith("Boulangerie Favre Sàrl (")]
        assert len(copies) == 2, groups
        original = group_content(db, groups["Boulangerie Favre Sàrl"], ignore_uids=True)
        for name in copies:
            assert group_content(db, groups[name], ignore_uids=True) == original


def test_an_encrypted_file_is_unlocked_once_per_restore(catalog, tmp_path, monkeypatch):
    """A restore reads the file twice (its manifest to plan, then every byte) but derives
    the passphrase's key once; the next operation derives it again: nothing outlives an
    operation (no process-wide cache of passphrase-derived keys)."""
    path = _demo_backup(catalog, tmp_path, password=PW)
    calls = []
    kdf = scrypt.scrypt_kdf

    def counted(*args):
        calls.append(args[1])
        return kdf(*args)

    monkeypatch.setattr(scrypt, "scrypt_kdf", counted)
    run_restore(catalog, RestoreOptions(path, "Erste AG", create=True), PW)
    assert len(calls) == 1
    run_restore(catalog, RestoreOptions(path, "Demo SA", on_conflict="copy", dry_run=True), PW)
    assert len(calls) == 2
    result = CliRunner().invoke(cli, ["--data-dir", str(catalog.data_dir), "restore",
                                      str(path), "--into", "Zweite AG", "--create"],
                                env={"CHEEL_PASSWORD": PW})
    assert result.exit_code == 0, result.output
    assert len(calls) == 3
