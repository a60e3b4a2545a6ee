"""Time-limited download links: S3 presigned URLs, or itsdangerous-signed tokens for local storage."""
from __future__ import annotations

import time
from typing import Any, Callable

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from shared.adapters.storage import check_key
from shared.errors import InvalidLink
from shared.ports import Store

_SALT = "dipwatch-download"


class _ClockedSigner(TimestampSigner):
    """itsdangerous' timestamp signer, reading the time from the clock it is given."""

    def __init__(self, *args: Any, now: Callable[[], float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._now = now

    def get_timestamp(self) -> int:
        return int(self._now())


class LinkSigner:
    """Signs storage keys into URL-safe tokens and reads them back, checking their age."""

    def __init__(self, secret_key: str, now: Callable[[], float] = time.time) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt=_SALT, signer=_ClockedSigner, signer_kwargs={"now": now})

    def sign(self, key: str) -> str:
        """A token that names ``key``; its age is checked when it is read."""
        return str(self._serializer.dumps(check_key(key)))

    def read(self, token: str, max_age: int) -> str:
        """The key a token names; raises InvalidLink if it is forged or older than ``max_age`` seconds."""
        try:
            key = self._serializer.loads(token, max_age=max_age)
        except SignatureExpired:
            raise InvalidLink("this download link has expired") from None
        except BadSignature:
            raise InvalidLink("this download link is not valid") from None
        if not isinstance(key, str):
            raise InvalidLink("this download link is not valid")
        return check_key(key)


def download_url(store: Store, signer: LinkSigner, key: str, expires_in: int, base_url: str) -> str:
    """A link that downloads ``key`` for ``expires_in`` seconds."""
    presigned = store.presigned_url(key, expires_in)
    if presigned:
        return presigned
    return f"{base_url.rstrip('/')}/download/{signer.sign(key)}"
