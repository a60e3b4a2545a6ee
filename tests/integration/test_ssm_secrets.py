"""Secrets from SSM Parameter Store through Powertools Parameters, in-process and over HTTP."""
from __future__ import annotations

from typing import Iterator

import boto3
import pytest
from shared.adapters.ssm import ssm_provider
from shared.config import Settings


@pytest.fixture(autouse=True)
def fresh_parameter_cache() -> Iterator[None]:
    """The SSM provider (and its cache) lives per process: each test starts with a new one."""
    ssm_provider.cache_clear()
    yield
    ssm_provider.cache_clear()


def put_secrets(client, prefix: str) -> None:
    client.put_parameter(Name=f"{prefix}/TELEGRAM_BOT_TOKEN", Value="123:from-ssm", Type="SecureString")
    client.put_parameter(Name=f"{prefix}/APCA_API_KEY_ID", Value="ssm-key", Type="SecureString")
    client.put_parameter(Name=f"{prefix}/APCA_API_SECRET_KEY", Value="ssm-secret", Type="SecureString")
    client.put_parameter(Name=f"{prefix}/DIPWATCH_SECRET_KEY", Value="s" * 32, Type="SecureString")


def test_settings_read_decrypted_secrets_from_ssm(mocked_aws: None) -> None:
    put_secrets(boto3.client("ssm", region_name="us-east-1"), "/dipwatch/test")
    settings = Settings.from_env({"DIPWATCH_SSM_PREFIX": "/dipwatch/test"})
    assert settings.telegram_bot_token == "123:from-ssm"
    assert settings.alpaca_key_id == "ssm-key" and settings.alpaca_secret_key == "ssm-secret"
    assert settings.market_data == "alpaca"  # keys from SSM count as configured keys
    assert settings.secret_key == "s" * 32


def test_ssm_values_are_cached_in_process(mocked_aws: None) -> None:
    client = boto3.client("ssm", region_name="us-east-1")
    put_secrets(client, "/dipwatch/cache")
    Settings.from_env({"DIPWATCH_SSM_PREFIX": "/dipwatch/cache"})
    client.put_parameter(Name="/dipwatch/cache/TELEGRAM_BOT_TOKEN", Value="456:rotated", Type="SecureString", Overwrite=True)
    assert Settings.from_env({"DIPWATCH_SSM_PREFIX": "/dipwatch/cache"}).telegram_bot_token == "123:from-ssm"
    ssm_provider().clear_cache()
    assert Settings.from_env({"DIPWATCH_SSM_PREFIX": "/dipwatch/cache"}).telegram_bot_token == "456:rotated"


def test_settings_read_ssm_over_http_from_moto_server(moto_server: str, aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)  # boto3 sends every call to the server
    put_secrets(boto3.client("ssm", region_name="us-east-1"), "/dipwatch/server")
    settings = Settings.from_env({"DIPWATCH_SSM_PREFIX": "/dipwatch/server"})
    assert settings.telegram_bot_token == "123:from-ssm"


def test_allowed_users_and_admin_chat_may_come_from_ssm_and_the_environment_wins(mocked_aws: None) -> None:
    client = boto3.client("ssm", region_name="us-east-1")
    client.put_parameter(Name="/dipwatch/plain/TELEGRAM_ALLOWED_USERS", Value="11,22", Type="String")
    client.put_parameter(Name="/dipwatch/plain/TELEGRAM_ADMIN_CHAT", Value="-100", Type="String")
    settings = Settings.from_env({"DIPWATCH_SSM_PREFIX": "/dipwatch/plain"})
    assert settings.telegram_allowed_users == frozenset({11, 22}) and settings.telegram_admin_chat == -100
    assert Settings.from_env({"DIPWATCH_SSM_PREFIX": "/dipwatch/plain", "TELEGRAM_ADMIN_CHAT": "-7"}).telegram_admin_chat == -7
