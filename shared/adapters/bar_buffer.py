"""The bars of a wide fetch, written into one frame's columns as its requests complete.

Keeping each request's frame and concatenating them at the end holds every bar twice at the
end of a backfill (1.25 million bars, ~70 MB each time), and the requests' small arrays
fragment the heap for good. Instead each planned request gets its slot in columns allocated
once: at most ``symbols × sessions`` rows, since a symbol has one daily bar a session. A
request's bars are copied into its slot as they arrive and its frame is let go. Slots are in
plan order, which is symbol order, so the whole is sorted without sorting. What does not fit
its slot (more bars than sessions, a request outside the plan) is kept aside and merged.
"""
from __future__ import annotations

import threading
from typing import Sequence

import numpy as np
import pandas as pd

from shared.core.bars import BAR_COLUMNS, empty_bars, normalise_bars

_DTYPES = {"symbol": object, "date": "datetime64[ns]", "open": np.float64, "high": np.float64, "low": np.float64, "close": np.float64, "volume": np.int64}


class BarsBuffer:
    """Columns for the bars of planned requests, one slot each, filled from any thread."""

    def __init__(self, slot_rows: Sequence[int]) -> None:
        self._starts = np.r_[0, np.cumsum(np.asarray(slot_rows, dtype=np.int64))].astype(np.int64)
        size = int(self._starts[-1])
        self._columns = {name: np.empty(size, dtype=dtype) for name, dtype in _DTYPES.items()}
        self._filled = [0] * len(slot_rows)
        self._aside: list[pd.DataFrame] = []
        self._lock = threading.Lock()

    def put(self, slot: int | None, bars: pd.DataFrame) -> None:
        """Keep ``bars`` (canonical) as the rows of ``slot`` (None: not a planned request)."""
        if bars.empty:
            return
        with self._lock:
            fits = slot is not None and not self._filled[slot] and len(bars) <= self._starts[slot + 1] - self._starts[slot]
            if not fits:
                self._aside.append(bars)
                return
            assert slot is not None
            self._filled[slot] = len(bars)
        start = int(self._starts[slot])
        for name, column in self._columns.items():
            column[start : start + len(bars)] = bars[name].to_numpy(dtype=column.dtype)

    def frame(self) -> pd.DataFrame:
        """Every bar kept, canonical (sorted by symbol, then date). The buffer is spent."""
        with self._lock:
            end = 0
            for slot, rows in enumerate(self._filled):  # close the gaps left by short slots
                start = int(self._starts[slot])
                if rows and start != end:
                    for column in self._columns.values():
                        column[end : end + rows] = column[start : start + rows].copy()
                end += rows
            columns, aside = self._columns, self._aside
            self._columns, self._aside = {}, []
        whole = pd.DataFrame({name: columns[name][:end] for name in BAR_COLUMNS}, copy=False) if end else empty_bars()
        if aside:
            whole = pd.concat([whole, *aside], ignore_index=True)
        return normalise_bars(whole)
