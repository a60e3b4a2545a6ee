"""Pure analytics over DataFrames: drawdowns from the peak, context (returns, moving averages,
volatility, trough and rebound), the composite score and the ranks. The data-quality flags are in
``shared.core.quality``, the dip-buyer's context (window edge, longer view) in
``shared.core.context``, what changed in ``shared.core.changes``, sectors in
``shared.core.sectors`` and the track record in ``shared.core.track_record``.

Nothing here does I/O, logs or reads config, and no function changes its input.

Input ``bars`` columns (see ``shared.core.bars``): ``symbol, date, open, high, low, close,
volume`` with ``date`` a tz-naive midnight timestamp. The windows are cut by ``shared.core.window``.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from shared.core.context import DIP_CONTEXT_COLUMNS, dip_context
from shared.core.quality import FLAG_SEPARATOR, flag_symbols, join_flags, with_log_returns
from shared.core.splits import find_splits, repair_splits
from shared.core.symbol_runs import dated_runs, of_runs, run_extreme, run_std, run_tail_means_of, symbol_runs, unique_sorted
from shared.core.window import history_start, window_bars, window_sessions, window_start

#: Columns of ``reports/D.csv``, in order.
REPORT_COLUMNS = [
    "rank",
    "symbol",
    "name",
    "sector",
    "close",
    "peak_close",
    "peak_date",
    "drawdown_pct",
    "days_since_peak",
    "flags",
    # context (percent units; NaN where history does not allow)
    "ret_1d_pct",
    "ret_5d_pct",
    "ret_20d_pct",
    "dist_ma50_pct",
    "dist_ma200_pct",
    "volatility_pct",
    "drawdown_vol",
    "trough_close",
    "trough_date",
    "rebound_pct",
    "score",
    "score_rank",
    # dip context (shared.core.context): the window's edge, the longer view, dollar volume
    *DIP_CONTEXT_COLUMNS,
]
#: Flags that keep a symbol out of the ranking (it is still listed, with an empty rank).
EXCLUDING_FLAGS = frozenset({"split_suspect", "bad_price"})
#: Trading days in a year, to annualise daily volatility.
TRADING_DAYS_PER_YEAR = 252
#: Returns reported, as ``ret_<n>d_pct``: the close against the close n bars earlier.
RETURN_BARS: tuple[int, ...] = (1, 5, 20)
#: Moving averages reported, as ``dist_ma<n>_pct``: the close against the mean of the last n closes.
MOVING_AVERAGE_BARS: tuple[int, ...] = (50, 200)
#: Annualised volatility (in percent) below this counts as none: float noise of a flat series.
MIN_VOLATILITY_PCT = 1e-6

#: The composite score's weights, all in one place (README names them and shows the backtest):
#: score = DEPTH * depth + REBOUND * min(rebound_pct, depth) + KNIFE * max(min(ret_5d_pct, 0), -depth)
#: where depth = -drawdown_pct; missing terms (short history) count as 0. No term reads a gain
#: before the fall, and KNIFE < 1 with the fall capped at the depth keeps score >= (1 - KNIFE) * depth:
#: a stock that has just crashed can never drop below one that has not fallen.
SCORE_WEIGHTS: dict[str, float] = {
    "depth": 1.0,
    "rebound": 0.25,
    "knife": 0.25,
}


def compute_drawdowns(bars: pd.DataFrame, as_of: date, lookback_days: int = 180) -> pd.DataFrame:
    """Each symbol's decline from its peak close in the window ending on ``as_of``.

    Returns one row per symbol that has a bar dated ``as_of``, with columns
    ``symbol, close, peak_close, peak_date, drawdown_pct, days_since_peak``:
    - ``peak_close``: the highest close in (as_of - lookback_days, as_of];
    - ``peak_date``: the latest date on which that close was reached;
    - ``drawdown_pct``: (close / peak_close - 1) * 100, so 0 at a peak and negative below it;
    - ``days_since_peak``: calendar days from ``peak_date`` to ``as_of``.
    """
    runs = dated_runs(bars)
    if runs is not None:
        return _run_drawdowns(bars, as_of, lookback_days, runs)
    window = window_bars(bars, as_of, lookback_days, ["symbol", "date", "close"])
    end = pd.Timestamp(as_of)
    today = window[window["date"] == end].drop_duplicates("symbol", keep="last").set_index("symbol")["close"]
    window = window[window["symbol"].isin(today.index)]
    peak_close = window.groupby("symbol")["close"].max()
    at_peak = window[window["close"] == window["symbol"].map(peak_close)]
    peak_date = at_peak.groupby("symbol")["date"].max()
    result = pd.DataFrame({"close": today, "peak_close": peak_close, "peak_date": peak_date})
    # A symbol whose closes in the window are all NaN has no peak: no date, 0 days since (its
    # bad_price flag keeps it out of the ranking).
    result = result.assign(
        drawdown_pct=(result["close"] / result["peak_close"] - 1.0) * 100.0,
        days_since_peak=(end - result["peak_date"]).dt.days.fillna(0).astype("int64"),
    )
    result.index.name = "symbol"
    return result.reset_index().sort_values("symbol", kind="stable").reset_index(drop=True)


def _run_drawdowns(bars: pd.DataFrame, as_of: date, lookback_days: int, starts: np.ndarray) -> pd.DataFrame:
    """``compute_drawdowns`` on bars in dated symbol runs (see ``dated_runs``): run arithmetic."""
    stamps = bars["date"].to_numpy(dtype="datetime64[ns]")
    close = bars["close"].to_numpy(dtype=float)
    end = np.datetime64(pd.Timestamp(as_of), "ns")
    until = stamps <= end
    inside = (stamps >= np.datetime64(pd.Timestamp(window_start(as_of, lookback_days)), "ns")) & until
    # Each run's last row dated up to as_of (runs are in date order): today's bar if it is dated so.
    last = starts + np.add.reduceat(until.astype(np.int64), starts) - 1 if len(starts) else starts
    today = np.where((last >= starts) & (stamps[np.maximum(last, 0)] == end), last, -1) if len(starts) else starts
    peak_close, peak_date = run_extreme(close, stamps, starts, inside, highest=True)
    chosen = today >= 0
    since = (end - peak_date[chosen]).astype("timedelta64[D]").astype(np.int64)
    latest, highest = close[today[chosen]], peak_close[chosen]
    with np.errstate(invalid="ignore", divide="ignore"):  # as pandas' own arithmetic: a zero peak gives inf
        drawdown = (latest / highest - 1.0) * 100.0
    return pd.DataFrame(
        {
            "symbol": bars["symbol"].iloc[starts[chosen]].to_numpy(),
            "close": latest,
            "peak_close": highest,
            "peak_date": pd.Series(peak_date[chosen]).astype(bars["date"].dtype),  # the bars' unit (ns or us)
            "drawdown_pct": drawdown,
            "days_since_peak": np.where(np.isnat(peak_date[chosen]), 0, since).astype("int64"),
        }
    )


def has_excluding_flag(flags: pd.Series) -> pd.Series:
    """True where a ``flags`` string holds a flag that keeps the symbol out of the ranking."""
    excluded = [isinstance(text, str) and not EXCLUDING_FLAGS.isdisjoint(text.split(FLAG_SEPARATOR)) for text in flags.to_numpy()]
    return pd.Series(np.array(excluded, dtype=bool), index=flags.index)


def ranked_rows(report: pd.DataFrame) -> pd.DataFrame:
    """The ranked rows of a report, in rank order (unranked, excluded rows left out)."""
    return report[report["rank"].notna()].sort_values("rank", kind="stable")


def rank(report: pd.DataFrame) -> pd.DataFrame:
    """Rank by drawdown: 1 is the deepest, ties broken by symbol. Excluded rows get no rank.

    ``report`` needs ``symbol``, ``drawdown_pct`` and ``flags``. The result is sorted with the
    ranked rows first, in rank order, then the excluded ones by symbol; ``rank`` is a nullable
    integer column. With a ``score`` column, ``score_rank`` ranks the same rows by score
    (1 is the highest, ties broken by symbol).
    """
    excluded = (has_excluding_flag(report["flags"]) | report["drawdown_pct"].isna()).to_numpy()
    symbols = report["symbol"].to_numpy()
    # The order is found on the two keys' arrays alone; the whole report is reordered once.
    kept, dropped = np.flatnonzero(~excluded), np.flatnonzero(excluded)
    order = np.r_[
        kept[np.lexsort((symbols[kept], report["drawdown_pct"].to_numpy(dtype=float)[kept]))],
        dropped[np.argsort(symbols[dropped], kind="stable")],
    ].astype(np.int64)
    ranks = pd.arrays.IntegerArray(np.r_[np.arange(1, len(kept) + 1), np.zeros(len(dropped), dtype=np.int64)], excluded[order])
    result = report.take(order).assign(rank=ranks).reset_index(drop=True)
    if "score" in result:
        result = result.assign(score_rank=_score_ranks(result["score"].to_numpy(dtype=float), result["symbol"].to_numpy(), len(kept)))
    return result


def _score_ranks(score: np.ndarray, symbols: np.ndarray, ranked: int) -> pd.arrays.IntegerArray:
    """1 for the highest score among the first ``ranked`` rows (the ranked ones; ties by symbol),
    NA for the others and for a missing score."""
    rows = np.flatnonzero(~np.isnan(score[:ranked]))
    order = rows[np.lexsort((symbols[rows], -score[rows]))]
    positions = np.zeros(len(score), dtype=np.int64)
    positions[order] = np.arange(1, len(order) + 1)
    return pd.arrays.IntegerArray(positions, positions == 0)


def compute_context(history: pd.DataFrame, window: pd.DataFrame, drawdowns: pd.DataFrame) -> pd.DataFrame:
    """Returns, moving-average distances, volatility and trough for each symbol of ``drawdowns``.

    ``history`` holds each symbol's bars up to the as-of day (sorted by symbol and date),
    ``window`` the drawdown window's bars with ``log_return``; ``drawdowns`` is the output of
    ``compute_drawdowns``. Returns a frame indexed by symbol (see README for the formulas).
    Returns and averages are read from each symbol's run of rows with array arithmetic: no
    groupby over the history's millions of rows.
    """
    symbols = pd.Index(drawdowns["symbol"], name="symbol")
    close, drawdown = (drawdowns[column].to_numpy(dtype=float) for column in ("close", "drawdown_pct"))
    names, starts, ends = symbol_runs(history)
    run = names.get_indexer(symbols)  # each symbol's run (-1: none); arrays from here, no alignment
    closes = history["close"].to_numpy(dtype=float)
    columns: dict[str, np.ndarray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):  # NaN in, NaN out (as pandas' own arithmetic)
        for bars in RETURN_BARS:
            back = ends - 1 - bars
            earlier = np.where(back >= starts, closes[np.maximum(back, 0)] if len(closes) else np.nan, np.nan)
            columns[f"ret_{bars}d_pct"] = (close / of_runs(earlier, run) - 1.0) * 100.0
        for bars, means in zip(MOVING_AVERAGE_BARS, run_tail_means_of(closes, starts, ends, MOVING_AVERAGE_BARS)):
            columns[f"dist_ma{bars}_pct"] = (close / of_runs(means, run) - 1.0) * 100.0
        daily, trough_close, trough_date = _window_stats(window, drawdowns.set_index("symbol")["peak_date"], symbols)
        volatility = daily.to_numpy(dtype=float) * np.sqrt(TRADING_DAYS_PER_YEAR) * 100.0
        columns["volatility_pct"] = volatility
        columns["drawdown_vol"] = drawdown / np.where(volatility > MIN_VOLATILITY_PCT, volatility, np.nan)
        columns["trough_close"] = trough_close.to_numpy(dtype=float)
        columns["trough_date"] = trough_date.to_numpy()
        columns["rebound_pct"] = (close / columns["trough_close"] - 1.0) * 100.0
    return pd.DataFrame(columns, index=symbols)


def _window_stats(window: pd.DataFrame, peak_date: pd.Series, symbols: pd.Index) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Per symbol of ``symbols``: the daily log returns' standard deviation in the window, and
    the lowest close since the peak (``peak_date``, by symbol) with the latest day it was reached."""
    starts = dated_runs(window)
    if starts is None:
        daily = window.groupby("symbol")["log_return"].std(ddof=1).reindex(symbols)
        since_peak = window[window["date"] >= window["symbol"].map(peak_date)]
        trough_close = since_peak.groupby("symbol")["close"].min().reindex(symbols)
        at_trough = since_peak[since_peak["close"] == since_peak["symbol"].map(trough_close)]
        return daily, trough_close, at_trough.groupby("symbol")["date"].max().reindex(symbols)
    names = pd.Index(window["symbol"].iloc[starts].to_numpy().astype(object), name="symbol")
    stamps = window["date"].to_numpy(dtype="datetime64[ns]")
    same = names.equals(symbols)  # the window's runs are the report's symbols, in order (as usual)
    peaks = (peak_date if same else peak_date.reindex(names)).to_numpy(dtype="datetime64[ns]")
    after_peak = stamps >= np.repeat(peaks, np.diff(np.r_[starts, len(stamps)]))
    low, low_date = run_extreme(window["close"].to_numpy(dtype=float), stamps, starts, after_peak, highest=False)
    series = (
        pd.Series(run_std(window["log_return"].to_numpy(dtype=float), starts), index=names),
        pd.Series(low, index=names),
        pd.Series(low_date, index=names).astype(window["date"].dtype),
    )
    daily, trough_close, trough_date = (part.set_axis(symbols) if same else part.reindex(symbols) for part in series)
    return daily, trough_close, trough_date


def compute_scores(report: pd.DataFrame) -> pd.Series:
    """The composite score (higher is better): deep drawdowns, a little ahead if they have
    stopped falling. depth = -drawdown_pct; the rebound from the trough (capped at the depth)
    adds; this week's fall (capped at the depth) takes away. Weights: ``SCORE_WEIGHTS``.
    """
    depth = -report["drawdown_pct"].to_numpy(dtype=float)
    floor = np.where(depth < 0.0, 0.0, depth)  # as Series.clip(lower=0): NaN stays NaN
    rebound = np.minimum(_filled(report["rebound_pct"].to_numpy(dtype=float)), floor)
    fall = report["ret_5d_pct"].to_numpy(dtype=float)
    knife = np.maximum(_filled(np.where(fall > 0.0, 0.0, fall)), -floor)
    weights = SCORE_WEIGHTS
    return pd.Series(weights["depth"] * depth + weights["rebound"] * rebound + weights["knife"] * knife, index=report.index)


def _filled(values: np.ndarray) -> np.ndarray:
    """``values`` with NaN as 0."""
    filled: np.ndarray = np.where(np.isnan(values), 0.0, values)
    return filled


def history_bars(bars: pd.DataFrame, as_of: date, lookback_days: int) -> pd.DataFrame:
    """The bars the analytics read for ``as_of``: dated from ``history_start`` to ``as_of``, one
    per (symbol, date), sorted by symbol and date (see ``unique_sorted``)."""
    stamps = bars["date"].to_numpy(dtype="datetime64[ns]")
    first, last = (np.datetime64(pd.Timestamp(day), "ns") for day in (history_start(as_of, lookback_days), as_of))
    inside = (stamps >= first) & (stamps <= last)
    return unique_sorted(bars if bool(inside.all()) else bars[inside])


def repaired_history(
    bars: pd.DataFrame, as_of: date, lookback_days: int, announcements: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The history a report reads (``history_bars``) with its confirmed splits undone, and the
    split days found (``shared.core.splits``): the prices the report measures, so that its
    charts draw them too."""
    history = history_bars(bars, as_of, lookback_days)
    splits = find_splits(history, announcements)
    return repair_splits(history, splits), splits


def build_report(
    bars: pd.DataFrame,
    universe: pd.DataFrame,
    as_of: date,
    lookback_days: int = 180,
    sessions: pd.DatetimeIndex | None = None,
    announcements: pd.DataFrame | None = None,
    repaired: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The day's report: drawdowns with context, joined with names and sectors, flagged, scored
    and ranked.

    Returns ``REPORT_COLUMNS``, one row per universe symbol that has a bar dated ``as_of``.
    ``sessions`` are the trading days of the window (default: the NYSE calendar's).
    Splits in raw prices are found (``shared.core.splits``, with the broker's ``announcements``
    when given) and confirmed ones undone here, for the report only: ``bars`` stay as stored.
    ``repaired``: what ``repaired_history`` returns for the same arguments, when the caller has
    it already (the collector shares it with the chart: the split analysis runs once).
    """
    if sessions is None:
        sessions = window_sessions(as_of, lookback_days)
    history, splits = repaired_history(bars, as_of, lookback_days, announcements) if repaired is None else repaired
    drawdowns = compute_drawdowns(history, as_of, lookback_days)
    if drawdowns.empty:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in REPORT_COLUMNS})
    if len(drawdowns) < len(history["symbol"].cat.categories):
        history = history[history["symbol"].isin(drawdowns["symbol"])]
        history = history.assign(symbol=history["symbol"].cat.remove_unused_categories())
    drawdowns = drawdowns.assign(symbol=drawdowns["symbol"].astype(object))
    window = with_log_returns(window_bars(history, as_of, lookback_days))
    flags = join_flags(flag_symbols(window, as_of, sessions, splits))
    context = compute_context(history, window, drawdowns)
    report = drawdowns.merge(universe.loc[:, ["symbol", "name", "sector"]], on="symbol", how="left")
    report = report.join(context, on="symbol").join(dip_context(history, drawdowns, as_of, sessions), on="symbol")
    report = report.assign(
        name=report["name"].fillna(""),
        sector=report["sector"].fillna("Unknown"),
        flags=report["symbol"].map(flags).fillna(""),
    )
    report = report.assign(score=compute_scores(report))
    return rank(report).loc[:, REPORT_COLUMNS]
