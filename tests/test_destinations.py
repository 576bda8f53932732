"""Every kind of destination passes the same tests (issue 18): a folder, a bucket on a
real S3-compatible server (SeaweedFS) and a folder on a real SFTP server (OpenSSH's sshd),
both started here on 127.0.0.1. Then backup, inspect, verify, restore, list and prune
through each from the command line, an interrupted and a killed upload leaving nothing
under a final name, and failures said in one sentence."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from cheel.destinations import open_destination
from cheel.errors import DestinationError, Interrupted, UsageError
from cheel.backup import BackupOptions, plan_backup, run_backup
from cheel.demo import DemoOptions, create_demo

from helpers import group_content, group_uids, run_cli
from s3_server import CREDENTIALS, new_bucket, s3_client, s3_url

ORG = "Demo SA"


@pytest.fixture(params=["folder", "s3", "sftp"])
def where(request, tmp_path):
    """A destination of each kind, empty: its folder or URL."""
    if request.param in ("folder", "sftp"):
        folder = tmp_path / "dest"
        folder.mkdir()
        if request.param == "sftp":
            return request.getfixturevalue("sftp_server").url(folder)
        return str(folder)
    endpoint = request.getfixturevalue("s3_endpoint")
    return s3_url(endpoint, new_bucket(endpoint))


# -- the interface, the same over every kind ---------------------------------------------------
def test_a_file_appears_whole_only_once_published(where):
    destination = open_destination(where)
    destination.check()
    data = os.urandom(9 << 20) + b"end"  # more than one S3 part
    upload = destination.upload("a.cheelbackup")
    for start in range(0, len(data), 1 << 20):
        upload.raw.write(data[start:start + (1 << 20)])
    assert [f.name for f in destination.files()] == []  # nothing under its name yet
    published = upload.publish()
    assert published.size == len(data) and published.name == "a.cheelbackup"
    assert [(f.name, f.size) for f in destination.files()] == [("a.cheelbackup", len(data))]
    with destination.open("a.cheelbackup") as f:
        assert f.read() == data
    assert destination.size("a.cheelbackup") == len(data)
    destination.write_small("a.cheelbackup.json", b"{}")
    assert destination.read_small("a.cheelbackup.json", 100) == b"{}"
    assert destination.read_small("a.cheelbackup.json", 1) is None  # over the limit
    assert destination.read_small("missing.json", 100) is None
    destination.delete("a.cheelbackup")
    destination.delete("a.cheelbackup")  # already gone: no error
    assert [f.name for f in destination.files()] == ["a.cheelbackup.json"]


def test_an_abandoned_upload_leaves_nothing_under_its_name(where):
    destination = open_destination(where)
    upload = destination.upload("b.cheelbackup")
    upload.raw.write(os.urandom(10 << 20))
    upload.abandon()
    assert destination.files() == []
    if where.startswith("s3://"):
        bucket = where.split("/")[2]
        endpoint = where.split("endpoint=")[1].split("&")[0]
        assert not s3_client(endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_an_interrupted_backup_leaves_no_file(where, catalog):
    create_demo(catalog, DemoOptions(name=ORG, entries=300, seed=2))
    plan = plan_backup(catalog, BackupOptions([ORG], where, log2n=10))

    def progress(done, total, phase=None):
        if done > 0:
            raise Interrupted("stopped")

    with pytest.raises(Interrupted):
        run_backup(catalog, plan, progress)
    assert [f.name for f in open_destination(where).files()] == []


def test_backup_list_verify_restore_prune_through_the_destination(where, catalog):
    create_demo(catalog, DemoOptions(name=ORG, entries=300, seed=2))
    made = []
    for _ in range(2):
        result = run_cli(catalog, "backup", ORG, "--dest", where, "--json")
        assert result.exit_code == 0, result.output
        made.append(json.loads(result.output)["path"])
        time.sleep(1.1)  # another second: another name
    assert all(m.startswith(where.split("?")[0]) for m in made)
    inspected = run_cli(catalog, "inspect", made[0], "--json")
    assert inspected.exit_code == 0, inspected.output
    assert json.loads(inspected.output)["organizations"][0]["name"] == ORG
    for location in made:
        verified = run_cli(catalog, "verify", location, "--json")
        assert verified.exit_code == 0, verified.output
        assert json.loads(verified.output)["recorded"] is True
    restored = run_cli(catalog, "restore", made[1], "--into", "Copie SA", "--create", "--json")
    assert restored.exit_code == 0, restored.output
    from cheel.store import organizations

    with organizations.opened(catalog, ORG) as (_, source), \
            organizations.opened(catalog, "Copie SA") as (_, copy):
        for name, uid in group_uids(catalog, ORG).items():
            assert group_content(copy, uid) == group_content(source, uid), name
    listed = json.loads(run_cli(catalog, "backups", "list", where, "--json").output)
    assert [b["file"] for b in listed] == made
    assert all(b["verified"] for b in listed)
    pruned = json.loads(run_cli(catalog, "backups", "prune", where, "--keep-last", "1",
                                "--json").output)
    kept = [b["file"] for b in pruned["backups"] if b["keep"]]
    assert made[1] in kept  # the newest; the older one only if the legal floor keeps it
    names = {f.name for f in open_destination(where).files()}
    assert {m.split("?")[0].rsplit("/", 1)[1] for m in kept} <= names
    assert len(names) == 2 * len(kept)  # each kept backup and its record, nothing else


# -- S3 only ----------------------------------------------------------------------------------
KILLED_BACKUP = """
import sys
from cheel.cli.main import main
sys.argv = ["cheel", "--data-dir", sys.argv[1], "backup", "Demo SA", "--dest", sys.argv[2]]
sys.exit(main())
"""


def kill_once(child: subprocess.Popen, uploading) -> None:
    """SIGKILL the backup ``child`` as soon as ``uploading()`` sees its upload under way."""
    try:
        deadline = time.monotonic() + 60
        while not uploading():
            assert child.poll() is None, "the backup ended before its upload was seen"
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def test_a_killed_upload_leaves_no_object_under_a_final_name(s3_endpoint, catalog):
    create_demo(catalog, DemoOptions(name=ORG, entries=30_000, seed=2))
    bucket = new_bucket(s3_endpoint)
    client = s3_client(s3_endpoint)
    child = subprocess.Popen([sys.executable, "-c", KILLED_BACKUP, str(catalog.data_dir),
                              s3_url(s3_endpoint, bucket)], env={**os.environ, **CREDENTIALS},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kill_once(child, lambda: client.list_multipart_uploads(Bucket=bucket).get("Uploads"))
    objects = client.list_objects_v2(Bucket=bucket).get("Contents", [])
    assert [o["Key"] for o in objects] == []


def test_s3_failures_are_one_sentence(s3_endpoint, catalog):
    create_demo(catalog, DemoOptions(name=ORG, entries=50, seed=2))
    missing = run_cli(catalog, "backup", ORG, "--dest", s3_url(s3_endpoint, "no-such-bucket"))
    assert missing.exit_code == 1
    first = missing.output.splitlines()[0]
    assert first.startswith("Error: The S3 destination s3://no-such-bucket/backups cannot be "
                            "used: ")
    assert "Traceback" not in missing.output
    secret = run_cli(catalog, "backup", ORG, "--dest", "s3://KEY:s3cr3tValue@bucket/x")
    assert secret.exit_code == 2
    assert "s3cr3tValue" not in secret.output
    assert "never carries credentials" in secret.output
    odd = run_cli(catalog, "backup", ORG, "--dest", "s3://bucket/x?token=abc")
    assert odd.exit_code == 2 and "not token" in odd.output
    ftp = run_cli(catalog, "backup", ORG, "--dest", "ftp://host/x")
    assert ftp.exit_code == 2 and "not to ftp://" in ftp.output.replace("\n", " ")
    with pytest.raises(DestinationError):
        open_destination(s3_url(s3_endpoint, "no-such-bucket")).check()


@pytest.mark.parametrize("url, template", [
    ("s3://bucket/folder?zz=1&endpoint=http://x&aa=2",
     "an S3 destination takes endpoint, region and path-style, not {unknown}"),
    ("sftp://user@host/folder?zz=1&key=k&aa=2",
     "an SFTP destination takes key and known-hosts, not {unknown}")])
def test_an_unknown_query_key_is_refused_by_name(url, template):
    with pytest.raises(UsageError) as refused:
        open_destination(url)
    assert refused.value.exit_code == 2
    assert refused.value.text.template == template
    assert refused.value.text.params == {"unknown": "aa, zz"}


# -- SFTP only --------------------------------------------------------------------------------
def test_sftp_refuses_an_unknown_server_and_a_password(sftp_server, tmp_path, catalog):
    folder = tmp_path / "dest"
    folder.mkdir()
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    url = (f"sftp://{sftp_server.user}@127.0.0.1:{sftp_server.port}{folder}"
           f"?key={sftp_server.key}&known-hosts={empty}")
    with pytest.raises(DestinationError) as unknown:
        open_destination(url).check()
    assert "is not known" in unknown.value.message
    assert f"ssh-keyscan -p {sftp_server.port} 127.0.0.1" in unknown.value.hint
    create_demo(catalog, DemoOptions(name=ORG, entries=50, seed=2))
    password = run_cli(catalog, "backup", ORG, "--dest",
                       f"sftp://{sftp_server.user}:pa55word@127.0.0.1/{folder}")
    assert password.exit_code == 2 and "pa55word" not in password.output
    assert list(folder.iterdir()) == []


def test_a_killed_sftp_upload_leaves_no_file_under_a_final_name(sftp_server, tmp_path,
                                                                 catalog):
    create_demo(catalog, DemoOptions(name=ORG, entries=30_000, seed=2))
    folder = tmp_path / "dest"
    folder.mkdir()
    child = subprocess.Popen([sys.executable, "-c", KILLED_BACKUP, str(catalog.data_dir),
                              sftp_server.url(folder)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    kill_once(child, lambda: any(p.name.endswith(".part") and p.stat().st_size > 0
                                 for p in folder.iterdir()))
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == []
    assert open_destination(sftp_server.url(folder)).files() == []


def test_an_sftp_upload_sweeps_the_parts_of_killed_uploads(sftp_server, tmp_path, catalog):
    """A killed upload leaves a hidden .part; the next upload there deletes it once it has
    been left unchanged for hours, and leaves a recent one (maybe a live upload) alone."""
    from cheel.destinations.sftp import STALE_PART

    create_demo(catalog, DemoOptions(name=ORG, entries=200, seed=2))
    folder = tmp_path / "dest"
    folder.mkdir()
    stale = folder / ".Demo_20260101_010101.cheelbackup.0badc0de.part"
    recent = folder / ".Demo_20260101_020202.cheelbackup.0123abcd.part"
    other = folder / ".notes.part"
    for path in (stale, recent, other):
        path.write_bytes(b"partial")
    old = time.time() - STALE_PART - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    result = run_cli(catalog, "backup", ORG, "--dest", sftp_server.url(folder))
    assert result.exit_code == 0, result.output
    assert not stale.exists()
    assert recent.exists() and other.exists()
    assert [p.name for p in folder.glob("*.cheelbackup")]


def test_s3_checks_the_etag_the_server_computed(s3_endpoint):
    """A file of three parts: published only when the ETag S3 computed from what it received
    is the one computed here from what was sent; else deleted and refused."""
    destination = open_destination(s3_url(s3_endpoint, new_bucket(s3_endpoint)))
    data = os.urandom(12 << 20)
    upload = destination.upload("whole.cheelbackup")
    for start in range(0, len(data), 333_333):  # blocks that do not fall on the parts
        upload.raw.write(data[start:start + 333_333])
    published = upload.publish()
    assert published.size == len(data)
    assert published.sha256 == hashlib.sha256(data).hexdigest()
    assert s3_client(s3_endpoint).head_object(Bucket=destination.bucket, Key=destination.key(
        "whole.cheelbackup"))["ETag"].strip('"').endswith("-3")

    upload = destination.upload("tampered.cheelbackup")
    upload.raw.write(data)
    upload.raw.parts.update(memoryview(b"not sent"))  # what was sent, as told here, differs
    with pytest.raises(DestinationError, match="is not what was sent"):
        upload.publish()
    assert [f.name for f in destination.files()] == ["whole.cheelbackup"]


def test_s3_credentials_from_a_profile_file(s3_endpoint, catalog, tmp_path, monkeypatch):
    """Without AWS_ACCESS_KEY_ID in the environment, the key of AWS_PROFILE in the shared
    credentials file is used; a profile that does not hold the right key is refused."""
    create_demo(catalog, DemoOptions(name=ORG, entries=200, seed=2))
    url = s3_url(s3_endpoint, new_bucket(s3_endpoint))
    profiles = tmp_path / "credentials"
    profiles.write_text(f"[default]\naws_access_key_id = nobody\naws_secret_access_key = x\n\n"
                        f"[cheel]\naws_access_key_id = {CREDENTIALS['AWS_ACCESS_KEY_ID']}\n"
                        f"aws_secret_access_key = {CREDENTIALS['AWS_SECRET_ACCESS_KEY']}\n")
    for name in CREDENTIALS:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(profiles))
    refused = run_cli(catalog, "backup", ORG, "--dest", url)
    assert refused.exit_code == 1 and "cannot be used" in refused.output
    monkeypatch.setenv("AWS_PROFILE", "cheel")
    result = run_cli(catalog, "backup", ORG, "--dest", url)
    assert result.exit_code == 0, result.output
    assert len(open_destination(url).files()) == 2  # the backup and its record
