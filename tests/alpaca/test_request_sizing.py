"""Requests at the floor, over the real SDK and real HTTP: whole pages, the URL cap, no bar lost."""
from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Iterator

import pandas as pd
import pytest
import requests

from shared.adapters.alpaca import AlpacaMarketData
from shared.adapters.formats import bars_csv_by_day
from shared.adapters.bar_requests import MAX_URL_BYTES, PAGE_LIMIT, minimum_requests
from shared.adapters.market_data import normalise_bars
from shared.adapters.universe import load_universe
from shared.config import Settings
from tests.conftest import AS_OF
from tests.emulators.alpaca import AlpacaEmulator, random_walk_bars
from tests.emulators.alpaca_assets import generate_assets
from tests.fakes import FakeTime

from .conftest import on_emulator

FIVE_YEARS_AGO = AS_OF - timedelta(days=5 * 365)
LONG_HISTORY = [f"LONG{a}{b}" for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJ"]


@pytest.fixture(scope="module")
def russell() -> list[str]:
    return load_universe()["symbol"].tolist()


@pytest.fixture(scope="module")
def wide_emulator(russell: list[str]) -> Iterator[AlpacaEmulator]:
    """The Russell 1000 over the last 180 days, plus 100 symbols over five years."""
    bars = pd.concat(
        [random_walk_bars(russell, AS_OF - timedelta(days=200), AS_OF), random_walk_bars(LONG_HISTORY, FIVE_YEARS_AGO, AS_OF)],
        ignore_index=True,
    )
    with AlpacaEmulator(bars, clock=FakeTime().time) as server:
        yield server


@pytest.fixture
def sized(settings: Settings, wide_emulator: AlpacaEmulator, fake_time: FakeTime) -> AlpacaMarketData:
    """The adapter with its default sizing (no cap on symbols per request), on the wide emulator."""
    wide_emulator.requests.clear()
    wide_emulator.faults = type(wide_emulator.faults)()
    configured = on_emulator(settings, wide_emulator, alpaca_timeout_seconds=5.0)
    return AlpacaMarketData(configured, sleep=fake_time.sleep, clock=fake_time.time, wall_clock=fake_time.time)


def served(emulator: AlpacaEmulator, symbols: list[str], start: date, end: date) -> pd.DataFrame:
    bars = emulator.bars
    rows = bars[bars["symbol"].isin(symbols) & bars["date"].between(pd.Timestamp(start), pd.Timestamp(end))]
    return normalise_bars(rows.drop(columns="t"))


@pytest.mark.slow
def test_a_backfill_takes_the_floor_and_loses_nothing(sized: AlpacaMarketData, wide_emulator: AlpacaEmulator, russell: list[str]) -> None:
    start = AS_OF - timedelta(days=179)
    result = sized.fetch_bars(russell, start, AS_OF)
    want = served(wide_emulator, russell, start, AS_OF)
    pd.testing.assert_frame_equal(result.bars, want)
    floor = math.ceil(len(want) / PAGE_LIMIT)
    seen = wide_emulator.data_requests()
    assert len(seen) == floor == result.stats["minimum_requests"] == result.stats["requests"]
    assert all(r.params["limit"] == "10000" and r.status == 200 for r in seen)
    assert not result.failed and not result.unknown
    # Every day object was rendered while the fetch waited, byte for byte what storing writes.
    assert result.rendered is not None
    for day, data in bars_csv_by_day(result.bars):
        assert result.rendered.day_rows(day, want[want["date"] == pd.Timestamp(day)].reset_index(drop=True)) == data.partition(b"\n")[2]


def test_a_daily_run_takes_one_request(sized: AlpacaMarketData, wide_emulator: AlpacaEmulator, russell: list[str]) -> None:
    for first in (AS_OF, AS_OF - timedelta(days=1)):  # one session, then a missed day too
        wide_emulator.requests.clear()
        result = sized.fetch_bars(russell, first, AS_OF)
        pd.testing.assert_frame_equal(result.bars, served(wide_emulator, russell, first, AS_OF))
        assert len(wide_emulator.data_requests()) == 1


@pytest.mark.slow
def test_a_long_range_stays_within_two_percent_of_the_floor(sized: AlpacaMarketData, wide_emulator: AlpacaEmulator) -> None:
    result = sized.fetch_bars(LONG_HISTORY, FIVE_YEARS_AGO, AS_OF)
    want = served(wide_emulator, LONG_HISTORY, FIVE_YEARS_AGO, AS_OF)
    pd.testing.assert_frame_equal(result.bars, want)
    floor = math.ceil(len(want) / PAGE_LIMIT)
    assert floor <= len(wide_emulator.data_requests()) <= floor * 1.02 + 1


def test_ten_thousand_symbols_a_day_stay_within_the_url_cap(settings: Settings, fake_time: FakeTime) -> None:
    symbols = [asset["symbol"] for asset in generate_assets() if asset["status"] == "active" and asset["tradable"] and asset["exchange"] != "OTC"]
    assert len(symbols) == 10_000
    bars = random_walk_bars(symbols, AS_OF - timedelta(days=1), AS_OF)
    with AlpacaEmulator(bars, clock=fake_time.time) as server:
        configured = on_emulator(settings, server)
        result = AlpacaMarketData(configured, sleep=fake_time.sleep, clock=fake_time.time).fetch_bars(symbols, AS_OF, AS_OF)
        seen = server.data_requests()
    assert len(result.bars) == 10_000 and not result.failed and not result.unknown
    assert all(r.status == 200 for r in seen)
    assert max(r.url_bytes for r in seen) + len(server.url) <= MAX_URL_BYTES
    assert len(seen) == minimum_requests(symbols, 1)


def test_the_emulator_refuses_a_url_over_8_kb(wide_emulator: AlpacaEmulator, russell: list[str]) -> None:
    headers = {"APCA-API-KEY-ID": wide_emulator.key_id, "APCA-API-SECRET-KEY": wide_emulator.secret_key}
    params = {"symbols": ",".join(russell + [f"X{i:04d}" for i in range(500)]), "timeframe": "1Day"}
    response = requests.get(f"{wide_emulator.url}/v2/stocks/bars", params=params, headers=headers, timeout=5)
    assert response.status_code == 414
