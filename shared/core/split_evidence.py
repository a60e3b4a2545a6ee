"""The evidence a split detector weighs for each day: the raw log return, the symbol's daily
volatility, and the day's (and the following sessions') jump in log share volume.

Computed over symbols in chunks of whole runs (``CHUNK_ROWS`` rows or so): every intermediate
array is then a chunk long, not two million rows, which keeps the memory flat and the arrays in
the CPU's cache. The results are the same numbers, bit for bit, as over the whole frame at once:
each value reads only its own symbol's run, and the running volume sum carries on from chunk to
chunk exactly as one cumulative sum would. ``shared.core.splits`` explains the model.
"""
from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd

from shared.core.symbol_runs import symbol_runs

#: Sessions of volume before (and after) a day that its volume is compared with.
VOLUME_SESSIONS = 10
#: Sessions of volume before a day needed to weigh volume at all.
MIN_VOLUME_SESSIONS = 10
#: Daily volatility: 1.25 * mean |log return| of the symbol, each return capped (a jump must not
#: inflate it), never below the floor (a split day can carry a real +/-10% move).
VOLATILITY_CAP = 0.15
MIN_DAILY_VOLATILITY = 0.01
#: With fewer returns than this, the volatility is unknown: a typical one is assumed.
MIN_VOLATILITY_RETURNS = 5
TYPICAL_DAILY_VOLATILITY = 0.03
#: Columns of ``day_evidence``, in order.
EVIDENCE_COLUMNS = ("r", "sigma", "spike", "after", "after_count", "volume_noise")
#: Rows per chunk (whole symbol runs, so a chunk may be one run longer).
CHUNK_ROWS = 1 << 16


def _run_means(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray, least: int, final: bool) -> np.ndarray:
    """Per row, the mean of the finite values of its run (NaN with fewer than ``least``: a short
    series cannot set a yardstick, its own jump would dominate it). ``final``: the chunk ends the
    history, whose last run is summed with a zero after it (numpy sums pairwise, so an extra term
    can move the last bit: this keeps the sums those of the whole frame at once)."""
    finite = np.isfinite(values)
    own = np.where(finite, values, 0.0)
    if not len(starts):
        return own
    sums = np.repeat(np.add.reduceat(np.append(own, 0.0) if final else own, starts), lengths)
    counts = np.repeat(np.add.reduceat(finite.astype(np.int64), starts), lengths)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= max(least, 1), sums / np.maximum(counts, 1), np.nan)


def _chunk_evidence(
    close: np.ndarray, volume: np.ndarray, starts: np.ndarray, ends: np.ndarray, carried: float, final: bool
) -> tuple[dict[str, np.ndarray], float]:
    """``EVIDENCE_COLUMNS`` for whole runs ``[starts, ends)`` of ``close`` and ``volume`` (both
    the chunk's rows only); ``carried`` is the running log volume sum before the chunk, and the
    sum after it is returned with the columns; ``final``: the chunk ends the history."""
    lengths = ends - starts
    first, last = np.repeat(starts, lengths), np.repeat(ends, lengths)
    rows = np.arange(len(close))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.log(close / np.concatenate(([np.nan], close[:-1])))
        log_volume = np.where(volume > 0, np.log(np.where(volume > 0, volume, 1.0)), np.nan)
    r[starts] = np.nan  # each run's first day has no return
    r[~np.isfinite(r)] = np.nan
    traded = np.isfinite(log_volume)
    sums = np.cumsum(np.concatenate(([carried], np.where(traded, log_volume, 0.0))))  # one running sum, chunk after chunk
    days = np.concatenate(([0], np.cumsum(traded)))
    low = np.maximum(rows - VOLUME_SESSIONS, first)
    high = np.minimum(rows + 1 + VOLUME_SESSIONS, last)
    # rows + 1 <= high always, so the sessions after are [rows + 1, high); sums[:-1] is sums[rows]
    before_count = days[:-1] - days[low]
    after_count = days[high] - days[1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(before_count >= MIN_VOLUME_SESSIONS, (sums[:-1] - sums[low]) / before_count, np.nan)
        after = np.where(after_count > 0, (sums[high] - sums[1:]) / after_count, np.nan) - before
    spike = log_volume - before
    own = 1.25 * _run_means(np.minimum(np.abs(r), VOLATILITY_CAP), starts, lengths, MIN_VOLATILITY_RETURNS, final)
    sigma = np.maximum(np.where(np.isnan(own), TYPICAL_DAILY_VOLATILITY, own), MIN_DAILY_VOLATILITY)
    noise = np.fmax(1.25 * _run_means(np.minimum(np.abs(spike), 1.5), starts, lengths, 1, final), 0.15)
    columns = {"r": r, "sigma": sigma, "spike": spike, "after": after, "after_count": after_count, "volume_noise": noise}
    return columns, float(sums[-1])


def _numbers(column: pd.Series) -> np.ndarray:
    """A numeric column's values without a copy (each chunk is made float on its own), or as floats."""
    values = column.to_numpy()
    return values if values.dtype.kind in "fiub" else column.to_numpy(dtype=float)


def evidence_chunks(history: pd.DataFrame) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """The evidence of ``history`` (sorted by symbol and date, one bar per day) chunk by chunk:
    each chunk's first row and its ``EVIDENCE_COLUMNS`` (arrays as long as the chunk)."""
    close, volume = _numbers(history["close"]), _numbers(history["volume"])
    _names, starts, ends = symbol_runs(history)
    carried = 0.0
    run = 0
    while run < len(starts):
        # The runs that start before the chunk's row budget is spent (at least one).
        stop = max(int(np.searchsorted(starts, starts[run] + CHUNK_ROWS, side="left")), run + 1)
        begin, end = int(starts[run]), int(ends[stop - 1])
        columns, carried = _chunk_evidence(
            close[begin:end].astype(float, copy=False),
            volume[begin:end].astype(float, copy=False),
            starts[run:stop] - begin,
            ends[run:stop] - begin,
            carried,
            stop == len(starts),
        )
        yield begin, columns
        run = stop


def day_evidence(history: pd.DataFrame) -> pd.DataFrame:
    """Per bar of ``history`` (sorted by symbol and date, one bar per day): the raw log return
    ``r``, the symbol's daily volatility ``sigma``, the volume jump of the day ``spike`` and of the
    sessions after ``after`` (log, against the mean of the sessions before; NaN without enough
    volume), ``after_count``, and the volume noise ``volume_noise``. Indexed like ``history``."""
    parts = [columns for _begin, columns in evidence_chunks(history)]
    merged = {name: np.concatenate([part[name] for part in parts]) if parts else np.array([], dtype=float) for name in EVIDENCE_COLUMNS}
    if not parts:
        merged["after_count"] = np.array([], dtype=np.int64)
    return pd.DataFrame(merged, index=history.index)
