"""Telegram updates from untrusted bytes: bounded decoding and a check of the fields we use.

Anyone who knows the webhook's address can post to it, and only the secret header stands
between them and the bot, so nothing here trusts the body: its size and nesting are bounded
before ``json`` sees it (a body of 100,000 ``[`` would otherwise exhaust the recursion limit),
and every field the bot reads must have the type the Bot API documents. An update that fails
the check is one we don't handle: it is logged and answered 200, never with a 5xx or an apology.
"""
from __future__ import annotations

import json
import re
from typing import Any

from telegram import Update

from shared.errors import BadInput
from shared.telemetry import logger

#: The largest webhook body accepted; Telegram's updates are a few kilobytes.
MAX_BYTES = 256 * 1024
#: The deepest nesting of arrays and objects accepted; a real update nests about six levels.
MAX_DEPTH = 32
#: Unix times up to the year 5138: beyond that no date is real (and datetime overflows).
MAX_TIME = 10**11
#: Telegram's ids fit in 52 bits; anything larger is not one of its ids.
MAX_ID = 2**53
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting_over(body: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether ``body`` nests arrays and objects deeper than ``limit`` (brackets inside strings
    do not count); stops at the first level past the limit."""
    depth = 0
    for match in _TOKENS.finditer(body):
        char = match.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


def decode(body: bytes) -> dict[str, Any]:
    """A webhook body as a JSON object; BadInput (a 400) when too large, too deep, not JSON or
    not an object."""
    if len(body) > MAX_BYTES:
        raise BadInput(f"body over {MAX_BYTES} bytes")
    if nesting_over(body):
        raise BadInput(f"body nests deeper than {MAX_DEPTH} levels")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise BadInput("body is not JSON") from None
    if not isinstance(payload, dict):
        raise BadInput("body is not a JSON object")
    return payload


def _is_int(value: Any, low: int = -MAX_ID, high: int = MAX_ID) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _optional(value: Any, kind: type) -> bool:
    return value is None or isinstance(value, kind)


def _user_problem(user: Any, where: str) -> str | None:
    if user is None:
        return None
    if not isinstance(user, dict) or not _is_int(user.get("id")):
        return f"{where}.from"
    return None


def _message_problem(message: Any, where: str) -> str | None:
    """The first field of a message the bot reads that has the wrong type, or None."""
    if not isinstance(message, dict):
        return where
    chat = message.get("chat")
    if not isinstance(chat, dict) or not _is_int(chat.get("id")) or not isinstance(chat.get("type"), str):
        return f"{where}.chat"
    if not _is_int(message.get("message_id"), 0) or not _is_int(message.get("date"), 0, MAX_TIME):
        return f"{where}.message_id/date"
    if not _optional(message.get("text"), str):
        return f"{where}.text"
    if not _is_int(message.get("edit_date", 0), 0, MAX_TIME):
        return f"{where}.edit_date"
    return _user_problem(message.get("from"), where)


def problem(payload: dict[str, Any]) -> str | None:
    """The first wrong-typed field among those the bot reads, or None when the update is sound."""
    if not _is_int(payload.get("update_id"), 0):
        return "update_id"
    for key in ("message", "edited_message"):
        if key in payload:
            return _message_problem(payload[key], key)
    if "callback_query" in payload:
        query = payload["callback_query"]
        if not isinstance(query, dict) or not isinstance(query.get("id"), str) or not _optional(query.get("data"), str):
            return "callback_query"
        if "message" in query and (issue := _message_problem(query["message"], "callback_query.message")):
            return issue
        return _user_problem(query.get("from"), "callback_query")
    return None


def parse_update(payload: dict[str, Any]) -> Update | None:
    """PTB's Update, or None (logged) when the payload is not an update the bot handles."""
    issue = problem(payload)
    if issue is not None:
        logger.warning("telegram update has a wrong-typed field; ignored", extra={"field": issue})
        return None
    try:
        return Update.de_json(payload, None)
    except Exception as error:  # noqa: BLE001 - any failure to build it means an update we don't handle
        logger.warning("telegram update does not parse; ignored", extra={"error": f"{type(error).__name__}: {str(error)[:200]}"})
        return None


def chat_of(payload: dict[str, Any]) -> int | None:
    """The chat an update came from, if it is a sound message (to apologise to after a failure)."""
    for key in ("message", "edited_message"):
        message = payload.get(key)
        if isinstance(message, dict) and _message_problem(message, key) is None:
            return int(message["chat"]["id"])
    query = payload.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("message"), dict) and _message_problem(query["message"], "m") is None:
        return int(query["message"]["chat"]["id"])
    return None
