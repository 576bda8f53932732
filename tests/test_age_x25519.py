"""Backups encrypted for age public keys (issue 18): `cheel keygen`, `backup --recipient` /
`--recipients-file`, and `--identity` to read. The files are standard age files: the age
command line and pyrage (the rage library) open what cheel writes, and cheel opens what
they write, both ways."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from pathlib import Path

import pyrage
import pytest

from cheel.archive.age import x25519
from cheel.archive.age.format import Stanza, b64encode
from cheel.errors import DamagedFile
from cheel.demo import DemoOptions, create_demo

from helpers import group_content, group_uids, run_cli

ORG = "Demo SA"
AGE = shutil.which("age")
AGE_KEYGEN = shutil.which("age-keygen")
pytestmark = pytest.mark.skipif(AGE is None or AGE_KEYGEN is None,
                                reason="the age command line is not installed")


run = run_cli


@pytest.fixture
def demo(catalog):
    create_demo(catalog, DemoOptions(name=ORG, entries=300, seed=3))
    return catalog


def keygen(catalog, path: Path) -> str:
    result = run(catalog, "keygen", "-o", str(path), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["recipient"]


def backup_for(catalog, dest: Path, *args: str) -> Path:
    result = run(catalog, "backup", ORG, "--dest", str(dest), "--json", *args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["encrypted"] is True
    return Path(report["path"])


def test_keygen_writes_a_private_key_for_its_owner_only_and_never_overwrites(catalog,
                                                                             tmp_path):
    key = tmp_path / "key.txt"
    recipient = keygen(catalog, key)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    text = key.read_text()
    assert f"# public key: {recipient}" in text
    secret = next(line for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-1"))
    # age-keygen derives the same public key from the private key cheel wrote
    derived = subprocess.run([AGE_KEYGEN, "-y", str(key)], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert derived == recipient
    again = run(catalog, "keygen", "-o", str(key))
    assert again.exit_code == 1
    assert "never overwritten" in again.output
    assert key.read_text() == text
    assert secret not in again.output
    assert [p.name for p in tmp_path.iterdir()] == ["key.txt"]  # no temporary file left


def test_age_opens_what_cheel_writes_for_its_recipients(demo, tmp_path, dest):
    key = tmp_path / "key.txt"
    recipient = keygen(demo, key)
    path = backup_for(demo, dest, "--recipient", recipient)
    assert path.read_bytes().startswith(b"age-encryption.org/v1\n-> X25519 ")
    plain = tmp_path / "plain.cheelbackup"
    subprocess.run([AGE, "-d", "-i", str(key), "-o", str(plain), str(path)], check=True)
    verified = run(demo, "verify", str(plain), "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["encrypted"] is False
    # and cheel reads the encrypted file itself with the same key
    assert run(demo, "verify", str(path), "--identity", str(key)).exit_code == 0


def test_cheel_opens_what_age_writes_and_restores_it_equal(demo, tmp_path, dest):
    key = tmp_path / "age-key.txt"
    subprocess.run([AGE_KEYGEN, "-o", str(key)], check=True, capture_output=True)
    recipient = subprocess.run([AGE_KEYGEN, "-y", str(key)], capture_output=True, text=True,
                               check=True).stdout.strip()
    plain = run(demo, "backup", ORG, "--dest", str(dest), "--json")
    plain_path = Path(json.loads(plain.output)["path"])
    encrypted = tmp_path / "by-age.cheelbackup"
    subprocess.run([AGE, "-r", recipient, "-o", str(encrypted), str(plain_path)], check=True)
    restored = run(demo, "restore", str(encrypted), "--into", "Copie SA", "--create",
                   "--identity", str(key), "--json")
    assert restored.exit_code == 0, restored.output
    from cheel.store import organizations

    with organizations.opened(demo, ORG) as (_, source), \
            organizations.opened(demo, "Copie SA") as (_, copy):
        for name, uid in group_uids(demo, ORG).items():
            assert group_content(copy, uid) == group_content(source, uid), name


def test_pyrage_both_ways(demo, tmp_path, dest):
    # pyrage's identity, cheel's backup for it; pyrage decrypts
    identity = pyrage.x25519.Identity.generate()
    path = backup_for(demo, dest, "--recipient", str(identity.to_public()))
    plain = tmp_path / "plain.cheelbackup"
    plain.write_bytes(pyrage.decrypt(path.read_bytes(), [identity]))
    assert run(demo, "verify", str(plain)).exit_code == 0
    # cheel's key, pyrage encrypts; cheel reads
    key = tmp_path / "key.txt"
    recipient = keygen(demo, key)
    by_pyrage = tmp_path / "by-pyrage.cheelbackup"
    by_pyrage.write_bytes(pyrage.encrypt(plain.read_bytes(),
                                         [pyrage.x25519.Recipient.from_str(recipient)]))
    assert run(demo, "verify", str(by_pyrage), "--identity", str(key)).exit_code == 0


def test_several_recipients_each_open_the_file(demo, tmp_path, dest):
    keys = [tmp_path / f"key{n}.txt" for n in range(3)]
    recipients = [keygen(demo, k) for k in keys]
    listed = tmp_path / "recipients.txt"
    listed.write_text(f"# the office\n{recipients[1]}\n\n{recipients[2]}\n")
    path = backup_for(demo, dest, "--recipient", recipients[0], "--recipients-file", str(listed))
    assert path.read_bytes().count(b"\n-> X25519 ") == 3
    for key in keys:
        assert run(demo, "verify", str(path), "--identity", str(key)).exit_code == 0
        subprocess.run([AGE, "-d", "-i", str(key), "-o", "/dev/null", str(path)], check=True)


def test_what_a_reader_without_the_right_key_is_told(demo, tmp_path, dest):
    key, other = tmp_path / "key.txt", tmp_path / "other.txt"
    path = backup_for(demo, dest, "--recipient", keygen(demo, key))
    keygen(demo, other)
    none = run(demo, "verify", str(path))
    assert none.exit_code == 3
    assert none.output.splitlines()[0] == ("Error: This backup is encrypted for public keys "
                                           "(age recipients) and no private key was given.")
    assert "--identity" in none.output
    wrong = run(demo, "verify", str(path), "--identity", str(other))
    assert wrong.exit_code == 3
    assert "No private key given opens this backup (1 tried)." in wrong.output
    secret = [line for line in other.read_text().splitlines() if line.startswith("AGE-")][0]
    assert secret not in wrong.output
    # two identity files: the second one opens it
    both = run(demo, "verify", str(path), "--identity", str(other), "--identity", str(key))
    assert both.exit_code == 0, both.output


def test_bad_keys_and_mixed_encryption_are_refused_in_one_sentence(demo, tmp_path, dest):
    key = tmp_path / "key.txt"
    recipient = keygen(demo, key)
    cases = [
        (["--recipient", "age1notakey"], 2, '"age1notakey" is not an age public key'),
        (["--recipient", recipient.upper()], 2, "is not an age public key"),
        (["--recipient", recipient[:-1] + ("q" if recipient[-1] != "q" else "p")], 2,
         "is not an age public key"),
        (["--recipients-file", str(tmp_path / "missing.txt")], 2, "cannot be read"),
        (["--recipient", recipient, "--password-file", str(key)], 2,
         "either with a password or for public keys, not both"),
    ]
    for args, code, said in cases:
        result = run(demo, "backup", ORG, "--dest", str(dest), *args)
        assert result.exit_code == code, (args, result.output)
        assert said in result.output.splitlines()[0], (args, result.output)
        assert "Traceback" not in result.output
    assert list(dest.iterdir()) == []  # nothing written
    # an identity file that is not one: its line named, no secret echoed
    bad = tmp_path / "bad.txt"
    bad.write_text("# mine\nAGE-SECRET-KEY-1NOTAKEY\n")
    path = backup_for(demo, dest, "--recipient", recipient)
    refused = run(demo, "verify", str(path), "--identity", str(bad))
    assert refused.exit_code == 2
    assert "is not an age identity file (line 2:" in refused.output
    assert "NOTAKEY" not in refused.output


def test_a_tampered_recipient_stanza_is_refused(tmp_path):
    identity = x25519.X25519Identity.generate()
    stanza = identity.recipient.wrap(bytes(16))
    assert identity.unwrap(stanza) == bytes(16)
    other = x25519.X25519Identity.generate()
    assert other.unwrap(stanza) is None  # not this identity's: the next one is tried
    # a low-order share (all zeros) makes an all-zero secret: refused, as the spec asks
    low_order = Stanza("X25519", (b64encode(bytes(32)),), stanza.body)
    with pytest.raises(DamagedFile):
        identity.unwrap(low_order)
    with pytest.raises(DamagedFile):  # a share of the wrong length
        identity.unwrap(Stanza("X25519", (b64encode(bytes(31)),), stanza.body))
