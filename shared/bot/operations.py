"""Operating the bot: the webhook's registration, long polling, and replies without Telegram."""
from __future__ import annotations

import html
import re
import secrets
from typing import Any, Callable

from shared.bootstrap import Parts
from shared.bot.commands import Reply, dispatch
from shared.adapters.messenger import TelegramError, TelegramMessenger, messenger_for
from shared.bot.webhook import handle_update
from shared.errors import ConfigError
from shared.telemetry import logger

#: The update kinds the bot handles; Telegram sends no others.
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
#: Seconds one long-polling request waits for updates.
POLL_TIMEOUT = 30
_TAG = re.compile(r"<[^>]+>")


def _messenger(parts: Parts) -> TelegramMessenger:
    messenger = messenger_for(parts)
    if messenger is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
    return messenger


def set_webhook(parts: Parts, url: str) -> dict[str, Any]:
    """Point Telegram at ``url`` with the secret header, the handled update kinds, and pending
    updates dropped; returns the webhook's state afterwards."""
    secret = parts.settings.telegram_webhook_secret
    if not secret:
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET is not set (1-256 of A-Z, a-z, 0-9, _ and -); "
                          f"for example: {secrets.token_urlsafe(32)}")
    if not url.startswith("https://"):
        raise ConfigError(f"the webhook URL must be https://, got {url!r}")
    messenger = _messenger(parts)
    messenger.call({"method": "setWebhook", "url": url, "secret_token": secret, "allowed_updates": ALLOWED_UPDATES, "drop_pending_updates": True, "max_connections": 40})
    return webhook_info(parts)


def webhook_info(parts: Parts) -> dict[str, Any]:
    """Telegram's ``getWebhookInfo``: url, pending updates, last error."""
    return dict(_messenger(parts).call({"method": "getWebhookInfo"}))


def poll(parts: Parts, rounds: int | None = None, on_reply: Callable[[dict[str, Any]], None] | None = None) -> int:
    """Run the bot with long polling (for local use); returns the updates handled.

    Removes any webhook first (Telegram refuses ``getUpdates`` while one is set). ``rounds``
    limits the polling requests (None: until interrupted).
    """
    messenger = _messenger(parts)
    messenger.call({"method": "deleteWebhook", "drop_pending_updates": False})
    offset, handled, done = 0, 0, 0
    while rounds is None or done < rounds:
        done += 1
        try:
            updates = messenger.call({"method": "getUpdates", "offset": offset, "timeout": POLL_TIMEOUT, "allowed_updates": ALLOWED_UPDATES}, timeout=POLL_TIMEOUT + 90)
        except TelegramError as error:
            logger.warning("telegram getUpdates failed", extra={"error": str(error)})
            continue
        for update in updates:
            offset = max(offset, int(update.get("update_id", 0)) + 1)
            for call in handle_update(parts, update):
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


def reply_to(parts: Parts, text: str, user_id: int | None, base_url: str = "http://127.0.0.1:5000/") -> str:
    """The bot's reply to ``text`` from ``user_id``, as plain text, with no Telegram involved."""
    return plain_text(dispatch(parts, text, chat_id=user_id or 0, user_id=user_id, base_url=base_url))
