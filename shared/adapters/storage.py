"""Stores for dipwatch's objects: ``LocalStore`` (a directory) and ``S3Store`` (a bucket prefix).

Both implement the ``Store`` port (``shared.ports``): immutable data objects, whose first write
wins, and pointers replaced whole with a compare-and-swap on the previous ETag.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

from shared.errors import ImmutableObjectError, ObjectNotFound, PointerConflict, StorageError
from shared.ports import MUST_NOT_EXIST, Store

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*(/[A-Za-z0-9][A-Za-z0-9._\-]*)*$")


def check_key(key: str) -> str:
    """Reject keys that could escape the store or are not plain relative paths."""
    if not _KEY_PATTERN.match(key) or ".." in key.split("/"):
        raise StorageError(f"invalid storage key: {key!r}")
    return key


def etag_of(data: bytes) -> str:
    """The ETag of a single-part object: the hex MD5 of its bytes, as S3 computes it."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


class LocalStore:
    """A directory on the local disk. Atomic writes by temporary file plus link or rename."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.location = str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise ObjectNotFound(key) from None

    def get_with_etag(self, key: str) -> tuple[bytes, str]:
        data = self.get(key)
        return data, etag_of(data)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        if not self.root.is_dir():
            return []
        keys = []
        base = self.root / prefix.rsplit("/", 1)[0] if "/" in prefix else self.root
        if not base.is_dir():
            return []
        for path in base.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def _temporary(self, path: Path, data: bytes) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        return Path(name)

    def put_immutable(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        temporary = self._temporary(path, data)
        try:
            # link() fails if the name exists, so the first complete write wins atomically.
            os.link(temporary, path)
            return True
        except FileExistsError:
            if path.read_bytes() == data:
                return False
            raise ImmutableObjectError(f"{key} already exists with different content; history is never rewritten") from None
        finally:
            temporary.unlink(missing_ok=True)

    @contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.parent / f".{path.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def put_pointer(self, key: str, data: bytes, expected_etag: str | None = None) -> str:
        path = self._path(key)
        with self._locked(path):
            if expected_etag is not None:
                current = etag_of(path.read_bytes()) if path.is_file() else MUST_NOT_EXIST
                if current != expected_etag:
                    raise PointerConflict(f"{key} changed concurrently; expected ETag {expected_etag or 'none'}")
            temporary = self._temporary(path, data)
            os.replace(temporary, path)
        return etag_of(data)

    def presigned_url(self, key: str, expires_in: int) -> str | None:
        return None


class S3Store:
    """An S3 bucket and prefix. Conditional PUTs enforce immutability and compare-and-swap."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.location = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self._client = client or boto3.client(
            "s3",
            config=Config(connect_timeout=5, read_timeout=20, retries={"max_attempts": 4, "mode": "standard"}),
        )
        #: HTTP requests sent to S3 through this store (retries included): the run's cost metric.
        self.requests = 0
        self._client.meta.events.register("before-send.s3", self._count)

    def _count(self, **_kwargs: object) -> None:
        self.requests += 1

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    @staticmethod
    def _code(error: Exception) -> str:
        response: dict[str, Any] = getattr(error, "response", {})
        return str(response.get("Error", {}).get("Code", ""))

    def get(self, key: str) -> bytes:
        return self.get_with_etag(key)[0]

    def get_with_etag(self, key: str) -> tuple[bytes, str]:
        from botocore.exceptions import ClientError

        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if self._code(error) in ("NoSuchKey", "404"):
                raise ObjectNotFound(key) from None
            raise StorageError(f"cannot read {key} from {self.location}: {error}") from error
        return bytes(response["Body"].read()), str(response["ETag"]).strip('"')

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except ClientError as error:
            if self._code(error) in ("NoSuchKey", "404", "NotFound"):
                return False
            raise StorageError(f"cannot check {key} in {self.location}: {error}") from error

    def list(self, prefix: str) -> list[str]:
        full_prefix = self._key(prefix.rstrip("/")) if prefix else self.prefix
        if prefix.endswith("/"):
            full_prefix += "/"
        strip = len(self.prefix) + 1 if self.prefix else 0
        keys: list[str] = []
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
            keys.extend(item["Key"][strip:] for item in page.get("Contents", []))
        return sorted(keys)

    def put_immutable(self, key: str, data: bytes) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, IfNoneMatch="*")
            return True
        except ClientError as error:
            if self._code(error) not in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise StorageError(f"cannot write {key} to {self.location}: {error}") from error
        if self.get(key) == data:
            return False
        raise ImmutableObjectError(f"{key} already exists with different content; history is never rewritten")

    def put_pointer(self, key: str, data: bytes, expected_etag: str | None = None) -> str:
        from botocore.exceptions import ClientError

        condition: dict[str, str] = {}
        if expected_etag == MUST_NOT_EXIST:
            condition = {"IfNoneMatch": "*"}
        elif expected_etag is not None:
            condition = {"IfMatch": f'"{expected_etag}"'}
        try:
            response = self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **condition)
        except ClientError as error:
            if self._code(error) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "NoSuchKey"):
                raise PointerConflict(f"{key} changed concurrently; expected ETag {expected_etag or 'none'}") from error
            raise StorageError(f"cannot write {key} to {self.location}: {error}") from error
        return str(response["ETag"]).strip('"')

    def presigned_url(self, key: str, expires_in: int) -> str | None:
        # S3 answers with these headers, so a browser saves the file instead of showing it.
        name = key.rsplit("/", 1)[-1]
        params = {"Bucket": self.bucket, "Key": self._key(key), "ResponseContentDisposition": f'attachment; filename="{name}"'}
        if name.endswith(".csv"):
            params["ResponseContentType"] = "text/csv"
        return str(self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))


def open_store(location: str, s3_client: Any = None) -> Store:
    """The store ``DIPWATCH_STORAGE`` names (validated by Settings): ``s3://bucket/prefix``, a
    ``file://`` URL or a local path."""
    parsed = urlparse(location)
    if parsed.scheme == "s3":
        return S3Store(parsed.netloc, parsed.path, client=s3_client)
    if parsed.scheme == "file":
        return LocalStore(parsed.path)
    return LocalStore(location)
