"""Who may use which command, and how often a chat may send commands."""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
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


class ChatRateLimiter:
    """A sliding one-minute window of commands per chat, in this process."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._recent: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}
        self._lock = threading.Lock()

    def admit(self, chat_id: int) -> str:
        """``"ok"`` to go ahead, ``"warn"`` for the first refusal in a window, ``"drop"`` after it."""
        now = self._clock()
        with self._lock:
            recent = self._recent.setdefault(chat_id, deque())
            while recent and now - recent[0] >= 60:
                recent.popleft()
            if len(recent) < self.per_minute:
                recent.append(now)
                return "ok"
            if now - self._warned.get(chat_id, -120.0) >= 60:
                self._warned[chat_id] = now
                return "warn"
            return "drop"
