"""Operating the bot: the webhook's registration, long polling, and replies without Telegram."""
from __future__ import annotations

import html
import re
import secrets
from typing import Any, Callable

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
    """What ``flask telegram ...`` does: set the webhook, show it, poll."""

    def __init__(self, messenger: Messenger | None, webhook: Webhook, *, webhook_secret: str | None) -> None:
        self._messenger = messenger
        self._webhook = webhook
        self._secret = webhook_secret

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
        return self.webhook_info()

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
    """A reply as terminal text: tags removed, entities decoded, buttons in brackets."""
    text = html.unescape(_TAG.sub("", reply.text))
    if reply.buttons:
        text += "\n" + " ".join(f"[{label} {data}]" for label, data in reply.buttons)
    return text


def reply_to(commands: Commands, text: str, user_id: int | None) -> str:
    """The bot's reply to ``text`` from ``user_id``, as plain text, with no Telegram involved."""
    return plain_text(commands.dispatch(text, chat_id=user_id or 0, user_id=user_id, base_url=LOCAL_BASE_URL))
