"""The report's analytics on synthetic bars: 1,000 and 10,000 symbols × 400 trading days."""
from __future__ import annotations

from datetime import date
from typing import Callable

import numpy as np
import pandas as pd

from bench._harness import Section, start, timed
from shared.core.analytics import build_report
from shared.core.changes import compare_reports
from shared.core.sectors import summarise_sectors
from shared.core.track_record import compute_track_record
from shared.core.trading_calendar import trading_days

DAYS = 400
AS_OF = date(2026, 11, 27)
PREVIOUS = date(2026, 11, 25)
SECTORS = ["Energy", "Financials", "Health Care", "Industrials", "Information Technology", "Utilities"]
#: Universe size -> build_report's target in seconds.
SIZES = {1_000: 0.15, 10_000: 1.5}


def synthetic_bars(symbols: int, days: int = DAYS, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random-walk OHLCV bars on the last ``days`` NYSE sessions up to AS_OF, and a universe."""
    rng = np.random.default_rng(seed)
    sessions = trading_days(date(2024, 1, 1), AS_OF)[-days:]
    names = [f"S{index:05d}" for index in range(symbols)]
    log_close = np.log(rng.uniform(5, 500, symbols))[:, None] + np.cumsum(rng.normal(0, 0.02, (symbols, days)), axis=1)
    close = np.exp(log_close).ravel()
    spread = np.abs(rng.normal(0, 0.01, close.size))
    bars = pd.DataFrame(
        {
            "symbol": np.repeat(np.array(names, dtype=object), days),
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


def _track_record_inputs(bars: pd.DataFrame, universe: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DatetimeIndex]:
    """A report a day for every session, ranking the symbols in universe order."""
    sessions = pd.DatetimeIndex(sorted(bars["date"].unique()))
    count = len(universe)
    reports = pd.DataFrame(
        {
            "as_of": np.repeat(sessions.to_numpy(), count),
            "symbol": np.tile(universe["symbol"].to_numpy(), len(sessions)),
            "rank": np.tile(np.arange(1, count + 1), len(sessions)),
        }
    )
    return reports, bars.loc[:, ["symbol", "date", "close"]], sessions


def _measure(section: Section, label: str, unit_target: float | None, runs: int, action: Callable[[], object]) -> None:
    figure = section.figure(label, "s", target=unit_target)
    for _ in range(runs):
        figure.add(timed(action)[1])


def main(runs: int) -> Section:
    section = start(
        "analytics",
        "analytics: the report on synthetic bars, 1,000 and 10,000 symbols × 400 sessions",
        "`python -m bench analytics`. Random-walk OHLCV bars on the last 400 NYSE sessions; the whole report built "
        "in memory (history cut, drawdowns, every quality flag, context, score, both ranks), after one warm-up.",
        runs,
    )
    for size, target in SIZES.items():
        bars, universe = synthetic_bars(size)
        build_report(bars, universe, AS_OF)  # warm-up: imports and the calendar's cache
        _measure(section, f"build_report, {size:,} × {DAYS}", target, runs, lambda: build_report(bars, universe, AS_OF))
        report, previous = build_report(bars, universe, AS_OF), build_report(bars, universe, PREVIOUS)
        _measure(section, f"compare_reports, {size:,}", None, runs, lambda: compare_reports(report, previous, AS_OF, PREVIOUS))
        _measure(section, f"summarise_sectors, {size:,}", None, runs, lambda: summarise_sectors(report))
        if size == 1_000:
            reports, closes, sessions = _track_record_inputs(bars, universe)
            _measure(section, f"compute_track_record, {len(sessions)} reports of 1,000", None, runs, lambda: compute_track_record(reports, closes, sessions))
    return section
