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
    assert "Top 1–3 of 8" in result.output and "<b>" not in result.output and "<pre>" not in result.output
    assert result.output.rstrip().endswith("[▶]")  # buttons by their labels
    refused = runner(bot_container).invoke(args=["bot", "/account", "--user", "5"])
    assert "private" in refused.output and "user id is 5" in refused.output


def test_flask_bot_acts_as_the_owner_unless_told_otherwise(wire, bot_settings) -> None:
    nobody_listed = wire(bot_settings.with_overrides(telegram_allowed_users=frozenset()))
    for container in (nobody_listed, wire()):
        owner = runner(container).invoke(args=["bot", "/stock AAPL"])
        assert owner.exit_code == 0 and owner.output.startswith("AAPL · Apple"), owner.output
        assert "[◀ Back to the list]" in owner.output
        assert "Account · e.g. /positions" in runner(container).invoke(args=["bot", "/help"]).output
        stranger = runner(container).invoke(args=["bot", "/top 5", "--as", "stranger"]).output
        assert "this command is private" in stranger and "Your Telegram user id is" in stranger
        anonymous = runner(container).invoke(args=["bot", "/top 5", "--as", "anonymous"]).output
        assert "anonymously" in anonymous and "no user id" in anonymous
    both = runner(nobody_listed).invoke(args=["bot", "/top", "--user", "5", "--as", "stranger"])
    assert both.exit_code != 0 and "either --user ID or --as" in both.output
    # Alerts need a chat: with no owner id there is none, and the reply says what to set.
    assert "TELEGRAM_ALLOWED_USERS" in runner(nobody_listed).invoke(args=["bot", "/subscribe"]).output
    assert "Watching KO" in runner(wire()).invoke(args=["bot", "/watch KO 15"]).output
    assert wire().bot_state.watches()[ALLOWED]["KO"]["pct"] == 15.0


def test_set_webhook_and_info(bot_container, emulator) -> None:
    result = runner(bot_container).invoke(args=["telegram", "set-webhook", "https://bot.example.com/telegram/webhook"])
    assert result.exit_code == 0, result.output
    (call,) = emulator.of("setWebhook")
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ALLOWED_UPDATES
    assert call.params["drop_pending_updates"] is True and call.params["max_connections"] == 40
    info = runner(bot_container).invoke(args=["telegram", "info"])
    assert "url: https://bot.example.com/telegram/webhook" in info.output
    assert "command menus set" in result.output


def menu(emulator, scope: dict) -> list[str]:
    """The command names Telegram would show in a scope, read back with getMyCommands."""
    import json
    from urllib.request import Request, urlopen

    body = json.dumps({"scope": scope}).encode()
    request = Request(f"{emulator.url}/bot{emulator.token}/getMyCommands", data=body, headers={"Content-Type": "application/json"})
    with urlopen(request, timeout=5) as response:
        return [item["command"] for item in json.load(response)["result"]]


def test_set_webhook_sets_a_menu_for_owners_and_one_for_everyone_else(bot_container, wire, bot_settings, emulator) -> None:
    runner(bot_container).invoke(args=["telegram", "set-webhook", "https://bot.example.com/telegram/webhook"])
    owner = menu(emulator, {"type": "chat", "chat_id": ALLOWED})
    assert owner == list(bot_container.commands.table)  # every command, in the table's order
    assert menu(emulator, {"type": "default"}) == ["start", "help"]  # a private bot: strangers may only ask
    public = wire(bot_settings.with_overrides(public_bot=True))
    runner(public).invoke(args=["telegram", "set-webhook", "https://bot.example.com/telegram/webhook"])
    everyone = menu(emulator, {"type": "default"})
    assert {"top", "stock", "daily", "version"} <= set(everyone) and not {"watch", "account", "positions"} & set(everyone)
    for call in emulator.of("setMyCommands"):
        assert all(item["description"] for item in call.params["commands"])


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
    assert len(emulator.of("setMyCommands")) == 4  # each poller publishes the menus: everyone's and the owner's
    assert len(emulator.of("getMe")) == 1  # one Bot, initialised once, reused across calls
    assert len(emulator.of("deleteWebhook")) == 2


def test_collect_command_sends_the_digest(bot_container, emulator) -> None:
    bot_container.bot_state.subscribe(9, "2026-11-28")
    result = runner(bot_container).invoke(args=["collect"])
    assert result.exit_code == 0, result.output
    assert [int(call.params["chat_id"]) for call in emulator.of("sendMessage")] == [9]
