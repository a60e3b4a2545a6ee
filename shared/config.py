"""Settings: every knob dipwatch has, built once from the environment.

This is the only module that reads ``os.environ``. A bad value fails at start-up with one
message that names the variable. Secrets may also come from AWS SSM Parameter Store (see
``load_ssm_secrets``): set ``DIPWATCH_SSM_PREFIX`` and store each secret under
``<prefix>/<VARIABLE_NAME>``; a variable set in the environment wins over SSM.
"""
from __future__ import annotations

import os
import re
import secrets as _secrets
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping
from urllib.parse import urlparse

from shared.errors import ConfigError

#: The variables that may come from SSM. Only these; other settings are plain configuration.
SECRET_NAMES = (
    "APCA_API_KEY_ID",
    "APCA_API_SECRET_KEY",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "DIPWATCH_SECRET_KEY",
)
#: ``DIPWATCH_UNIVERSE`` for the built-in universe: every active, tradable US equity on Alpaca.
ALPACA_US_EQUITY = "alpaca:us_equity"
#: How long SSM values are cached in the process, in seconds.
SSM_CACHE_SECONDS = 300

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@dataclass(frozen=True)
class Settings:
    """Every setting, typed and validated. Build it with ``Settings.from_env()``."""

    storage: str = "./var/data"
    market_data: str = "sim"
    universe_path: str | None = None
    lookback_days: int = 180
    ssm_prefix: str | None = None
    public_bot: bool = False
    secret_key: str = field(default_factory=lambda: _secrets.token_urlsafe(32), repr=False)
    link_ttl_seconds: int = 3600
    monitor_target_pct: float = 100.0
    top_n: int = 10

    alpaca_key_id: str | None = field(default=None, repr=False)
    alpaca_secret_key: str | None = field(default=None, repr=False)
    alpaca_base_url: str = "https://paper-api.alpaca.markets"
    alpaca_data_url: str = "https://data.alpaca.markets"
    alpaca_feed: str = "sip"
    alpaca_adjustment: str = "split"
    alpaca_chunk_size: int | None = None  # at most this many symbols a request; None: as many as fill the pages
    alpaca_requests_per_minute: int = 180
    alpaca_timeout_seconds: float = 15.0
    # --- Alpaca resilience (issue 3) ---
    alpaca_retries: int = 4
    alpaca_backoff_seconds: float = 0.5
    alpaca_breaker_threshold: int = 5
    alpaca_workers: int = 4

    telegram_bot_token: str | None = field(default=None, repr=False)
    telegram_webhook_secret: str | None = field(default=None, repr=False)
    telegram_allowed_users: frozenset[int] = frozenset()
    telegram_admin_chat: int | None = None

    # --- Telegram bot (issue 5) ---
    telegram_api_url: str = "https://api.telegram.org"
    bot_commands_per_minute: int = 20

    @property
    def has_alpaca_keys(self) -> bool:
        """Whether trading/data keys are configured."""
        return bool(self.alpaca_key_id and self.alpaca_secret_key)

    def with_overrides(self, **changes: object) -> "Settings":
        """A copy with some fields changed (CLI flags, tests)."""
        return replace(self, **changes)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        ssm_loader: Callable[[str], Mapping[str, str]] | None = None,
    ) -> "Settings":
        """Build and validate Settings from ``environ`` (default: the process environment)."""
        env = dict(os.environ if environ is None else environ)
        ssm_prefix = _text(env, "DIPWATCH_SSM_PREFIX")
        if ssm_prefix:
            if not ssm_prefix.startswith("/"):
                raise ConfigError(f"DIPWATCH_SSM_PREFIX must start with '/', got {ssm_prefix!r}")
            loaded = (ssm_loader or load_ssm_secrets)(ssm_prefix)
            for name in SECRET_NAMES:
                if not env.get(name) and loaded.get(name):
                    env[name] = loaded[name]

        key_id = _text(env, "APCA_API_KEY_ID")
        market_data = _text(env, "DIPWATCH_MARKET_DATA") or ("alpaca" if key_id else "sim")
        _check_market_data(market_data)
        storage = _text(env, "DIPWATCH_STORAGE") or cls.storage
        _check_storage(storage)
        webhook_secret = _text(env, "TELEGRAM_WEBHOOK_SECRET")
        if webhook_secret and not _WEBHOOK_SECRET.match(webhook_secret):
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET must be 1-256 characters from A-Z, a-z, 0-9, _ and -")
        admin_chat = _text(env, "TELEGRAM_ADMIN_CHAT")

        values: dict[str, object] = {
            "storage": storage,
            "market_data": market_data,
            "universe_path": _text(env, "DIPWATCH_UNIVERSE"),
            "lookback_days": _integer(env, "DIPWATCH_LOOKBACK_DAYS", cls.lookback_days, 5, 3650),
            "ssm_prefix": ssm_prefix,
            "public_bot": _boolean(env, "DIPWATCH_PUBLIC_BOT", False),
            "link_ttl_seconds": _integer(env, "DIPWATCH_LINK_TTL", cls.link_ttl_seconds, 60, 7 * 24 * 3600),
            "monitor_target_pct": _number(env, "DIPWATCH_MONITOR_TARGET", cls.monitor_target_pct, 1, 10000),
            "top_n": _integer(env, "DIPWATCH_TOP_N", cls.top_n, 1, 100),
            "alpaca_key_id": key_id,
            "alpaca_secret_key": _text(env, "APCA_API_SECRET_KEY"),
            "alpaca_base_url": _url(env, "APCA_API_BASE_URL", cls.alpaca_base_url),
            "alpaca_data_url": _url(env, "APCA_API_DATA_URL", cls.alpaca_data_url),
            "alpaca_feed": _choice(env, "DIPWATCH_ALPACA_FEED", cls.alpaca_feed, ("sip", "iex", "otc")),
            "alpaca_adjustment": _choice(
                env, "DIPWATCH_ALPACA_ADJUSTMENT", cls.alpaca_adjustment, ("raw", "split", "dividend", "all")
            ),
            "alpaca_chunk_size": _integer(env, "DIPWATCH_ALPACA_CHUNK", 0, 1, 10000) or None,
            "alpaca_requests_per_minute": _integer(env, "DIPWATCH_ALPACA_RPM", cls.alpaca_requests_per_minute, 1, 10000),
            "alpaca_timeout_seconds": _number(env, "DIPWATCH_HTTP_TIMEOUT", cls.alpaca_timeout_seconds, 0.1, 300),
            # --- Alpaca resilience (issue 3) ---
            "alpaca_retries": _integer(env, "DIPWATCH_ALPACA_RETRIES", cls.alpaca_retries, 0, 10),
            "alpaca_backoff_seconds": _number(env, "DIPWATCH_ALPACA_BACKOFF", cls.alpaca_backoff_seconds, 0.0, 60),
            "alpaca_breaker_threshold": _integer(env, "DIPWATCH_ALPACA_BREAKER", cls.alpaca_breaker_threshold, 1, 1000),
            "alpaca_workers": _integer(env, "DIPWATCH_ALPACA_WORKERS", cls.alpaca_workers, 1, 16),
            "telegram_bot_token": _text(env, "TELEGRAM_BOT_TOKEN"),
            "telegram_webhook_secret": webhook_secret,
            "telegram_allowed_users": _user_ids(env, "TELEGRAM_ALLOWED_USERS"),
            "telegram_admin_chat": _parse_int("TELEGRAM_ADMIN_CHAT", admin_chat) if admin_chat else None,
            # --- Telegram bot (issue 5) ---
            "telegram_api_url": _url(env, "TELEGRAM_API_URL", cls.telegram_api_url),
            "bot_commands_per_minute": _integer(env, "DIPWATCH_BOT_RATE", cls.bot_commands_per_minute, 1, 600),
        }
        secret_key = _text(env, "DIPWATCH_SECRET_KEY")
        if secret_key:
            if len(secret_key) < 16:
                raise ConfigError("DIPWATCH_SECRET_KEY must be at least 16 characters")
            values["secret_key"] = secret_key
        if market_data == "alpaca" and not (values["alpaca_key_id"] and values["alpaca_secret_key"]):
            raise ConfigError("DIPWATCH_MARKET_DATA=alpaca needs APCA_API_KEY_ID and APCA_API_SECRET_KEY")
        _check_universe(values["universe_path"], bool(values["alpaca_key_id"] and values["alpaca_secret_key"]))
        return cls(**values)  # type: ignore[arg-type]


_ssm_provider = None


def _ssm() -> object:
    """One Powertools SSM provider per process (its cache lives in it), with timeouts on its calls."""
    global _ssm_provider
    if _ssm_provider is None:
        from aws_lambda_powertools.utilities import parameters
        from botocore.config import Config

        _ssm_provider = parameters.SSMProvider(
            boto_config=Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 3, "mode": "standard"})
        )
    return _ssm_provider


def load_ssm_secrets(prefix: str) -> dict[str, str]:
    """Decrypted parameters under ``prefix``, keyed by their last path segment; cached in-process."""
    from aws_lambda_powertools.utilities import parameters

    try:
        values = _ssm().get_multiple(prefix, decrypt=True, recursive=False, max_age=SSM_CACHE_SECONDS)  # type: ignore[attr-defined]
    except parameters.exceptions.GetParameterError as error:
        raise ConfigError(f"DIPWATCH_SSM_PREFIX: cannot read SSM parameters under {prefix}: {error}") from error
    return {name.rsplit("/", 1)[-1]: str(value) for name, value in values.items()}


def _text(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None


def _integer(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = _text(env, name)
    if raw is None:
        return default
    value = _parse_int(name, raw)
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {raw}")
    return value


def _boolean(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true/false), got {raw!r}")


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _text(env, name) or default
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = _text(env, name) or default
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _user_ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    raw = _text(env, name)
    if raw is None:
        return frozenset()
    return frozenset(_parse_int(name, part.strip()) for part in raw.split(",") if part.strip())


def _check_market_data(value: str) -> None:
    if value in ("sim", "alpaca"):
        return
    if value.startswith("csv:") and len(value) > 4:
        return
    raise ConfigError(f"DIPWATCH_MARKET_DATA must be sim, alpaca or csv:PATH, got {value!r}")


def _check_universe(value: object, has_keys: bool) -> None:
    if not isinstance(value, str) or not value.startswith("alpaca:"):
        return  # the packaged list, or a file (read and checked when the universe is loaded)
    if value != ALPACA_US_EQUITY:
        raise ConfigError(f"DIPWATCH_UNIVERSE: the built-in Alpaca universe is {ALPACA_US_EQUITY}, got {value!r}")
    if not has_keys:
        raise ConfigError(f"DIPWATCH_UNIVERSE={ALPACA_US_EQUITY} needs APCA_API_KEY_ID and APCA_API_SECRET_KEY")


def _check_storage(value: str) -> None:
    parsed = urlparse(value)
    if parsed.scheme == "s3" and not parsed.netloc:
        raise ConfigError(f"DIPWATCH_STORAGE: {value!r} names no bucket (use s3://bucket/prefix)")
    if parsed.scheme not in ("", "file", "s3") and len(parsed.scheme) > 1:
        raise ConfigError(f"DIPWATCH_STORAGE must be a path, file:// URL or s3://bucket/prefix, got {value!r}")
