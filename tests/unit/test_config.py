"""Settings from the environment: defaults, validation messages that name the variable, SSM."""
from __future__ import annotations

import pytest

from shared.config import Settings
from shared.errors import ConfigError, SettingError


def test_defaults_use_local_storage_and_sim_without_keys() -> None:
    settings = Settings.from_env({})
    assert settings.storage == "./var/data/sim" and settings.storage_follows_source
    assert settings.market_data == "sim"
    assert settings.lookback_days == 180
    assert settings.public_bot is False
    assert settings.telegram_allowed_users == frozenset()


def test_alpaca_is_the_default_source_when_keys_are_set() -> None:
    settings = Settings.from_env({"APCA_API_KEY_ID": "k", "APCA_API_SECRET_KEY": "s"})
    assert settings.market_data == "alpaca"
    assert settings.has_alpaca_keys
    assert settings.storage == "./var/data/alpaca"


@pytest.mark.parametrize(
    ("source", "store"),
    [
        ("sim", "./var/data/sim"),
        ("csv:../shared/data/daily_bars.csv.gz", "./var/data/csv-daily_bars"),
        ("csv:C:\\data\\my bars.csv", "./var/data/csv-my-bars"),
        ("csv:/tmp/.hidden.gz", "./var/data/csv-hidden"),
    ],
)
def test_each_source_has_its_own_default_store(source: str, store: str) -> None:
    settings = Settings.from_env({"DIPWATCH_MARKET_DATA": source})
    assert settings.storage == store
    assert Settings.from_env({}).with_overrides(market_data=source).storage == store  # --source follows too
    explicit = Settings.from_env({"DIPWATCH_STORAGE": "s3://bucket/prod", "DIPWATCH_MARKET_DATA": source})
    assert explicit.storage == "s3://bucket/prod" and explicit.with_overrides(market_data="sim").storage == "s3://bucket/prod"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DIPWATCH_LOOKBACK_DAYS": "abc"}, "DIPWATCH_LOOKBACK_DAYS"),
        ({"DIPWATCH_LOOKBACK_DAYS": "0"}, "DIPWATCH_LOOKBACK_DAYS"),
        ({"DIPWATCH_MARKET_DATA": "bloomberg"}, "DIPWATCH_MARKET_DATA"),
        ({"DIPWATCH_STORAGE": "s3://"}, "DIPWATCH_STORAGE"),
        ({"DIPWATCH_STORAGE": "ftp://host/x"}, "DIPWATCH_STORAGE"),
        ({"DIPWATCH_PUBLIC_BOT": "maybe"}, "DIPWATCH_PUBLIC_BOT"),
        ({"TELEGRAM_ALLOWED_USERS": "12,bob"}, "TELEGRAM_ALLOWED_USERS"),
        ({"TELEGRAM_WEBHOOK_SECRET": "has space"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_ADMIN_CHAT": "x"}, "TELEGRAM_ADMIN_CHAT"),
        ({"APCA_API_BASE_URL": "paper-api"}, "APCA_API_BASE_URL"),
        ({"DIPWATCH_MARKET_DATA": "alpaca"}, "DIPWATCH_MARKET_DATA"),
        ({"DIPWATCH_SSM_PREFIX": "dipwatch"}, "DIPWATCH_SSM_PREFIX"),
        ({"DIPWATCH_SECRET_KEY": "short"}, "DIPWATCH_SECRET_KEY"),
    ],
)
def test_bad_values_fail_with_a_message_naming_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError, match=variable):
        Settings.from_env(env)


def test_parsed_values() -> None:
    settings = Settings.from_env(
        {
            "DIPWATCH_STORAGE": "s3://bucket/prefix",
            "DIPWATCH_MARKET_DATA": "csv:/tmp/bars.csv.gz",
            "DIPWATCH_LOOKBACK_DAYS": "90",
            "DIPWATCH_PUBLIC_BOT": "1",
            "TELEGRAM_ALLOWED_USERS": " 12, 34 ,",
            "TELEGRAM_ADMIN_CHAT": "-1001",
            "APCA_API_DATA_URL": "http://127.0.0.1:9999/",
        }
    )
    assert settings.storage == "s3://bucket/prefix"
    assert settings.market_data == "csv:/tmp/bars.csv.gz"
    assert settings.lookback_days == 90
    assert settings.public_bot is True
    assert settings.telegram_allowed_users == frozenset({12, 34})
    assert settings.telegram_admin_chat == -1001
    assert settings.alpaca_data_url == "http://127.0.0.1:9999"


def test_secrets_are_not_in_the_repr() -> None:
    settings = Settings.from_env({"APCA_API_KEY_ID": "key-id-123", "APCA_API_SECRET_KEY": "very-secret", "TELEGRAM_BOT_TOKEN": "123:tok"})
    text = repr(settings)
    assert "very-secret" not in text and "123:tok" not in text and "key-id-123" not in text


def test_ssm_fills_missing_secrets_and_env_wins() -> None:
    seen: list[str] = []

    def loader(prefix: str) -> dict[str, str]:
        seen.append(prefix)
        return {"TELEGRAM_BOT_TOKEN": "from-ssm", "APCA_API_KEY_ID": "ssm-key", "DIPWATCH_LOOKBACK_DAYS": "7"}

    settings = Settings.from_env({"DIPWATCH_SSM_PREFIX": "/dipwatch/test", "APCA_API_KEY_ID": "env-key", "APCA_API_SECRET_KEY": "s"}, ssm_loader=loader)
    assert seen == ["/dipwatch/test"]
    assert settings.telegram_bot_token == "from-ssm"
    assert settings.alpaca_key_id == "env-key"
    assert settings.lookback_days == 180  # only secrets come from SSM


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"lookback_days": 1}, "DIPWATCH_LOOKBACK_DAYS"),
        ({"top_n": 0}, "DIPWATCH_TOP_N"),
        ({"market_data": "bloomberg"}, "DIPWATCH_MARKET_DATA"),
        ({"market_data": "alpaca"}, "DIPWATCH_MARKET_DATA"),  # no keys
        ({"storage": "s3://"}, "DIPWATCH_STORAGE"),
        ({"telegram_api_url": "ftp://x"}, "TELEGRAM_API_URL"),
        ({"telegram_timeout_seconds": 0.0}, "DIPWATCH_TELEGRAM_TIMEOUT"),
        ({"telegram_webhook_secret": "has space"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"secret_key": "short"}, "DIPWATCH_SECRET_KEY"),
        ({"ssm_prefix": "dipwatch"}, "DIPWATCH_SSM_PREFIX"),
        ({"alpaca_feed": "nasdaq"}, "DIPWATCH_ALPACA_FEED"),
    ],
)
def test_every_settings_is_validated_when_it_is_made(changes: dict[str, object], variable: str) -> None:
    with pytest.raises(SettingError, match=variable) as direct:
        Settings(**changes)
    assert direct.value.variable == variable
    with pytest.raises(SettingError, match=variable):
        Settings().with_overrides(**changes)


def test_settings_made_directly_are_normalised_like_the_environment() -> None:
    assert Settings(alpaca_data_url="http://127.0.0.1:9999/").alpaca_data_url == "http://127.0.0.1:9999"
    assert Settings().with_overrides(telegram_api_url="https://api.example.com/").telegram_api_url == "https://api.example.com"


def test_telegram_has_its_own_timeout() -> None:
    settings = Settings.from_env({"DIPWATCH_TELEGRAM_TIMEOUT": "4.5", "DIPWATCH_HTTP_TIMEOUT": "30"})
    assert (settings.telegram_timeout_seconds, settings.alpaca_timeout_seconds) == (4.5, 30.0)
