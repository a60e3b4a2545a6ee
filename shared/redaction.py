"""Secrets never reach a log line or an error message: one redaction filter for every output.

Every ``Settings`` registers its secret values here when it is made (the Telegram token, the
Alpaca keys, the webhook secret, the link-signing key, the API token). ``redact`` masks them, in
their raw and URL-quoted forms, and any Telegram bot token in a URL (``/bot<digits>:<token>``)
or of a token's shape. ``RedactingFilter`` applies it to a log record's message, arguments,
extra fields, traceback and stack; ``install`` puts that one filter on every handler of the root
logger, the service's Powertools logger and the chatty libraries' loggers.
"""
from __future__ import annotations

import logging
import re
import threading
import traceback
from typing import Any, Iterable
from urllib.parse import quote

MASK = "[redacted]"
#: Shorter values are not treated as secrets: masking "key" everywhere would garble every line.
MIN_SECRET_LENGTH = 6
#: How many secret values are remembered (the newest win; a process has a handful).
MAX_SECRETS = 256
#: A bot token in a Bot API URL, and a bare token of Telegram's shape.
_BOT_URL = re.compile(r"(?<![A-Za-z0-9])(bot)\d+:[A-Za-z0-9_-]+")
_BOT_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{30,}")
#: Loggers of the libraries that may log URLs or request details.
LIBRARY_LOGGERS = ("botocore", "boto3", "urllib3", "httpx", "httpcore", "telegram", "s3transfer", "werkzeug", "waitress", "alpaca_trade_api")
_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class _Secrets:
    """The registered secret values and one compiled pattern over them."""

    def __init__(self) -> None:
        self._values: dict[str, None] = {}
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, values: Iterable[str | None]) -> None:
        with self._lock:
            fresh = False
            for value in values:
                if not value or len(value) < MIN_SECRET_LENGTH:
                    continue
                for form in {value, quote(value, safe="")}:
                    fresh |= form not in self._values
                    self._values.pop(form, None)
                    self._values[form] = None
            while len(self._values) > MAX_SECRETS:
                del self._values[next(iter(self._values))]
            if fresh:
                ordered = sorted(self._values, key=len, reverse=True)  # the longest form first
                self._pattern = re.compile("|".join(re.escape(value) for value in ordered)) if ordered else None

    def values(self) -> list[str]:
        with self._lock:
            return list(self._values)

    def redact(self, text: str) -> str:
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        return _BOT_TOKEN.sub(MASK, _BOT_URL.sub(rf"\1{MASK}", text))


_SECRETS = _Secrets()


def register_secrets(*values: str | None) -> None:
    """Remember secret values so that every output masks them (``Settings`` calls this)."""
    _SECRETS.add(values)


def known_secrets() -> list[str]:
    """The registered secret values (and their URL-quoted forms), for tests that look for leaks."""
    return _SECRETS.values()


def redact(text: str) -> str:
    """``text`` with every registered secret and every bot token masked."""
    return _SECRETS.redact(text)


def _redacted_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted_value(item) for item in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = str(value)
    masked = redact(text)
    return value if masked == text else masked


class RedactingFilter(logging.Filter):
    """Masks secrets in a record in place, so every handler after it sees the masked record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):
            record.msg = _redacted_value(record.msg)
        else:
            message = record.getMessage()
            masked = redact(message)
            if masked != message or record.args:
                record.msg, record.args = masked, None
        for name, value in list(vars(record).items()):
            if name not in _RECORD_FIELDS:
                setattr(record, name, _redacted_value(value))
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            masked = redact(text)
            if masked != text:
                # The traceback names a secret: log its masked text instead of the exception
                # (the stdlib formatters print exc_text; Powertools takes the "exception" field).
                record.exception_name = record.exc_info[0].__name__
                record.exc_info, record.exc_text = None, masked
                record.exception = masked
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


REDACTING_FILTER = RedactingFilter()


def install(*loggers: logging.Logger) -> None:
    """Put the one redaction filter on every handler of the root logger, of ``loggers`` and of
    the libraries' loggers (idempotent: call again after handlers were added)."""
    targets = [logging.getLogger(), *loggers, *(logging.getLogger(name) for name in LIBRARY_LOGGERS)]
    for target in targets:
        for handler in target.handlers:
            if REDACTING_FILTER not in handler.filters:
                handler.addFilter(REDACTING_FILTER)
