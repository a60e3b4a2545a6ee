"""Time-limited downloads of report CSVs: S3 presigned URLs, or signed links the app serves."""
from __future__ import annotations

import re
from datetime import date

from shared.adapters.archive import report_key
from shared.adapters.links import LinkSigner, download_url
from shared.errors import NoReportYet, NotFound, ObjectNotFound, StorageError
from shared.ports import Store

#: The only objects a link may open: report CSVs (never positions or state).
_REPORT_KEY = re.compile(r"^reports/\d{4}-\d{2}-\d{2}\.csv$")


class Downloads:
    """Hands out and serves expiring links to stored objects."""

    def __init__(self, store: Store, signer: LinkSigner, *, ttl_seconds: int) -> None:
        self._store = store
        self._signer = signer
        self.ttl_seconds = ttl_seconds

    def report_url(self, day: date, base_url: str) -> str:
        """A link to the report CSV of ``day`` that works for ``ttl_seconds``; NoReportYet if none."""
        key = report_key(day)
        if not self._store.exists(key):
            raise NoReportYet(f"no report for {day.isoformat()}")
        return download_url(self._store, self._signer, key, self.ttl_seconds, base_url)

    def open(self, token: str) -> tuple[str, bytes]:
        """The key and bytes a signed token names; InvalidLink, or NotFound when the object is gone
        or is not a report CSV (a signed path that escapes the store is not one either)."""
        try:
            key = self._signer.read(token, self.ttl_seconds)
        except StorageError:
            raise NotFound("the linked file no longer exists") from None
        if not _REPORT_KEY.match(key):
            raise NotFound("the linked file no longer exists")
        try:
            return key, self._store.get(key)
        except ObjectNotFound:
            raise NotFound("the linked file no longer exists") from None
