"""The bot's small mutable state in the Store: handled update ids, subscriptions and watches.

Nothing here is a shared object that every update rewrites:
- each handled update id is its own create-only marker (``UpdateMarkers``);
- each chat's subscription and watches are one document, ``state/chats/chat<id>.json``,
  changed whole with a compare-and-swap, so only two commands of the same chat at the same
  moment ever meet (and then one retries).

Documents of the earlier layout (``state/telegram-subscribers.json`` and
``state/telegram-watches.json``, one for every chat) are still read: a chat without its own
document keeps what they say, and its first change copies that into its own document.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, Callable

from shared.adapters.archive import Archive
from shared.errors import StorageError
from shared.ports import UpdateMarkers
from shared.telemetry import logger

LEGACY_SUBSCRIBERS = "telegram-subscribers"
LEGACY_WATCHES = "telegram-watches"
CHATS_PREFIX = "state/chats/"
#: How many handled update ids this process remembers (a redelivery to it costs no request).
REMEMBERED_UPDATES = 1000
_READ_THREADS = 8

#: A chat's watches: symbol -> ``{"pct": P, "last_sent": "YYYY-MM-DD" | None}``.
Watches = dict[str, dict[str, Any]]
#: A chat's document: ``{"subscribed": {"since": ...} | None, "watches": Watches}``.
ChatState = dict[str, Any]


def chat_name(chat_id: int) -> str:
    """The state name of a chat's document (``chats/chat-1001`` for a group)."""
    return f"chats/chat{int(chat_id)}"


class BotState:
    """Handled updates, subscriptions and watches, stored through the archive."""

    def __init__(self, archive: Archive, markers: UpdateMarkers) -> None:
        self._archive = archive
        self._markers = markers
        self._seen: set[int] = set()
        self._lock = threading.Lock()

    def mark_update(self, update_id: int) -> bool:
        """Record ``update_id`` as handled; False if it was handled before (a redelivery).

        When the marker cannot be written (a read-only or full store) the failure is logged and
        the update is answered anyway: a reply matters more than catching a rare redelivery."""
        with self._lock:
            if update_id in self._seen:
                return False
        try:
            fresh = self._markers.claim(update_id)
        except (StorageError, OSError) as error:
            logger.warning("telegram update id not recorded; answering anyway", extra={"update_id": update_id, "error": str(error)[:200]})
            fresh = True
        with self._lock:
            if len(self._seen) >= REMEMBERED_UPDATES:
                self._seen.clear()
            self._seen.add(update_id)
        return fresh

    # --- per-chat documents -------------------------------------------------------------------

    def _legacy(self, chat_id: int) -> ChatState:
        """What the earlier, shared documents say about one chat."""
        subscribed = self._archive.read_state(LEGACY_SUBSCRIBERS).get("chats", {}).get(str(chat_id))
        watches = self._archive.read_state(LEGACY_WATCHES).get("chats", {}).get(str(chat_id), {})
        return {"subscribed": subscribed, "watches": dict(watches)}

    def _change(self, chat_id: int, change: Callable[[ChatState], ChatState]) -> None:
        def swap(document: dict[str, Any]) -> dict[str, Any]:
            current = document if document else self._legacy(chat_id)
            return change({"subscribed": current.get("subscribed"), "watches": dict(current.get("watches") or {})})

        self._archive.update_state(chat_name(chat_id), swap)

    def chats(self) -> dict[int, ChatState]:
        """Every chat's state: its own document, else what the earlier documents say."""
        states: dict[int, ChatState] = {}
        for chat, subscribed in self._archive.read_state(LEGACY_SUBSCRIBERS).get("chats", {}).items():
            states.setdefault(int(chat), {"subscribed": None, "watches": {}})["subscribed"] = subscribed
        for chat, items in self._archive.read_state(LEGACY_WATCHES).get("chats", {}).items():
            states.setdefault(int(chat), {"subscribed": None, "watches": {}})["watches"] = dict(items)
        names = [key[len("state/") : -len(".json")] for key in self._archive.store.list(CHATS_PREFIX) if key.endswith(".json")]
        with ThreadPoolExecutor(max_workers=_READ_THREADS) as pool:
            for name, document in zip(names, pool.map(self._archive.read_state, names)):
                states[int(name[len("chats/chat") :])] = {"subscribed": document.get("subscribed"), "watches": dict(document.get("watches") or {})}
        return states

    # --- subscriptions ------------------------------------------------------------------------

    def subscribers(self) -> list[int]:
        """The chat ids that get the daily digest."""
        return sorted(chat for chat, state in self.chats().items() if state["subscribed"])

    def subscribe(self, chat_id: int, since: str) -> bool:
        """Add a chat to the digest; False if it was subscribed already."""
        added = False

        def change(state: ChatState) -> ChatState:
            nonlocal added
            added = not state["subscribed"]
            return {**state, "subscribed": state["subscribed"] or {"since": since}}

        self._change(chat_id, change)
        return added

    def unsubscribe(self, chat_ids: list[int]) -> int:
        """Remove chats from the digest; how many were subscribed."""
        removed = 0
        for chat_id in chat_ids:

            def change(state: ChatState) -> ChatState:
                nonlocal removed
                removed += bool(state["subscribed"])
                return {**state, "subscribed": None}

            self._change(chat_id, change)
        return removed

    # --- watches ------------------------------------------------------------------------------

    def watches(self) -> dict[int, Watches]:
        """Every chat's watches: chat id -> symbol -> ``{"pct": P, "last_sent": ...}``."""
        return {chat: state["watches"] for chat, state in self.chats().items() if state["watches"]}

    def chat_watches(self, chat_id: int) -> Watches:
        """One chat's watches (one read)."""
        document = self._archive.read_state(chat_name(chat_id)) or self._legacy(chat_id)
        return dict(document.get("watches") or {})

    def set_watch(self, chat_id: int, symbol: str, pct: float) -> None:
        """Watch ``symbol`` for a drawdown of ``pct`` percent (replacing an earlier threshold)."""
        self._change(chat_id, lambda state: {**state, "watches": {**state["watches"], symbol: {"pct": pct, "last_sent": None}}})

    def remove_watch(self, chat_id: int, symbol: str) -> bool:
        """Stop watching ``symbol``; False if it was not watched."""
        removed = False

        def change(state: ChatState) -> ChatState:
            nonlocal removed
            watches = dict(state["watches"])
            removed = watches.pop(symbol, None) is not None
            return {**state, "watches": watches}

        self._change(chat_id, change)
        return removed

    def mark_watches_sent(self, sent: list[tuple[int, str]], day: date) -> None:
        """Record that these (chat, symbol) alerts went out for ``day``."""
        by_chat: dict[int, list[str]] = {}
        for chat_id, symbol in sent:
            by_chat.setdefault(chat_id, []).append(symbol)
        for chat_id, symbols in by_chat.items():

            def change(state: ChatState, symbols: list[str] = symbols) -> ChatState:
                watches = {symbol: ({**item, "last_sent": day.isoformat()} if symbol in symbols else item) for symbol, item in state["watches"].items()}
                return {**state, "watches": watches}

            self._change(chat_id, change)
