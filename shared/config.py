"""Settings: every knob dipwatch has, typed and validated, built once from the environment.

This is the only module that reads ``os.environ``. Every ``Settings`` is validated when it is
made (``Settings(...)``, ``with_overrides`` and ``from_env`` alike), and a bad value fails with
one message that names the variable. Secrets may also come from AWS SSM Parameter Store (see
``shared.adapters.ssm``): set ``DIPWATCH_SSM_PREFIX`` and store each secret under
``<prefix>/<VARIABLE_NAME>``; a variable set in the environment wins over SSM.
"""
from __future__ import annotations

import os
import re
import secrets as _secrets
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Mapping
from urllib.parse import urlparse

from shared.errors import SettingError
from shared.redaction import register_secrets

#: The variables that may come from SSM. Only these; other settings are plain configuration.
SECRET_NAMES = (
    "APCA_API_KEY_ID",
    "APCA_API_SECRET_KEY",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "DIPWATCH_SECRET_KEY",
)
def service_name() -> str:
    """The service in logs and the metrics' ``service`` dimension: Powertools' own variable
    ``POWERTOOLS_SERVICE_NAME`` (``dipwatch-prod`` on Lambda, per stage), else ``dipwatch``."""
    return os.environ.get("POWERTOOLS_SERVICE_NAME", "").strip() or "dipwatch"


#: Plain settings that may also come from SSM (String parameters): per-deployment, not secret.
SSM_SETTING_NAMES = ("TELEGRAM_ALLOWED_USERS", "TELEGRAM_ADMIN_CHAT")
#: Optional secrets read from SSM when an operator stored them (``ops bootstrap`` leaves them alone).
OPTIONAL_SECRET_NAMES = ("DIPWATCH_API_TOKEN",)

#: Numeric settings: field -> (variable, lowest, highest).
_RANGES: dict[str, tuple[str, float, float]] = {
    "lookback_days": ("DIPWATCH_LOOKBACK_DAYS", 5, 3650),
    "link_ttl_seconds": ("DIPWATCH_LINK_TTL", 60, 7 * 24 * 3600),
    "monitor_target_pct": ("DIPWATCH_MONITOR_TARGET", 1, 10000),
    "stop_pct": ("DIPWATCH_STOP_PCT", 0.1, 100),
    "top_n": ("DIPWATCH_TOP_N", 1, 100),
    "alpaca_chunk_size": ("DIPWATCH_ALPACA_CHUNK", 1, 10000),
    "alpaca_requests_per_minute": ("DIPWATCH_ALPACA_RPM", 1, 10000),
    "alpaca_timeout_seconds": ("DIPWATCH_HTTP_TIMEOUT", 0.1, 300),
    "alpaca_retries": ("DIPWATCH_ALPACA_RETRIES", 0, 10),
    "alpaca_backoff_seconds": ("DIPWATCH_ALPACA_BACKOFF", 0.0, 60),
    "alpaca_breaker_threshold": ("DIPWATCH_ALPACA_BREAKER", 1, 1000),
    "alpaca_workers": ("DIPWATCH_ALPACA_WORKERS", 1, 16),
    "telegram_timeout_seconds": ("DIPWATCH_TELEGRAM_TIMEOUT", 0.1, 300),
    "bot_commands_per_minute": ("DIPWATCH_BOT_RATE", 1, 600),
}
#: Settings with a fixed set of values: field -> (variable, choices).
_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "alpaca_feed": ("DIPWATCH_ALPACA_FEED", ("sip", "iex", "otc")),
    "alpaca_adjustment": ("DIPWATCH_ALPACA_ADJUSTMENT", ("raw", "split", "dividend", "all")),
}
#: http(s) URLs: field -> variable. Stored without a trailing slash.
_URLS: dict[str, str] = {
    "alpaca_base_url": "APCA_API_BASE_URL",
    "alpaca_data_url": "APCA_API_DATA_URL",
    "telegram_api_url": "TELEGRAM_API_URL",
}
#: Plain text settings: field -> variable.
_TEXTS: dict[str, str] = {
    "storage": "DIPWATCH_STORAGE",
    "market_data": "DIPWATCH_MARKET_DATA",
    "universe_path": "DIPWATCH_UNIVERSE",
    "ssm_prefix": "DIPWATCH_SSM_PREFIX",
    "secret_key": "DIPWATCH_SECRET_KEY",
    "api_token": "DIPWATCH_API_TOKEN",
    "alpaca_key_id": "APCA_API_KEY_ID",
    "alpaca_secret_key": "APCA_API_SECRET_KEY",
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "telegram_webhook_secret": "TELEGRAM_WEBHOOK_SECRET",
    "build": "DIPWATCH_BUILD",
}
#: The fields whose values every output masks (``shared.redaction``).
_SECRET_FIELDS = ("secret_key", "api_token", "alpaca_key_id", "alpaca_secret_key", "telegram_bot_token", "telegram_webhook_secret")
#: ``DIPWATCH_UNIVERSE`` for the built-in universe: every active, tradable US equity on Alpaca.
ALPACA_US_EQUITY = "alpaca:us_equity"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_MIN_SECRET_KEY = 16
#: Where local data goes when ``DIPWATCH_STORAGE`` is not set: one store per market-data source.
DEFAULT_STORAGE_ROOT = "./var/data"


def source_storage(market_data: str, root: str = DEFAULT_STORAGE_ROOT) -> str:
    """The default store of a market-data source: ``./var/data/sim``, ``./var/data/alpaca``, or
    ``./var/data/csv-<file stem>`` for a CSV replay, so data of different sources never mixes."""
    if market_data.startswith("csv:"):
        stem = re.sub(r"(\.csv)?(\.gz)?$", "", market_data[4:].replace("\\", "/").rsplit("/", 1)[-1])
        return f"{root}/csv-{re.sub(r'[^A-Za-z0-9_.-]+', '-', stem).strip('.-') or 'file'}"
    return f"{root}/{market_data}"


@dataclass(frozen=True)
class Settings:
    """Every setting, typed and validated on creation. Build it with ``Settings.from_env()``."""

    storage: str = DEFAULT_STORAGE_ROOT
    market_data: str = "sim"
    #: True when ``DIPWATCH_STORAGE`` is unset: ``storage`` is the source's own store, and follows
    #: ``market_data`` when that is overridden (``--source``).
    storage_follows_source: bool = False
    #: What ``/version`` calls the build (``DIPWATCH_BUILD``, e.g. the deployed git commit).
    build: str = "dev"
    universe_path: str | None = None
    lookback_days: int = 180
    ssm_prefix: str | None = None
    public_bot: bool = False
    secret_key: str = field(default_factory=lambda: _secrets.token_urlsafe(32), repr=False)
    link_ttl_seconds: int = 3600
    monitor_target_pct: float = 100.0
    stop_pct: float = 20.0  # a held position this far below its cost is past its stop
    top_n: int = 10
    #: When set, the web pages and the JSON API need it (a Bearer header or the sign-in cookie).
    api_token: str | None = field(default=None, repr=False)

    alpaca_key_id: str | None = field(default=None, repr=False)
    alpaca_secret_key: str | None = field(default=None, repr=False)
    alpaca_base_url: str = "https://paper-api.alpaca.markets"
    alpaca_data_url: str = "https://data.alpaca.markets"
    alpaca_feed: str = "sip"
    alpaca_adjustment: str = "split"
    alpaca_chunk_size: int = 10_000  # at most this many symbols a request (10,000: whole pages and the URL cap decide)
    alpaca_requests_per_minute: int = 180
    alpaca_timeout_seconds: float = 15.0
    alpaca_retries: int = 4
    alpaca_backoff_seconds: float = 0.5
    alpaca_breaker_threshold: int = 5
    alpaca_workers: int = 10  # requests at once; full pages at most PAGES_IN_FLIGHT (bar_requests)

    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_allowed_users: frozenset[int] = frozenset()
    telegram_admin_chat: int | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_timeout_seconds: float = 10.0
    bot_commands_per_minute: int = 20

    def __post_init__(self) -> None:
        register_secrets(*(getattr(self, name) for name in _SECRET_FIELDS))
        for name, (variable, low, high) in _RANGES.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise SettingError(variable, f"must be between {low:g} and {high:g}, got {value}")
        for name, (variable, choices) in _CHOICES.items():
            if getattr(self, name) not in choices:
                raise SettingError(variable, f"must be one of {', '.join(choices)}, got {getattr(self, name)!r}")
        for name, variable in _URLS.items():
            object.__setattr__(self, name, _checked_url(variable, getattr(self, name)))
        _check_market_data(self.market_data)
        _check_storage(self.storage)
        if self.ssm_prefix is not None and not self.ssm_prefix.startswith("/"):
            raise SettingError("DIPWATCH_SSM_PREFIX", f"must start with '/', got {self.ssm_prefix!r}")
        if self.telegram_webhook_secret is not None and not _WEBHOOK_SECRET.match(self.telegram_webhook_secret):
            raise SettingError("TELEGRAM_WEBHOOK_SECRET", "must be 1-256 characters from A-Z, a-z, 0-9, _ and -")
        if len(self.secret_key) < _MIN_SECRET_KEY:
            raise SettingError("DIPWATCH_SECRET_KEY", f"must be at least {_MIN_SECRET_KEY} characters")
        if self.api_token is not None and len(self.api_token) < _MIN_SECRET_KEY:
            raise SettingError("DIPWATCH_API_TOKEN", f"must be at least {_MIN_SECRET_KEY} characters")
        if self.market_data == "alpaca" and not self.has_alpaca_keys:
            raise SettingError("DIPWATCH_MARKET_DATA", "is alpaca, which needs APCA_API_KEY_ID and APCA_API_SECRET_KEY")
        if self.universe_path is not None and self.universe_path.startswith("alpaca:"):
            if self.universe_path != ALPACA_US_EQUITY:
                raise SettingError("DIPWATCH_UNIVERSE", f"the built-in Alpaca universe is {ALPACA_US_EQUITY}, got {self.universe_path!r}")
            if not self.has_alpaca_keys:
                raise SettingError("DIPWATCH_UNIVERSE", f"is {ALPACA_US_EQUITY}, which needs APCA_API_KEY_ID and APCA_API_SECRET_KEY")

    @property
    def has_alpaca_keys(self) -> bool:
        """Whether trading/data keys are configured."""
        return bool(self.alpaca_key_id and self.alpaca_secret_key)

    def with_overrides(self, **changes: Any) -> Settings:
        """A validated copy with some fields changed (CLI flags, tests). A new ``market_data``
        moves a default store to that source's own store."""
        if "storage" in changes:
            changes.setdefault("storage_follows_source", False)
        elif self.storage_follows_source and "market_data" in changes:
            changes["storage"] = source_storage(changes["market_data"])
        return replace(self, **changes)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        ssm_loader: Callable[[str], Mapping[str, str]] | None = None,
    ) -> Settings:
        """Build Settings from ``environ`` (default: the process environment)."""
        env = dict(os.environ if environ is None else environ)
        ssm_prefix = _text(env, "DIPWATCH_SSM_PREFIX")
        if ssm_prefix and ssm_prefix.startswith("/"):
            if ssm_loader is None:
                from shared.adapters.ssm import load_ssm_secrets

                ssm_loader = load_ssm_secrets
            loaded = ssm_loader(ssm_prefix)
            for name in SECRET_NAMES + SSM_SETTING_NAMES + OPTIONAL_SECRET_NAMES:
                if not env.get(name) and loaded.get(name):
                    env[name] = loaded[name]

        values: dict[str, Any] = {}
        for name, variable in {**_TEXTS, **_URLS, **{n: v for n, (v, _c) in _CHOICES.items()}}.items():
            text = _text(env, variable)
            if text is not None:
                values[name] = text
        defaults = {item.name: item.default for item in fields(cls)}
        for name, (variable, _low, _high) in _RANGES.items():
            raw = _text(env, variable)
            if raw is not None:
                values[name] = _parse_int(variable, raw) if isinstance(defaults[name], int) else _parse_float(variable, raw)
        if "market_data" not in values:
            values["market_data"] = "alpaca" if values.get("alpaca_key_id") else "sim"
        if "storage" not in values:
            values["storage"] = source_storage(values["market_data"])
            values["storage_follows_source"] = True
        values["public_bot"] = _boolean(env, "DIPWATCH_PUBLIC_BOT")
        values["telegram_allowed_users"] = _user_ids(env, "TELEGRAM_ALLOWED_USERS")
        admin_chat = _text(env, "TELEGRAM_ADMIN_CHAT")
        values["telegram_admin_chat"] = _parse_int("TELEGRAM_ADMIN_CHAT", admin_chat) if admin_chat else None
        return cls(**values)


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise SettingError(name, f"must be a whole number, got {raw!r}") from None


def _parse_float(name: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise SettingError(name, f"must be a number, got {raw!r}") from None


def _boolean(env: Mapping[str, str], name: str) -> bool:
    lowered = env.get(name, "").strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingError(name, f"must be 1 or 0 (true/false), got {env[name]!r}")


def _user_ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = _text(env, name) or ""
    return frozenset(_parse_int(name, part.strip()) for part in raw.split(",") if part.strip())


def _checked_url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingError(name, f"must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _check_market_data(value: str) -> None:
    if value in ("sim", "alpaca") or (value.startswith("csv:") and len(value) > 4):
        return
    raise SettingError("DIPWATCH_MARKET_DATA", f"must be sim, alpaca or csv:PATH, got {value!r}")


def _check_storage(value: str) -> None:
    parsed = urlparse(value)
    if parsed.scheme == "s3" and not parsed.netloc:
        raise SettingError("DIPWATCH_STORAGE", f"{value!r} names no bucket (use s3://bucket/prefix)")
    if parsed.scheme == "s3" and not _BUCKET.match(parsed.netloc):
        raise SettingError("DIPWATCH_STORAGE", f"{value!r}: {parsed.netloc!r} is not an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)")
    if parsed.scheme == "file" and parsed.netloc not in ("", "localhost"):
        raise SettingError("DIPWATCH_STORAGE", f"{value!r} names a host; a file:// URL is file:///absolute/path")
    if parsed.scheme not in ("", "file", "s3") and len(parsed.scheme) > 1:
        raise SettingError("DIPWATCH_STORAGE", f"must be a path, file:// URL or s3://bucket/prefix, got {value!r}")
    if parsed.scheme in ("", "file") and os.path.exists(parsed.path or value) and not os.path.isdir(parsed.path or value):
        raise SettingError("DIPWATCH_STORAGE", f"{value!r} is a file, not a directory")


_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
