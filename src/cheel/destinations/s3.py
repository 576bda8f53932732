"""An S3-compatible bucket as a destination: ``s3://BUCKET/PREFIX``.

Any S3-compatible service (Exoscale, Infomaniak, MinIO, SeaweedFS, AWS…): the endpoint, the
region and path-style addressing come from the URL's query (``?endpoint=https://…&region=…
&path-style=true``) or from boto3's usual settings (``AWS_ENDPOINT_URL``, ``AWS_REGION``,
``~/.aws/config``); the credentials only from boto3's usual places (``AWS_ACCESS_KEY_ID``
and ``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ``~/.aws/credentials``), never from the
URL, so they never reach argv, logs or messages.

A new file is a multipart upload to its final key: S3 shows an object only once its upload
is completed, so an interrupted backup leaves no object under a final name, and an
abandoned one is aborted (its parts deleted). Parts of 8 MiB: memory holds one part.
Before completing, nothing is trusted: once complete, the object is read back whole, its
size and SHA-256 compared with what was sent; a mismatch deletes it.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timezone
from typing import BinaryIO
from urllib.parse import parse_qs, urlsplit

from ..errors import DestinationError, NotFound, UsageError, said
from .base import Published, SendingWriter, StoredFile, check_stored

PART_SIZE = 8 << 20  # S3 wants parts of 5 MiB at least, but the last
QUERY_KEYS = {"endpoint", "region", "path-style"}


def _client(endpoint: str | None, region: str | None, path_style: bool):
    import boto3  # imported when an S3 destination is used: 0.3 s a command otherwise
    from botocore.config import Config

    config = Config(s3={"addressing_style": "path" if path_style else "auto"},
                    retries={"max_attempts": 5, "mode": "standard"})
    return boto3.session.Session().client("s3", endpoint_url=endpoint, region_name=region,
                                          config=config)


def _failure(e: Exception) -> str:
    """What an S3 error says, without anything that could be a secret."""
    response = getattr(e, "response", None) or {}
    error = response.get("Error", {})
    if error.get("Code"):
        return f"{error.get('Code')}: {error.get('Message', '')}".strip(": ")[:200]
    return type(e).__name__ + (f": {e}"[:200] if str(e) else "")


class S3Destination:
    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            raise UsageError(said("an S3 destination never carries credentials in its URL"),
                             hint=said("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                                       "AWS_PROFILE"))
        if not parts.hostname:
            raise UsageError(said("an S3 destination is written s3://BUCKET/FOLDER"))
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        unknown = set(query) - QUERY_KEYS
        if unknown:
            raise UsageError(said("an S3 destination takes endpoint, region and path-style, "
                                  "not {unknown}", unknown=", ".join(sorted(unknown))))
        self.bucket = parts.hostname
        self.prefix = parts.path.strip("/")
        self.url = url
        self._client = _client(query.get("endpoint"), query.get("region"),
                               query.get("path-style", "").lower() in ("1", "true", "yes"))

    def _key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def location(self, name: str) -> str:
        base = self.url.split("?", 1)
        folder = base[0].rstrip("/")
        return f"{folder}/{name}" + (f"?{base[1]}" if len(base) > 1 else "")

    def _error(self, e: Exception) -> DestinationError:
        return DestinationError(said("the S3 destination s3://{bucket}/{prefix} cannot be "
                                     "used: {why}", bucket=self.bucket, prefix=self.prefix,
                                     why=_failure(e)),
                                hint=said("check the bucket, the endpoint and the "
                                          "credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE)"))

    def check(self) -> None:
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except Exception as e:  # noqa: BLE001 - boto3's errors are many; all say the same
            raise self._error(e) from None

    def files(self) -> list[StoredFile]:
        found = []
        prefix = self._key("")
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix, Delimiter="/")
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(prefix):]
                    if name:
                        found.append(StoredFile(name, int(item["Size"]), item["LastModified"]
                                                .astimezone(timezone.utc).isoformat()))
        except Exception as e:  # noqa: BLE001
            raise self._error(e) from None
        return found

    def upload(self, name: str) -> S3Upload:
        return S3Upload(self, name)

    def _get(self, name: str):
        """The object's GET answer (its length and body), or None if there is no such
        object."""
        try:
            return self._client.get_object(Bucket=self.bucket, Key=self._key(name))
        except Exception as e:  # noqa: BLE001
            code = (getattr(e, "response", None) or {}).get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._error(e) from None

    def open(self, name: str) -> BinaryIO:
        answer = self._get(name)
        if answer is None:
            raise NotFound(said("the file {path} does not exist", path=self.location(name)))
        return _Body(answer["Body"], self)

    def size(self, name: str) -> int:
        try:
            return int(self._client.head_object(Bucket=self.bucket,
                                                Key=self._key(name))["ContentLength"])
        except Exception as e:  # noqa: BLE001
            raise self._error(e) from None

    def read_small(self, name: str, limit: int) -> bytes | None:
        answer = self._get(name)  # one request: its length comes with it
        if answer is None:
            return None
        body = answer["Body"]
        try:
            if int(answer["ContentLength"]) > limit:
                return None
            return body.read(limit + 1)
        except Exception as e:  # noqa: BLE001 - a connection lost midway
            raise self._error(e) from None
        finally:
            body.close()

    def write_small(self, name: str, data: bytes) -> None:
        try:  # one PUT: S3 shows the object whole or not at all
            self._client.put_object(Bucket=self.bucket, Key=self._key(name), Body=data)
        except Exception as e:  # noqa: BLE001
            raise self._error(e) from None

    def delete(self, name: str) -> None:
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._key(name))
        except Exception as e:  # noqa: BLE001
            raise self._error(e) from None


class _Body(io.RawIOBase):
    """An object's body as a binary stream (what the backup reader reads)."""

    def __init__(self, body, destination: S3Destination):
        self._body, self._destination = body, destination

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._body.read(len(buffer))
        except Exception as e:  # noqa: BLE001 - a connection lost midway
            raise self._destination._error(e) from None
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Upload:
    def __init__(self, destination: S3Destination, name: str):
        self.destination, self.name = destination, name
        self.key = destination._key(name)
        self._parts: list[dict] = []
        client = destination._client
        try:
            self._id = client.create_multipart_upload(Bucket=destination.bucket,
                                                      Key=self.key)["UploadId"]
        except Exception as e:  # noqa: BLE001
            raise destination._error(e) from None
        self.raw = SendingWriter(self.send, PART_SIZE)

    def send(self, data: bytes) -> None:
        number = len(self._parts) + 1
        try:
            answer = self.destination._client.upload_part(
                Bucket=self.destination.bucket, Key=self.key, UploadId=self._id,
                PartNumber=number, Body=data)
        except Exception as e:  # noqa: BLE001
            raise self.destination._error(e) from None
        self._parts.append({"ETag": answer["ETag"], "PartNumber": number})

    def publish(self) -> Published:
        rest = self.raw.rest()
        if rest or not self._parts:
            self.send(rest)
        client, bucket = self.destination._client, self.destination.bucket
        try:
            client.complete_multipart_upload(Bucket=bucket, Key=self.key, UploadId=self._id,
                                             MultipartUpload={"Parts": self._parts})
        except Exception as e:  # noqa: BLE001
            self.abandon()
            raise self.destination._error(e) from None
        stored = hashlib.sha256()
        size = 0
        try:  # read back whole: what is stored must be what was sent
            body = client.get_object(Bucket=bucket, Key=self.key)["Body"]
            while block := body.read(1 << 20):
                stored.update(block)
                size += len(block)
        except Exception as e:  # noqa: BLE001
            self.destination.delete(self.name)
            raise self.destination._error(e) from None
        sent = self.raw.digest()
        check_stored(self.destination.location(self.name), (size, stored.hexdigest()), sent,
                     lambda: self.destination.delete(self.name))
        return Published(self.destination.location(self.name), self.name, size, sent[1])

    def abandon(self) -> None:
        try:
            self.destination._client.abort_multipart_upload(
                Bucket=self.destination.bucket, Key=self.key, UploadId=self._id)
        except Exception:  # noqa: BLE001, S110 - nothing was published under the name
            pass
