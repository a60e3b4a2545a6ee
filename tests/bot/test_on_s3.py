"""The webhook and the scheduled job on S3 through moto's server: collect, then answer and push."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import boto3
import pytest

from app import create_app, jobs
from shared.bootstrap import bootstrap
from shared.config import Settings
from tests.bot.conftest import ALLOWED, SECRET, message_update
from tests.bot.html_check import check_call
from tests.emulators.telegram import TelegramEmulator


@pytest.fixture
def s3_bot_settings(moto_server: str, aws_env: None, monkeypatch: pytest.MonkeyPatch, universe_file, emulator: TelegramEmulator) -> Settings:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    bucket = f"dipwatch-bot-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=bucket)
    return Settings.from_env(
        {
            "DIPWATCH_STORAGE": f"s3://{bucket}/prod",
            "DIPWATCH_UNIVERSE": str(universe_file),
            "TELEGRAM_BOT_TOKEN": emulator.token,
            "TELEGRAM_API_URL": emulator.url,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_ALLOWED_USERS": str(ALLOWED),
        }
    )


def test_scheduled_job_then_webhook_on_s3(s3_bot_settings: Settings, emulator: TelegramEmulator) -> None:
    now = datetime(2026, 11, 30, 11, 0, tzinfo=timezone.utc)  # 06:00 in New York, a Monday
    container = bootstrap(s3_bot_settings, clock=lambda: now)
    try:
        container.bot_state.subscribe(321, "2026-11-29")
        assert jobs.daily_collection(container, {})["outcome"] == "complete"
        (digest,) = emulator.of("sendMessage")
        assert int(digest.params["chat_id"]) == 321 and "as of 2026-11-27 close" in digest.params["text"]
        assert container.store.exists("charts/2026-11-27.json")

        client = create_app(container=container).test_client()
        for text in ("/top 3", "/stock nvda"):
            response = client.post("/telegram/webhook", json=message_update(text, ALLOWED), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert response.status_code == 200
            check_call(response.get_json())
        assert "NVDA" in response.get_json()["text"] and "<pre>" in response.get_json()["text"]
    finally:
        container.close()
