"""Fixtures for the Alpaca adapter: the emulator, settings that point at it, and a fake clock."""
from __future__ import annotations

from datetime import date
from typing import Iterator

import pandas as pd
import pytest

from shared.adapters.alpaca import AlpacaMarketData
from shared.config import Settings
from shared.adapters.market_data import SimulatedMarketData
from shared.adapters.universe import load_universe
from tests.conftest import AS_OF, SMALL_UNIVERSE
from tests.emulators.alpaca import AlpacaEmulator
from tests.fakes import FakeTime

FIRST_DAY = date(2026, 5, 1)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(scope="session")
def sim_bars() -> pd.DataFrame:
    """The dataset the emulator serves: simulated bars of the small universe since May."""
    universe = load_universe()
    sectors = dict(zip(universe["symbol"], universe["sector"]))
    return SimulatedMarketData(sectors).fetch_bars(SMALL_UNIVERSE, FIRST_DAY, AS_OF).bars


@pytest.fixture
def emulator(sim_bars: pd.DataFrame, fake_time: FakeTime) -> Iterator[AlpacaEmulator]:
    with AlpacaEmulator(sim_bars, clock=fake_time.time) as server:
        yield server


def on_emulator(settings: Settings, emulator: AlpacaEmulator, **changes: object) -> Settings:
    """``settings`` with market data and the account on ``emulator``, and any other ``changes``."""
    wired: dict[str, object] = {
        "market_data": "alpaca",
        "alpaca_key_id": emulator.key_id,
        "alpaca_secret_key": emulator.secret_key,
        "alpaca_base_url": emulator.url,
        "alpaca_data_url": emulator.url,
    }
    return settings.with_overrides(**{**wired, **changes})


@pytest.fixture
def alpaca_settings(settings: Settings, emulator: AlpacaEmulator) -> Settings:
    """The test settings, with market data and the account on the emulator."""
    return on_emulator(
        settings,
        emulator,
        alpaca_chunk_size=3,
        alpaca_timeout_seconds=0.5,
        alpaca_backoff_seconds=0.01,
        alpaca_retries=3,
        alpaca_breaker_threshold=3,
        alpaca_workers=2,
    )


@pytest.fixture
def market_data(alpaca_settings: Settings, fake_time: FakeTime) -> AlpacaMarketData:
    """The real adapter over the real SDK, on the emulator, sleeping on the fake clock."""
    return AlpacaMarketData(alpaca_settings, sleep=fake_time.sleep, clock=fake_time.time, wall_clock=fake_time.time)
