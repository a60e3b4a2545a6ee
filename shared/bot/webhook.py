"""One Telegram update in, Bot API method calls out.

``Webhook.handle`` is what the webhook route, long polling and tests call. It returns the calls
to make, first the one the webhook answers inline (so the hot path makes no outbound HTTP),
then any that must be sent with the messenger (the callback answer, extra message parts).
"""
from __future__ import annotations

from typing import Any, Callable

from telegram import CallbackQuery
from telegram.error import TelegramError

from shared.bot.access import ChatRateLimiter
from shared.bot.buttons import Buttons
from shared.bot.splitting import split_message
from shared.bot.registry import Commands
from shared.bot.updates import chat_of, parse_update
from shared.bot.views import APOLOGY, Reply
from shared.ports import BotCall, Messenger
from shared.services.bot_state import BotState
from shared.telemetry import logger


def message_calls(chat_id: int, reply: Reply, edit_message_id: int | None = None) -> list[BotCall]:
    """The Bot API calls that deliver ``reply``: one per 4096-character piece, buttons on the last."""
    pieces = split_message(reply.text)
    markup = reply.reply_markup()
    calls: list[BotCall] = []
    for index, piece in enumerate(pieces):
        call: BotCall = {"method": "sendMessage", "chat_id": chat_id, "text": piece, "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}
        if index == 0 and edit_message_id is not None:
            call = {**call, "method": "editMessageText", "message_id": edit_message_id}
        if index == len(pieces) - 1 and markup is not None:
            call["reply_markup"] = markup
        calls.append(call)
    return calls


class Webhook:
    """Answers updates: dedup, rate limit, dispatch, button presses."""

    def __init__(
        self,
        commands: Commands,
        buttons: Buttons,
        state: BotState,
        limiter: ChatRateLimiter,
        messenger: Callable[[], Messenger | None],
    ) -> None:
        self._commands = commands
        self._buttons = buttons
        self._state = state
        self._limiter = limiter
        self._messenger_of = messenger  # built on first follow-up: inline answers need no client

    def handle(self, payload: dict[str, Any], base_url: str) -> list[BotCall]:
        """The calls that answer one update; empty when it is ignored (unparsable, unhandled, redelivered)."""
        update = parse_update(payload)
        if update is None:
            return []
        if not self._state.mark_update(update.update_id):
            logger.info("telegram update redelivered; ignored", extra={"update_id": update.update_id})
            return []
        if update.callback_query is not None:
            return self._callback_calls(update.callback_query)
        message = update.message or update.edited_message
        if message is None or not message.text:
            logger.info("telegram update not handled; ignored", extra={"update_id": update.update_id})
            return []
        chat_id = message.chat.id
        user_id = message.from_user.id if message.from_user is not None else None
        if not message.text.startswith("/") and message.chat.type != "private":
            logger.info("telegram group message without a command; ignored", extra={"update_id": update.update_id})
            return []
        admitted = self._limiter.admit(chat_id)
        if admitted == "drop":
            return []
        if admitted == "warn":
            logger.info("telegram chat over its rate limit", extra={"chat_id": chat_id})
            reply = Reply(f"⏳ Easy there: at most {self._limiter.per_minute} commands a minute. Try again shortly.")
        else:
            reply = self._commands.dispatch(message.text, chat_id, user_id, base_url)
        return message_calls(chat_id, reply)

    def _callback_calls(self, query: CallbackQuery) -> list[BotCall]:
        """A button press: the edit or new message (inline) and the callback's answer (outbound)."""
        answer: BotCall = {"method": "answerCallbackQuery", "callback_query_id": query.id}
        message = query.message
        user_id = query.from_user.id if query.from_user is not None else None
        admitted = self._limiter.admit(message.chat.id if message is not None else user_id or 0)  # presses count as commands
        if admitted != "ok":
            if admitted == "warn":
                logger.info("telegram chat over its rate limit", extra={"chat_id": message.chat.id if message is not None else None})
                answer["text"] = f"⏳ Easy there: at most {self._limiter.per_minute} commands and taps a minute."
            return [answer]  # the press is answered (the spinner stops) and nothing else is done
        press = self._buttons.press(query.data or "", message.chat.id if message is not None else 0, user_id)
        if press.answer:
            answer["text"] = press.answer
        if press.reply is None or message is None:
            return [answer]
        calls = message_calls(message.chat.id, press.reply, edit_message_id=message.message_id if press.edit else None)
        return [calls[0], answer, *calls[1:]]

    def answer(self, payload: dict[str, Any], base_url: str) -> BotCall | None:
        """The webhook's service: the call to answer inline (or None); follow-up calls are sent with
        the messenger. Never raises: a failure is logged and answered with a short apology."""
        try:
            calls = self.handle(payload, base_url)
        except Exception:  # noqa: BLE001 - the webhook must answer 200, or Telegram redelivers
            logger.exception("telegram update failed")
            chat_id = chat_of(payload)
            return None if chat_id is None else message_calls(chat_id, APOLOGY)[0]
        if not calls:
            return None
        self.send_quietly(calls[1:])
        return calls[0]

    def send_quietly(self, calls: list[BotCall]) -> None:
        """Send follow-up calls when a messenger is configured; log failures instead of raising."""
        messenger = self._messenger_of() if calls else None
        if messenger is None:
            return
        for call in calls:
            try:
                messenger.call(call)
            except (TelegramError, TimeoutError, RuntimeError) as error:
                logger.warning("telegram call failed", extra={"method": call.get("method"), "error": str(error)})
