"""The bot's command-line operations: flask bot, flask telegram set-webhook | info | poll."""
from __future__ import annotations

from app import create_app
from shared.bot import operations
from tests.bot.conftest import ALLOWED, SECRET, message_update


def runner(parts):  # noqa: ANN001, ANN201
    return create_app(parts=parts).test_cli_runner()


def test_flask_bot_prints_a_plain_reply(bot_parts) -> None:
    result = runner(bot_parts).invoke(args=["bot", "/top 3", "--user", str(ALLOWED)])
    assert result.exit_code == 0, result.output
    assert "Top 1–3 of 8" in result.output and "<b>" not in result.output and "[▶ top:" in result.output
    refused = runner(bot_parts).invoke(args=["bot", "/account", "--user", "5"])
    assert "private" in refused.output


def test_set_webhook_and_info(bot_parts, emulator) -> None:
    result = runner(bot_parts).invoke(args=["telegram", "set-webhook", "https://bot.example.com/telegram/webhook"])
    assert result.exit_code == 0, result.output
    (call,) = emulator.of("setWebhook")
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == operations.ALLOWED_UPDATES
    assert call.params["drop_pending_updates"] in (True, "True", "true")
    info = runner(bot_parts).invoke(args=["telegram", "info"])
    assert "url: https://bot.example.com/telegram/webhook" in info.output


def test_set_webhook_needs_https_and_a_secret(bot_parts) -> None:
    result = runner(bot_parts).invoke(args=["telegram", "set-webhook", "http://insecure.example.com/hook"])
    assert result.exit_code != 0 and "https" in result.output
    bot_parts.settings = bot_parts.settings.with_overrides(telegram_webhook_secret=None)
    result = runner(bot_parts).invoke(args=["telegram", "set-webhook", "https://bot.example.com/telegram/webhook"])
    assert result.exit_code != 0 and "TELEGRAM_WEBHOOK_SECRET" in result.output


def test_poll_answers_updates_with_the_same_bot(bot_parts, emulator) -> None:
    emulator.updates = [message_update("/top 2", ALLOWED, update_id=1), message_update("/status", ALLOWED, update_id=2)]
    assert operations.poll(bot_parts, rounds=1) == 2
    operations.poll(bot_parts, rounds=1)  # a new poller starts unconfirmed: Telegram resends both
    texts = [call.params["text"] for call in emulator.of("sendMessage")]
    assert len(texts) == 2 and "Top 1–2 of 8" in texts[0] and "Last run" in texts[1]
    assert len(emulator.of("getMe")) == 1  # one Bot, initialised once, reused across calls
    assert len(emulator.of("deleteWebhook")) == 2


def test_collect_command_sends_the_digest(bot_parts, emulator) -> None:
    from shared.services import bot_state as state

    state.subscribe(bot_parts, 9, "2026-11-28")
    result = runner(bot_parts).invoke(args=["collect"])
    assert result.exit_code == 0, result.output
    assert [int(call.params["chat_id"]) for call in emulator.of("sendMessage")] == [9]
