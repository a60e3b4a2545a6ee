"""The report's analytics for 1,000 symbols x 400 trading days (target: at most 0.5 s)."""
from __future__ import annotations

import statistics
import time
from datetime import date

import numpy as np
import pandas as pd

from shared.core.analytics import build_report, compare_reports
from shared.core.sectors import summarise_sectors
from shared.core.track_record import compute_track_record
from shared.core.trading_calendar import trading_days

SYMBOLS = 1_000
DAYS = 400
REPEATS = 7
AS_OF = date(2026, 11, 27)
SECTORS = ["Energy", "Financials", "Health Care", "Industrials", "Information Technology", "Utilities"]


def synthetic_bars(symbols: int = SYMBOLS, days: int = DAYS, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random-walk OHLCV bars on the last ``days`` NYSE sessions up to AS_OF, and a universe."""
    rng = np.random.default_rng(seed)
    sessions = trading_days(date(2024, 1, 1), AS_OF)[-days:]
    names = [f"S{index:04d}" for index in range(symbols)]
    log_close = np.log(rng.uniform(5, 500, symbols))[:, None] + np.cumsum(rng.normal(0, 0.02, (symbols, days)), axis=1)
    close = np.exp(log_close).ravel()
    spread = np.abs(rng.normal(0, 0.01, close.size))
    bars = pd.DataFrame(
        {
            "symbol": np.repeat(names, days),
            "date": np.tile(sessions.to_numpy(), symbols),
            "open": close * (1 + spread / 2),
            "high": close * (1 + spread),
            "low": close * (1 - spread),
            "close": close,
            "volume": rng.integers(1_000, 10_000_000, close.size),
        }
    )
    universe = pd.DataFrame({"symbol": names, "name": names, "sector": [SECTORS[i % len(SECTORS)] for i in range(symbols)]})
    return bars, universe


def _time(action) -> list[float]:  # noqa: ANN001 - a thunk
    seconds = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def _print(label: str, seconds: list[float]) -> None:
    print(f"{label:<44} median {statistics.median(seconds):6.3f} s   best {min(seconds):6.3f} s   ({REPEATS} runs)")


def main() -> None:
    """Print the median and best wall time of each step."""
    bars, universe = synthetic_bars()
    print(f"{SYMBOLS} symbols x {DAYS} sessions = {len(bars):,} bars")
    build_report(bars, universe, AS_OF)  # warm-up: imports and the calendar's cache
    _print("build_report (flags, context, score, rank)", _time(lambda: build_report(bars, universe, AS_OF)))
    report = build_report(bars, universe, AS_OF)
    previous = build_report(bars, universe, date(2026, 11, 25))
    _print("compare_reports (what changed)", _time(lambda: compare_reports(report, previous, AS_OF, date(2026, 11, 25))))
    _print("summarise_sectors", _time(lambda: summarise_sectors(report)))
    sessions = pd.DatetimeIndex(sorted(bars["date"].unique()))
    ranks = np.tile(np.arange(1, SYMBOLS + 1), len(sessions))
    reports = pd.DataFrame(
        {"as_of": np.repeat(sessions.to_numpy(), SYMBOLS), "symbol": np.tile(universe["symbol"].to_numpy(), len(sessions)), "rank": ranks}
    )
    closes = bars.loc[:, ["symbol", "date", "close"]]
    label = f"compute_track_record ({len(sessions)} reports)"
    _print(label, _time(lambda: compute_track_record(reports, closes, sessions)))
