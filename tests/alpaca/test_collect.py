"""The collector over Alpaca (real SDK, real HTTP, the emulator): what ends up stored."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pandas as pd
import pytest

from shared.adapters.alpaca import AlpacaAuthError, AlpacaMarketData
from shared.adapters.archive import positions_key
from shared.bootstrap import bootstrap
from shared.core.analytics import build_report
from shared.errors import NothingCollected
from shared.core.trading_calendar import trading_days
from tests.conftest import AS_OF, SMALL_UNIVERSE, fixed_clock

POSITIONS = [
    {"symbol": "AAPL", "qty": "10", "side": "long", "avg_entry_price": "150.5", "current_price": "180.25", "lastday_price": "179",
     "market_value": "1802.5", "cost_basis": "1505", "unrealized_pl": "297.5", "unrealized_plpc": "0.1976744", "change_today": "0.007"},
    {"symbol": "KO", "qty": "3", "side": "long", "avg_entry_price": "60", "current_price": "57", "lastday_price": "58",
     "market_value": "171", "cost_basis": "180", "unrealized_pl": "-9", "unrealized_plpc": "-0.05", "change_today": "-0.017"},
]


def wire(settings, fake_time, **overrides):
    settings = settings.with_overrides(**overrides)
    data = AlpacaMarketData(settings, sleep=fake_time.sleep, clock=fake_time.time, wall_clock=fake_time.time)
    return bootstrap(settings, market_data=data, clock=fixed_clock)


def window_days(container, end: date = AS_OF) -> list[date]:
    start = end - timedelta(days=container.settings.lookback_days - 1)
    return [stamp.date() for stamp in trading_days(start, end)]


def test_collect_stores_the_window_and_fetch_stats(alpaca_settings, fake_time, emulator, sim_bars) -> None:
    container = wire(alpaca_settings, fake_time, lookback_days=30)
    summary = container.collection.collect(AS_OF)
    assert summary.outcome == "complete" and summary.source == "alpaca"
    days = window_days(container)
    assert container.archive.stored_days("bars") == days
    stored = container.archive.read_bars(days)
    want = sim_bars[sim_bars["date"].between(pd.Timestamp(days[0]), pd.Timestamp(AS_OF))]
    assert len(stored) == len(want) == len(days) * len(SMALL_UNIVERSE)
    assert stored["close"].sum() == pytest.approx(want["close"].sum())
    run = container.archive.latest_run("collect")
    for counter in ("requests", "retries", "rate_limited", "bytes", "pages", "duration_s"):
        assert counter in run["fetch"], counter
    assert run["fetch"]["requests"] == len(emulator.data_requests()) == 3
    assert run["fetch"]["bytes"] > 1000


def test_daily_run_fetches_only_the_new_day_and_fills_gaps(alpaca_settings, fake_time, emulator) -> None:
    container = wire(alpaca_settings, fake_time, lookback_days=30)
    container.collection.collect(date(2026, 11, 18))
    emulator.requests.clear()
    container.collection.collect(date(2026, 11, 20))  # 11-19 and 11-20 are new
    assert {r.params["start"] for r in emulator.data_requests()} == {"2026-11-19T00:00:00Z"}
    assert {r.params["end"] for r in emulator.data_requests()} == {"2026-11-20T23:59:59Z"}
    emulator.requests.clear()
    # 11-23 .. 11-25 were missed (no run); 11-26 is Thanksgiving.
    summary = container.collection.collect(AS_OF)
    assert {r.params["start"] for r in emulator.data_requests()} == {"2026-11-23T00:00:00Z"}
    assert summary.days_written == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-27"]
    assert len(emulator.data_requests()) == 3
    emulator.requests.clear()
    again = container.collection.collect(AS_OF)
    assert emulator.data_requests() == [] and again.days_written == []


def test_a_failing_symbol_never_takes_the_rest_down(alpaca_settings, fake_time, emulator) -> None:
    container = wire(alpaca_settings, fake_time, lookback_days=30)
    emulator.faults.failing_symbols = {"KO"}
    summary = container.collection.collect(AS_OF)
    assert summary.outcome == "partial" and list(summary.failed) == ["KO"]
    assert summary.ranked + summary.excluded == len(SMALL_UNIVERSE) - 1
    # The last 3 sessions are not frozen without KO; older days are stored without it, and say so.
    recent = window_days(container)[-3:]
    assert container.archive.stored_days("bars") == window_days(container)[:-3]
    assert set(summary.omitted) == {day.isoformat() for day in window_days(container)[:-3]}
    assert all(symbols == ["KO"] for symbols in summary.omitted.values())
    assert "KO" not in set(container.archive.read_bars(window_days(container)[:-3])["symbol"])
    emulator.faults.failing_symbols = set()
    retry = container.collection.collect(AS_OF)
    assert not retry.failed and retry.days_written == [day.isoformat() for day in recent]
    assert len(retry.additions) == len(summary.omitted)  # KO added to each older day, never rewriting it
    stored = container.archive.read_bars(window_days(container))
    assert set(stored["symbol"]) == set(SMALL_UNIVERSE)
    assert not stored.duplicated(["symbol", "date"]).any()


def test_breaker_open_fails_the_run_and_the_next_run_recovers(alpaca_settings, fake_time, emulator) -> None:
    container = wire(alpaca_settings, fake_time, lookback_days=30)
    emulator.faults.statuses = [503] * 1000
    with pytest.raises(NothingCollected):
        container.collection.collect(AS_OF)
    run = container.archive.latest_run("collect")
    assert run["outcome"] == "failed" and len(run["failed"]) == len(SMALL_UNIVERSE)
    assert container.archive.stored_days("bars") == [] and container.archive.stored_days("reports") == []
    emulator.faults.statuses = []
    assert container.collection.collect(AS_OF).outcome == "complete"
    assert container.archive.stored_days("bars") == window_days(container)


def test_rejected_keys_fail_the_run_with_the_reason(alpaca_settings, fake_time, emulator) -> None:
    container = wire(alpaca_settings, fake_time, alpaca_key_id="PKWRONG")
    with pytest.raises(AlpacaAuthError):
        container.collection.collect(AS_OF)
    run = container.archive.latest_run("collect")
    assert run["outcome"] == "failed" and "403" in run["error"]
    assert container.archive.stored_days("bars") == []


def test_unadjusted_split_is_repaired_and_ranked(alpaca_settings, fake_time, emulator) -> None:
    # Raw prices divide by 4 on the split day and share volume quadruples (dollar volume carries
    # on): the split is confirmed, undone for the report, and NVDA keeps its rank.
    emulator.splits = {"NVDA": (date(2026, 11, 16), 4.0)}
    container = wire(alpaca_settings, fake_time, lookback_days=30, alpaca_adjustment="raw")
    container.collection.collect(AS_OF)
    report = container.archive.read_report(AS_OF).set_index("symbol")
    assert "split_adjusted" in report.loc["NVDA", "flags"] and "split_suspect" not in report.loc["NVDA", "flags"]
    assert pd.notna(report.loc["NVDA", "rank"])
    adjusted = build_report(emulator.bars.drop(columns="t"), container.universe, AS_OF, 30).set_index("symbol")
    assert report.loc["NVDA", "drawdown_pct"] == pytest.approx(adjusted.loc["NVDA", "drawdown_pct"], abs=1e-6)
    stored = container.archive.read_bars([date(2026, 11, 13)])
    assert stored.loc[stored["symbol"] == "NVDA", "close"].item() > 4 * report.loc["NVDA", "close"] * 0.5  # stored bars stay raw


def test_positions_snapshot_is_stored_once_a_day(alpaca_settings, fake_time, emulator) -> None:
    emulator.positions = POSITIONS
    container = wire(alpaca_settings, fake_time, lookback_days=30)
    summary = container.collection.collect(AS_OF)
    assert summary.positions == positions_key(AS_OF)
    first = container.store.get(positions_key(AS_OF))
    snapshot = pd.read_csv(io.BytesIO(first))
    assert list(snapshot["symbol"]) == ["AAPL", "KO"]
    assert snapshot.loc[0, "unrealized_plpc"] == pytest.approx(0.1976744)
    emulator.positions = POSITIONS[:1]
    again = container.collection.collect(AS_OF)
    assert "kept" in again.positions
    assert container.store.get(positions_key(AS_OF)) == first


def test_no_keys_no_snapshot(settings) -> None:
    container = bootstrap(settings.with_overrides(lookback_days=30), clock=fixed_clock)
    assert container.collection.collect(AS_OF).positions == ""
    assert container.archive.stored_days("positions") == []


def test_backfill_fills_history_for_the_universe(alpaca_settings, fake_time, emulator) -> None:
    container = wire(alpaca_settings, fake_time)
    summary = container.collection.backfill(end=AS_OF, days=60)
    days = [stamp.date() for stamp in trading_days(AS_OF - timedelta(days=59), AS_OF)]
    assert summary.outcome == "complete" and container.archive.stored_days("bars") == days
    emulator.requests.clear()
    assert container.collection.backfill(end=AS_OF, days=60).days_written == [] and emulator.data_requests() == []


FAULTS = {
    "latency": lambda f: setattr(f, "latency", 0.05),
    "5xx": lambda f: f.statuses.extend([500, 502, 503]),
    "422 once": lambda f: f.statuses.append(422),
    "429 budget": lambda f: setattr(f, "per_minute", 2),
    "hang": lambda f: (setattr(f, "hangs", 1), setattr(f, "hang_seconds", 1.5)),
    "truncated body": lambda f: setattr(f, "truncations", 2),
    "small pages": lambda f: setattr(f, "page_cap", 11),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_still_stores_exactly_the_source_data(fault, alpaca_settings, fake_time, emulator, sim_bars) -> None:
    FAULTS[fault](emulator.faults)
    container = wire(alpaca_settings, fake_time, lookback_days=20)
    summary = container.collection.collect(AS_OF)
    assert summary.outcome == "complete", summary.failed
    days = window_days(container)
    assert container.archive.stored_days("bars") == days
    stored = container.archive.read_bars(days).reset_index(drop=True)
    want = sim_bars[sim_bars["date"].between(pd.Timestamp(days[0]), pd.Timestamp(AS_OF))]
    want = want.sort_values(["symbol", "date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(stored.loc[:, list(want.columns)], want, check_dtype=False)
    assert container.archive.stored_days("reports") == [AS_OF]
