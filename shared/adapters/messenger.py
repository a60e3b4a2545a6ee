"""Telegram sending: Bot API calls through python-telegram-bot's ``ExtBot`` (the ``Messenger`` port).

One ``ExtBot`` with ``AIORateLimiter`` (Telegram's send limits and 429 retries) lives on one
event loop that runs in its own thread for the messenger's lifetime, so synchronous callers
(Flask, the jobs, the CLI) never reuse a Bot across event loops. Each HTTP request has its own
timeout (``DIPWATCH_TELEGRAM_TIMEOUT``); a whole call, with the rate limiter's waits, has
``CALL_TIMEOUT``.
"""
from __future__ import annotations

import asyncio
import atexit
import threading
import warnings
from typing import Any, Coroutine

from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from shared.ports import BotCall
from shared.telemetry import logger

# Calls are issued by Bot API method name (the same dicts the webhook answers with).
warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)

#: Seconds for one Bot API call, including the rate limiter's waits and retries.
CALL_TIMEOUT = 60.0
#: Seconds for a batch of calls sent together (a broadcast waits for the send limits).
BATCH_TIMEOUT = 600.0


class TelegramMessenger:
    """Sends Bot API method calls (``{"method": ..., **params}``) with one Bot on one loop."""

    def __init__(self, token: str, api_url: str, timeout: float, max_retries: int = 3) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="telegram-messenger", daemon=True)
        self._thread.start()
        request = HTTPXRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout)
        polling = HTTPXRequest(connect_timeout=timeout, read_timeout=timeout + 60, write_timeout=timeout, pool_timeout=timeout)
        self.bot: ExtBot[int] = ExtBot(
            token,
            base_url=f"{api_url.rstrip('/')}/bot",
            base_file_url=f"{api_url.rstrip('/')}/file/bot",
            request=request,
            get_updates_request=polling,
            rate_limiter=AIORateLimiter(max_retries=max_retries),
        )
        self._started = False
        self._start_lock = threading.Lock()
        atexit.register(self.close)

    def _run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = CALL_TIMEOUT) -> Any:
        if self._loop.is_closed():
            raise RuntimeError("the messenger is closed")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def _ensure_started(self) -> None:
        with self._start_lock:
            if not self._started:
                self._run(self.bot.initialize())
                self._started = True

    def _request(self, call: BotCall) -> Coroutine[Any, Any, Any]:
        params = {key: value for key, value in call.items() if key != "method"}
        return self.bot.do_api_request(call["method"], api_kwargs=params)

    def call(self, call: BotCall, timeout: float | None = None) -> Any:
        """Make one Bot API call; raises telegram.error.TelegramError on failure."""
        self._ensure_started()
        return self._run(self._request(call), CALL_TIMEOUT if timeout is None else timeout)

    def call_many(self, calls: list[BotCall]) -> list[Any]:
        """Make many calls concurrently under the rate limiter; each result is the call's result
        or the exception it raised (one failure never stops the rest)."""
        self._ensure_started()

        async def send_all() -> list[Any]:
            return await asyncio.gather(*(self._request(call) for call in calls), return_exceptions=True)

        results: list[Any] = self._run(send_all(), BATCH_TIMEOUT)
        return results

    def close(self) -> None:
        """Shut the Bot down and stop its loop (idempotent)."""
        if self._loop.is_closed():
            return
        if self._started:
            try:
                self._run(self.bot.shutdown(), 10)
            except Exception:  # noqa: BLE001 - closing must not raise at exit
                logger.warning("telegram bot shutdown failed", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
