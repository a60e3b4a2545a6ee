"""Pushed messages through the Bot API emulator: the digest under a 429, watch alerts, admin alerts."""
from __future__ import annotations

from shared.bootstrap import bootstrap
from shared.services import bot_state as state
from shared.bot.notifications import notify_after_collection, notify_latest_run
from shared.services.collection import collect
from tests.bot.conftest import ADMIN_CHAT, close_messenger
from tests.bot.html_check import check_html
from tests.conftest import AS_OF, SMALL_UNIVERSE, fixed_clock
from tests.fakes import RecordingMarketData


def test_digest_reaches_100_subscribers_through_a_429(bot_parts, emulator) -> None:
    chats = list(range(5001, 5101))
    for chat in chats:
        state.subscribe(bot_parts, chat, "2026-11-28")
    emulator.fail("sendMessage", times=2, retry_after=1)
    sent = notify_latest_run(bot_parts)
    assert sent["digest"] == 100
    delivered = emulator.of("sendMessage")
    assert sorted(int(call.params["chat_id"]) for call in delivered) == chats  # each exactly once
    assert len(emulator.of("sendMessage", status=429)) == 2
    text = delivered[0].params["text"]
    assert "top 8" in check_html(text) and "as of 2026-11-27 close" in check_html(text)


def test_blocked_subscriber_is_dropped(bot_parts, emulator, monkeypatch) -> None:
    state.subscribe(bot_parts, 42, "2026-11-28")
    state.subscribe(bot_parts, 43, "2026-11-28")
    original = emulator._result

    def forbid(method, params):  # noqa: ANN001, ANN202
        if method == "sendMessage" and int(params["chat_id"]) == 43:
            return None  # answered 404 by the emulator: any failure, not only 403, is logged
        return original(method, params)

    monkeypatch.setattr(emulator, "_result", forbid)
    assert notify_latest_run(bot_parts)["digest"] == 1
    assert state.subscribers(bot_parts) == [42, 43]  # only "blocked by the user" (403) unsubscribes


def test_watch_alert_once_a_day(bot_parts, emulator) -> None:
    deepest = bot_parts.archive.read_report(AS_OF).iloc[0]
    state.set_watch(bot_parts, 77, deepest["symbol"], abs(float(deepest["drawdown_pct"])) - 0.5)
    state.set_watch(bot_parts, 77, "ZZZ", 1.0)  # a symbol not in the report is skipped
    state.set_watch(bot_parts, 78, deepest["symbol"], 99.0)  # not reached
    assert notify_latest_run(bot_parts)["watches"] == 1
    (alert,) = [call for call in emulator.of("sendMessage") if int(call.params["chat_id"]) == 77]
    assert deepest["symbol"] in check_html(alert.params["text"])
    assert state.watches(bot_parts)[77][deepest["symbol"]]["last_sent"] == "2026-11-27"
    assert notify_latest_run(bot_parts)["watches"] == 0


def test_partial_run_alerts_the_admin(bot_settings, emulator) -> None:
    parts = bootstrap(bot_settings, clock=fixed_clock, market_data=RecordingMarketData(failing={"KO"}))
    try:
        summary = collect(parts)
        assert summary.outcome == "partial"
        sent = notify_after_collection(parts, summary.manifest())
        assert sent["admin"] == 1
        (alert,) = [call for call in emulator.of("sendMessage") if int(call.params["chat_id"]) == ADMIN_CHAT]
        text = check_html(alert.params["text"])
        assert "partial" in text and "KO" in text and "HTTP 503" in text
    finally:
        close_messenger(parts)


def test_no_token_sends_nothing(bot_parts, emulator) -> None:
    bot_parts.settings = bot_parts.settings.with_overrides(telegram_bot_token=None)
    state.subscribe(bot_parts, 1, "2026-11-28")
    assert notify_latest_run(bot_parts) == {"admin": 0, "digest": 0, "watches": 0}
    assert emulator.calls == []


def test_digest_carries_what_changed(bot_parts, emulator) -> None:
    from datetime import date

    collect(bot_parts, date(2026, 11, 30))
    state.subscribe(bot_parts, 1, "2026-11-30")
    notify_latest_run(bot_parts)
    (call,) = emulator.of("sendMessage")
    text = check_html(call.params["text"])
    assert "What changed" in text and "since 2026-11-27" in text


def test_failed_run_alerts_the_admin(bot_settings, emulator) -> None:
    import pytest

    from shared.errors import NothingCollected

    parts = bootstrap(bot_settings, clock=fixed_clock, market_data=RecordingMarketData(failing=set(SMALL_UNIVERSE)))
    try:
        with pytest.raises(NothingCollected):
            collect(parts)
        assert notify_latest_run(parts) == {"admin": 1, "digest": 0, "watches": 0}
        (alert,) = emulator.of("sendMessage")
        assert "collection failed" in check_html(alert.params["text"])
    finally:
        close_messenger(parts)
