"""Rate limits that hold, and read-only commands that work from a store that cannot be written.

Button presses count towards a chat's limit like commands; the limiter's memory is bounded and
pruned; ``/help`` and ``/top`` answer even when the update's marker cannot be written.
"""
from __future__ import annotations

from collections.abc import Mapping

import errno
import io
from pathlib import Path
from typing import Any, Callable

from shared.adapters.storage import LocalStore
from shared.bootstrap import Container
from shared.bot.access import ChatRateLimiter
from shared.config import Settings
from tests.bot.conftest import ALLOWED, callback_update, client_of, message_update, sender
from tests.bot.html_check import check_call
from tests.fakes import FakeTime
from tests.reliability.bot_fixtures import log_lines
from tests.reliability.figures import record

PAGE = "top:2026-11-27:2:2:-"


def test_a_hundred_presses_in_a_burst_are_limited_like_commands(wire: Callable[..., Container], bot_settings: Settings) -> None:
    container = wire(settings=bot_settings.with_overrides(bot_commands_per_minute=20))
    presses = [container.webhook.handle(callback_update(PAGE, ALLOWED, f"q{n}", 7_000_000 + n), "http://x/") for n in range(100)]
    edits = [calls for calls in presses if calls[0]["method"] == "editMessageText"]
    toasts = [calls for calls in presses if calls[0]["method"] == "answerCallbackQuery" and "Easy there" in calls[0].get("text", "")]
    record("button presses in a burst", f"100 from one chat: {len(edits)} answered with an edit, {len(toasts)} told to slow down, {100 - len(edits) - len(toasts)} only acknowledged")
    assert len(edits) == 20 and len(toasts) == 1
    assert all(calls == [{"method": "answerCallbackQuery", "callback_query_id": f"q{n}"}] for n, calls in enumerate(presses) if n > 20)
    assert container.webhook.handle(message_update("/help", ALLOWED, update_id=7_999_999), "http://x/") == []  # commands share the window


def test_presses_and_commands_share_one_window(wire: Callable[..., Container], bot_settings: Settings) -> None:
    container = wire(settings=bot_settings.with_overrides(bot_commands_per_minute=3))
    handle = container.webhook.handle
    assert handle(message_update("/help", ALLOWED, update_id=8_000_000), "http://x/")[0]["method"] == "sendMessage"
    assert handle(callback_update(PAGE, ALLOWED, "a", 8_000_001), "http://x/")[0]["method"] == "editMessageText"
    assert handle(message_update("/top", ALLOWED, update_id=8_000_002), "http://x/")[0]["method"] == "sendMessage"
    warned = handle(message_update("/top", ALLOWED, update_id=8_000_003), "http://x/")
    assert "at most 3 commands a minute" in check_call(warned[0])


def test_the_limiter_memory_is_bounded_and_pruned() -> None:
    clock = FakeTime(start=0.0)
    limiter = ChatRateLimiter(5, clock=clock.time, max_chats=1000)
    for chat in range(100_000):
        limiter.admit(chat)
    assert len(limiter) == 1000  # never more than max_chats
    clock.sleep(61.0)
    limiter.admit(-1)
    assert len(limiter) == 1  # every idle chat pruned by the next admission
    record("rate limiter memory", "100,000 chats in a minute: 1,000 remembered (the cap); a minute later: 1")


def test_an_evicted_or_idle_chat_starts_a_fresh_window() -> None:
    clock = FakeTime(start=0.0)
    limiter = ChatRateLimiter(1, clock=clock.time, max_chats=10)
    assert [limiter.admit(7), limiter.admit(7), limiter.admit(7)] == ["ok", "warn", "drop"]
    clock.sleep(30.0)
    assert limiter.admit(7) == "drop"  # still inside its minute: remembered, not pruned
    clock.sleep(31.0)
    assert limiter.admit(7) == "ok"


# --- read-only store --------------------------------------------------------------------------


class ReadOnlyStore:
    """A store on a read-only file system: reads work, every write fails as the kernel says."""

    def __init__(self, root: str) -> None:
        self._disk = LocalStore(root)
        self.location = self._disk.location

    def get(self, key: str) -> bytes:
        return self._disk.get(key)

    def get_with_etag(self, key: str) -> tuple[bytes, str]:
        return self._disk.get_with_etag(key)

    def get_with_metadata(self, key: str) -> tuple[bytes, dict[str, str]]:
        return self._disk.get_with_metadata(key)

    def exists(self, key: str) -> bool:
        return self._disk.exists(key)

    def list(self, prefix: str) -> list[str]:
        return self._disk.list(prefix)

    def versions(self, prefix: str) -> dict[str, str]:
        return self._disk.versions(prefix)

    def presigned_url(self, key: str, expires_in: int) -> str | None:
        return None

    def put_immutable(self, key: str, data: bytes, metadata: Mapping[str, str] | None = None) -> bool:
        raise OSError(errno.EROFS, "Read-only file system", key)

    def quarantine(self, key: str, note: bytes) -> str:
        raise OSError(errno.EROFS, "Read-only file system", key)

    def sweep_temporary(self, max_age_seconds: float) -> int:
        raise OSError(errno.EROFS, "Read-only file system", self.location)

    def expire(self, prefix: str, max_age_seconds: float) -> int:
        raise OSError(errno.EROFS, "Read-only file system", self.location)

    def put_pointer(self, key: str, data: bytes, expected_etag: str | None = None) -> str:
        raise OSError(errno.EROFS, "Read-only file system", key)


def _answers(container: Container) -> dict[str, Any]:
    post = sender(client_of(container))
    return {text: post(message_update(text, ALLOWED)) for text in ("/help", "/top", "/stock KO", "/watches")}


def test_read_only_commands_work_from_a_read_only_store(wire: Callable[..., Container], bot_settings: Settings, json_logs: io.StringIO) -> None:
    container = wire(store=ReadOnlyStore(bot_settings.storage))
    for text, response in _answers(container).items():
        assert response.status_code == 200
        assert "something went wrong" not in check_call(response.get_json()), text
    logged = [line for line in log_lines(json_logs) if line["message"] == "telegram update id not recorded; answering anyway"]
    assert len(logged) == 4 and "Read-only file system" in logged[0]["error"]


def test_read_only_commands_work_when_the_local_markers_cannot_be_written(wire: Callable[..., Container], bot_settings: Settings) -> None:
    container = wire()
    state = Path(bot_settings.storage) / "state"
    state.mkdir(exist_ok=True)
    (state / "updates").write_text("not a directory")  # marker files cannot be created under it
    for text, response in _answers(container).items():
        assert "something went wrong" not in check_call(response.get_json()), text
