"""Data-quality checks: one named flag per check, per symbol, over the drawdown window.

Pure and vectorised: every function takes frames and returns new ones, with no I/O. The
trading sessions the window should hold come in as an argument (``shared.core.analytics`` gets them
from ``shared.core.trading_calendar``, i.e. the NYSE calendar of pandas-market-calendars).

The checks (thresholds are the constants below; README documents them):
- ``missing_bars``: a session between the symbol's first bar in the window and the as-of day
  has no bar;
- ``stale``: the last bar is dated before the as-of day, or repeats the bar before it exactly
  (same open, high, low, close and volume: a feed that re-sent yesterday's bar);
- ``bad_price``: a bar in the window has a NaN or non-positive price, ``high < low``, or an
  open or close outside ``[low, high]``;
- ``zero_volume``: a bar in the window has zero volume;
- ``split_suspect``: a jump in the window that looks like a split in raw prices but that neither
  the volume nor an announcement confirms (``shared.core.splits``: verdict "suspect");
- ``split_adjusted``: a confirmed split in the history was undone for this report (earlier
  prices divided by the ratio, volumes multiplied; the stored bars are untouched);
- ``outlier_return``: a daily log return whose robust z-score
  ``|r - median| / (1.4826 * MAD)`` exceeds ``OUTLIER_Z`` (needs ``OUTLIER_MIN_RETURNS``);
- ``short_history``: the symbol's first bar in the window is after the window's first session.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from shared.core.symbol_runs import run_medians, sorted_runs

#: Every flag name, in the order they are written in a report's ``flags`` column.
FLAG_NAMES: tuple[str, ...] = (
    "missing_bars",
    "stale",
    "bad_price",
    "zero_volume",
    "split_suspect",
    "split_adjusted",
    "outlier_return",
    "short_history",
)
FLAG_SEPARATOR = ";"
#: Robust z-score above which a daily log return is an outlier.
OUTLIER_Z = 12.0
#: Fewer daily returns than this in the window give no outlier call (the median and MAD need data).
OUTLIER_MIN_RETURNS = 20
#: A robust scale below this (in log-return units) counts as zero: float noise, not volatility.
MIN_ROBUST_SCALE = 1e-8
#: 1.4826 * MAD estimates the standard deviation of normally distributed data.
MAD_TO_SIGMA = 1.4826
#: Relative slack for the OHLC consistency checks (prices are rounded by the sources).
PRICE_SLACK = 1e-6


def with_log_returns(bars: pd.DataFrame) -> pd.DataFrame:
    """``bars`` sorted by symbol and date, with ``log_return`` = ln(close / previous close of the
    same symbol in the frame); NaN on each symbol's first bar."""
    codes = _run_codes(bars)
    if codes is None:
        ordered = bars.sort_values(["symbol", "date"], kind="stable")
        previous = ordered.groupby("symbol", sort=False)["close"].shift(1).to_numpy()
    else:  # in order already (as the analytics' history is): no sort, and the shift is the row before
        ordered, close = bars, bars["close"].to_numpy()
        previous = np.where(np.r_[False, codes[1:] == codes[:-1]], np.r_[np.nan, close[:-1]], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_return = np.log(ordered["close"].to_numpy() / previous)
    log_return[~np.isfinite(log_return)] = np.nan
    return ordered.assign(log_return=log_return).reset_index(drop=True)


def _run_codes(bars: pd.DataFrame) -> np.ndarray | None:
    """The symbol codes of ``bars`` when its ``symbol`` is a categorical and the rows are sorted
    by it (its codes) and by date, as ``sort_values`` would leave them; otherwise None."""
    symbol = bars["symbol"]
    if not isinstance(symbol.dtype, pd.CategoricalDtype) or not len(bars):
        return None
    codes = symbol.cat.codes.to_numpy()
    stamps = bars["date"].to_numpy(dtype="datetime64[ns]")
    ascending = (codes[1:] > codes[:-1]) | ((codes[1:] == codes[:-1]) & (stamps[1:] >= stamps[:-1]))
    return codes if codes[0] >= 0 and bool(ascending.all()) else None


def robust_z(log_return: pd.Series, symbol: pd.Series) -> pd.Series:
    """|r - median| / (1.4826 * MAD) per symbol; NaN where the return is NaN, the symbol has
    fewer than ``OUTLIER_MIN_RETURNS`` returns or its MAD is (numerically) 0."""
    runs = sorted_runs(symbol)
    if runs is not None:  # rows in runs of symbols (as the analytics' window): medians on arrays
        z = _run_robust_z(log_return.to_numpy(dtype=float), *runs)
        if z is not None:
            return pd.Series(z, index=log_return.index)
    grouped = log_return.groupby(symbol, sort=False)
    deviation = (log_return - grouped.transform("median")).abs()
    scale = deviation.groupby(symbol, sort=False).transform("median") * MAD_TO_SIGMA
    usable = (scale > MIN_ROBUST_SCALE) & (grouped.transform("count") >= OUTLIER_MIN_RETURNS)
    return deviation / scale.where(usable)


def _run_robust_z(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """``robust_z`` over runs of rows, one per symbol (None: the runs are too uneven for arrays)."""
    lengths = ends - starts
    medians = run_medians(values, starts, ends)
    if medians is None:
        return None
    deviation = np.abs(values - np.repeat(medians, lengths))
    scales = run_medians(deviation, starts, ends)
    if scales is None:
        return None
    scale = np.repeat(scales * MAD_TO_SIGMA, lengths)
    count = np.repeat(np.add.reduceat((~np.isnan(values)).astype(np.int64), starts), lengths)
    with np.errstate(invalid="ignore", divide="ignore"):
        z: np.ndarray = deviation / np.where((scale > MIN_ROBUST_SCALE) & (count >= OUTLIER_MIN_RETURNS), scale, np.nan)
    return z


def bad_price_rows(bars: pd.DataFrame) -> pd.Series:
    """True for bars with a NaN or non-positive price or inconsistent OHLC (on arrays, not frames)."""
    open_, high, low, close = (bars[column].to_numpy(dtype=float) for column in ("open", "high", "low", "close"))
    lowest, highest = low * (1 - PRICE_SLACK), high * (1 + PRICE_SLACK)
    bad = (high < low) | (close < lowest) | (close > highest) | (open_ < lowest) | (open_ > highest)
    for price in (open_, high, low, close):
        bad |= ~(price > 0)  # NaN or not positive
    return pd.Series(bad, index=bars.index)


def flag_symbols(window: pd.DataFrame, as_of: date, sessions: pd.DatetimeIndex, splits: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per symbol in ``window`` (index ``symbol``), one boolean column per ``FLAG_NAMES``.

    ``window`` holds the bars of the drawdown window only, with ``log_return`` as made by
    ``with_log_returns`` over that window; ``sessions`` are the trading days the window should
    hold, ascending; ``splits`` are the split days ``shared.core.splits.find_splits`` found in
    the history (None: none).
    """
    end = pd.Timestamp(as_of)
    sessions = pd.DatetimeIndex(sessions)
    z = robust_z(window["log_return"], window["symbol"])
    rows = {
        "bad_price": bad_price_rows(window).to_numpy(),
        "zero_volume": window["volume"].to_numpy() <= 0,
        "outlier_return": (z > OUTLIER_Z).to_numpy(),
    }
    codes = _run_codes(window)
    summary = _grouped_summary(window, sessions, rows) if codes is None else _run_summary(window, codes, sessions, rows)
    first_date = summary["first_date"]
    expected = len(sessions) - sessions.searchsorted(first_date.to_numpy(), side="left")
    first_session = sessions[0] if len(sessions) else end
    first = first_date.to_numpy(dtype="datetime64[ns]")
    columns = {
        "missing_bars": (expected - summary["present"].to_numpy()) > 0,
        "stale": (summary["last_date"].to_numpy(dtype="datetime64[ns]") < np.datetime64(end, "ns")) | summary["repeated_last"].to_numpy(dtype=bool),
        "bad_price": summary["bad_price"].to_numpy(),
        "zero_volume": summary["zero_volume"].to_numpy(),
        "split_suspect": _has_split(splits, "suspect", summary.index, after=first_date),
        "split_adjusted": _has_split(splits, "confirmed", summary.index),
        "outlier_return": summary["outlier_return"].to_numpy(),
        "short_history": first > np.datetime64(first_session, "ns"),  # NaT compares False
    }
    return pd.DataFrame({name: np.asarray(columns[name], dtype=bool) for name in FLAG_NAMES}, index=summary.index.rename("symbol"))


def _grouped_summary(window: pd.DataFrame, sessions: pd.DatetimeIndex, rows: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per symbol (sorted): first and last date, sessions present, whether the last bar repeats
    the one before, and whether any row carries each of ``rows``' flags (a groupby each)."""
    symbol = window["symbol"]
    by_symbol = window.groupby("symbol", sort=True)
    first_date = by_symbol["date"].min()
    on_session = window[window["date"].isin(sessions)].drop_duplicates(["symbol", "date"])
    present = on_session.groupby("symbol")["date"].size().reindex(first_date.index, fill_value=0)
    # Each symbol's last bar against the bar before it (only those rows: no shifted copy of all).
    last_rows = np.flatnonzero(~symbol.duplicated(keep="last").to_numpy())
    before = np.maximum(last_rows - 1, 0)
    symbols = symbol.to_numpy()
    repeated = (last_rows > 0) & (symbols[before] == symbols[last_rows])
    for column in ("open", "high", "low", "close", "volume"):
        values = window[column].to_numpy()
        repeated &= values[before] == values[last_rows]
    repeated_last = pd.Series(repeated, index=symbols[last_rows]).groupby(level=0).any()
    any_row = pd.DataFrame(rows, index=pd.Index(symbol)).groupby(level=0).any().reindex(first_date.index, fill_value=False)
    return any_row.assign(
        first_date=first_date,
        last_date=by_symbol["date"].max(),
        present=present,
        repeated_last=repeated_last.reindex(first_date.index, fill_value=False),
    )


def _run_summary(window: pd.DataFrame, codes: np.ndarray, sessions: pd.DatetimeIndex, rows: dict[str, np.ndarray]) -> pd.DataFrame:
    """``_grouped_summary`` of a window sorted by symbol codes and date (see ``_run_codes``): the
    same numbers from each run's first and last row and sums over the runs."""
    ends = np.flatnonzero(np.r_[codes[1:] != codes[:-1], True]) + 1
    starts = np.r_[0, ends[:-1]]
    stamps = window["date"].to_numpy(dtype="datetime64[ns]")
    fresh = np.r_[True, (codes[1:] != codes[:-1]) | (stamps[1:] != stamps[:-1])]  # duplicates are adjacent
    on_session = _is_session(stamps, sessions) & fresh
    last, before = ends - 1, np.maximum(ends - 2, 0)
    repeated = ends - starts > 1
    for column in ("open", "high", "low", "close", "volume"):
        values = window[column].to_numpy()
        repeated &= values[before] == values[last]
    index = pd.CategoricalIndex(window["symbol"].iloc[starts], name="symbol")
    summary = {name: np.logical_or.reduceat(flagged, starts) for name, flagged in rows.items()}
    return pd.DataFrame(
        {
            **summary,
            "first_date": stamps[starts],
            "last_date": stamps[last],
            "present": np.add.reduceat(on_session.astype(np.int64), starts),
            "repeated_last": repeated,
        },
        index=index,
    )


def _is_session(stamps: np.ndarray, sessions: pd.DatetimeIndex) -> np.ndarray:
    """Whether each of ``stamps`` is one of ``sessions`` (a binary search: far quicker than np.isin)."""
    days = np.unique(sessions.to_numpy(dtype="datetime64[ns]"))
    if not len(days):
        return np.zeros(len(stamps), dtype=bool)
    found: np.ndarray = days[np.minimum(np.searchsorted(days, stamps), len(days) - 1)] == stamps
    return found


def _has_split(splits: pd.DataFrame | None, verdict: str, symbols: pd.Index, after: pd.Series | None = None) -> np.ndarray:
    """Whether each of ``symbols`` has a split day of ``verdict`` (with ``after``, the symbol's
    first bar in the window: only a jump between two bars of the window moves its drawdown)."""
    if splits is None or splits.empty:
        return np.zeros(len(symbols), dtype=bool)
    chosen = splits[splits["verdict"] == verdict]
    if after is not None:
        chosen = chosen[chosen["date"].to_numpy() > chosen["symbol"].map(after).to_numpy(dtype="datetime64[ns]")]
    return symbols.isin(set(chosen["symbol"])).astype(bool)


def join_flags(flags: pd.DataFrame) -> pd.Series:
    """The ``;``-joined names of the true flags of each row ('' when none), in ``FLAG_NAMES`` order."""
    names = [name for name in FLAG_NAMES if name in flags]
    raised = flags.loc[:, names].to_numpy(dtype=bool)
    joined = np.full(len(flags), "", dtype=object)
    for row in np.flatnonzero(raised.any(axis=1)):  # most rows carry no flag: only the others are joined
        joined[row] = FLAG_SEPARATOR.join(name for name, up in zip(names, raised[row]) if up)
    return pd.Series(joined, index=flags.index, dtype=object)


def explode_flags(flags: pd.Series) -> pd.Series:
    """One entry per (row, flag name), indexed like ``flags``; rows without flags drop out."""
    names = flags.fillna("").astype(str).str.split(FLAG_SEPARATOR).explode()
    return names[names != ""]


def count_flags(flags: pd.Series) -> dict[str, int]:
    """How many rows carry each flag name (every name in ``FLAG_NAMES``, 0 when none)."""
    counts = explode_flags(flags).value_counts()
    return {name: int(counts.get(name, 0)) for name in FLAG_NAMES}
