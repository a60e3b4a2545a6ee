"""The alpaca:us_equity universe from Alpaca's asset list, over the real SDK and real HTTP."""
from __future__ import annotations

from typing import Any, Iterator

import pytest

from shared.adapters.alpaca_assets import AlpacaAssetList
from shared.adapters.universe import is_valid_symbol, load_universe, universe_from_assets
from shared.config import Settings
from shared.errors import ConfigError, MarketDataError
from tests.emulators.alpaca import AlpacaEmulator
from tests.emulators.alpaca_assets import generate_assets
from tests.fakes import FakeTime

from .conftest import on_emulator

ASSETS = generate_assets()


@pytest.fixture
def listing(sim_bars, fake_time: FakeTime) -> Iterator[AlpacaEmulator]:
    with AlpacaEmulator(sim_bars, assets=ASSETS, clock=fake_time.time) as server:
        yield server


def eligible(assets: list[dict[str, Any]]) -> set[str]:
    return {a["symbol"] for a in assets if a["status"] == "active" and a["tradable"] and a["exchange"] != "OTC"}


def test_the_universe_is_every_active_tradable_listed_us_equity(settings: Settings, listing: AlpacaEmulator, fake_time: FakeTime) -> None:
    universe = AlpacaAssetList(on_emulator(settings, listing), sleep=fake_time.sleep).universe()
    assert len(universe) == 10_000
    assert set(universe["symbol"]) == eligible(ASSETS)
    assert universe["symbol"].is_monotonic_increasing and universe["symbol"].is_unique
    assert universe["symbol"].map(is_valid_symbol).all()
    # Sectors come from the packaged list where it knows the symbol; names from Alpaca.
    apple = universe.set_index("symbol").loc["AAPL"]
    assert apple["sector"] == "Information Technology" and apple["name"].endswith("Common Stock")
    assert (universe["sector"] == "Unknown").sum() == 10_000 - len(load_universe())
    (request,) = [r for r in listing.requests if r.path == "/v2/assets"]
    assert request.params == {"status": "active", "asset_class": "us_equity"}


def test_refused_keys_give_a_clear_error(settings: Settings, listing: AlpacaEmulator, fake_time: FakeTime) -> None:
    wrong = on_emulator(settings, listing, alpaca_secret_key="wrong")
    with pytest.raises(MarketDataError, match="asset list is unavailable.*403"):
        AlpacaAssetList(wrong, sleep=fake_time.sleep).universe()


def test_unreadable_and_ineligible_assets_are_left_out() -> None:
    base = {"class": "us_equity", "exchange": "NYSE", "status": "active", "tradable": True, "name": "X"}
    assets = [
        {**base, "symbol": "GOOD"},
        {**base, "symbol": "BRK.B", "name": "Berkshire Hathaway Inc. Class B"},
        {**base, "symbol": "GOOD"},  # listed twice: kept once
        {**base, "symbol": "AB.PRC1"},  # not a ticker shape dipwatch reads
        {**base, "symbol": "OTCX", "exchange": "OTC"},
        {**base, "symbol": "GONE", "status": "inactive"},
        {**base, "symbol": "HALT", "tradable": False},
        {**base, "symbol": "NOFLAG", "tradable": None},
        {**base, "symbol": "BTC/USD", "class": "crypto"},
    ]
    universe = universe_from_assets(assets)
    assert universe["symbol"].tolist() == ["BRK.B", "GOOD"]
    assert universe.set_index("symbol").loc["BRK.B", "sector"] == "Financials"


def test_an_empty_or_useless_list_is_an_error() -> None:
    with pytest.raises(ConfigError, match="empty"):
        universe_from_assets([])
    with pytest.raises(ConfigError, match="no active, tradable"):
        universe_from_assets([{"class": "us_equity", "exchange": "OTC", "symbol": "X", "status": "active", "tradable": True}])
