"""Backups under damage and failure: every flipped byte and cut is detected, a killed backup
leaves no final file, and age, zstd and tar read what cheel writes.

Real files and processes; encryption uses the test-only work factor log2n=10.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import re
import shutil
import signal
import stat
import subprocess
import textwrap
import time
from pathlib import Path

import pexpect
import pyrage
import pytest

from cheel.archive.age import format as age_format, scrypt, x25519
from cheel.archive.age.scrypt import ScryptRecipient
from cheel.archive.age.stream import payload_key
from cheel.archive.age.stream import SEALED_CHUNK_SIZE
from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.errors import DamagedFile
from cheel.store import organizations
from cheel.store.catalog import Catalog
from cheel.verify import verify_backup

from backup_support import (AGE, ALL_BYTES, PW, PYTHON, ZSTD, add_documents, backup, make_org,
                            must_fail, mv)


# -- damage: every flipped byte, every cut -------------------------------------------------
def _small_backup(catalog: Catalog, dest: Path, password: str | None) -> bytes:
    make_org(catalog, "Klein")
    with organizations.opened(catalog, "Klein") as (_, db):
        organizations.create_company(db, "Klein GmbH")
    result = backup(catalog, ["Klein"], dest, password=password)
    data = result.path.read_bytes()
    result.path.unlink()
    return data


@pytest.mark.parametrize("password", [None, PW], ids=["plain", "encrypted"])
def test_every_flipped_byte_is_detected(catalog, dest, tmp_path, fast_kdf, password):
    data = _small_backup(catalog, dest, password)
    assert 1000 < len(data) < 8000
    path = tmp_path / "flipped.cheelbackup"
    kinds: dict[str, int] = {}
    for i in range(len(data)):
        b = bytearray(data)
        b[i] ^= 1 << (i % 8)
        path.write_bytes(b)
        e = must_fail(path, password)
        kinds[type(e).__name__] = kinds.get(type(e).__name__, 0) + 1
    if password:
        assert kinds.get("WrongPassword", 0) > 0  # the salt and the wrapped key
    assert kinds.get("DamagedFile", 0) > len(data) // 2
    path.write_bytes(data)
    verify_backup(path, password)  # and the original is fine


@pytest.mark.parametrize("password", [None, PW], ids=["plain", "encrypted"])
def test_every_truncation_is_detected(catalog, dest, tmp_path, fast_kdf, password):
    data = _small_backup(catalog, dest, password)
    path = tmp_path / "cut.cheelbackup"
    for cut in range(len(data)):
        path.write_bytes(data[:cut])
        e = must_fail(path, password)
        assert isinstance(e, DamagedFile), (cut, e.message)


@pytest.fixture(scope="module")
def large_backups(tmp_path_factory) -> dict[str | None, bytes]:
    """A >200 KiB backup (incompressible documents), encrypted and not."""
    base = tmp_path_factory.mktemp("large")
    catalog = Catalog(base / "data")
    add_documents(catalog, "Gross", "Gross AG", 6, 45_000, seed=11, ext="jpg",
                  mime="image/jpeg")
    out = {}
    for password in (None, PW):
        d = base / f"out-{bool(password)}"
        d.mkdir()
        out[password] = backup(catalog, ["Gross"], d, password=password).path.read_bytes()
    assert all(len(v) > 200 * 1024 for v in out.values())
    return out


@pytest.mark.parametrize("password", [None, PW], ids=["plain", "encrypted"])
def test_large_backup_cuts_and_flips(large_backups, tmp_path, fast_kdf, password):
    data = large_backups[password]
    path = tmp_path / "large.cheelbackup"
    path.write_bytes(data)
    assert verify_backup(path, password).rows == 6 + 3
    rng = random.Random(1)
    cuts = set(rng.sample(range(len(data)), 60))
    if password:
        start = age_format.parse_header(data)[0].size + 16
        for k in range(len(data) // SEALED_CHUNK_SIZE + 2):
            boundary = start + k * SEALED_CHUNK_SIZE
            cuts.update(c for c in (boundary - 1, boundary, boundary + 1) if c < len(data))
    else:
        cuts.update(range(len(data) - 60, len(data)))  # around the end of the frame and seal
    for cut in sorted(cuts):
        path.write_bytes(data[:cut])
        assert isinstance(must_fail(path, password), DamagedFile), cut
    for i in rng.sample(range(len(data)), 40):
        b = bytearray(data)
        b[i] ^= 0x40
        path.write_bytes(b)
        must_fail(path, password)


# -- killed while writing ------------------------------------------------------------------
RUNNER = textwrap.dedent("""
    import sys, time
    from cheel.backup import BackupOptions, plan_backup, run_backup
    from cheel.store.catalog import Catalog
    catalog = Catalog(sys.argv[1])
    plan = plan_backup(catalog, BackupOptions([sys.argv[2]], sys.argv[3]))
    fraction = float(sys.argv[4])
    def progress(done, total):
        if done > 0 and done >= fraction * total:
            print("waiting", flush=True)  # parked here until killed
            time.sleep(60)
    run_backup(catalog, plan, progress)
    print("finished", flush=True)
""")


@pytest.fixture(scope="module")
def big_demo(tmp_path_factory) -> Catalog:
    from cheel.demo import DemoOptions, create_demo

    catalog = Catalog(tmp_path_factory.mktemp("big") / "data")
    create_demo(catalog, DemoOptions(name="Gross Demo", entries=150_000))
    return catalog


def _no_final_file(dest: Path) -> list[str]:
    names = sorted(p.name for p in dest.iterdir())
    assert not [n for n in names if n.endswith(".cheelbackup")], names
    return names


@pytest.mark.parametrize("fraction", [0.01, 0.5, 1.0])
def test_killed_backup_leaves_no_final_file(big_demo, tmp_path, fraction):
    """SIGKILL after a share of the rows was written (1.0: all rows, before the file is closed)."""
    dest = tmp_path / "out"
    dest.mkdir()
    proc = subprocess.Popen([PYTHON, "-c", RUNNER, str(big_demo.data_dir), "Gross Demo",
                             str(dest), str(fraction)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "waiting\n"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    names = _no_final_file(dest)
    # The kill hit mid-write: what is left is a hidden temporary file, never a backup.
    assert len(names) == 1 and names[0].startswith(".") and names[0].endswith(".part"), names
    with pytest.raises(DamagedFile):
        verify_backup(dest / names[0])


@pytest.mark.parametrize("after, password", [(0.3, None), (0.8, None), (1.0, PW)],
                         ids=["0.3s", "0.8s", "1.0s-encrypted"])
def test_killed_cli_backup_at_a_time_leaves_no_final_file(big_demo, tmp_path, after, password):
    """``cheel backup`` killed after a time (encrypted: with the real work factor)."""
    dest = tmp_path / "out"
    dest.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "CHEEL_PASSWORD"}
    if password:
        env["CHEEL_PASSWORD"] = password
    proc = subprocess.Popen([PYTHON, "-c", "from cheel.cli.main import main; main()",
                             "--data-dir", str(big_demo.data_dir), "backup", "Gross Demo",
                             "--dest", str(dest)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    time.sleep(after)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finals = list(dest.glob("*.cheelbackup"))
    if finals:  # published before the kill landed (a fast machine): it must be whole
        (final,) = finals
        verify_backup(final, password)
        return
    assert proc.returncode == -signal.SIGKILL
    for name in _no_final_file(dest):
        assert name.startswith(".") and name.endswith(".part")


def test_after_a_kill_the_next_backup_works(big_demo, tmp_path):
    dest = tmp_path / "out"
    dest.mkdir()
    stale = dest / ".gross-demo_20250101-000000.cheelbackup.deadbeef.part"
    stale.write_bytes(b"left by a killed backup")
    running = dest / ".gross-demo_20250101-000001.cheelbackup.cafebabe.part"
    other = dest / "notes.txt"
    other.write_text("mine")
    with open(running, "wb") as held:  # a backup still writing holds its lock
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_backup(big_demo, plan_backup(big_demo, BackupOptions(["Gross Demo"], dest)))
        assert verify_backup(result.path).rows > 60_000
        assert not stale.exists()  # a killed backup's leftover is swept
        assert running.exists()  # a running backup's file is not
    assert other.read_text() == "mine"  # and nothing else is touched


def test_only_regular_leftovers_are_swept(catalog, tmp_path):
    """A FIFO named like a killed backup's leftover would block an open() for ever; it, a
    folder and a symbolic link (to a file of someone's) are not leftovers: left alone."""
    make_org(catalog, "Klein")
    with organizations.opened(catalog, "Klein") as (_, db):
        organizations.create_company(db, "Klein AG")
    dest = tmp_path / "out"
    dest.mkdir()
    fifo = dest / ".x.cheelbackup.deadbeef.part"
    os.mkfifo(fifo)
    folder = dest / ".y.cheelbackup.cafebabe.part"
    folder.mkdir()
    precious = tmp_path / "precious.txt"
    precious.write_text("mine")
    link = dest / ".z.cheelbackup.0badf00d.part"
    link.symlink_to(precious)
    stale = dest / ".w.cheelbackup.deadbeef.part"
    stale.write_bytes(b"left by a killed backup")
    r = subprocess.run([PYTHON, "-c", "from cheel.cli.main import main; main()",
                        "--data-dir", str(catalog.data_dir), "backup", "Klein",
                        "--dest", str(dest)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and folder.is_dir()
    assert link.is_symlink() and precious.read_text() == "mine"
    assert not stale.exists()
    assert len(list(dest.glob("*.cheelbackup"))) == 1


# -- interoperability with standard tools --------------------------------------------------
def _sample_backup(catalog: Catalog, dest: Path, password: str | None) -> Path:
    mv.build_sample(catalog, "Interop")
    return backup(catalog, ["Interop"], dest, password=password).path


@pytest.mark.skipif(AGE is None or ZSTD is None, reason="the age and zstd commands are needed")
def test_age_zstd_tar_read_an_encrypted_backup(catalog, dest, tmp_path):
    path = _sample_backup(catalog, dest, PW)
    out = tmp_path / "backup.tar.zst"
    child = pexpect.spawn(AGE, ["-d", "-o", str(out), str(path)], timeout=60)
    child.expect_exact("Enter passphrase")
    child.sendline(PW)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    listing = subprocess.run(f"zstd -d -c '{out}' | tar t", shell=True, check=True,
                             capture_output=True, text=True).stdout.splitlines()
    assert listing[0] == "manifest.json"
    assert listing[-1] == "index.json"
    assert all(re.fullmatch(r"data/0/(org|g\d+)/\d{3}-[a-z_]+-\d{6}\.json", n)
               for n in listing[1:-1])
    # pyrage decrypts it too, to the same bytes.
    assert pyrage.passphrase.decrypt(path.read_bytes(), PW) == out.read_bytes()


def _recovery_blocks() -> tuple[list[str], str]:
    """The shell lines and the Python block of "Recovering data without cheel" in FORMAT.md."""
    text = (Path(__file__).parents[1] / "docs" / "FORMAT.md").read_text("utf-8")
    section = text.split("## Recovering data without cheel", 1)[1]
    blocks = re.findall(r"```(sh|python)\n(.*?)```", section, re.S)
    shell = [line.split("  #")[0].strip() for kind, body in blocks if kind == "sh"
             for line in body.splitlines() if line.strip()]
    (python,) = [body for kind, body in blocks if kind == "python"]
    return shell, python


@pytest.mark.skipif(AGE is None or ZSTD is None or shutil.which("jq") is None,
                    reason="age, zstd and jq are needed")
def test_recovery_commands_of_format_md(catalog, dest, tmp_path):
    """The "Recovering data without cheel" commands of docs/FORMAT.md, run as written."""
    shell, python = _recovery_blocks()
    age_line, zstd_line, key_line, check_line, *jq_lines = shell
    assert age_line.startswith("age -d ") and zstd_line.startswith("zstd -d ")
    assert key_line.startswith("age -d -i key.txt ")
    mv.build_sample(catalog, "Recover")
    extracted = {}
    for password, line in ((PW, age_line), (None, zstd_line)):
        work = tmp_path / ("enc" if password else "plain")
        work.mkdir()
        made = backup(catalog, ["Recover"], dest, password=password).path
        shutil.copy(made, work / "backup.cheelbackup")
        if password:
            child = pexpect.spawn("bash", ["-c", line], cwd=str(work), timeout=60)
            child.expect_exact("Enter passphrase")
            child.sendline(password)
            child.expect(pexpect.EOF)
            child.close()
            assert child.exitstatus == 0, child.before
        else:
            subprocess.run(line, shell=True, check=True, cwd=work)
        (work / "backup.cheelbackup").unlink()
        extracted[password] = (work, made)
        manifest = json.loads((work / "manifest.json").read_text("utf-8"))
        assert manifest["format"] == "cheel-backup" and manifest["encrypted"] is bool(password)
    # encrypted for a public key (cheel keygen's key file, as age reads it)
    work = tmp_path / "key"
    work.mkdir()
    identity = x25519.write_identity_file(work / "key.txt", "2026-01-01T00:00:00+00:00")
    made = backup(catalog, ["Recover"], dest, recipients=[str(identity.recipient)]).path
    shutil.copy(made, work / "backup.cheelbackup")
    subprocess.run(key_line, shell=True, check=True, cwd=work)
    manifest = json.loads((work / "manifest.json").read_text("utf-8"))
    assert manifest["encrypted"] is True
    work, plain = extracted[None]
    subprocess.run(check_line, shell=True, check=True, cwd=work, capture_output=True)
    for line in jq_lines:
        subprocess.run(line, shell=True, check=True, cwd=work, capture_output=True)
    assert (work / "document-2").read_bytes() == ALL_BYTES
    assert "alle-bytes.bin" in (work / "documents.csv").read_text("utf-8")
    out = subprocess.run([PYTHON, "-c", python], cwd=work, check=True, capture_output=True,
                         text=True).stdout
    assert "2 alle-bytes.bin 256" in out.splitlines()
    # A damaged member is caught by the index check too.
    chunk = next(work.glob("data/0/g1/*-documents-*.json"))
    chunk.write_bytes(chunk.read_bytes().replace(b"alle-bytes", b"alle-Bytes"))
    assert subprocess.run(check_line, shell=True, cwd=work, capture_output=True).returncode != 0
    # zstd checks the content checksum and ignores the seal (a skippable frame).
    assert subprocess.run(["zstd", "-t", "-q", str(plain)]).returncode == 0


