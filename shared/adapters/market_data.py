"""Market data without a network: deterministic simulated bars and a CSV replay.

Both implement the ``MarketData`` port and return bars frames (``shared.core.bars``).
"""
from __future__ import annotations

import gzip
import hashlib
from datetime import date
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from shared.core.bars import BAR_COLUMNS, empty_bars, normalise_bars
from shared.core.trading_calendar import trading_days
from shared.errors import ConfigError, MarketDataError
from shared.ports import FetchResult

# --- simulated -----------------------------------------------------------------------------

#: Annualised volatility by GICS sector; unknown sectors get the default.
SECTOR_VOLATILITY: dict[str, float] = {
    "Information Technology": 0.38,
    "Communication Services": 0.36,
    "Consumer Discretionary": 0.36,
    "Health Care": 0.34,
    "Energy": 0.36,
    "Materials": 0.30,
    "Industrials": 0.28,
    "Financials": 0.28,
    "Real Estate": 0.27,
    "Consumer Staples": 0.20,
    "Utilities": 0.19,
}
DEFAULT_VOLATILITY = 0.30

#: The simulated history starts here; every bar depends only on the symbol and the days since.
SIM_EPOCH = date(2018, 1, 2)
_SIM_BATCH = 100  # symbols simulated at once
_REVERSION = 0.004  # AR(1) pull of the log price back to its trend, per day
_CRASH_PROBABILITY = 1 / 700  # per symbol and day
_RECOVERY = 0.015  # how fast a crash's recoverable part decays, per day


def _symbol_seed(symbol: str) -> int:
    """A seed that is the same on every machine (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.sha256(symbol.encode()).digest()[:8], "little")


class SimulatedMarketData:
    """Deterministic simulated daily bars: same symbol and date, same bar, on every machine.

    Each symbol follows a drifting random walk with sector volatility, plus a mean-reverting
    swing and occasional crashes that partly recover, so a ranking of drawdowns is interesting.
    Only NYSE trading days have bars.
    """

    label = "simulated"

    def __init__(self, sectors: dict[str, str] | None = None) -> None:
        self._sectors = sectors or {}

    def fetch_bars(self, symbols: Sequence[str], start: date, end: date, sent: Callable[[], None] | None = None) -> FetchResult:
        if sent is not None:
            sent()  # nothing goes over a network
        days = trading_days(SIM_EPOCH, end)
        if len(days) == 0 or not symbols:
            return FetchResult(bars=empty_bars(), stats={"requests": 0})
        keep = (days >= pd.Timestamp(start)).nonzero()[0]
        symbols = list(symbols)
        # Batches bound the memory: each symbol's whole history is simulated from the epoch.
        batches = [self._simulate(symbols[i : i + _SIM_BATCH], days, keep) for i in range(0, len(symbols), _SIM_BATCH)]
        return FetchResult(bars=normalise_bars(pd.concat(batches, ignore_index=True)), stats={"requests": 0})

    def _draws(self, symbol: str, n: int) -> dict[str, np.ndarray]:
        """One symbol's random draws. Day k always uses the k-th draws, whatever ``n`` is."""
        rng = np.random.default_rng(_symbol_seed(symbol))
        sector_vol = SECTOR_VOLATILITY.get(self._sectors.get(symbol, ""), DEFAULT_VOLATILITY)
        params = {
            "daily_vol": sector_vol * rng.uniform(0.7, 1.4) / np.sqrt(252),
            "drift": rng.normal(0.07, 0.05) / 252,
            "start_price": float(np.exp(rng.uniform(np.log(25), np.log(450)))),
            "base_volume": float(np.exp(rng.uniform(np.log(3e5), np.log(3e7)))),
        }
        # Separate streams per array, each drawn to length n: a stream's first n draws do not
        # depend on n, so extending the calendar never changes an earlier bar.
        seed = _symbol_seed(symbol)
        block = np.random.default_rng([seed, 1]).standard_normal((n, 4))
        uniform = np.random.default_rng([seed, 2]).random((n, 2))
        return {**params, "block": block, "uniform": uniform}

    def _simulate(self, symbols: list[str], days: pd.DatetimeIndex, keep: np.ndarray) -> pd.DataFrame:
        n = len(days)
        draws = [self._draws(symbol, n) for symbol in symbols]
        daily_vol = np.array([d["daily_vol"] for d in draws])
        drift = np.array([d["drift"] for d in draws])
        start_price = np.array([d["start_price"] for d in draws])
        base_volume = np.array([d["base_volume"] for d in draws])
        block = np.stack([d["block"] for d in draws], axis=2)  # (days, 4, symbols)
        uniform = np.stack([d["uniform"] for d in draws], axis=2)  # (days, 2, symbols)

        shocks = block[:, 0, :] * daily_vol
        # A slowly mean-reverting walk (AR(1) on log price): short-run random walk, months-long
        # dips and rallies, and no drift to zero over the years.
        walk = pd.DataFrame(shocks).ewm(alpha=_REVERSION, adjust=False).mean().to_numpy() / _REVERSION
        # Crashes: a sudden log drop, about two thirds of it recovered over a few months.
        crashes = np.where(uniform[:, 0, :] < _CRASH_PROBABILITY, -(0.12 + 0.33 * uniform[:, 1, :]), 0.0)
        recovering = pd.DataFrame(crashes).ewm(alpha=_RECOVERY, adjust=False).mean().to_numpy() / _RECOVERY
        log_close = np.log(start_price) + drift * np.arange(1, n + 1)[:, None] + walk + crashes.cumsum(axis=0) / 3 + recovering * 2 / 3
        close = np.exp(log_close)
        previous_close = np.vstack([start_price, close[:-1]])
        open_ = previous_close * np.exp(block[:, 1, :] * daily_vol * 0.3)
        high = np.maximum(open_, close) * np.exp(np.abs(block[:, 2, :]) * daily_vol * 0.5)
        low = np.minimum(open_, close) * np.exp(-np.abs(block[:, 3, :]) * daily_vol * 0.5)
        move = np.abs(np.log(close / previous_close)) / daily_vol
        volume = base_volume * np.exp(0.35 * block[:, 3, :]) * (1 + 0.3 * move)

        rows = len(keep)
        return pd.DataFrame(
            {
                "symbol": np.tile(np.array(symbols, dtype=object), rows),
                "date": np.repeat(days[keep].to_numpy(), len(symbols)),
                "open": np.round(open_[keep], 4).ravel(),
                "high": np.round(high[keep], 4).ravel(),
                "low": np.round(low[keep], 4).ravel(),
                "close": np.round(close[keep], 4).ravel(),
                "volume": np.round(volume[keep]).astype("int64").ravel(),
            }
        )


# --- CSV replay --------------------------------------------------------------------------------


class CsvMarketData:
    """Replays a CSV of daily bars (plain or gzip): ``symbol,date,open,high,low,close,volume``.

    ``ticker`` is accepted for ``symbol``; extra columns are ignored.
    """

    label = "csv"

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._bars: pd.DataFrame | None = None

    def _load(self) -> pd.DataFrame:
        if self._bars is None:
            if not self._path.is_file():
                raise ConfigError(f"DIPWATCH_MARKET_DATA: no CSV file at {self._path}")
            try:
                frame = pd.read_csv(self._path, compression="infer")
            except (OSError, ValueError, gzip.BadGzipFile) as error:
                raise MarketDataError(f"cannot read bars CSV {self._path}: {error}") from error
            if "symbol" not in frame.columns and "ticker" in frame.columns:
                frame = frame.rename(columns={"ticker": "symbol"})
            missing = [column for column in BAR_COLUMNS if column not in frame.columns]
            if missing:
                raise MarketDataError(f"bars CSV {self._path} lacks columns: {', '.join(missing)}")
            self._bars = normalise_bars(frame)
        return self._bars

    def fetch_bars(self, symbols: Sequence[str], start: date, end: date, sent: Callable[[], None] | None = None) -> FetchResult:
        if sent is not None:
            sent()  # nothing goes over a network
        bars = self._load()
        wanted = bars["symbol"].isin(list(symbols))
        in_range = (bars["date"] >= pd.Timestamp(start)) & (bars["date"] <= pd.Timestamp(end))
        known = set(bars["symbol"].unique())
        unknown = sorted(set(symbols) - known)
        return FetchResult(bars=bars[wanted & in_range].reset_index(drop=True), unknown=unknown, stats={"requests": 0})
