"""The bot's small mutable state in the Store: subscriptions, watches and handled update ids.

Each is one JSON document under ``state/`` changed whole with a compare-and-swap, so two
Lambda instances never lose each other's changes.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from shared.bootstrap import Parts

SUBSCRIBERS = "telegram-subscribers"
WATCHES = "telegram-watches"
UPDATES = "telegram-updates"
#: How many handled update ids are remembered (Telegram redelivers recent updates only).
REMEMBERED_UPDATES = 1000


def mark_update(parts: Parts, update_id: int) -> bool:
    """Record ``update_id`` as handled; False if it was handled before (a redelivery)."""
    seen = parts.extras.setdefault("telegram_seen_updates", set())
    if update_id in seen:  # type: ignore[operator]
        return False
    fresh = [True]

    def change(document: dict[str, Any]) -> dict[str, Any]:
        ids = [int(value) for value in document.get("ids", [])]
        fresh[0] = update_id not in ids
        if fresh[0]:
            ids.append(update_id)
        return {"ids": ids[-REMEMBERED_UPDATES:]}

    parts.archive.update_state(UPDATES, change)
    if len(seen) >= REMEMBERED_UPDATES:  # type: ignore[arg-type]
        seen.clear()  # type: ignore[attr-defined]
    seen.add(update_id)  # type: ignore[attr-defined]
    return fresh[0]


def subscribers(parts: Parts) -> list[int]:
    """The chat ids that get the daily digest."""
    document, _etag = parts.archive.read_state(SUBSCRIBERS)
    return sorted(int(chat) for chat in document.get("chats", {}))


def subscribe(parts: Parts, chat_id: int, since: str) -> bool:
    """Add a chat to the digest; False if it was subscribed already."""
    added = [False]

    def change(document: dict[str, Any]) -> dict[str, Any]:
        chats = dict(document.get("chats", {}))
        added[0] = str(chat_id) not in chats
        chats.setdefault(str(chat_id), {"since": since})
        return {"chats": chats}

    parts.archive.update_state(SUBSCRIBERS, change)
    return added[0]


def unsubscribe(parts: Parts, chat_ids: list[int]) -> int:
    """Remove chats from the digest; how many were subscribed."""
    removed = [0]

    def change(document: dict[str, Any]) -> dict[str, Any]:
        chats = dict(document.get("chats", {}))
        removed[0] = sum(1 for chat in chat_ids if chats.pop(str(chat), None) is not None)
        return {"chats": chats}

    parts.archive.update_state(SUBSCRIBERS, change)
    return removed[0]


def watches(parts: Parts) -> dict[int, dict[str, dict[str, Any]]]:
    """Every chat's watches: chat id -> symbol -> ``{"pct": P, "last_sent": "YYYY-MM-DD" | None}``."""
    document, _etag = parts.archive.read_state(WATCHES)
    return {int(chat): dict(items) for chat, items in document.get("chats", {}).items()}


def set_watch(parts: Parts, chat_id: int, symbol: str, pct: float) -> None:
    """Watch ``symbol`` for a drawdown of ``pct`` percent (replacing an earlier threshold)."""

    def change(document: dict[str, Any]) -> dict[str, Any]:
        chats = dict(document.get("chats", {}))
        items = dict(chats.get(str(chat_id), {}))
        items[symbol] = {"pct": pct, "last_sent": None}
        chats[str(chat_id)] = items
        return {"chats": chats}

    parts.archive.update_state(WATCHES, change)


def remove_watch(parts: Parts, chat_id: int, symbol: str) -> bool:
    """Stop watching ``symbol``; False if it was not watched."""
    removed = [False]

    def change(document: dict[str, Any]) -> dict[str, Any]:
        chats = dict(document.get("chats", {}))
        items = dict(chats.get(str(chat_id), {}))
        removed[0] = items.pop(symbol, None) is not None
        if items:
            chats[str(chat_id)] = items
        else:
            chats.pop(str(chat_id), None)
        return {"chats": chats}

    parts.archive.update_state(WATCHES, change)
    return removed[0]


def mark_watches_sent(parts: Parts, sent: list[tuple[int, str]], day: date) -> None:
    """Record that these (chat, symbol) alerts went out for ``day``."""
    if not sent:
        return

    def change(document: dict[str, Any]) -> dict[str, Any]:
        chats = {chat: dict(items) for chat, items in document.get("chats", {}).items()}
        for chat_id, symbol in sent:
            item = chats.get(str(chat_id), {}).get(symbol)
            if item is not None:
                chats[str(chat_id)][symbol] = {**item, "last_sent": day.isoformat()}
        return {"chats": chats}

    parts.archive.update_state(WATCHES, change)
