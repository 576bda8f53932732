"""``cheel backup``, ``cheel inspect`` and ``cheel verify`` in-process: exit codes, messages,
JSON output and password sources. The password must never appear in any output."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cheel.archive.age import format as age_format, scrypt
from cheel.archive.age.scrypt import ScryptRecipient
from cheel.archive.age.stream import payload_key
from cheel.backup import BackupOptions
from cheel.cli.main import cli
from cheel.store import organizations as O
from cheel.store.catalog import Catalog

PW = "Cli-Geheimnis 7 ünd mehr"
FAST_LOG2N = 10


@pytest.fixture(autouse=True)
def fast_kdf_default(monkeypatch):
    """Test-only: backups made through the CLI use the weak work factor (log2n=10).

    The CLI has no flag for it; the default of ``BackupOptions.log2n`` is lowered here.
    """
    defaults = BackupOptions.__init__.__defaults__
    assert defaults[-1] == scrypt.DEFAULT_LOG2N
    monkeypatch.setattr(BackupOptions.__init__, "__defaults__", defaults[:-1] + (FAST_LOG2N,))
    monkeypatch.delenv("CHEEL_PASSWORD", raising=False)
    monkeypatch.delenv("CHEEL_DATA_DIR", raising=False)


@pytest.fixture
def env(tmp_path):
    """A data directory with two organizations; returns (data_dir, dest)."""
    data = tmp_path / "data"
    catalog = Catalog(data)
    O.create_organization(catalog, "Alpha AG", ["de", "fr"])
    O.create_organization(catalog, "Beta SA", ["fr"])
    with O.opened(catalog, "Alpha AG") as (_, db):
        O.create_company(db, "Alpha Holding AG", new_group="Alpha Gruppe")
        O.create_company(db, "Alpha Immobilien AG", group="Alpha Gruppe")
        O.create_company(db, "Nebenbetrieb GmbH")
    with O.opened(catalog, "Beta SA") as (_, db):
        O.create_company(db, "Beta Sàrl")
    dest = tmp_path / "out"
    dest.mkdir()
    return data, dest


def run(data: Path, *args: str, env: dict | None = None, input: str | None = None):
    result = CliRunner().invoke(cli, ["--data-dir", str(data), *args], env=env, input=input)
    assert "Traceback" not in result.output
    assert PW not in result.output
    return result


def make_backup(data: Path, dest: Path, *extra: str, env: dict | None = None) -> dict:
    r = run(data, "backup", "Alpha AG", "--dest", str(dest), "--json", *extra, env=env)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


# -- backup --------------------------------------------------------------------------------
def test_backup_prints_where_and_what(env):
    data, dest = env
    r = run(data, "backup", "Alpha AG", "--dest", str(dest))
    assert r.exit_code == 0, r.output
    (path,) = dest.glob("*.cheelbackup")
    assert r.stdout.splitlines()[-1] == str(path)
    assert "Backed up 2 group(s), 3 company(ies)" in r.stdout
    assert "not encrypted" in r.stdout
    assert r.stderr == ""  # no progress bar without a terminal


def test_backup_json_fields(env):
    data, dest = env
    out = make_backup(data, dest, env={"CHEEL_PASSWORD": PW})
    assert set(out) == {"path", "size", "organizations", "groups", "companies", "rows",
                        "encrypted", "seconds"}
    path = Path(out["path"])
    assert path.parent == dest and path.exists()
    assert out["size"] == path.stat().st_size
    assert out["organizations"] == ["Alpha AG"]
    assert sorted(out["groups"]) == ["Alpha Gruppe", "Nebenbetrieb GmbH"]
    assert sorted(out["companies"]) == ["Alpha Holding AG", "Alpha Immobilien AG",
                                        "Nebenbetrieb GmbH"]
    assert out["rows"]["companies"] == 3 and out["rows"]["company_groups"] == 2
    assert out["encrypted"] is True
    assert isinstance(out["seconds"], float | int) and out["seconds"] >= 0
    header = path.read_bytes()[:200]
    assert f" {FAST_LOG2N}\n".encode() in header  # the test-only work factor took effect


def test_backup_one_group_and_several_organizations(env):
    data, dest = env
    out = make_backup(data, dest, "--group", "Alpha Gruppe")
    assert out["groups"] == ["Alpha Gruppe"]
    assert sorted(out["companies"]) == ["Alpha Holding AG", "Alpha Immobilien AG"]
    r = run(data, "backup", "--all", "--dest", str(dest), "--json")
    assert r.exit_code == 0, r.output
    both = json.loads(r.stdout)
    assert both["organizations"] == ["Alpha AG", "Beta SA"]
    assert Path(both["path"]).name.startswith("alpha-ag+beta-sa_")


@pytest.mark.parametrize("args, message", [
    (["--dest", "{dest}"], "Name the organization"),
    (["Alpha AG"], "--dest"),
    (["Alpha AG", "--all", "--dest", "{dest}"], "not both"),
    (["Alpha AG", "Beta SA", "--group", "Alpha Gruppe", "--dest", "{dest}"],
     "only when one organization"),
    (["Alpha AG", "--dest", "{dest}", "--encrypt"], "needs a terminal"),
    (["Alpha AG", "--dest", "{dest}", "--password-file", "{pwfile}", "--password-command",
      "echo x"], "not both"),
    (["Alpha AG", "--dest", "{dest}", "--no-such-option"], "No such option"),
    (["Alpha AG", "--dest", "{pwfile}"], "is a file"),
])
def test_backup_usage_errors_exit_2(env, tmp_path, args, message):
    data, dest = env
    pwfile = tmp_path / "pw.txt"
    pwfile.write_text(PW + "\n")
    args = [a.format(dest=dest, pwfile=pwfile) for a in args]
    r = run(data, "backup", *args)
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert list(dest.iterdir()) == []


@pytest.mark.parametrize("what, message", [
    ("missing", "does not exist"),
    ("org", 'no organization named "Gamma"'),
    ("group", 'no company group named "Keine"'),
])
def test_backup_errors_exit_1(env, tmp_path, what, message):
    data, dest = env
    args = {"missing": ["Alpha AG", "--dest", str(tmp_path / "nowhere")],
            "org": ["Gamma", "--dest", str(dest)],
            "group": ["Alpha AG", "--group", "Keine", "--dest", str(dest)]}[what]
    r = run(data, "backup", *args)
    assert r.exit_code == 1, r.output
    assert r.stderr.startswith("Error: ") and message in r.stderr
    if what == "missing":  # one sentence and its hint, as every error promises
        assert r.stderr == (f"Error: The destination folder {tmp_path / 'nowhere'} does not "
                            "exist.\nHint: create it first, or choose an existing folder\n")
    assert not (tmp_path / "nowhere").exists()
    assert list(dest.iterdir()) == []


# -- password sources ----------------------------------------------------------------------
def _sources(tmp_path: Path) -> dict[str, tuple[list[str], dict]]:
    pwfile = tmp_path / "password.txt"
    pwfile.write_text(PW + "\nsecond line is ignored\n", encoding="utf-8")
    script = tmp_path / "password.py"
    script.write_text(f"print({PW!r})\n", encoding="utf-8")
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    return {"env": ([], {"CHEEL_PASSWORD": PW}),
            "file": (["--password-file", str(pwfile)], {}),
            "command": (["--password-command", command], {})}


@pytest.mark.parametrize("source", ["env", "file", "command"])
def test_password_sources(env, tmp_path, source):
    data, dest = env
    args, environ = _sources(tmp_path)[source]
    out = make_backup(data, dest, *args, env=environ)
    assert out["encrypted"] is True
    path = out["path"]
    for command in ("inspect", "verify"):
        r = run(data, command, path, *args, env=environ)
        assert r.exit_code == 0, r.output
    # Each source opens what the others made.
    other = {"env": "file", "file": "command", "command": "env"}[source]
    args2, environ2 = _sources(tmp_path)[other]
    assert run(data, "verify", path, *args2, env=environ2).exit_code == 0


def test_password_source_failures_exit_2(env, tmp_path):
    data, dest = env
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    cases = [(["--password-file", str(tmp_path / "none.txt")], "cannot be read"),
             (["--password-file", str(empty)], "is empty"),
             (["--password-command", "false"], "failed with exit code 1"),
             (["--password-command", "/no/such/program"], "could not run")]
    for args, message in cases:
        r = run(data, "backup", "Alpha AG", "--dest", str(dest), *args)
        assert r.exit_code == 2, (args, r.output)
        assert message in r.stderr
    r = run(data, "backup", "Alpha AG", "--dest", str(dest), env={"CHEEL_PASSWORD": ""})
    assert r.exit_code == 2 and "CHEEL_PASSWORD is set but empty" in r.stderr
    assert list(dest.iterdir()) == []


# -- inspect and verify --------------------------------------------------------------------
@pytest.fixture
def encrypted(env) -> tuple[Path, str]:
    data, dest = env
    return data, make_backup(data, dest, env={"CHEEL_PASSWORD": PW})["path"]


@pytest.fixture
def plain(env) -> tuple[Path, str]:
    data, dest = env
    return data, make_backup(data, dest)["path"]


def test_inspect_and_verify_ok(encrypted):
    data, path = encrypted
    environ = {"CHEEL_PASSWORD": PW}
    r = run(data, "inspect", path, env=environ)
    assert r.exit_code == 0, r.output
    assert "Alpha Gruppe" in r.stdout and "Alpha Immobilien AG" in r.stdout
    assert "encrypted" in r.stdout
    r = run(data, "inspect", path, "--json", env=environ)
    m = json.loads(r.stdout)
    assert m["format"] == "cheel-backup" and m["format_version"] == 2
    assert m["encrypted"] is True and m["size"] == os.path.getsize(path)
    assert [o["name"] for o in m["organizations"]] == ["Alpha AG"]
    assert {"cheel_version", "created_at", "schema_version", "tables", "rows"} <= set(m)
    r = run(data, "verify", path, env=environ)
    assert r.exit_code == 0 and r.stdout.startswith(f"OK: {path} is sound")
    r = run(data, "verify", path, "--json", env=environ)
    v = json.loads(r.stdout)
    assert v["ok"] is True and v["encrypted"] is True and v["rows"] == sum(m["rows"].values())


def test_plain_backup_never_asks_for_a_password(plain):
    data, path = plain
    for command in ("inspect", "verify"):
        r = run(data, command, path, "--password-command", "false")
        assert r.exit_code == 0, r.output  # the command is never run for a plain file


@pytest.mark.parametrize("command", ["inspect", "verify"])
def test_wrong_password_exit_3(encrypted, command, tmp_path):
    data, path = encrypted
    wrong = tmp_path / "wrong.txt"
    wrong.write_text(PW.upper())
    for args, environ in ((["--password-file", str(wrong)], {}),
                          ([], {"CHEEL_PASSWORD": PW + "x"})):
        r = run(data, command, path, *args, env=environ)
        assert r.exit_code == 3, r.output
        assert r.stderr.startswith("Error: The password does not open this file.")
        assert PW.upper() not in r.output and PW + "x" not in r.output


@pytest.mark.parametrize("command", ["inspect", "verify"])
def test_no_password_for_encrypted_file_exit_3(encrypted, command):
    data, path = encrypted
    r = run(data, command, path)  # no terminal (CliRunner), no source
    assert r.exit_code == 3, r.output
    assert "encrypted and no password was given" in r.stderr
    assert "Hint:" in r.stderr


@pytest.mark.parametrize("command", ["inspect", "verify"])
def test_damaged_exit_4(encrypted, command):
    data, path = encrypted
    raw = bytearray(Path(path).read_bytes())
    raw[len(raw) - 5] ^= 0x10  # inside the last age chunk
    Path(path).write_bytes(raw)
    r = run(data, command, path, env={"CHEEL_PASSWORD": PW})
    assert r.exit_code == 4, r.output
    assert r.stderr.startswith("Error: The file is damaged")
    assert len(r.stderr.strip().splitlines()) <= 2


def test_damage_past_the_manifest_is_found_by_verify_not_inspect(plain):
    data, path = plain
    raw = Path(path).read_bytes()
    Path(path).write_bytes(raw + b"x")
    assert run(data, "inspect", path).exit_code == 0  # the manifest alone is intact
    r = run(data, "verify", path)
    assert r.exit_code == 4 and "unexpected data after the end" in r.stderr


@pytest.mark.parametrize("content", [b"", b"%PDF-1.4\n%%EOF\n", b"PK\x03\x04zip"],
                         ids=["empty", "pdf", "zip"])
@pytest.mark.parametrize("command", ["inspect", "verify"])
def test_not_a_backup_exit_4(env, tmp_path, command, content):
    data, _ = env
    path = tmp_path / "thing.cheelbackup"
    path.write_bytes(content)
    r = run(data, command, str(path), env={"CHEEL_PASSWORD": PW})
    assert r.exit_code == 4, r.output
    assert r.stderr.startswith("Error: This file is not a cheel backup.")


@pytest.mark.parametrize("command", ["inspect", "verify"])
def test_missing_file_exit_1_and_usage_exit_2(env, tmp_path, command):
    data, _ = env
    r = run(data, command, str(tmp_path / "missing.cheelbackup"))
    assert r.exit_code == 1, r.output
    assert "does not exist" in r.stderr
    r = run(data, command)  # no FILE argument
    assert r.exit_code == 2
    r = run(data, command, str(tmp_path / "x"), "--bogus")
    assert r.exit_code == 2


def test_debug_shows_the_traceback(env, tmp_path):
    data, _ = env
    path = tmp_path / "thing.cheelbackup"
    path.write_bytes(b"nope")
    r = CliRunner().invoke(cli, ["--data-dir", str(data), "--debug", "verify", str(path)])
    assert r.exit_code == 4
    assert "Traceback" in r.output


@pytest.mark.parametrize("encrypted", [False, True])
def test_a_full_destination_is_one_sentence_and_no_file(env, tmp_path, encrypted):
    """A write that fails half-way (here the file-size limit, as a full disk would) ends
    with one sentence and exit code 1: no traceback, not even from a finalizer writing into
    the abandoned file, and no file or part file left behind. A subprocess, for the limit."""
    import resource
    import signal
    import subprocess

    data, dest = env
    run(data, "demo", "--name", "Large SA", "--entries", "20000")
    pw = tmp_path / "pw"
    pw.write_text(PW + "\n")

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        # Above what SQLite's shared-memory file needs, below the backup's size.
        resource.setrlimit(resource.RLIMIT_FSIZE, (128 << 10, 128 << 10))

    args = [sys.executable, "-c", "from cheel.cli.main import main; main()",
            "--data-dir", str(data), "backup", "Large SA", "--dest", str(dest), "-y"]
    if encrypted:
        args += ["--password-file", str(pw)]
    r = subprocess.run(args, capture_output=True, text=True, preexec_fn=limit, timeout=120)
    assert r.returncode == 1, r.stderr
    assert r.stderr.startswith("Error: Cannot write the backup in ")
    assert "File too large; no backup was written." in r.stderr
    assert "Traceback" not in r.stderr and "Exception ignored" not in r.stderr
    assert list(dest.iterdir()) == []
