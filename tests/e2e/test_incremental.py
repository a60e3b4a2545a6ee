"""Incremental collection: only missing days are fetched, gaps fill, failed days are not frozen."""
from __future__ import annotations

from datetime import date

from shared.bootstrap import bootstrap
from tests.conftest import fixed_clock
from tests.fakes import RecordingMarketData


def test_second_day_fetches_only_the_new_day(settings) -> None:
    source = RecordingMarketData()
    container = bootstrap(settings, market_data=source, clock=fixed_clock)
    container.collection.collect(date(2026, 11, 24))
    first_days = set(container.archive.stored_days("bars"))
    summary = container.collection.collect(date(2026, 11, 25))
    assert source.requests[-1][1:] == (date(2026, 11, 25), date(2026, 11, 25))
    assert summary.days_written == ["2026-11-25"]
    assert set(container.archive.stored_days("bars")) - first_days == {date(2026, 11, 25)}


def test_a_missed_run_is_filled_on_the_next(settings) -> None:
    source = RecordingMarketData()
    container = bootstrap(settings, market_data=source, clock=fixed_clock)
    container.collection.collect(date(2026, 11, 19))
    summary = container.collection.collect(date(2026, 11, 25))  # the runs of the 20th to the 24th were missed
    assert summary.days_written == ["2026-11-20", "2026-11-23", "2026-11-24", "2026-11-25"]


def test_failed_symbols_leave_the_day_unstored_and_the_next_run_fills_it(settings) -> None:
    flaky = RecordingMarketData()
    container = bootstrap(settings, market_data=flaky, clock=fixed_clock)
    container.collection.collect(date(2026, 11, 24))
    flaky.failing = {"JPM"}
    summary = container.collection.collect(date(2026, 11, 25))
    assert summary.outcome == "partial"
    assert summary.failed == {"JPM": "HTTP 503 after retries"}
    assert "JPM" not in summary.missing
    assert date(2026, 11, 25) not in container.archive.stored_days("bars")
    assert summary.ranked == 7

    flaky.failing.clear()
    healed = container.collection.collect(date(2026, 11, 25))
    assert healed.days_written == ["2026-11-25"]
    stored = container.archive.read_bars([date(2026, 11, 25)])
    assert "JPM" in set(stored["symbol"])


def test_backfill_stores_history_once(settings) -> None:
    source = RecordingMarketData()
    container = bootstrap(settings, market_data=source, clock=fixed_clock)
    summary = container.collection.backfill(start=date(2026, 1, 2), end=date(2026, 3, 31))
    assert summary.outcome == "complete"
    assert len(summary.days_written) == 61  # NYSE sessions from Jan 2 to Mar 31, 2026
    again = container.collection.backfill(days=30, end=date(2026, 3, 31))
    assert again.days_fetched == [] and again.days_written == []
    assert len(source.requests) == 1
