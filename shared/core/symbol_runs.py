"""Bars as runs of rows, one run per symbol: sorting on integer codes and per-run arithmetic.

At 10,000 symbols a report reads two million rows of history; a groupby over them hashes the
symbol strings every time. Sorted by symbol and date once, each symbol's rows are one run, and
returns or averages are plain array arithmetic on the runs' ends.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd


def unique_sorted(bars: pd.DataFrame) -> pd.DataFrame:
    """``bars`` with one row per (symbol, date), the last given, sorted by symbol and date, and
    ``symbol`` a categorical (every groupby then reuses its codes instead of hashing strings).

    Works on integer codes, not strings, and skips the sort when the rows are in order already
    (as stored bars are): a tenth of the time of ``drop_duplicates`` and ``sort_values``."""
    symbol = _categorical(bars["symbol"])
    codes = symbol.codes.astype(np.int64)
    stamps = bars["date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    ascending = bool(np.all((codes[1:] > codes[:-1]) | ((codes[1:] == codes[:-1]) & (stamps[1:] > stamps[:-1]))))
    if ascending:
        return bars.assign(symbol=symbol)  # no row copy: the frame is in order and unique
    order = np.lexsort((np.arange(len(codes)), stamps, codes))  # by symbol, date, then position
    last = np.r_[(codes[order][1:] != codes[order][:-1]) | (stamps[order][1:] != stamps[order][:-1]), True]
    rows = order[last]
    return bars.iloc[rows].assign(symbol=symbol[rows])


def _categorical(symbol: pd.Series) -> pd.Categorical:
    """``pd.Categorical(symbol)``. Strings in sorted runs (as stored bars are) are coded from the
    runs themselves, a quarter of the time of hashing every row; anything else goes to pandas."""
    values = symbol.to_numpy()
    if isinstance(symbol.dtype, pd.CategoricalDtype) or values.dtype != object or not len(values):
        return pd.Categorical(symbol)
    starts = np.r_[True, values[1:] != values[:-1]]
    firsts = values[starts]
    if not all(isinstance(name, str) for name in firsts) or not all(a < b for a, b in zip(firsts[:-1], firsts[1:])):
        return pd.Categorical(symbol)  # a NaN, another type, or not sorted
    return pd.Categorical.from_codes(np.cumsum(starts) - 1, categories=pd.Index(firsts, dtype=symbol.dtype))


def symbol_runs(history: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Each symbol's run of rows in ``history`` (sorted by symbol, then date): the symbols, and
    the first and one-past-last row of each."""
    symbol = history["symbol"]
    labels = symbol.cat.codes.to_numpy() if isinstance(symbol.dtype, pd.CategoricalDtype) else pd.factorize(symbol)[0]
    if not len(labels):
        return pd.Index([], name="symbol", dtype=object), np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    ends = np.flatnonzero(np.r_[labels[1:] != labels[:-1], True]) + 1
    starts = np.r_[0, ends[:-1]].astype(np.int64)
    return pd.Index(symbol.iloc[starts].to_numpy().astype(object), name="symbol"), starts, ends  # no object array of every row


def run_tail_means(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, bars: int) -> np.ndarray:
    """The mean of each run's last ``bars`` values, NaN skipped; NaN where a run is shorter."""
    return run_tail_means_of(values, starts, ends, (bars,))[0]


def run_tail_means_of(values: np.ndarray, starts: np.ndarray, ends: np.ndarray, windows: Sequence[int]) -> list[np.ndarray]:
    """``run_tail_means`` for each of ``windows`` (bars), the values' NaN mask made once."""
    finite = ~np.isnan(values)
    padded = np.r_[np.where(finite, values, 0.0), 0.0]  # reduceat needs an index past each run
    counts = np.r_[finite.astype(np.int64), 0]
    result = []
    for bars in windows:
        edges = np.column_stack([np.maximum(ends - bars, starts), ends]).ravel()
        sums = np.add.reduceat(padded, edges)[::2]
        present = np.add.reduceat(counts, edges)[::2]
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(present > 0, sums / np.maximum(present, 1), np.nan)
        result.append(np.where(ends - starts >= bars, means, np.nan))
    return result


def sorted_runs(symbol: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """The first and one-past-last row of each run of a categorical ``symbol`` whose codes never
    decrease (rows sorted by symbol, as the analytics' frames are); None otherwise."""
    if not isinstance(symbol.dtype, pd.CategoricalDtype) or not len(symbol):
        return None
    codes = symbol.cat.codes.to_numpy()
    if codes[0] < 0 or bool((codes[1:] < codes[:-1]).any()):
        return None
    ends = np.flatnonzero(np.r_[codes[1:] != codes[:-1], True]) + 1
    return np.r_[0, ends[:-1]].astype(np.int64), ends


def run_medians(values: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray | None:
    """The median of each run's non-NaN values (NaN when none), as pandas' groupby median: the
    mean of the two middle values of an even count. The runs are sorted as rows of one padded
    matrix, so None when that matrix would be much larger than ``values`` (a few long runs)."""
    lengths = ends - starts
    if not len(starts):
        return np.array([], dtype=float)
    width = int(lengths.max())
    if width * len(starts) > 4 * len(values) + 4096:
        return None
    matrix = np.full((len(starts), width), np.nan)
    matrix[np.repeat(np.arange(len(starts)), lengths), np.arange(len(values)) - np.repeat(starts, lengths)] = values
    matrix.sort(axis=1)  # NaN last
    count = np.add.reduceat((~np.isnan(values)).astype(np.int64), starts)
    rows = np.arange(len(starts))
    low, high = matrix[rows, np.maximum(count - 1, 0) // 2], matrix[rows, count // 2]
    medians: np.ndarray = np.where(count > 0, (low + high) / 2.0, np.nan)
    return medians


def run_extreme(values: np.ndarray, stamps: np.ndarray, starts: np.ndarray, keep: np.ndarray, highest: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per run, the highest (or lowest) non-NaN value among the rows where ``keep``, and the
    latest of ``stamps`` (datetime64[ns]) at which it is reached; NaN and NaT where none is kept."""
    usable = keep & ~np.isnan(values)
    if not len(starts):
        return np.array([], dtype=float), np.array([], dtype="datetime64[ns]")
    fill = -np.inf if highest else np.inf
    extreme = (np.maximum if highest else np.minimum).reduceat(np.where(usable, values, fill), starts)
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(values)]))
    reached = usable & (values == extreme[run])
    latest = np.maximum.reduceat(np.where(reached, stamps.view(np.int64), np.iinfo(np.int64).min), starts)
    found = np.logical_or.reduceat(usable, starts)
    return np.where(found, extreme, np.nan), latest.view("datetime64[ns]")


def run_std(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per run, the sample standard deviation (ddof 1) of the non-NaN values; NaN with fewer than two."""
    if not len(starts):
        return np.array([], dtype=float)
    present = ~np.isnan(values)
    run = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(values)]))
    count = np.add.reduceat(present.astype(np.int64), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.add.reduceat(np.where(present, values, 0.0), starts) / count
        squares = np.add.reduceat(np.where(present, (values - mean[run]) ** 2, 0.0), starts)
        spread: np.ndarray = np.where(count > 1, np.sqrt(squares / (count - 1)), np.nan)
    return spread


def dated_runs(bars: pd.DataFrame) -> np.ndarray | None:
    """The first row of each symbol run when ``bars`` are in sorted runs of a categorical symbol,
    dated in ascending order within each (as the analytics' history is); None otherwise."""
    runs = sorted_runs(bars["symbol"])
    if runs is None:
        return None
    stamps = bars["date"].to_numpy(dtype="datetime64[ns]")
    later = stamps[1:] >= stamps[:-1]  # row i + 1 against row i; NaT compares False
    later[runs[0][1:] - 1] = True  # a run's first row follows another symbol's
    return runs[0] if bool(later.all()) and not bool(np.isnat(stamps[runs[0]]).any()) else None


def of_runs(values: np.ndarray, run: np.ndarray) -> np.ndarray:
    """``values`` (one per run) picked for each entry of ``run``; NaN where it is -1 (no run)."""
    if not len(values):
        return np.full(len(run), np.nan)
    picked: np.ndarray = np.where(run >= 0, values[np.maximum(run, 0)], np.nan)
    return picked
