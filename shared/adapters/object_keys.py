"""What every Store shares: valid keys, ETags, seals, quarantine names and failure messages."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Mapping

from shared.errors import CorruptObject, StorageError

_KEY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]*(/[A-Za-z0-9][A-Za-z0-9._\-]*)*$")
#: Where corrupt objects are moved (never deleted), each with a note saying why.
QUARANTINE = "quarantine/"
#: Temporary files a local write leaves behind when killed are older than this at the next run.
STALE_TEMPORARY_SECONDS = 3600


def check_key(key: str) -> str:
    """Reject keys that could escape the store or are not plain relative paths."""
    if not _KEY_PATTERN.match(key) or ".." in key.split("/"):
        raise StorageError(f"invalid storage key: {key!r}")
    return key


def etag_of(data: bytes) -> str:
    """The ETag of a single-part object: the hex MD5 of its bytes, as S3 computes it."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def quarantine_key(key: str, now: datetime | None = None) -> str:
    """Where a corrupt ``key`` goes: under ``quarantine/``, stamped, so nothing is overwritten."""
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{QUARANTINE}{key}.{stamp}"


def failure(action: str, key: str, location: str, reason: object) -> StorageError:
    """A store failure in one line that names the object, the store and the setting behind it."""
    text = " ".join((getattr(reason, "strerror", None) or str(reason) or type(reason).__name__).split())
    return StorageError(f"cannot {action} {key} in {location} (DIPWATCH_STORAGE): {text}")


@dataclass(frozen=True)
class Seal:
    """An immutable object's SHA-256 and row count, written beside it and checked on every read.

    Rows are a CSV's data rows, or 1 for a JSON document.
    """

    sha256: str
    rows: int

    @classmethod
    def of(cls, data: bytes, rows: int) -> "Seal":
        return cls(hashlib.sha256(data).hexdigest(), rows)

    def metadata(self) -> dict[str, str]:
        """As S3 user metadata (and the local sidecar): strings only."""
        return {"sha256": self.sha256, "rows": str(self.rows)}

    def document(self) -> dict[str, object]:
        """As a run manifest lists it."""
        return {"sha256": self.sha256, "rows": self.rows}

    @classmethod
    def from_metadata(cls, key: str, metadata: Mapping[str, str]) -> "Seal | None":
        """The seal an object was written with; None for an object written before seals."""
        if "sha256" not in metadata:
            return None
        try:
            return cls(str(metadata["sha256"]), int(metadata["rows"]))
        except (KeyError, ValueError) as error:
            raise CorruptObject(key, f"its seal is unreadable ({error})") from None

    def verify(self, key: str, data: bytes) -> None:
        """Raise CorruptObject naming ``key`` unless ``data`` has this seal's SHA-256."""
        actual = hashlib.sha256(data).hexdigest()
        if actual != self.sha256:
            raise CorruptObject(key, f"SHA-256 {actual[:12]}… does not match the {self.sha256[:12]}… it was written with")
