"""Context a dip-buyer reads next to the drawdown: whether the peak is only the window's edge,
the longer view (the 52-week high and the highest stored close) and how much money trades.

Pure and vectorised over each symbol's run of rows (see ``shared.core.symbol_runs``); no I/O,
no function changes its input. ``shared.core.analytics.build_report`` adds these columns, and
the collector carries the highest stored close from one report to the next (``carry_stored_high``).
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from shared.core.symbol_runs import run_tail_means, symbol_runs
from shared.core.trading_calendar import trading_days
from shared.core.window import history_start, window_start

#: A peak within the window's first this-many sessions is "at the window's edge".
EDGE_SESSIONS = 5
#: Calendar days of the 52-week high: the closes dated in (as_of - 365 days, as_of].
YEAR_DAYS = 365
#: Sessions averaged for ``dollar_volume_20d``.
DOLLAR_VOLUME_BARS = 20
#: The columns this module adds to a report, in order (after ``score_rank``).
DIP_CONTEXT_COLUMNS = [
    "peak_at_window_edge",
    "high_52w_close",
    "high_52w_date",
    "drawdown_52w_pct",
    "stored_high_close",
    "stored_high_date",
    "drawdown_stored_pct",
    "stored_first_date",
    "dollar_volume_20d",
]


def peak_at_window_edge(peak_dates: pd.Series, sessions: pd.DatetimeIndex, edge: int = EDGE_SESSIONS) -> pd.Series:
    """True where the peak is dated on or before the window's ``edge``-th session: the window
    then starts inside the decline, and the drawdown is the window's return, not a fall from a high."""
    if len(sessions) == 0:
        return pd.Series(False, index=peak_dates.index)
    last_edge = pd.DatetimeIndex(sessions).sort_values()[min(edge, len(sessions)) - 1]
    stamps = (peak_dates if pd.api.types.is_datetime64_dtype(peak_dates.dtype) else pd.to_datetime(peak_dates)).to_numpy(dtype="datetime64[ns]")
    return pd.Series(stamps <= np.datetime64(last_edge, "ns"), index=peak_dates.index)  # NaT compares False


def run_highs(frame: pd.DataFrame, runs: tuple[pd.Index, np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Per symbol of ``frame`` (``symbol, date, close``, sorted by symbol and date): the highest
    close (``high``), the latest day it was reached (``high_date``) and the first day (``first_date``).
    ``runs``: ``symbol_runs(frame)``, when the caller has it."""
    names, starts, ends = symbol_runs(frame) if runs is None else runs
    if not len(starts):
        empty = pd.Series(dtype=float)
        return pd.DataFrame({"high": empty, "high_date": pd.Series(dtype="datetime64[ns]"), "first_date": pd.Series(dtype="datetime64[ns]")})
    closes = frame["close"].to_numpy(dtype=float)
    filled = np.where(np.isnan(closes), -np.inf, closes)
    high = np.maximum.reduceat(filled, starts)
    run = np.repeat(np.arange(len(starts)), ends - starts)
    last_at_high = np.maximum.reduceat(np.where(filled == high[run], np.arange(len(closes)), -1), starts)
    stamps = frame["date"].to_numpy(dtype="datetime64[ns]")
    return pd.DataFrame(
        {
            "high": np.where(np.isfinite(high), high, np.nan),
            "high_date": np.where(last_at_high >= 0, stamps[np.maximum(last_at_high, 0)], np.datetime64("NaT")),
            "first_date": stamps[starts],
        },
        index=names,
    )


def dip_context(history: pd.DataFrame, drawdowns: pd.DataFrame, as_of: date, sessions: pd.DatetimeIndex) -> pd.DataFrame:
    """``DIP_CONTEXT_COLUMNS`` for each symbol of ``drawdowns`` (indexed by symbol).

    ``history``: each symbol's bars up to ``as_of`` as the report reads them (sorted by symbol and
    date); ``sessions``: the window's trading days. The 52-week figures are empty where the
    symbol's stored bars do not reach back to the 52 weeks' first session; the stored high covers
    ``history`` (``stored_first_date`` on), and ``carry_stored_high`` extends it further back.
    """
    symbols = pd.Index(drawdowns["symbol"], name="symbol")
    close = pd.Series(drawdowns["close"].to_numpy(), index=symbols)
    runs = symbol_runs(history)
    names, starts, ends = runs
    stored = run_highs(history, runs).reindex(symbols)
    year_first = pd.Timestamp(window_start(as_of, YEAR_DAYS))
    in_year = history["date"].to_numpy(dtype="datetime64[ns]") >= np.datetime64(year_first, "ns")
    year = stored if bool(in_year.all()) else run_highs(history[in_year]).reindex(symbols)  # the same highs when all are
    year_sessions = trading_days(year_first.date(), as_of)
    covered = stored["first_date"] <= (year_sessions[0] if len(year_sessions) else year_first)
    traded = history["close"].to_numpy(dtype=float) * history["volume"].to_numpy(dtype=float)
    dollar_volume = pd.Series(run_tail_means(traded, starts, ends, DOLLAR_VOLUME_BARS), index=names).reindex(symbols)
    high_52w = year["high"].where(covered)
    return pd.DataFrame(
        {
            "peak_at_window_edge": peak_at_window_edge(pd.Series(drawdowns["peak_date"].to_numpy(), index=symbols), sessions),
            "high_52w_close": high_52w,
            "high_52w_date": year["high_date"].where(covered),
            "drawdown_52w_pct": (close / high_52w - 1.0) * 100.0,
            "stored_high_close": stored["high"],
            "stored_high_date": stored["high_date"],
            "drawdown_stored_pct": (close / stored["high"] - 1.0) * 100.0,
            "stored_first_date": stored["first_date"],
            "dollar_volume_20d": dollar_volume,
        },
        index=symbols,
    )


def _split_touched(flags: pd.Series) -> pd.Series:
    """True where a ``flags`` string names a split (a suspect or an adjusted one)."""
    return flags.fillna("").astype(str).str.contains("split", regex=False)


def carry_stored_high(report: pd.DataFrame, previous: pd.DataFrame | None, as_of: date, previous_day: date | None, lookback_days: int) -> pd.DataFrame:
    """``report`` with the highest stored close carried from the previous report: the higher of
    the two, with its date, and the earlier ``stored_first_date``.

    A row is carried only when the previous report covers the days before this report's history
    (``previous_day`` on or after ``history_start``, so no stored day is skipped), has the
    columns, and neither row names a split (prices across a split are in other units).
    Returns ``report`` unchanged otherwise; never changes its input.
    """
    if previous is None or previous_day is None or "stored_high_close" not in previous or "stored_high_close" not in report:
        return report
    if previous_day < history_start(as_of, lookback_days) or previous_day >= as_of:
        return report
    before = previous.drop_duplicates("symbol").set_index("symbol").reindex(report["symbol"])
    before_high = pd.to_numeric(before["stored_high_close"], errors="coerce").to_numpy(dtype=float)
    high = pd.to_numeric(report["stored_high_close"], errors="coerce").to_numpy(dtype=float)
    usable = ~np.isnan(before_high) & ~_split_touched(report["flags"]).to_numpy() & ~_split_touched(before["flags"]).to_numpy()
    if not usable.any():
        return report
    higher = usable & ((before_high > high) | np.isnan(high))
    before_first = pd.to_datetime(before["stored_first_date"]).to_numpy(dtype="datetime64[ns]")
    first = pd.to_datetime(report["stored_first_date"]).to_numpy(dtype="datetime64[ns]")
    earlier = usable & ~np.isnat(before_first) & ((before_first < first) | np.isnat(first))
    new_high = np.where(higher, before_high, high)
    return report.assign(
        stored_high_close=new_high,
        stored_high_date=np.where(higher, pd.to_datetime(before["stored_high_date"]).to_numpy(dtype="datetime64[ns]"), pd.to_datetime(report["stored_high_date"]).to_numpy(dtype="datetime64[ns]")),
        drawdown_stored_pct=(report["close"].to_numpy(dtype=float) / new_high - 1.0) * 100.0,
        stored_first_date=np.where(earlier, before_first, first),
    )
