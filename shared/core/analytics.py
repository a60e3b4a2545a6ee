"""Pure analytics over DataFrames: drawdowns from the peak, context (returns, moving averages,
volatility, trough and rebound), the composite score, the ranks, sectors and what changed.
The data-quality flags are in ``shared.core.quality``, the track record in ``shared.core.track_record``.

Nothing here does I/O, logs or reads config, and no function changes its input.

Input ``bars`` columns (see ``shared.adapters.market_data.BAR_COLUMNS``):
``symbol, date, open, high, low, close, volume`` with ``date`` a tz-naive midnight timestamp.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from shared.core.quality import explode_flags, flag_symbols, join_flags, with_log_returns
from shared.core.trading_calendar import trading_days

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
#: Calendar days of history the context reads (the 200-bar average needs about 290).
HISTORY_DAYS = 300

#: The composite score's weights, all in one place (README names them).
#: score = DEPTH * depth + REBOUND * min(rebound_pct, depth)
#:         + ACCELERATION * min(ret_5d_pct - ret_20d_pct / 4, 0) + KNIFE * min(ret_5d_pct, 0)
#: where depth = -drawdown_pct; missing terms (short history) count as 0.
SCORE_WEIGHTS: dict[str, float] = {
    "depth": 1.0,
    "rebound": 0.5,
    "acceleration": 1.0,
    "knife": 0.5,
}


def window_bars(bars: pd.DataFrame, as_of: date, lookback_days: int) -> pd.DataFrame:
    """The bars dated in (as_of - lookback_days, as_of], as pandas ``rolling("180D")`` sees them."""
    end = pd.Timestamp(as_of)
    start = end - pd.Timedelta(days=lookback_days)
    return bars[(bars["date"] > start) & (bars["date"] <= end)]


def compute_drawdowns(bars: pd.DataFrame, as_of: date, lookback_days: int = 180) -> pd.DataFrame:
    """Each symbol's decline from its peak close in the window ending on ``as_of``.

    Returns one row per symbol that has a bar dated ``as_of``, with columns
    ``symbol, close, peak_close, peak_date, drawdown_pct, days_since_peak``:
    - ``peak_close``: the highest close in (as_of - lookback_days, as_of];
    - ``peak_date``: the latest date on which that close was reached;
    - ``drawdown_pct``: (close / peak_close - 1) * 100, so 0 at a peak and negative below it;
    - ``days_since_peak``: calendar days from ``peak_date`` to ``as_of``.
    """
    window = window_bars(bars, as_of, lookback_days).loc[:, ["symbol", "date", "close"]]
    end = pd.Timestamp(as_of)
    today = window[window["date"] == end].drop_duplicates("symbol", keep="last").set_index("symbol")["close"]
    window = window[window["symbol"].isin(today.index)]
    peak_close = window.groupby("symbol")["close"].max()
    at_peak = window[window["close"] == window["symbol"].map(peak_close)]
    peak_date = at_peak.groupby("symbol")["date"].max()
    result = pd.DataFrame({"close": today, "peak_close": peak_close, "peak_date": peak_date})
    result = result.assign(
        drawdown_pct=(result["close"] / result["peak_close"] - 1.0) * 100.0,
        days_since_peak=(end - result["peak_date"]).dt.days.astype("int64"),
    )
    result.index.name = "symbol"
    return result.reset_index().sort_values("symbol", kind="stable").reset_index(drop=True)


def has_excluding_flag(flags: pd.Series) -> pd.Series:
    """True where a ``flags`` string holds a flag that keeps the symbol out of the ranking."""
    names = explode_flags(flags.reset_index(drop=True))
    excluded = names.isin(EXCLUDING_FLAGS).groupby(level=0).any().reindex(range(len(flags)), fill_value=False)
    return pd.Series(excluded.to_numpy(dtype=bool), index=flags.index)


def rank(report: pd.DataFrame) -> pd.DataFrame:
    """Rank by drawdown: 1 is the deepest, ties broken by symbol. Excluded rows get no rank.

    ``report`` needs ``symbol``, ``drawdown_pct`` and ``flags``. The result is sorted with the
    ranked rows first, in rank order, then the excluded ones by symbol; ``rank`` is a nullable
    integer column. With a ``score`` column, ``score_rank`` ranks the same rows by score
    (1 is the highest, ties broken by symbol).
    """
    excluded = has_excluding_flag(report["flags"]) | report["drawdown_pct"].isna()
    ordered = pd.concat(
        [
            report[~excluded].sort_values(["drawdown_pct", "symbol"], kind="stable"),
            report[excluded].sort_values("symbol", kind="stable"),
        ]
    )
    ranked_count = int((~excluded).sum())
    ranks = pd.array(list(range(1, ranked_count + 1)) + [pd.NA] * int(excluded.sum()), dtype="Int64")
    result = ordered.assign(rank=ranks).reset_index(drop=True)
    if "score" in result:
        result = result.assign(score_rank=_score_ranks(result))
    return result


def _score_ranks(ranked: pd.DataFrame) -> pd.Series:
    """1 for the highest score among ranked rows (ties by symbol); NA for unranked ones."""
    eligible = ranked[ranked["rank"].notna() & ranked["score"].notna()]
    order = eligible.assign(negative=-eligible["score"]).sort_values(["negative", "symbol"], kind="stable")
    positions = pd.Series(np.arange(1, len(order) + 1), index=order.index)
    return positions.reindex(ranked.index).astype("Int64")


def _segments(history: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Each symbol's run of rows in ``history`` (sorted by symbol, then date): the symbols, and
    the first and one-past-last row of each."""
    symbol = history["symbol"]
    labels = symbol.cat.codes.to_numpy() if isinstance(symbol.dtype, pd.CategoricalDtype) else pd.factorize(symbol)[0]
    if not len(labels):
        return pd.Index([], name="symbol", dtype=object), np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    ends = np.flatnonzero(np.r_[labels[1:] != labels[:-1], True]) + 1
    starts = np.r_[0, ends[:-1]].astype(np.int64)
    return pd.Index(symbol.to_numpy()[starts].astype(object), name="symbol"), starts, ends


def _window_means(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, bars: int) -> np.ndarray:
    """The mean of each run's last ``bars`` values, NaN skipped; NaN where a run is shorter."""
    lows = np.maximum(ends - bars, starts)
    finite = ~np.isnan(values)
    padded = np.r_[np.where(finite, values, 0.0), 0.0]  # reduceat needs an index past each run
    counts = np.r_[finite.astype(np.int64), 0]
    edges = np.column_stack([lows, ends]).ravel()
    sums = np.add.reduceat(padded, edges)[::2]
    present = np.add.reduceat(counts, edges)[::2]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(present > 0, sums / np.maximum(present, 1), np.nan)
    return np.where(ends - starts >= bars, means, np.nan)


def compute_context(history: pd.DataFrame, window: pd.DataFrame, drawdowns: pd.DataFrame) -> pd.DataFrame:
    """Returns, moving-average distances, volatility and trough for each symbol of ``drawdowns``.

    ``history`` holds each symbol's bars up to the as-of day (sorted by symbol and date),
    ``window`` the drawdown window's bars with ``log_return``; ``drawdowns`` is the output of
    ``compute_drawdowns``. Returns a frame indexed by symbol (see README for the formulas).
    Returns and averages are read from each symbol's run of rows with array arithmetic: no
    groupby over the history's millions of rows.
    """
    symbols = pd.Index(drawdowns["symbol"], name="symbol")
    close = drawdowns.set_index("symbol")["close"]
    names, starts, ends = _segments(history)
    closes = history["close"].to_numpy(dtype=float)
    columns: dict[str, pd.Series] = {}
    for bars in RETURN_BARS:
        back = ends - 1 - bars
        earlier = np.where(back >= starts, closes[np.maximum(back, 0)] if len(closes) else np.nan, np.nan)
        columns[f"ret_{bars}d_pct"] = (close / pd.Series(earlier, index=names).reindex(symbols) - 1.0) * 100.0
    for bars in MOVING_AVERAGE_BARS:
        average = pd.Series(_window_means(closes, starts, ends, bars), index=names).reindex(symbols)
        columns[f"dist_ma{bars}_pct"] = (close / average - 1.0) * 100.0
    daily = window.groupby("symbol")["log_return"].std(ddof=1).reindex(symbols)
    volatility = daily * np.sqrt(TRADING_DAYS_PER_YEAR) * 100.0
    columns["volatility_pct"] = volatility
    drawdown = drawdowns.set_index("symbol")["drawdown_pct"]
    columns["drawdown_vol"] = drawdown / volatility.where(volatility > MIN_VOLATILITY_PCT)
    peak_date = drawdowns.set_index("symbol")["peak_date"]
    since_peak = window[window["date"] >= window["symbol"].map(peak_date)]
    trough_close = since_peak.groupby("symbol")["close"].min().reindex(symbols)
    at_trough = since_peak[since_peak["close"] == since_peak["symbol"].map(trough_close)]
    columns["trough_close"] = trough_close
    columns["trough_date"] = at_trough.groupby("symbol")["date"].max().reindex(symbols)
    columns["rebound_pct"] = (close / trough_close - 1.0) * 100.0
    return pd.DataFrame(columns, index=symbols)


def compute_scores(report: pd.DataFrame) -> pd.Series:
    """The composite score (higher is better): deep drawdowns that have stopped falling.

    depth = -drawdown_pct rewards depth; the rebound from the trough (capped at the depth)
    rewards stabilisation; a 5-day return below the 5-day share of the 20-day return (an
    accelerating decline) and a negative 5-day return (a falling knife) are penalised.
    Weights: ``SCORE_WEIGHTS``.
    """
    depth = -report["drawdown_pct"]
    rebound = np.minimum(report["rebound_pct"].fillna(0.0), depth.clip(lower=0.0))
    acceleration = (report["ret_5d_pct"] - report["ret_20d_pct"] / 4.0).clip(upper=0.0).fillna(0.0)
    knife = report["ret_5d_pct"].clip(upper=0.0).fillna(0.0)
    weights = SCORE_WEIGHTS
    return (
        weights["depth"] * depth
        + weights["rebound"] * rebound
        + weights["acceleration"] * acceleration
        + weights["knife"] * knife
    )


def history_bars(bars: pd.DataFrame, as_of: date, lookback_days: int) -> pd.DataFrame:
    """The bars the analytics read for ``as_of``: dated in (as_of - max(lookback, HISTORY_DAYS),
    as_of], one per (symbol, date), sorted by symbol and date."""
    end = pd.Timestamp(as_of)
    start = end - pd.Timedelta(days=max(lookback_days, HISTORY_DAYS))
    inside = (bars["date"] > start) & (bars["date"] <= end)
    return unique_sorted(bars if bool(inside.all()) else bars[inside])


def unique_sorted(bars: pd.DataFrame) -> pd.DataFrame:
    """``bars`` with one row per (symbol, date), the last given, sorted by symbol and date, and
    ``symbol`` a categorical (every groupby then reuses its codes instead of hashing strings).

    Works on integer codes, not strings, and skips the sort when the rows are in order already
    (as stored bars are): a tenth of the time of ``drop_duplicates`` and ``sort_values``."""
    symbol = pd.Categorical(bars["symbol"])
    codes = symbol.codes.astype(np.int64)
    stamps = bars["date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    ascending = bool(np.all((codes[1:] > codes[:-1]) | ((codes[1:] == codes[:-1]) & (stamps[1:] > stamps[:-1]))))
    if ascending:
        return bars.assign(symbol=symbol)  # no row copy: the frame is in order and unique
    else:
        order = np.lexsort((np.arange(len(codes)), stamps, codes))  # by symbol, date, then position
        last = np.r_[(codes[order][1:] != codes[order][:-1]) | (stamps[order][1:] != stamps[order][:-1]), True]
        rows = order[last]
    return bars.iloc[rows].assign(symbol=symbol[rows])


def window_sessions(as_of: date, lookback_days: int) -> pd.DatetimeIndex:
    """The NYSE sessions in (as_of - lookback_days, as_of]."""
    return trading_days(as_of - timedelta(days=lookback_days - 1), as_of)


def build_report(
    bars: pd.DataFrame,
    universe: pd.DataFrame,
    as_of: date,
    lookback_days: int = 180,
    sessions: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """The day's report: drawdowns with context, joined with names and sectors, flagged, scored
    and ranked.

    Returns ``REPORT_COLUMNS``, one row per universe symbol that has a bar dated ``as_of``.
    ``sessions`` are the trading days of the window (default: the NYSE calendar's).
    """
    if sessions is None:
        sessions = window_sessions(as_of, lookback_days)
    history = history_bars(bars, as_of, lookback_days)
    drawdowns = compute_drawdowns(history, as_of, lookback_days)
    if drawdowns.empty:
        return pd.DataFrame({column: pd.Series(dtype=object) for column in REPORT_COLUMNS})
    if len(drawdowns) < len(history["symbol"].cat.categories):
        history = history[history["symbol"].isin(drawdowns["symbol"])]
        history = history.assign(symbol=history["symbol"].cat.remove_unused_categories())
    drawdowns = drawdowns.assign(symbol=drawdowns["symbol"].astype(object))
    window = with_log_returns(window_bars(history, as_of, lookback_days))
    flags = join_flags(flag_symbols(window, as_of, sessions))
    context = compute_context(history, window, drawdowns)
    report = drawdowns.merge(universe.loc[:, ["symbol", "name", "sector"]], on="symbol", how="left")
    report = report.join(context, on="symbol")
    report = report.assign(
        name=report["name"].fillna(""),
        sector=report["sector"].fillna("Unknown"),
        flags=report["symbol"].map(flags).fillna(""),
    )
    report = report.assign(score=compute_scores(report))
    return rank(report).loc[:, REPORT_COLUMNS]


# --- sectors and what changed -------------------------------------------------------------------

#: A name counts as "deeply down" when its drawdown is below this, in percent.
DEEP_DRAWDOWN_PCT = -20.0
#: How many rank moves ``compare_reports`` lists.
RANK_MOVES_LISTED = 10


def summarise_sectors(report: pd.DataFrame) -> pd.DataFrame:
    """Per sector over the ranked rows: ``sector, count, median_drawdown_pct, share_below_20_pct``
    (the percentage of names more than 20% below their peak), deepest median first."""
    ranked = report[report["rank"].notna()]
    deep = (ranked["drawdown_pct"] < DEEP_DRAWDOWN_PCT).astype(float) * 100.0
    grouped = ranked.assign(deep=deep).groupby("sector", sort=True)
    summary = pd.DataFrame(
        {
            "count": grouped.size(),
            "median_drawdown_pct": grouped["drawdown_pct"].median(),
            "share_below_20_pct": grouped["deep"].mean(),
        }
    ).reset_index()
    summary = summary.sort_values(["median_drawdown_pct", "sector"], kind="stable").reset_index(drop=True)
    return summary.astype({"count": "int64"}).loc[:, ["sector", "count", "median_drawdown_pct", "share_below_20_pct"]]


def compare_reports(
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    as_of: date,
    previous_day: date | None,
    top_n: int = 10,
) -> dict[str, object]:
    """What changed since the previous report: names entering and leaving the top ``top_n``,
    the biggest rank moves (``change`` = previous rank - rank, so positive means a deeper
    drawdown rank) and flags a symbol did not have before. Plain JSON-ready data."""
    previous = current.iloc[0:0] if previous is None else previous
    now_ranks = current.set_index("symbol")["rank"].dropna().astype(int)
    then_ranks = previous.set_index("symbol")["rank"].dropna().astype(int)
    top_now = now_ranks[now_ranks <= top_n].sort_values()
    top_then = then_ranks[then_ranks <= top_n].sort_values()
    both = pd.DataFrame({"previous_rank": then_ranks, "rank": now_ranks}).dropna().astype(int)
    both = both.assign(change=both["previous_rank"] - both["rank"])
    both = both[both["change"] != 0].assign(size=lambda f: f["change"].abs())
    moves = both.rename_axis("symbol").reset_index().sort_values(["size", "rank", "symbol"], ascending=[False, True, True], kind="stable")
    now_flags = explode_flags(current.set_index("symbol")["flags"])
    then_flags = explode_flags(previous.set_index("symbol")["flags"]) if len(previous) else now_flags.iloc[0:0]
    now_pairs = pd.DataFrame({"symbol": now_flags.index, "flag": now_flags.to_numpy()})
    then_pairs = pd.DataFrame({"symbol": then_flags.index, "flag": then_flags.to_numpy(), "before": True})
    fresh = now_pairs.merge(then_pairs, on=["symbol", "flag"], how="left")
    fresh = fresh[fresh["before"].isna()]
    new_flags = fresh.groupby("symbol", sort=True)["flag"].agg(list) if previous_day is not None else pd.Series(dtype=object)
    return {
        "as_of": as_of.isoformat(),
        "previous": None if previous_day is None else previous_day.isoformat(),
        "top_n": int(top_n),
        "entered": [s for s in top_now.index if s not in top_then.index] if previous_day is not None else [],
        "left": [s for s in top_then.index if s not in top_now.index],
        "rank_moves": [
            {"symbol": str(row.symbol), "previous_rank": int(row.previous_rank), "rank": int(row.rank), "change": int(row.change)}
            for row in moves.head(RANK_MOVES_LISTED).itertuples(index=False)
        ],
        "new_flags": [{"symbol": str(symbol), "flags": list(flags)} for symbol, flags in new_flags.items()],
    }
