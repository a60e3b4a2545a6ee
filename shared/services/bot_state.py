"""The bot's small mutable state in the Store: subscriptions, watches and handled update ids.

Each is one JSON document under ``state/`` changed whole with a compare-and-swap, so two
Lambda instances never lose each other's changes.
"""
from __future__ import annotations

import threading
from datetime import date
from typing import Any

from shared.adapters.archive import Archive

SUBSCRIBERS = "telegram-subscribers"
WATCHES = "telegram-watches"
UPDATES = "telegram-updates"
#: How many handled update ids are remembered (Telegram redelivers recent updates only).
REMEMBERED_UPDATES = 1000

#: A chat's watches: symbol -> ``{"pct": P, "last_sent": "YYYY-MM-DD" | None}``.
Watches = dict[str, dict[str, Any]]


class BotState:
    """Subscriptions, watches and handled updates, stored through the archive."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive
        self._seen: set[int] = set()  # update ids this process handled: a redelivery costs no read
        self._lock = threading.Lock()

    def mark_update(self, update_id: int) -> bool:
        """Record ``update_id`` as handled; False if it was handled before (a redelivery)."""
        with self._lock:
            if update_id in self._seen:
                return False
        fresh = True

        def change(document: dict[str, Any]) -> dict[str, Any]:
            nonlocal fresh
            ids = [int(value) for value in document.get("ids", [])]
            fresh = update_id not in ids
            if fresh:
                ids.append(update_id)
            return {"ids": ids[-REMEMBERED_UPDATES:]}

        self._archive.update_state(UPDATES, change)
        with self._lock:
            if len(self._seen) >= REMEMBERED_UPDATES:
                self._seen.clear()
            self._seen.add(update_id)
        return fresh

    def subscribers(self) -> list[int]:
        """The chat ids that get the daily digest."""
        return sorted(int(chat) for chat in self._archive.read_state(SUBSCRIBERS).get("chats", {}))

    def subscribe(self, chat_id: int, since: str) -> bool:
        """Add a chat to the digest; False if it was subscribed already."""
        added = False

        def change(document: dict[str, Any]) -> dict[str, Any]:
            nonlocal added
            chats = dict(document.get("chats", {}))
            added = str(chat_id) not in chats
            chats.setdefault(str(chat_id), {"since": since})
            return {"chats": chats}

        self._archive.update_state(SUBSCRIBERS, change)
        return added

    def unsubscribe(self, chat_ids: list[int]) -> int:
        """Remove chats from the digest; how many were subscribed."""
        removed = 0

        def change(document: dict[str, Any]) -> dict[str, Any]:
            nonlocal removed
            chats = dict(document.get("chats", {}))
            removed = sum(1 for chat in chat_ids if chats.pop(str(chat), None) is not None)
            return {"chats": chats}

        self._archive.update_state(SUBSCRIBERS, change)
        return removed

    def watches(self) -> dict[int, Watches]:
        """Every chat's watches: chat id -> symbol -> ``{"pct": P, "last_sent": ...}``."""
        document = self._archive.read_state(WATCHES)
        return {int(chat): dict(items) for chat, items in document.get("chats", {}).items()}

    def set_watch(self, chat_id: int, symbol: str, pct: float) -> None:
        """Watch ``symbol`` for a drawdown of ``pct`` percent (replacing an earlier threshold)."""

        def change(document: dict[str, Any]) -> dict[str, Any]:
            chats = dict(document.get("chats", {}))
            items = dict(chats.get(str(chat_id), {}))
            items[symbol] = {"pct": pct, "last_sent": None}
            chats[str(chat_id)] = items
            return {"chats": chats}

        self._archive.update_state(WATCHES, change)

    def remove_watch(self, chat_id: int, symbol: str) -> bool:
        """Stop watching ``symbol``; False if it was not watched."""
        removed = False

        def change(document: dict[str, Any]) -> dict[str, Any]:
            nonlocal removed
            chats = dict(document.get("chats", {}))
            items = dict(chats.get(str(chat_id), {}))
            removed = items.pop(symbol, None) is not None
            if items:
                chats[str(chat_id)] = items
            else:
                chats.pop(str(chat_id), None)
            return {"chats": chats}

        self._archive.update_state(WATCHES, change)
        return removed

    def mark_watches_sent(self, sent: list[tuple[int, str]], day: date) -> None:
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

        self._archive.update_state(WATCHES, change)
