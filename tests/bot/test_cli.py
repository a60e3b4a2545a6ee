"""The bot's command-line operations: flask bot, flask telegram set-webhook | info | poll."""
from __future__ import annotations

from flask.testing import FlaskCliRunner

from app import create_app
from shared.bootstrap import Container
from shared.bot.operations import ALLOWED_UPDATES
from tests.bot.conftest import ALLOWED, SECRET, message_update


def runner(container: Container) -> FlaskCliRunner:
    return create_app(container=container).test_cli_runner()


def test_flask_bot_prints_a_plain_reply(bot_container) -> None:
    result = runner(bot_container).invoke(args=["bot", "/top 3", "--user", str(ALLOWED)])
    assert result.exit_code == 0, result.output
    assert "Top 1–3 of 8" in result.output and "<b>" not in result.output and "[▶ top:" in result.output
    refused = runner(bot_container).invoke(args=["bot", "/account", "--user", "5"])
    assert "private" in refused.output


def test_set_webhook_and_info(bot_container, emulator) -> None:
    result = runner(bot_container).invoke(args=["telegram", "set-webhook", "https://bot.example.com/telegram/webhook"])
    assert result.exit_code == 0, result.output
    (call,) = emulator.of("setWebhook")
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ALLOWED_UPDATES
    assert call.params["drop_pending_updates"] is True and call.params["max_connections"] == 40
    info = runner(bot_container).invoke(args=["telegram", "info"])
    assert "url: https://bot.example.com/telegram/webhook" in info.output


def test_set_webhook_needs_https_and_a_secret(bot_container, wire, bot_settings) -> None:
    result = runner(bot_container).invoke(args=["telegram", "set-webhook", "http://insecure.example.com/hook"])
    assert result.exit_code != 0 and "https" in result.output
    no_secret = wire(bot_settings.with_overrides(telegram_webhook_secret=None))
    result = runner(no_secret).invoke(args=["telegram", "set-webhook", "https://bot.example.com/telegram/webhook"])
    assert result.exit_code != 0 and "TELEGRAM_WEBHOOK_SECRET" in result.output


def test_poll_answers_updates_with_the_same_bot(bot_container, emulator) -> None:
    emulator.updates = [message_update("/top 2", ALLOWED, update_id=1), message_update("/status", ALLOWED, update_id=2)]
    assert bot_container.operations.poll(rounds=1) == 2
    bot_container.operations.poll(rounds=1)  # a new poller starts unconfirmed: Telegram resends both
    texts = [call.params["text"] for call in emulator.of("sendMessage")]
    assert len(texts) == 2 and "Top 1–2 of 8" in texts[0] and "Last run" in texts[1]
    assert len(emulator.of("getMe")) == 1  # one Bot, initialised once, reused across calls
    assert len(emulator.of("deleteWebhook")) == 2


def test_collect_command_sends_the_digest(bot_container, emulator) -> None:
    bot_container.bot_state.subscribe(9, "2026-11-28")
    result = runner(bot_container).invoke(args=["collect"])
    assert result.exit_code == 0, result.output
    assert [int(call.params["chat_id"]) for call in emulator.of("sendMessage")] == [9]
