"""The messenger: Bot API calls through python-telegram-bot's ``ExtBot``.

One ``ExtBot`` with ``AIORateLimiter`` (Telegram's send limits and 429 retries) lives on one
event loop that runs in its own thread for the messenger's lifetime, so synchronous callers
(Flask, the jobs, the CLI) never reuse a Bot across event loops.
"""
from __future__ import annotations

import asyncio
import atexit
import threading
import warnings
from typing import Any, Coroutine

from telegram.error import Forbidden, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from shared.bootstrap import Parts
from shared.telemetry import logger

# Calls are issued by Bot API method name (the same dicts the webhook answers with).
warnings.filterwarnings("ignore", message="Please use 'Bot.", category=PTBUserWarning)

#: Seconds for one Bot API call, including the rate limiter's waits and retries.
CALL_TIMEOUT = 60.0


class TelegramMessenger:
    """Sends Bot API method calls (``{"method": ..., **params}``) with one Bot on one loop."""

    def __init__(self, token: str, api_url: str = "https://api.telegram.org", timeout: float = 15.0, max_retries: int = 3) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="telegram-messenger", daemon=True)
        self._thread.start()
        request = HTTPXRequest(connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout, pool_timeout=timeout)
        polling = HTTPXRequest(connect_timeout=timeout, read_timeout=timeout + 60, write_timeout=timeout, pool_timeout=timeout)
        self.bot = ExtBot(
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

    def call(self, call: dict[str, Any], timeout: float = CALL_TIMEOUT) -> Any:
        """Make one Bot API call; raises telegram.error.TelegramError on failure."""
        self._ensure_started()
        params = {key: value for key, value in call.items() if key != "method"}
        return self._run(self.bot.do_api_request(call["method"], api_kwargs=params), timeout)

    def call_many(self, calls: list[dict[str, Any]], timeout: float = 600.0) -> list[Any]:
        """Make many calls concurrently under the rate limiter; each result is the call's result
        or the exception it raised (one failure never stops the rest)."""
        self._ensure_started()

        async def send_all() -> list[Any]:
            tasks = [
                self.bot.do_api_request(call["method"], api_kwargs={k: v for k, v in call.items() if k != "method"})
                for call in calls
            ]
            return await asyncio.gather(*tasks, return_exceptions=True)

        return self._run(send_all(), timeout)

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


def messenger_for(parts: Parts) -> TelegramMessenger | None:
    """The configured messenger (one per Parts), or None without ``TELEGRAM_BOT_TOKEN``."""
    settings = parts.settings
    if not settings.telegram_bot_token:
        return None
    if "telegram_messenger" not in parts.extras:
        parts.extras["telegram_messenger"] = TelegramMessenger(settings.telegram_bot_token, settings.telegram_api_url, settings.alpaca_timeout_seconds)
    return parts.extras["telegram_messenger"]  # type: ignore[return-value]


def send_quietly(parts: Parts, calls: list[dict[str, Any]]) -> None:
    """Send follow-up calls when a messenger is configured; log failures instead of raising."""
    messenger = messenger_for(parts)
    if messenger is None or not calls:
        return
    for call in calls:
        try:
            messenger.call(call)
        except (TelegramError, TimeoutError, RuntimeError) as error:
            logger.warning("telegram call failed", extra={"method": call.get("method"), "error": str(error)})


__all__ = ["TelegramMessenger", "messenger_for", "send_quietly", "Forbidden", "TelegramError"]
