"""Alpaca's split announcements over real HTTP against the emulator: the wire format, the
90-day windows, and a failure that never fails the collection."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from shared.adapters.alpaca import AlpacaMarketData
from shared.adapters.alpaca_actions import MAX_SPAN_DAYS, MAX_WAIT_SECONDS, AlpacaSplitAnnouncements, announcement_windows, splits_from_announcements
from shared.bootstrap import bootstrap
from shared.errors import MarketDataError
from tests.conftest import AS_OF, fixed_clock


def test_announced_splits_come_back_with_their_ratios(alpaca_settings, emulator, fake_time) -> None:
    emulator.splits = {"NVDA": (date(2026, 11, 16), 4.0), "KO": (date(2026, 3, 2), 0.1), "AAPL": (date(2025, 1, 6), 2.0)}
    found = AlpacaSplitAnnouncements(alpaca_settings, sleep=fake_time.sleep).splits(["NVDA", "KO", "MSFT"], date(2026, 1, 1), date(2026, 11, 27))
    assert found.to_dict(orient="list") == {
        "symbol": ["KO", "NVDA"],
        "ex_date": [pd.Timestamp("2026-03-02"), pd.Timestamp("2026-11-16")],
        "ratio": [pytest.approx(0.1), 4.0],
    }
    asked = [r for r in emulator.requests if r.path == "/v2/corporate_actions/announcements"]
    assert len(asked) == len(announcement_windows(date(2026, 1, 1), date(2026, 11, 27))) == 4
    assert all(r.status == 200 and r.params["ca_types"] == "split" for r in asked)
    spans = [(date.fromisoformat(r.params["until"]) - date.fromisoformat(r.params["since"])).days + 1 for r in asked]
    assert max(spans) <= MAX_SPAN_DAYS and sum(spans) == (date(2026, 11, 27) - date(2026, 1, 1)).days + 1


def test_the_windows_are_asked_at_once(alpaca_settings, emulator, fake_time) -> None:
    # Four 90-day windows over a host 0.3 s away: asked one after another, no request would
    # ever meet another in the emulator; asked at once, they overlap.
    emulator.faults.latency = 0.3
    emulator.splits = {"NVDA": (date(2026, 11, 16), 4.0), "KO": (date(2026, 3, 2), 0.1)}
    found = AlpacaSplitAnnouncements(alpaca_settings, sleep=fake_time.sleep).splits(["NVDA", "KO"], date(2026, 1, 1), date(2026, 11, 27))
    assert list(found["symbol"]) == ["KO", "NVDA"]
    asked = [r for r in emulator.requests if r.path == "/v2/corporate_actions/announcements"]
    assert len(asked) == 4 and all(r.status == 200 for r in asked)
    assert max(r.in_flight for r in asked) >= 2


def test_rejected_keys_are_a_market_data_error(alpaca_settings, emulator, fake_time) -> None:
    wrong = alpaca_settings.with_overrides(alpaca_key_id="PKWRONG")
    with pytest.raises(MarketDataError, match="403"):
        AlpacaSplitAnnouncements(wrong, sleep=fake_time.sleep).splits(["NVDA"], date(2026, 1, 1), date(2026, 2, 1))


def test_a_rate_limit_is_not_waited_out(alpaca_settings, emulator, fake_time) -> None:
    emulator.faults.per_minute = 0  # every request answers 429 with Retry-After up to a minute
    waits: list[float] = []
    source = AlpacaSplitAnnouncements(alpaca_settings, sleep=waits.append)
    with pytest.raises(MarketDataError, match="wait|429"):
        source.splits(["NVDA"], date(2026, 1, 1), date(2026, 2, 1))
    assert sum(waits) <= MAX_WAIT_SECONDS
    assert len([r for r in emulator.requests if r.path == "/v2/corporate_actions/announcements"]) <= 2


def test_entries_that_are_not_usable_splits_are_left_out() -> None:
    entries = [
        {"ca_type": "dividend", "target_symbol": "KO", "ex_date": "2026-01-05", "old_rate": "1", "new_rate": "2"},
        {"ca_type": "split", "target_symbol": "KO", "ex_date": "not a date", "old_rate": "1", "new_rate": "2"},
        {"ca_type": "split", "target_symbol": "KO", "ex_date": "2026-01-05", "old_rate": "0", "new_rate": "2"},
        {"ca_type": "split", "initiating_symbol": "KO", "ex_date": "2026-01-06", "old_rate": "2", "new_rate": "3"},
        "garbage",
    ]
    found = splits_from_announcements(entries, ["KO"])  # type: ignore[list-item]
    assert found.to_dict(orient="list") == {"symbol": ["KO"], "ex_date": [pd.Timestamp("2026-01-06")], "ratio": [1.5]}


def test_announcements_failing_never_fail_the_collection(alpaca_settings, emulator, fake_time) -> None:
    emulator.splits = {"NVDA": (date(2026, 11, 16), 4.0)}
    settings = alpaca_settings.with_overrides(lookback_days=30, alpaca_adjustment="raw", alpaca_base_url="http://127.0.0.1:9")
    data = AlpacaMarketData(settings, sleep=fake_time.sleep, clock=fake_time.time, wall_clock=fake_time.time)
    container = bootstrap(settings, market_data=data, clock=fixed_clock)
    summary = container.collection.collect(AS_OF)
    assert summary.outcome == "complete"
    report = container.archive.read_report(AS_OF).set_index("symbol")
    assert "split_adjusted" in report.loc["NVDA", "flags"]  # the volume confirms it on its own
