"""``S3Store``: the Store port (``shared.ports``) over an S3 bucket and prefix.

Conditional PUTs enforce immutability (``If-None-Match: *``) and the pointers' compare-and-swap
(``If-Match``). An immutable object's seal travels in its user metadata (``x-amz-meta-sha256``,
``x-amz-meta-rows``). Every failure, from S3 or from the client itself (no credentials, no
route, a bucket name S3 refuses), is a ``StorageError`` in one line naming the object, the
store and ``DIPWATCH_STORAGE``.
"""
from __future__ import annotations

from typing import Any, Mapping

from shared.adapters.object_keys import check_key, failure, quarantine_key
from shared.errors import ImmutableObjectError, ObjectNotFound, PointerConflict
from shared.ports import MUST_NOT_EXIST

_CONFLICTS = ("PreconditionFailed", "412", "ConditionalRequestConflict")


def _code(error: Exception) -> str:
    response: dict[str, Any] = getattr(error, "response", {})
    return str(response.get("Error", {}).get("Code", ""))


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

    def _call(self, action: str, key: str, method: str, **params: Any) -> Any:
        """One client call; a missing object is ObjectNotFound, any other failure a StorageError.
        A conditional PUT's refusal is re-raised as it is, for the caller to interpret."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client, method)(Bucket=self.bucket, **params)
        except ClientError as error:
            if _code(error) in ("NoSuchKey", "404", "NotFound"):
                raise ObjectNotFound(key) from None
            if _code(error) in _CONFLICTS:
                raise
            raise failure(action, key, self.location, f"{_code(error) or 'error'}: {error}") from None
        except BotoCoreError as error:
            raise failure(action, key, self.location, error) from None

    def get(self, key: str) -> bytes:
        return self.get_with_etag(key)[0]

    def _get(self, key: str) -> Any:
        return self._call("read", key, "get_object", Key=self._key(key))

    def get_with_etag(self, key: str) -> tuple[bytes, str]:
        response = self._get(key)
        return bytes(response["Body"].read()), str(response["ETag"]).strip('"')

    def get_with_metadata(self, key: str) -> tuple[bytes, dict[str, str]]:
        response = self._get(key)
        return bytes(response["Body"].read()), {str(k).lower(): str(v) for k, v in response.get("Metadata", {}).items()}

    def exists(self, key: str) -> bool:
        try:
            self._call("check", key, "head_object", Key=self._key(key))
            return True
        except ObjectNotFound:
            return False

    def list(self, prefix: str) -> list[str]:
        return sorted(self.versions(prefix))

    def versions(self, prefix: str) -> dict[str, str]:
        from botocore.exceptions import BotoCoreError, ClientError

        full_prefix = self._key(prefix.rstrip("/")) if prefix else self.prefix
        if prefix.endswith("/") or (not prefix and self.prefix):
            full_prefix += "/"
        strip = len(self.prefix) + 1 if self.prefix else 0
        found: dict[str, str] = {}
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
                found.update((item["Key"][strip:], str(item.get("ETag", "")).strip('"')) for item in page.get("Contents", []))
        except (BotoCoreError, ClientError) as error:
            raise failure("list", prefix or "/", self.location, error) from None
        return found

    def put_immutable(self, key: str, data: bytes, metadata: Mapping[str, str] | None = None) -> bool:
        from botocore.exceptions import ClientError

        try:
            self._call("write", key, "put_object", Key=self._key(key), Body=data, IfNoneMatch="*", Metadata=dict(metadata or {}))
            return True
        except ClientError:
            pass  # a conditional refusal: the key exists
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
            response = self._call("write", key, "put_object", Key=self._key(key), Body=data, **condition)
        except (ClientError, ObjectNotFound) as error:
            raise PointerConflict(f"{key} changed concurrently; expected ETag {expected_etag or 'none'}") from error
        return str(response["ETag"]).strip('"')

    def quarantine(self, key: str, note: bytes) -> str:
        target = quarantine_key(key)
        self._call("quarantine", key, "put_object", Key=self._key(f"{target}.note.json"), Body=note)
        # A copy keeps the object's metadata (its seal); the original goes only once it is copied.
        self._call("quarantine", key, "copy_object", Key=self._key(target), CopySource={"Bucket": self.bucket, "Key": self._key(key)})
        self._call("quarantine", key, "delete_object", Key=self._key(key))
        return target

    def sweep_temporary(self, max_age_seconds: float = 0) -> int:
        """Nothing to sweep: an S3 PUT is whole or absent."""
        return 0

    def expire(self, prefix: str, max_age_seconds: float) -> int:
        """Nothing removed here: the bucket's lifecycle rule (``ops bootstrap``) expires them."""
        return 0

    def presigned_url(self, key: str, expires_in: int) -> str | None:
        # S3 answers with these headers, so a browser saves the file instead of showing it.
        name = key.rsplit("/", 1)[-1]
        params = {"Bucket": self.bucket, "Key": self._key(key), "ResponseContentDisposition": f'attachment; filename="{name}"'}
        if name.endswith(".csv"):
            params["ResponseContentType"] = "text/csv"
        return str(self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))

