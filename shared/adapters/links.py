"""Time-limited download links: S3 presigned URLs, or itsdangerous-signed tokens for local storage."""
from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from shared.errors import DipwatchError
from shared.adapters.storage import Store, check_key

_SALT = "dipwatch-download"


class InvalidLink(DipwatchError):
    """A download token that is tampered with, malformed or expired."""


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_SALT)


def sign_key(secret_key: str, key: str) -> str:
    """A token that names ``key``; its age is checked when it is read."""
    return _serializer(secret_key).dumps(check_key(key))


def read_token(secret_key: str, token: str, max_age: int) -> str:
    """The key a token names; raises InvalidLink if it is forged or older than ``max_age`` seconds."""
    try:
        key = _serializer(secret_key).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidLink("this download link has expired") from None
    except BadSignature:
        raise InvalidLink("this download link is not valid") from None
    if not isinstance(key, str):
        raise InvalidLink("this download link is not valid")
    return check_key(key)


def download_url(store: Store, secret_key: str, key: str, expires_in: int, base_url: str) -> str:
    """A link that downloads ``key`` for ``expires_in`` seconds."""
    presigned = store.presigned_url(key, expires_in)
    if presigned:
        return presigned
    return f"{base_url.rstrip('/')}/download/{sign_key(secret_key, key)}"
