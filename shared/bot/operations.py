"""Operating the bot: the webhook's registration, long polling, and replies without Telegram."""
from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass
from typing import Any, Callable

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from shared.bot.registry import Commands
from shared.bot.views import Reply
from shared.bot.webhook import Webhook
from shared.errors import ConfigError
from shared.ports import BotCall, Messenger
from shared.telemetry import logger

#: The update kinds the bot handles; Telegram sends no others.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
#: Seconds one long-polling request waits for updates.
POLL_TIMEOUT = 30
#: The app's address when it is not serving a request (download links in CLI and polled replies).
LOCAL_BASE_URL = "http://127.0.0.1:5000/"
_TAG = re.compile(r"<[^>]+>")


class Operations:
    """What ``flask telegram ...`` does: set the webhook and the command menus, show it, poll."""

    def __init__(
        self, messenger: Messenger | None, webhook: Webhook, commands: Commands, *, webhook_secret: str | None, owners: frozenset[int]
    ) -> None:
        self._messenger = messenger
        self._webhook = webhook
        self._commands = commands
        self._secret = webhook_secret
        self._owners = owners

    def _telegram(self) -> Messenger:
        if self._messenger is None:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
        return self._messenger

    def set_webhook(self, url: str) -> dict[str, Any]:
        """Point Telegram at ``url`` with the secret header, the handled update kinds, and pending
        updates dropped; returns the webhook's state afterwards."""
        if not self._secret:
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET is not set (1-256 of A-Z, a-z, 0-9, _ and -); " f"for example: {secrets.token_urlsafe(32)}"
            )
        if not url.startswith("https://"):
            raise ConfigError(f"the webhook URL must be https://, got {url!r}")
        call: BotCall = {
            "method": "setWebhook",
            "url": url,
            "secret_token": self._secret,
            "allowed_updates": ALLOWED_UPDATES,
            "drop_pending_updates": True,
            "max_connections": 40,
        }
        self._telegram().call(call)
        self.publish_commands()
        return self.webhook_info()

    def command_menus(self) -> list[BotCall]:
        """The ``setMyCommands`` calls: everyone's menu (the commands anyone may use), and in each
        owner's private chat (chat id = user id) the whole list."""
        def menu(items: list[Any], scope: Any) -> BotCall:
            commands = [BotCommand(item.name, item.summary[:256]).to_dict() for item in items]
            return {"method": "setMyCommands", "commands": commands, "scope": scope.to_dict()}

        calls = [menu(self._commands.menu(None), BotCommandScopeDefault())]
        calls += [menu(self._commands.menu(owner, owner=True), BotCommandScopeChat(owner)) for owner in sorted(self._owners)]
        return calls

    def publish_commands(self) -> int:
        """Send the command menus to Telegram (the "/" menu in the chat); how many were set."""
        messenger = self._telegram()
        for call in self.command_menus():
            messenger.call(call)
        return 1 + len(self._owners)

    def webhook_info(self) -> dict[str, Any]:
        """Telegram's ``getWebhookInfo``: url, pending updates, last error."""
        return dict(self._telegram().call({"method": "getWebhookInfo"}))

    def poll(self, rounds: int | None = None, on_reply: Callable[[BotCall], None] | None = None) -> int:
        """Run the bot with long polling (for local use); returns the updates handled.

        Removes any webhook first (Telegram refuses ``getUpdates`` while one is set). ``rounds``
        limits the polling requests (None: until interrupted).
        """
        messenger = self._telegram()
        messenger.call({"method": "deleteWebhook", "drop_pending_updates": False})
        self.publish_commands()
        offset, handled, done = 0, 0, 0
        while rounds is None or done < rounds:
            done += 1
            request: BotCall = {"method": "getUpdates", "offset": offset, "timeout": POLL_TIMEOUT, "allowed_updates": ALLOWED_UPDATES}
            try:
                updates = messenger.call(request, timeout=POLL_TIMEOUT + 90)
            except TelegramError as error:
                logger.warning("telegram getUpdates failed", extra={"error": str(error)})
                continue
            for update in updates:
                offset = max(offset, int(update.get("update_id", 0)) + 1)
                for call in self._webhook.handle(update, LOCAL_BASE_URL):
                    try:
                        messenger.call(call)
                    except TelegramError as error:
                        logger.warning("telegram reply failed", extra={"method": call["method"], "error": str(error)})
                    if on_reply is not None:
                        on_reply(call)
                handled += 1
        return handled


def plain_text(reply: Reply) -> str:
    """A reply as terminal text: tags removed, entities decoded, buttons' labels in brackets."""
    text = html.unescape(_TAG.sub("", reply.text))
    for row in reply.buttons:
        text += "\n" + " ".join(f"[{label}]" for label, _data in row)
    return text


@dataclass(frozen=True)
class Caller:
    """Who ``flask bot`` acts as: the owner (every command), or someone else as Telegram sees them."""

    user_id: int | None
    chat_id: int
    owner: bool = False


def caller(kind: str, owners: frozenset[int], user_id: int | None = None) -> Caller:
    """``owner`` (the person at the shell: the first allowed user's id and chat, if any),
    ``stranger`` (a Telegram user not on the list), ``anonymous`` (a channel or anonymous admin),
    or ``user`` with ``user_id`` (exactly what that Telegram user would see)."""
    if kind == "owner":
        first = min(owners) if owners else None
        return Caller(first, first or 0, owner=True)
    if kind == "stranger":
        stranger = next(number for number in range(1, len(owners) + 2) if number not in owners)
        return Caller(stranger, stranger)
    if kind == "anonymous":
        return Caller(None, -1)
    if kind == "user" and user_id is not None:
        return Caller(user_id, user_id)
    raise ValueError(f"unknown caller {kind!r}")


def reply_to(commands: Commands, text: str, who: Caller) -> str:
    """The bot's reply to ``text`` from ``who``, as plain text, with no Telegram involved."""
    return plain_text(commands.dispatch(text, chat_id=who.chat_id, user_id=who.user_id, base_url=LOCAL_BASE_URL, owner=who.owner))
