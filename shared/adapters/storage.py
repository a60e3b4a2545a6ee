"""Stores for dipwatch's objects: ``LocalStore`` (a directory) and ``S3Store`` (a bucket prefix).

Both implement the ``Store`` port (``shared.ports``): immutable data objects, whose first write
wins and which carry their seal (SHA-256 and rows), and pointers replaced whole with a
compare-and-swap on the previous ETag.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from shared.adapters.local_store import LocalStore
from shared.adapters.object_keys import Seal, check_key, etag_of, quarantine_key
from shared.adapters.s3_store import S3Store
from shared.ports import MUST_NOT_EXIST, Store

__all__ = ["MUST_NOT_EXIST", "LocalStore", "S3Store", "Seal", "Store", "check_key", "etag_of", "open_store", "quarantine_key"]


def open_store(location: str, s3_client: Any = None) -> Store:
    """The store ``DIPWATCH_STORAGE`` names (validated by Settings): ``s3://bucket/prefix``, a
    ``file://`` URL or a local path."""
    parsed = urlparse(location)
    if parsed.scheme == "s3":
        return S3Store(parsed.netloc, parsed.path, client=s3_client)
    if parsed.scheme == "file":
        return LocalStore(parsed.path)
    return LocalStore(location)
