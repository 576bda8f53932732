"""An SFTP server as a destination: ``sftp://USER@HOST[:PORT]/PATH``.

Keys only, from the SSH agent, the usual ``~/.ssh/id_*`` files, or the key file named by
``?key=FILE``; never a password. The server must be known: its host key is checked
against ``~/.ssh/known_hosts`` (or ``?known-hosts=FILE``), and an unknown one is refused
with the way to accept it, as ssh does.

A new file is written under a hidden temporary name (``.NAME.XXXXXXXX.part``) and renamed
to its final name only once complete and read back (size and SHA-256), never replacing a
file; an interrupted upload leaves only its temporary file, which the next upload to the
folder deletes once nothing has written to it for :data:`STALE_PART` seconds (a live upload
writes to it all the time; SFTP has no lock to tell it otherwise).
"""

from __future__ import annotations

import hashlib
import posixpath
import secrets
import stat
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from ..errors import DestinationError, NotFound, UsageError, said
from .base import EXTENSION, Published, SendingWriter, StoredFile, check_stored, query_of

QUERY_KEYS = {"key", "known-hosts"}
TIMEOUT = 30  # seconds for a connection or an answer
STALE_PART = 6 * 3600  # an upload's temporary file unchanged this long was abandoned


def _why(e: Exception) -> str:
    return (getattr(e, "strerror", None) or str(e) or type(e).__name__)[:200]


class SFTPDestination:
    parallel_reads = 1  # one SFTP channel

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.password is not None:
            raise UsageError(said("an SFTP destination never carries a password in its URL"),
                             hint=said("use an SSH key: the agent, ~/.ssh, or ?key=FILE"))
        if not parts.hostname or not parts.username:
            raise UsageError(said("an SFTP destination is written sftp://USER@HOST/FOLDER"))
        query = query_of(parts.query, QUERY_KEYS, lambda unknown: said(
            "an SFTP destination takes key and known-hosts, not {unknown}", unknown=unknown))
        self.url = url
        self.user, self.host, self.port = parts.username, parts.hostname, parts.port or 22
        self.folder = unquote(parts.path) or "."
        self.key_file = query.get("key")
        self.known_hosts = query.get("known-hosts")
        self._ssh = None
        self._sftp = None

    # -- the connection, opened on first use -------------------------------------------------
    def _client(self):
        if self._sftp is not None:
            return self._sftp
        import paramiko  # imported when an SFTP destination is used

        ssh = paramiko.SSHClient()
        try:
            if self.known_hosts:
                ssh.load_host_keys(str(Path(self.known_hosts).expanduser()))
            else:
                ssh.load_system_host_keys()
        except OSError as e:
            raise self._error(e) from None
        ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            ssh.connect(self.host, self.port, username=self.user,
                        key_filename=str(Path(self.key_file).expanduser())
                        if self.key_file else None,
                        allow_agent=True, look_for_keys=True, password=None,
                        timeout=TIMEOUT, banner_timeout=TIMEOUT, auth_timeout=TIMEOUT)
        except paramiko.SSHException as e:
            ssh.close()
            if "not found in known_hosts" in str(e):
                raise DestinationError(
                    said("the SFTP server {host} is not known: its host key is not in "
                         "known_hosts", host=self.host),
                    hint=said("check its key, then add it: ssh-keyscan -p {port} {host} >> "
                              "~/.ssh/known_hosts", port=self.port, host=self.host)) from None
            raise self._error(e) from None
        except OSError as e:
            ssh.close()
            raise self._error(e) from None
        self._ssh, self._sftp = ssh, ssh.open_sftp()
        self._sftp.get_channel().settimeout(TIMEOUT)
        return self._sftp

    def close(self) -> None:
        if self._ssh is not None:
            self._ssh.close()
            self._ssh = self._sftp = None

    def _error(self, e: Exception) -> DestinationError:
        return DestinationError(said("the SFTP destination sftp://{user}@{host}{folder} cannot "
                                     "be used: {why}", user=self.user, host=self.host,
                                     folder=self.folder, why=_why(e)),
                                hint=said("check the address, the folder and your SSH key"))

    def _path(self, name: str) -> str:
        return posixpath.join(self.folder, name)

    # -- the interface -----------------------------------------------------------------------
    def location(self, name: str) -> str:
        base, _, query = self.url.partition("?")
        return f"{base.rstrip('/')}/{name}" + (f"?{query}" if query else "")

    def check(self) -> None:
        sftp = self._client()
        probe = self._path(f".cheel-write-test-{secrets.token_hex(4)}")
        try:
            if not stat.S_ISDIR(sftp.stat(self.folder).st_mode):
                raise DestinationError(said("the destination {path} is not a folder",
                                            path=self.location("")))
            with sftp.open(probe, "wb"):
                pass
            sftp.remove(probe)
        except OSError as e:
            raise self._error(e) from None

    def files(self, prefix: str = "") -> list[StoredFile]:
        try:
            entries = self._client().listdir_attr(self.folder)
        except OSError as e:
            raise self._error(e) from None
        return sorted((StoredFile(a.filename, int(a.st_size or 0), datetime.fromtimestamp(
            int(a.st_mtime or 0), timezone.utc).isoformat())
            for a in entries if not a.filename.startswith(".") and a.filename.startswith(prefix)
            and stat.S_ISREG(a.st_mode or 0)),
            key=lambda f: f.name)

    def upload(self, name: str) -> SFTPUpload:
        self.sweep_parts()
        return SFTPUpload(self, name)

    def sweep_parts(self) -> list[str]:
        """Delete the temporary files of uploads that were killed: hidden, named like a
        backup's ``.part``, regular files, unchanged for :data:`STALE_PART` seconds."""
        removed = []
        try:
            entries = self._client().listdir_attr(self.folder)
        except OSError as e:
            raise self._error(e) from None
        now = time.time()
        for entry in entries:
            name = entry.filename
            if not (name.startswith(".") and name.endswith(".part") and EXTENSION in name
                    and stat.S_ISREG(entry.st_mode or 0)
                    and now - (entry.st_mtime or now) > STALE_PART):
                continue
            try:
                self._client().remove(self._path(name))
                removed.append(name)
            except OSError:  # gone meanwhile, or not ours to delete
                continue
        return removed

    def open(self, name: str) -> BinaryIO:
        try:
            f = self._client().open(self._path(name), "rb")
        except FileNotFoundError:
            raise NotFound(said("the file {path} does not exist",
                                path=self.location(name))) from None
        except OSError as e:
            raise self._error(e) from None
        f.prefetch()  # read ahead: a stream, not a request per block
        return f

    def size(self, name: str) -> int:
        try:
            return int(self._client().stat(self._path(name)).st_size)
        except OSError as e:
            raise self._error(e) from None

    def read_small(self, name: str, limit: int) -> bytes | None:
        try:  # no stat first: one round trip less per record a listing reads
            with self._client().open(self._path(name), "rb") as f:
                data = f.read(limit + 1)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise self._error(e) from None
        return data if len(data) <= limit else None

    def write_small(self, name: str, data: bytes) -> None:
        sftp = self._client()
        temporary = self._path(f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            with sftp.open(temporary, "wb") as f:
                f.chmod(0o600)
                f.write(data)
            sftp.posix_rename(temporary, self._path(name))
        except OSError as e:
            raise self._error(e) from None

    def delete(self, name: str) -> None:
        try:
            self._client().remove(self._path(name))
        except FileNotFoundError:
            pass
        except OSError as e:
            raise self._error(e) from None


class SFTPUpload:
    def __init__(self, destination: SFTPDestination, name: str):
        self.destination, self.name = destination, name
        sftp = destination._client()
        self._temporary = destination._path(f".{name}.{secrets.token_hex(4)}.part")
        try:
            self._remote = sftp.open(self._temporary, "wb")
            self._remote.chmod(0o600)
            self._remote.set_pipelined(True)  # writes do not wait for each answer
        except OSError as e:
            raise destination._error(e) from None
        self.raw = SendingWriter(self._send)

    def _send(self, data: bytes) -> None:
        try:
            self._remote.write(data)
        except OSError as e:
            raise self.destination._error(e) from None

    def publish(self) -> Published:
        destination, sftp = self.destination, self.destination._client()
        try:
            self._remote.close()  # waits for every pipelined write
            digest, size = hashlib.sha256(), 0
            with sftp.open(self._temporary, "rb") as f:  # read back whole
                f.prefetch()
                while block := f.read(1 << 20):
                    digest.update(block)
                    size += len(block)
        except OSError as e:
            self.abandon()
            raise destination._error(e) from None
        sent = self.raw.digest()
        check_stored(destination.location(self.name), (size, digest.hexdigest()), sent,
                     self.abandon)
        stem, extension = posixpath.splitext(self.name)
        for n in range(1, 1000):  # never replace a file: the next free name
            name = self.name if n == 1 else f"{stem}-{n}{extension}"
            try:
                sftp.stat(destination._path(name))
                continue
            except FileNotFoundError:
                pass
            try:
                sftp.rename(self._temporary, destination._path(name))  # fails if it exists
            except OSError:
                continue
            return Published(destination.location(name), name, size, sent[1])
        self.abandon()
        raise DestinationError(said("too many backups named {filename} in {dest}",
                                    filename=self.name, dest=destination.location("")))

    def abandon(self) -> None:
        try:
            self._remote.close()
        except Exception:  # noqa: BLE001, S110 - closing what failed
            pass
        try:
            self.destination._client().remove(self._temporary)
        except Exception:  # noqa: BLE001, S110 - nothing was published under the name
            pass
