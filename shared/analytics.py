"""Pure analytics over DataFrames: drawdowns from the peak, and the ranking.

Nothing here does I/O, logs or reads config, and no function changes its input.

Input ``bars`` columns (see ``shared.market_data.BAR_COLUMNS``):
``symbol, date, open, high, low, close, volume`` with ``date`` a tz-naive midnight timestamp.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

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
]
#: Flags that keep a symbol out of the ranking (it is still listed, with an empty rank).
EXCLUDING_FLAGS = frozenset({"split_suspect", "bad_price"})
FLAG_SEPARATOR = ";"


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
    split = flags.fillna("").str.split(FLAG_SEPARATOR)
    return split.map(lambda names: not EXCLUDING_FLAGS.isdisjoint(names)).astype(bool)


def rank(report: pd.DataFrame) -> pd.DataFrame:
    """Rank by drawdown: 1 is the deepest, ties broken by symbol. Excluded rows get no rank.

    ``report`` needs ``symbol``, ``drawdown_pct`` and ``flags``. The result is sorted with the
    ranked rows first, in rank order, then the excluded ones by symbol; ``rank`` is a nullable
    integer column.
    """
    excluded = has_excluding_flag(report["flags"]) | report["drawdown_pct"].isna()
    ordered = pd.concat(
        [
            report[~excluded].sort_values(["drawdown_pct", "symbol"], kind="stable"),
            report[excluded].sort_values("symbol", kind="stable"),
        ]
    )
    ranks = pd.array(list(range(1, int((~excluded).sum()) + 1)) + [pd.NA] * int(excluded.sum()), dtype="Int64")
    return ordered.assign(rank=ranks).reset_index(drop=True)


def build_report(bars: pd.DataFrame, universe: pd.DataFrame, as_of: date, lookback_days: int = 180) -> pd.DataFrame:
    """The day's report: drawdowns joined with names and sectors, flagged and ranked.

    Returns ``REPORT_COLUMNS`` (plus any analytics columns added later), one row per universe
    symbol that has a bar dated ``as_of``.
    """
    drawdowns = compute_drawdowns(bars, as_of, lookback_days)
    report = drawdowns.merge(universe.loc[:, ["symbol", "name", "sector"]], on="symbol", how="left")
    report = report.assign(
        name=report["name"].fillna(""),
        sector=report["sector"].fillna("Unknown"),
        flags="",
    )
    ranked = rank(report)
    extra = [c for c in ranked.columns if c not in REPORT_COLUMNS]
    return ranked.loc[:, REPORT_COLUMNS + extra]
