"""Who may use which command, and how often a chat may send commands."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable

#: Access levels of commands.
OPEN = "open"  # anyone: /start, /help
MARKET = "market"  # the allowed users, or anyone when DIPWATCH_PUBLIC_BOT=1
PRIVATE = "private"  # only TELEGRAM_ALLOWED_USERS: account, positions, monitor, subscribe, watch


@dataclass(frozen=True)
class Access:
    """The access rules: ``TELEGRAM_ALLOWED_USERS`` and ``DIPWATCH_PUBLIC_BOT``."""

    allowed_users: frozenset[int]
    public: bool

    def allows(self, level: str, user_id: int | None) -> bool:
        """Deny by default: only listed users get private commands; market ones open with the public flag."""
        if level == OPEN:
            return True
        listed = user_id is not None and user_id in self.allowed_users
        if level == MARKET:
            return listed or self.public
        return listed


#: Chats the limiter remembers at most; past it the least recently active is forgotten.
MAX_CHATS = 10_000
_WINDOW = 60.0


@dataclass
class _Window:
    """One chat's commands in the last minute, and when it was last warned."""

    times: deque[float] = field(default_factory=deque)
    warned: float = float("-inf")


class ChatRateLimiter:
    """A sliding one-minute window of commands and button presses per chat, in this process.

    The limit is per instance: each Lambda instance (or server process) counts on its own, so a
    chat whose updates reach N instances at once may get up to N times the limit. Memory is
    bounded: chats idle for a minute are pruned on every admission, least recently active first,
    and at most ``max_chats`` are remembered.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, max_chats: int = MAX_CHATS) -> None:
        self.per_minute = per_minute
        self.max_chats = max_chats
        self._clock = clock
        self._chats: OrderedDict[int, _Window] = OrderedDict()  # least recently active first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many chats are remembered."""
        return len(self._chats)

    def _prune(self, now: float) -> None:
        while self._chats:
            window = next(iter(self._chats.values()))
            idle = (not window.times or now - window.times[-1] >= _WINDOW) and now - window.warned >= _WINDOW
            if not idle and len(self._chats) < self.max_chats:
                return
            self._chats.popitem(last=False)

    def admit(self, chat_id: int) -> str:
        """``"ok"`` to go ahead, ``"warn"`` for the first refusal in a window, ``"drop"`` after it."""
        now = self._clock()
        with self._lock:
            window = self._chats.pop(chat_id, None) or _Window()
            self._prune(now)
            self._chats[chat_id] = window
            while window.times and now - window.times[0] >= _WINDOW:
                window.times.popleft()
            if len(window.times) < self.per_minute:
                window.times.append(now)
                return "ok"
            if now - window.warned >= _WINDOW:
                window.warned = now
                return "warn"
            return "drop"
