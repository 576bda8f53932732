"""An S3-compatible bucket as a destination: ``s3://BUCKET/PREFIX``.

Any S3-compatible service (Exoscale, Infomaniak, MinIO, SeaweedFS, AWS…) through obstore
(Apache Arrow's Rust ``object_store``): the endpoint, the region and path-style addressing
come from the URL's query (``?endpoint=https://…&region=…&path-style=true``) or from the
usual environment (``AWS_ENDPOINT_URL``, ``AWS_REGION``); the credentials only from the
usual places (``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY``, or ``AWS_PROFILE`` in
``~/.aws/credentials``), never from the URL, so they never reach argv, logs or messages.

obstore rather than boto3: on a 1M-line backup (bench/destinations.py) boto3's import and
client cost 0.31 s and 42 MiB of a 1.36 s, 61 MiB backup; obstore's 0.07 s and no more peak
memory, its parts held in Rust while the backup goes on (:mod:`.s3_upload`).
"""

from __future__ import annotations

import configparser
import io
import os
from datetime import timedelta, timezone
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from ..errors import DestinationError, NotFound, UsageError, said
from .base import StoredFile, query_of

QUERY_KEYS = {"endpoint", "region", "path-style"}
# A lost endpoint is said within about a minute, not after object_store's default of three
RETRY = {"max_retries": 4, "retry_timeout": timedelta(seconds=60)}


def _failure(e: Exception) -> str:
    """What an S3 error says, in one line, without anything that could be a secret (the
    request's URL carries none: credentials are headers)."""
    text = str(e).strip().splitlines()
    return (type(e).__name__ + (f": {text[0]}" if text else ""))[:200]


def _profile_credentials() -> dict | None:
    """The access key of ``AWS_PROFILE`` (else ``default``) in the shared credentials
    file, when the environment does not hold one (object_store reads the environment)."""
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        return None
    path = Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"))
    profiles = configparser.ConfigParser(interpolation=None)
    try:
        profiles.read(path.expanduser(), encoding="utf-8")
    except (OSError, configparser.Error):
        return None
    profile = profiles[os.environ.get("AWS_PROFILE", "default")] \
        if profiles.has_section(os.environ.get("AWS_PROFILE", "default")) else None
    if profile is None or "aws_access_key_id" not in profile:
        return None
    return {"access_key_id": profile["aws_access_key_id"],
            "secret_access_key": profile.get("aws_secret_access_key", ""),
            "token": profile.get("aws_session_token") or None, "expires_at": None}


def _store(bucket: str, endpoint: str | None, region: str | None, path_style: bool):
    from obstore.store import S3Store  # imported when an S3 destination is used

    options: dict = {"retry_config": RETRY}
    endpoint = endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") \
        or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["endpoint"] = endpoint
        options["client_options"] = {"allow_http": endpoint.startswith("http://")}
    options["region"] = region or os.environ.get("AWS_REGION") \
        or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    options["virtual_hosted_style_request"] = not path_style and not endpoint
    credentials = _profile_credentials()
    if credentials is not None:
        options["credential_provider"] = lambda: credentials
    return S3Store(bucket, **options)


class S3Destination:
    parallel_reads = 8  # records read at once by a listing: obstore's client is shared by threads

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            raise UsageError(said("an S3 destination never carries credentials in its URL"),
                             hint=said("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                                       "AWS_PROFILE"))
        if not parts.hostname:
            raise UsageError(said("an S3 destination is written s3://BUCKET/FOLDER"))
        query = query_of(parts.query, QUERY_KEYS, lambda unknown: said(
            "an S3 destination takes endpoint, region and path-style, not {unknown}",
            unknown=unknown))
        self.bucket = parts.hostname
        self.prefix = parts.path.strip("/")
        self.url = url
        try:
            self.store = _store(self.bucket, query.get("endpoint"), query.get("region"),
                                query.get("path-style", "").lower() in ("1", "true", "yes"))
        except Exception as e:  # noqa: BLE001 - a malformed endpoint, said in one line
            raise self.error(e) from None

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def location(self, name: str) -> str:
        base = self.url.split("?", 1)
        folder = base[0].rstrip("/")
        return f"{folder}/{name}" + (f"?{base[1]}" if len(base) > 1 else "")

    def error(self, e: Exception) -> DestinationError:
        return DestinationError(said("the S3 destination s3://{bucket}/{prefix} cannot be "
                                     "used: {why}", bucket=self.bucket, prefix=self.prefix,
                                     why=_failure(e)),
                                hint=said("check the bucket, the endpoint and the "
                                          "credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE)"))

    def check(self) -> None:
        import obstore

        try:  # a listing of one page proves the bucket, the endpoint and the credentials
            next(iter(obstore.list(self.store, self.key(""), chunk_size=1)), None)
        except Exception as e:  # noqa: BLE001 - obstore's errors are many; all say the same
            raise self.error(e) from None

    def files(self, prefix: str = "") -> list[StoredFile]:
        import obstore

        folder = self.key("")
        try:
            listing = obstore.list_with_delimiter(self.store, folder or None)
        except Exception as e:  # noqa: BLE001
            raise self.error(e) from None
        found = []
        for item in listing["objects"]:
            name = item["path"][len(folder):]
            if name and "/" not in name and name.startswith(prefix):
                found.append(StoredFile(name, int(item["size"]), item["last_modified"]
                                        .astimezone(timezone.utc).isoformat()))
        return sorted(found, key=lambda f: f.name)

    def upload(self, name: str):
        from .s3_upload import S3Upload

        return S3Upload(self, name)

    def _get(self, name: str):
        """The object's GET answer (its metadata and body), or None if there is none."""
        import obstore

        try:
            return obstore.get(self.store, self.key(name))
        except FileNotFoundError:
            return None
        except Exception as e:  # noqa: BLE001
            raise self.error(e) from None

    def open(self, name: str) -> BinaryIO:
        answer = self._get(name)
        if answer is None:
            raise NotFound(said("the file {path} does not exist", path=self.location(name)))
        return io.BufferedReader(_Body(answer.stream(min_chunk_size=1 << 20), self),
                                 buffer_size=1 << 20)

    def size(self, name: str) -> int:
        import obstore

        try:
            return int(obstore.head(self.store, self.key(name))["size"])
        except FileNotFoundError:
            raise NotFound(said("the file {path} does not exist",
                                path=self.location(name))) from None
        except Exception as e:  # noqa: BLE001
            raise self.error(e) from None

    def read_small(self, name: str, limit: int) -> bytes | None:
        answer = self._get(name)  # one request: its length comes with it
        if answer is None or int(answer.meta["size"]) > limit:
            return None
        try:
            return bytes(answer.bytes())
        except Exception as e:  # noqa: BLE001 - a connection lost midway
            raise self.error(e) from None

    def write_small(self, name: str, data: bytes) -> None:
        import obstore

        try:  # one PUT: S3 shows the object whole or not at all
            obstore.put(self.store, self.key(name), data, use_multipart=False)
        except Exception as e:  # noqa: BLE001
            raise self.error(e) from None

    def delete(self, name: str) -> None:
        import obstore

        try:
            obstore.delete(self.store, self.key(name))
        except FileNotFoundError:
            pass
        except Exception as e:  # noqa: BLE001
            raise self.error(e) from None


class _Body(io.RawIOBase):
    """An object's body (obstore's stream of byte blocks) as a binary stream, what the
    backup reader reads."""

    def __init__(self, blocks, destination: S3Destination):
        self._blocks, self._destination = blocks, destination
        self._block, self._offset = memoryview(b""), 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._offset >= len(self._block):
            try:
                self._block, self._offset = memoryview(next(self._blocks)), 0
            except StopIteration:
                return 0
            except Exception as e:  # noqa: BLE001 - a connection lost midway
                raise self._destination.error(e) from None
        count = min(len(buffer), len(self._block) - self._offset)
        buffer[:count] = self._block[self._offset:self._offset + count]
        self._offset += count
        return count
