"""The composition root: builds dipwatch's parts from Settings. The app, the jobs and the CLI all use it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import pandas as pd

from shared.adapters.archive import Archive
from shared.ports import Broker
from shared.config import ALPACA_US_EQUITY, Settings
from shared.errors import ConfigError
from shared.adapters.market_data import CsvMarketData, MarketData, SimulatedMarketData
from shared.adapters.storage import Store, open_store
from shared.adapters.universe import load_universe


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)


@dataclass
class Parts:
    """Everything a service function needs, wired for one configuration."""

    settings: Settings
    store: Store
    universe_factory: Callable[[], pd.DataFrame]
    market_data_factory: Callable[[], MarketData]
    clock: Callable[[], datetime] = utc_now
    broker_factory: Callable[[], Broker | None] = lambda: None
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def universe(self) -> pd.DataFrame:
        """The symbols watched, with names and sectors (read on first use, then kept)."""
        if "universe" not in self.extras:
            self.extras["universe"] = self.universe_factory()
        return self.extras["universe"]  # type: ignore[return-value]

    @property
    def archive(self) -> Archive:
        """The archive over this configuration's store (one per Parts, so its cache is shared)."""
        if "archive" not in self.extras:
            self.extras["archive"] = Archive(self.store)
        return self.extras["archive"]  # type: ignore[return-value]

    def market_data(self) -> MarketData:
        """The configured market-data source (built on first use: it may need network set-up)."""
        if "market_data" not in self.extras:
            self.extras["market_data"] = self.market_data_factory()
        return self.extras["market_data"]  # type: ignore[return-value]

    def broker(self) -> Broker | None:
        """The trading account, or None when no trading keys are configured."""
        if "broker" not in self.extras:
            self.extras["broker"] = self.broker_factory()
        return self.extras["broker"]  # type: ignore[return-value]


def build_universe(settings: Settings) -> Callable[[], pd.DataFrame]:
    """The universe ``DIPWATCH_UNIVERSE`` names, as a thunk: a CSV file or the packaged Russell 1000
    is read now (a bad file fails at start-up); ``alpaca:us_equity`` is Alpaca's asset list, read
    on first use (one request), so a web process that never needs it never asks."""
    if settings.universe_path == ALPACA_US_EQUITY:
        from shared.adapters.alpaca_assets import AlpacaAssetList

        return lambda: AlpacaAssetList(settings).universe()
    universe = load_universe(settings.universe_path)
    return lambda: universe


def build_market_data(settings: Settings, universe: pd.DataFrame) -> MarketData:
    """The market-data adapter that ``DIPWATCH_MARKET_DATA`` names."""
    source = settings.market_data
    if source == "sim":
        return SimulatedMarketData(dict(zip(universe["symbol"], universe["sector"])))
    if source.startswith("csv:"):
        return CsvMarketData(source[4:])
    if source == "alpaca":
        from shared.adapters.alpaca import AlpacaMarketData

        return AlpacaMarketData.from_settings(settings)
    raise ConfigError(f"DIPWATCH_MARKET_DATA must be sim, alpaca or csv:PATH, got {source!r}")


def build_broker(settings: Settings) -> Broker | None:
    """The Alpaca trading account when keys are configured, else None."""
    if not settings.has_alpaca_keys:
        return None
    from shared.adapters.alpaca import AlpacaBroker

    return AlpacaBroker.from_settings(settings)


def bootstrap(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    market_data: MarketData | None = None,
    broker: Broker | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Parts:
    """Wire the real parts for ``settings``; tests pass fakes for any of them."""
    settings = settings or Settings.from_env()
    universe = build_universe(settings)
    parts = Parts(
        settings=settings,
        store=store or open_store(settings.storage),
        universe_factory=universe,
        market_data_factory=(lambda: market_data) if market_data is not None else (lambda: build_market_data(settings, parts.universe)),
        clock=clock or utc_now,
        broker_factory=(lambda: broker) if broker is not None else (lambda: build_broker(settings)),
    )
    return parts
