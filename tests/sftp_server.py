"""A real SFTP server for the tests: OpenSSH's sshd from the distribution, on 127.0.0.1 and
a free port, with a throwaway host key and a throwaway user key (no password), its
configuration in a temporary folder. It dies with the test process (a parent-death
signal), and is killed at the end."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from s3_server import _die_with_parent, _free_ports

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)


@dataclass
class SFTPServer:
    user: str
    port: int
    key: Path  # the user's private key
    known_hosts: Path  # the server's host key, as ssh's known_hosts says it

    def url(self, folder: Path) -> str:
        return (f"sftp://{self.user}@127.0.0.1:{self.port}{folder}"
                f"?key={self.key}&known-hosts={self.known_hosts}")


def _keygen(path: Path) -> str:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
                   check=True, stdout=subprocess.DEVNULL)
    return (path.with_suffix(".pub")).read_text().strip()


@contextlib.contextmanager
def throwaway_sshd(folder: Path):
    if SSHD is None:
        raise RuntimeError("sshd (Debian package openssh-server) is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    host_public = _keygen(folder / "host_key")
    user_public = _keygen(folder / "user_key")
    (folder / "authorized_keys").write_text(user_public + "\n")
    (port,) = _free_ports(1)
    (folder / "known_hosts").write_text(
        f"[127.0.0.1]:{port} {' '.join(host_public.split()[:2])}\n")
    user = getpass.getuser()
    config = folder / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {folder / 'host_key'}",
        f"AuthorizedKeysFile {folder / 'authorized_keys'}", "PubkeyAuthentication yes",
        "PasswordAuthentication no", "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password", "StrictModes no", "UsePAM no",
        f"AllowUsers {user}", f"PidFile {folder / 'sshd.pid'}",
        "Subsystem sftp internal-sftp", ""]))
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # its privilege separation folder
    log = open(folder / "sshd.log", "wb")
    process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log,
                               stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                raise RuntimeError("sshd did not start: " +
                                   (folder / "sshd.log").read_text()[-2000:])
            time.sleep(0.1)
        yield SFTPServer(user, port, folder / "user_key", folder / "known_hosts")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        log.close()
