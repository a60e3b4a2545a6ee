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


def _run_means(values: np.ndarray, starts: np.ndarray, least: int, final: bool) -> np.ndarray:
    """Per run, the mean of its finite values (NaN with fewer than ``least``: a short series
    cannot set a yardstick, its own jump would dominate it). ``final``: the chunk ends the
    history, whose last run is summed with a zero after it (numpy sums pairwise, so an extra term
    can move the last bit: this keeps the sums those of the whole frame at once)."""
    finite = np.isfinite(values)
    own = np.where(finite, values, 0.0)
    sums = np.add.reduceat(np.append(own, 0.0) if final else own, starts)
    counts = np.add.reduceat(finite.astype(np.int64), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        means: np.ndarray = np.where(counts >= max(least, 1), sums / np.maximum(counts, 1), np.nan)
    return means


class ChunkEvidence:
    """The evidence of whole runs ``[starts, ends)`` of ``close`` and ``volume`` (the chunk's rows
    only): ``r`` and ``spike`` for every row (the screens read them), the other columns only at
    the rows asked for (``columns``), with the very operations that would give them for all rows.
    ``carried`` is the running log volume sum before the chunk (``carried_after``: after it);
    ``final``: the chunk ends the history."""

    def __init__(self, close: np.ndarray, volume: np.ndarray, starts: np.ndarray, ends: np.ndarray, carried: float, final: bool) -> None:
        self.starts, self.ends = starts, ends
        rows = np.arange(len(close))
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.log(close / np.concatenate(([np.nan], close[:-1])))
            log_volume = np.where(volume > 0, np.log(np.where(volume > 0, volume, 1.0)), np.nan)
        r[starts] = np.nan  # each run's first day has no return
        r[~np.isfinite(r)] = np.nan
        traded = np.isfinite(log_volume)
        self.sums = np.cumsum(np.concatenate(([carried], np.where(traded, log_volume, 0.0))))  # one running sum, chunk after chunk
        self.days = np.concatenate(([0], np.cumsum(traded)))
        low = np.maximum(rows - VOLUME_SESSIONS, np.repeat(starts, ends - starts))
        before_count = self.days[:-1] - self.days[low]  # self.days[:-1] is days[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            self.before = np.where(before_count >= MIN_VOLUME_SESSIONS, (self.sums[:-1] - self.sums[low]) / before_count, np.nan)
        self.r, self.spike = r, log_volume - self.before
        self.own = _run_means(np.minimum(np.abs(r), VOLATILITY_CAP), starts, MIN_VOLATILITY_RETURNS, final)
        self.noise = _run_means(np.minimum(np.abs(self.spike), 1.5), starts, 1, final)
        self.carried_after = float(self.sums[-1])

    def columns(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """``EVIDENCE_COLUMNS`` at ``rows`` of the chunk (None: every row)."""
        picked = np.arange(len(self.r)) if rows is None else rows
        run = np.searchsorted(self.starts, picked, side="right") - 1
        high = np.minimum(picked + 1 + VOLUME_SESSIONS, self.ends[run])  # picked + 1 <= high always
        after_count = self.days[high] - self.days[picked + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            after = np.where(after_count > 0, (self.sums[high] - self.sums[picked + 1]) / after_count, np.nan) - self.before[picked]
        own = 1.25 * self.own[run]
        sigma = np.maximum(np.where(np.isnan(own), TYPICAL_DAILY_VOLATILITY, own), MIN_DAILY_VOLATILITY)
        noise = np.fmax(1.25 * self.noise[run], 0.15)
        return {"r": self.r[picked], "sigma": sigma, "spike": self.spike[picked], "after": after, "after_count": after_count, "volume_noise": noise}


def _numbers(column: pd.Series) -> np.ndarray:
    """A numeric column's values without a copy (each chunk is made float on its own), or as floats."""
    values = column.to_numpy()
    return values if values.dtype.kind in "fiub" else column.to_numpy(dtype=float)


def evidence_chunks(history: pd.DataFrame) -> Iterator[tuple[int, ChunkEvidence]]:
    """The evidence of ``history`` (sorted by symbol and date, one bar per day) chunk by chunk:
    each chunk's first row and its ``ChunkEvidence``."""
    close, volume = _numbers(history["close"]), _numbers(history["volume"])
    _names, starts, ends = symbol_runs(history)
    carried = 0.0
    run = 0
    while run < len(starts):
        # The runs that start before the chunk's row budget is spent (at least one).
        stop = max(int(np.searchsorted(starts, starts[run] + CHUNK_ROWS, side="left")), run + 1)
        begin, end = int(starts[run]), int(ends[stop - 1])
        chunk = ChunkEvidence(
            close[begin:end].astype(float, copy=False),
            volume[begin:end].astype(float, copy=False),
            starts[run:stop] - begin,
            ends[run:stop] - begin,
            carried,
            stop == len(starts),
        )
        carried = chunk.carried_after
        yield begin, chunk
        run = stop


def day_evidence(history: pd.DataFrame) -> pd.DataFrame:
    """Per bar of ``history`` (sorted by symbol and date, one bar per day): the raw log return
    ``r``, the symbol's daily volatility ``sigma``, the volume jump of the day ``spike`` and of the
    sessions after ``after`` (log, against the mean of the sessions before; NaN without enough
    volume), ``after_count``, and the volume noise ``volume_noise``. Indexed like ``history``."""
    parts = [chunk.columns() for _begin, chunk in evidence_chunks(history)]
    merged = {name: np.concatenate([part[name] for part in parts]) if parts else np.array([], dtype=float) for name in EVIDENCE_COLUMNS}
    if not parts:
        merged["after_count"] = np.array([], dtype=np.int64)
    return pd.DataFrame(merged, index=history.index)
