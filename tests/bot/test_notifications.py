"""Pushed messages through the Bot API emulator: the digest under a 429, watch alerts, admin alerts."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Callable, Iterator

import pytest

from shared.bootstrap import Container, bootstrap
from shared.errors import NothingCollected
from tests.bot.conftest import ADMIN_CHAT
from tests.bot.html_check import check_html, too_wide
from tests.conftest import AS_OF, FIXED_NOW, SMALL_UNIVERSE, collect_later, fixed_clock, morning_after
from tests.fakes import RecordingMarketData


def test_digest_reaches_100_subscribers_through_a_429(bot_container, emulator) -> None:
    chats = list(range(5001, 5101))
    for chat in chats:
        bot_container.bot_state.subscribe(chat, "2026-11-28")
    emulator.fail("sendMessage", times=2, retry_after=1)
    sent = bot_container.notifier.after_latest_run()
    assert sent["digest"] == 100
    delivered = emulator.of("sendMessage")
    assert sorted(int(call.params["chat_id"]) for call in delivered) == chats  # each exactly once
    assert len(emulator.of("sendMessage", status=429)) == 2
    text = check_html(delivered[0].params["text"])
    assert text.startswith("📉 dipwatch daily · Fri 27 Nov\nsimulated\n") and "as of 2026-11-27 close" in text
    assert not too_wide(delivered[0].params["text"])
    symbols = [button["text"] for row in delivered[0].params["reply_markup"]["inline_keyboard"] for button in row]
    assert len(symbols) == 8 and all(symbol in text for symbol in symbols)  # one tap from each to /stock


def test_digest_size_is_top_n(wire, bot_settings, emulator) -> None:
    container = wire(bot_settings.with_overrides(top_n=3))
    container.bot_state.subscribe(7, "2026-11-28")
    assert container.notifier.after_latest_run()["digest"] == 1
    text = check_html(emulator.of("sendMessage")[0].params["text"])
    assert [line.split()[0] for line in text.splitlines() if line.split()[0].isdigit()] == ["1", "2", "3"]


def test_blocked_subscriber_is_dropped(bot_container, emulator) -> None:
    for chat in (42, 43, 44):
        bot_container.bot_state.subscribe(chat, "2026-11-28")
    emulator.block(43)
    assert bot_container.notifier.after_latest_run()["digest"] == 2
    assert len(emulator.of("sendMessage", status=403)) == 1
    assert bot_container.bot_state.subscribers() == [42, 44]
    assert bot_container.notifier.after_latest_run()["digest"] == 2  # the next digest does not try 43
    assert len(emulator.of("sendMessage", status=403)) == 1


def test_other_send_failures_keep_the_subscriber(bot_container, emulator) -> None:
    bot_container.bot_state.subscribe(42, "2026-11-28")
    emulator.fail("sendMessage", times=4, retry_after=0)  # one try and three retries, all refused
    assert bot_container.notifier.after_latest_run()["digest"] == 0
    assert bot_container.bot_state.subscribers() == [42]  # only "blocked by the user" (403) unsubscribes


def test_watch_alert_once_a_day(bot_container, emulator) -> None:
    report = bot_container.archive.read_report(AS_OF).sort_values("drawdown_pct")
    deepest, second = report.iloc[0], report.iloc[1]
    bot_container.bot_state.set_watch(77, deepest["symbol"], abs(float(deepest["drawdown_pct"])) - 0.5)
    bot_container.bot_state.set_watch(77, second["symbol"], abs(float(second["drawdown_pct"])) - 0.5)
    bot_container.bot_state.set_watch(77, "ZZZ", 1.0)  # a symbol not in the report is skipped
    bot_container.bot_state.set_watch(78, deepest["symbol"], 99.0)  # not reached
    assert bot_container.notifier.after_latest_run()["watches"] == 2
    (alert,) = [call for call in emulator.of("sendMessage") if int(call.params["chat_id"]) == 77]  # one message
    text = check_html(alert.params["text"])
    assert text.startswith("🔔 2 watches hit · Fri 27 Nov") and "as of 2026-11-27 close" in text and "simulated" in text
    assert f"/s_{deepest['symbol'].replace('.', '_')} " in text and f"/s_{second['symbol'].replace('.', '_')} " in text
    assert not too_wide(alert.params["text"])
    assert bot_container.bot_state.watches()[77][deepest["symbol"]]["last_sent"] == "2026-11-27"
    assert bot_container.notifier.after_latest_run()["watches"] == 0


@pytest.fixture
def fresh(bot_settings) -> Iterator[Callable[..., Container]]:
    """Builds containers over an empty store (a run's manifest is then the only one), closed after the test."""
    built: list[Container] = []

    def build(**parts: Any) -> Container:
        parts.setdefault("clock", fixed_clock)
        built.append(bootstrap(bot_settings, **parts))
        return built[-1]

    yield build
    for container in built:
        container.close()


def test_partial_run_alerts_the_admin(fresh, emulator) -> None:
    container = fresh(market_data=RecordingMarketData(failing={"KO"}))
    summary = container.collection.collect()
    assert summary.outcome == "partial"
    sent = container.notifier.after_collection(summary.manifest())
    assert sent["admin"] == 1
    (alert,) = [call for call in emulator.of("sendMessage") if int(call.params["chat_id"]) == ADMIN_CHAT]
    text = check_html(alert.params["text"])
    assert "partial" in text and "failed 1: KO" in text and "HTTP 503" in text


def test_the_admin_alert_names_what_changed_since_the_previous_run(fresh, emulator) -> None:
    def admin_texts() -> list[str]:
        return [check_html(call.params["text"]) for call in emulator.of("sendMessage") if int(call.params["chat_id"]) == ADMIN_CHAT]

    runs = iter(range(100))

    def run(failing: set[str], day: date) -> dict[str, int]:
        at = max(FIXED_NOW, morning_after(day)) + timedelta(hours=next(runs))  # each run later than the one before, after its session
        container = fresh(market_data=RecordingMarketData(failing=failing), clock=lambda: at)
        container.collection.collect(day)
        return container.notifier.after_latest_run()

    assert run({"KO"}, date(2026, 11, 24))["admin"] == 1
    assert run({"KO"}, date(2026, 11, 25))["admin"] == 0  # the same symbol again: nothing new to say
    assert run({"KO", "JPM", "XOM"}, date(2026, 11, 27))["admin"] == 1
    newly = admin_texts()[-1]
    assert "since the run for 2026-11-25:" in newly and "newly failed 2: JPM XOM" in newly and "still absent 1, as before" in newly
    assert "KO" not in newly  # not repeated
    assert run(set(), date(2026, 11, 30))["admin"] == 1
    recovered = admin_texts()[-1]
    assert recovered.startswith("✅ collection complete · 2026-11-30") and "recovered 3: JPM KO XOM" in recovered
    assert run(set(), date(2026, 12, 1))["admin"] == 0  # complete after complete: quiet
    assert all(not too_wide(call.params["text"]) for call in emulator.of("sendMessage"))


def test_no_token_sends_nothing(wire, bot_settings, emulator) -> None:
    container = wire(bot_settings.with_overrides(telegram_bot_token=None))
    container.bot_state.subscribe(1, "2026-11-28")
    assert container.notifier.after_latest_run() == {"admin": 0, "digest": 0, "watches": 0}
    assert emulator.calls == []


def test_digest_carries_what_changed(bot_container, emulator) -> None:
    collect_later(bot_container, date(2026, 11, 30))
    bot_container.bot_state.subscribe(1, "2026-11-30")
    bot_container.notifier.after_latest_run()
    (call,) = emulator.of("sendMessage")
    text = check_html(call.params["text"])
    assert "What changed" in text and "since 2026-11-27" in text


def test_failed_run_alerts_the_admin(fresh, emulator) -> None:
    container = fresh(market_data=RecordingMarketData(failing=set(SMALL_UNIVERSE)))
    with pytest.raises(NothingCollected):
        container.collection.collect()
    assert container.notifier.after_latest_run() == {"admin": 1, "digest": 0, "watches": 0}
    (alert,) = emulator.of("sendMessage")
    assert "collection failed" in check_html(alert.params["text"])
