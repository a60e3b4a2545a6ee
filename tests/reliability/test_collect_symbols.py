"""One bad symbol stays one bad symbol (issue 11, item 9): the breaker counts planned requests
only, a day whose failures are the same symbols three runs in a row (or that is three sessions
old) is stored without them, and a later fetch adds them without rewriting the day."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from shared.adapters.alpaca import AlpacaMarketData
from shared.adapters.market_data import SimulatedMarketData
from shared.adapters.symbol_history import SymbolHistory
from shared.adapters.universe import load_universe
from shared.core.analytics import build_report, compute_drawdowns
from shared.core.bars import normalise_bars
from tests.alpaca.conftest import on_emulator
from tests.conftest import AS_OF, FIXED_NOW, SMALL_UNIVERSE, morning_after
from tests.emulators.alpaca import AlpacaEmulator
from tests.fakes import FakeTime, RecordingMarketData
from tests.reliability.store_kit import audit_clean, print_figures, record, store, wired  # noqa: F401 - fixtures

START = date(2026, 11, 20)


@pytest.mark.parametrize("bad_count", [1, 5])
def test_isolating_bad_symbols_never_opens_the_breaker_for_the_rest(settings, bad_count: int) -> None:
    symbols = load_universe()["symbol"].tolist()[:1000]
    bars = SimulatedMarketData().fetch_bars(symbols, START, AS_OF).bars
    bad = set(symbols[100::200][:bad_count])  # one in each of the first chunks of 200
    fake_time = FakeTime()
    with AlpacaEmulator(bars, clock=fake_time.time) as emulator:
        emulator.faults.failing_symbols = bad
        tuned = on_emulator(settings, emulator, alpaca_chunk_size=200, alpaca_breaker_threshold=5, alpaca_retries=1, alpaca_backoff_seconds=0.01, alpaca_workers=2)
        result = AlpacaMarketData(tuned, sleep=fake_time.sleep, clock=fake_time.time, wall_clock=fake_time.time).fetch_bars(symbols, START, AS_OF)
    record(__name__, cases=len(symbols), failures=len(set(result.failed) - bad))
    assert set(result.failed) == bad  # and no "circuit open" for anyone else
    assert set(result.bars["symbol"]) == set(symbols) - bad


def test_a_recent_day_is_stored_without_the_same_failing_symbol_on_the_third_run(settings, store) -> None:
    flaky = RecordingMarketData(failing={"JPM"})
    ticks = itertools.count()  # runs are told apart by the time they start, as in production
    container = wired(settings, store, market_data=flaky, clock=lambda: FIXED_NOW + timedelta(seconds=next(ticks)))
    container.collection.collect(date(2026, 11, 25))  # history, all whole but for JPM's old days
    day = AS_OF
    key = f"bars/{day.isoformat()}.csv"
    first = container.collection.collect(day)
    assert not store.exists(key) and day.isoformat() not in first.omitted
    second = container.collection.collect(day)
    assert not store.exists(key) and day.isoformat() not in second.omitted
    third = container.collection.collect(day)
    assert store.exists(key) and third.omitted[day.isoformat()] == ["JPM"]  # the manifest lists it
    assert "JPM" not in set(container.archive.read_bars([day])["symbol"])
    original = store.get(key)
    flaky.failing.clear()
    healed = container.collection.collect(day)
    assert any(addition.startswith(f"additions/{day.isoformat()}.") for addition in healed.additions)
    assert store.get(key) == original  # the day itself is never rewritten
    merged = container.archive.read_bars([day])
    assert set(merged["symbol"]) == set(SMALL_UNIVERSE) and not merged.duplicated(["symbol", "date"]).any()
    assert SymbolHistory(store).bars("JPM", [day])["date"].tolist() == [pd.Timestamp(day)]  # the symbol page reads additions too
    assert container.collection.collect(day).additions == []  # added once
    audit_clean(container)
    record(__name__, cases=5)


def test_different_failures_each_run_keep_a_recent_day_open(settings, store) -> None:
    for hour, symbols in enumerate(({"JPM"}, {"KO"}, {"JPM"})):
        container = wired(settings, store, market_data=RecordingMarketData(failing=symbols), clock=lambda hour=hour: FIXED_NOW + timedelta(hours=hour))
        container.collection.collect(AS_OF)
    assert not store.exists(f"bars/{AS_OF.isoformat()}.csv")
    record(__name__)


def test_a_day_three_sessions_old_is_stored_without_them_at_once(settings, store) -> None:
    day = date(2026, 11, 20)
    container = wired(settings, store, market_data=RecordingMarketData(failing={"KO", "XOM"}), clock=lambda: morning_after(date(2026, 11, 25)))
    summary = container.collection.collect(day)
    assert summary.omitted[day.isoformat()] == ["KO", "XOM"] and store.exists(f"bars/{day.isoformat()}.csv")
    assert store.exists(f"omitted/{day.isoformat()}.json")
    record(__name__)


def test_a_symbol_whose_only_close_is_nan_does_not_break_the_report() -> None:
    bars = normalise_bars(
        pd.DataFrame(
            {
                "symbol": ["AAA", "AAA", "BBB"],
                "date": pd.to_datetime([AS_OF - timedelta(days=1), AS_OF, AS_OF]),
                "open": [1.0, 1.0, np.nan],
                "high": [1.0, 1.0, np.nan],
                "low": [1.0, 1.0, np.nan],
                "close": [2.0, 1.0, np.nan],
                "volume": [10, 10, 10],
            }
        )
    )
    drawdowns = compute_drawdowns(bars, AS_OF)
    assert drawdowns.set_index("symbol").loc["BBB", "days_since_peak"] == 0
    universe = pd.DataFrame({"symbol": ["AAA", "BBB"], "name": ["A", "B"], "sector": ["Energy", "Energy"]})
    report = build_report(bars, universe, AS_OF, 180).set_index("symbol")
    assert pd.isna(report.loc["BBB", "rank"]) and "bad_price" in report.loc["BBB", "flags"]
    record(__name__)
