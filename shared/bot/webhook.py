"""One Telegram update in, Bot API method calls out.

``handle_update`` is what the webhook route, long polling and tests call. It returns the calls
to make, first the one the webhook answers inline (so the hot path makes no outbound HTTP),
then any that must be sent with the messenger (the callback answer, extra message parts).
"""
from __future__ import annotations

from typing import Any

from telegram import Update

from shared.bootstrap import Parts
from shared.services import bot_state as state
from shared.bot.access import MARKET, ChatRateLimiter, is_allowed
from shared.bot.commands import Reply, dispatch, run_safely, top_callback
from shared.bot.formatting import MAX_CALLBACK_DATA, split_message
from shared.adapters.messenger import send_quietly
from shared.telemetry import logger


def _limiter(parts: Parts) -> ChatRateLimiter:
    if "telegram_limiter" not in parts.extras:
        parts.extras["telegram_limiter"] = ChatRateLimiter(parts.settings.bot_commands_per_minute)
    return parts.extras["telegram_limiter"]  # type: ignore[return-value]


def message_calls(chat_id: int, reply: Reply, edit_message_id: int | None = None) -> list[dict[str, Any]]:
    """The Bot API calls that deliver ``reply``: one per 4096-character piece, buttons on the last."""
    pieces = split_message(reply.text)
    markup = reply.reply_markup()
    for _label, data in reply.buttons:
        if len(data.encode()) > MAX_CALLBACK_DATA:
            raise ValueError(f"callback_data over {MAX_CALLBACK_DATA} bytes: {data!r}")
    calls: list[dict[str, Any]] = []
    for index, piece in enumerate(pieces):
        call: dict[str, Any] = {"method": "sendMessage", "chat_id": chat_id, "text": piece, "parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}
        if index == 0 and edit_message_id is not None:
            call = {**call, "method": "editMessageText", "message_id": edit_message_id}
        if index == len(pieces) - 1 and markup is not None:
            call["reply_markup"] = markup
        calls.append(call)
    return calls


def parse_update(payload: dict[str, Any]) -> Update | None:
    """PTB's Update, or None (logged) when the payload is not a valid update."""
    try:
        update = Update.de_json(payload, None)
    except (TypeError, KeyError, ValueError, AttributeError) as error:
        logger.warning("telegram update does not parse; ignored", extra={"error": str(error)[:200]})
        return None
    if update is None or not isinstance(update.update_id, int):
        logger.warning("telegram update has no update_id; ignored")
        return None
    return update


def handle_update(parts: Parts, payload: dict[str, Any], base_url: str = "http://127.0.0.1:5000/") -> list[dict[str, Any]]:
    """The calls that answer one update; empty when it is ignored (unparsable, unhandled, redelivered)."""
    update = parse_update(payload)
    if update is None:
        return []
    if not state.mark_update(parts, update.update_id):
        logger.info("telegram update redelivered; ignored", extra={"update_id": update.update_id})
        return []
    if update.callback_query is not None:
        return _callback_calls(parts, update)
    message = update.message or update.edited_message
    if message is None or not message.text:
        logger.info("telegram update not handled; ignored", extra={"update_id": update.update_id})
        return []
    chat_id = message.chat.id
    user_id = message.from_user.id if message.from_user is not None else None
    if not message.text.startswith("/") and message.chat.type != "private":
        logger.info("telegram group message without a command; ignored", extra={"update_id": update.update_id})
        return []
    admitted = _limiter(parts).admit(chat_id)
    if admitted == "drop":
        return []
    if admitted == "warn":
        logger.info("telegram chat over its rate limit", extra={"chat_id": chat_id})
        reply = Reply(f"⏳ Easy there: at most {parts.settings.bot_commands_per_minute} commands a minute. Try again shortly.")
    else:
        reply = dispatch(parts, message.text, chat_id, user_id, base_url)
    return message_calls(chat_id, reply)


def _callback_calls(parts: Parts, update: Update) -> list[dict[str, Any]]:
    """Page in place: edit the message (inline) and answer the callback query (outbound)."""
    query = update.callback_query
    answer = {"method": "answerCallbackQuery", "callback_query_id": query.id}
    data = query.data or ""
    message = query.message
    if not data.startswith("top:") or message is None:
        return [{**answer, "text": "This button no longer works."}]
    user_id = query.from_user.id if query.from_user is not None else None
    if not is_allowed(parts.settings, MARKET, user_id):
        logger.info("telegram callback refused", extra={"user_id": user_id})
        return [{**answer, "text": "Sorry, this bot is private."}]
    reply = run_safely(lambda: top_callback(parts, data), "top:page")
    calls = message_calls(message.chat.id, reply, edit_message_id=message.message_id)
    return [calls[0], answer, *calls[1:]]




def _chat_of(payload: dict[str, Any]) -> int | None:
    for key in ("message", "edited_message"):
        chat = (payload.get(key) or {}).get("chat") or {}
        if isinstance(chat.get("id"), int):
            return chat["id"]
    return None


def answer_update(parts: Parts, payload: dict[str, Any], base_url: str = "http://127.0.0.1:5000/") -> dict[str, Any] | None:
    """The webhook's service: the call to answer inline (or None); follow-up calls are sent with
    the messenger. Never raises: a failure is logged and answered with a short apology."""
    try:
        calls = handle_update(parts, payload, base_url)
    except Exception:  # noqa: BLE001 - the webhook must answer 200, or Telegram redelivers
        logger.exception("telegram update failed")
        chat_id = _chat_of(payload)
        if chat_id is None:
            return None
        return message_calls(chat_id, Reply("Sorry, something went wrong on my side. Please try again later."))[0]
    if not calls:
        return None
    send_quietly(parts, calls[1:])
    return calls[0]
