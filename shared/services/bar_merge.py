"""Two sorted bars frames merged into one, without sorting the whole again.

A daily run joins its stored window (millions of bars, sorted by symbol then date) with the day
it fetched (a bar per symbol, sorted the same way). Concatenating and sorting the two hashes
every symbol, sorts every row and copies the window twice; here each fetched bar's place is
found by binary search, and every column is written once into its place. The result is the
one a stable sort of both (the first frame's rows first) gives, fetched rows after stored
rows of the same symbol and day.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from shared.core.bars import BAR_COLUMNS

_NS_PER_DAY = 86_400_000_000_000


def _keys(bars: pd.DataFrame, codes_of: dict[str, int]) -> np.ndarray | None:
    """A sortable key per row, symbol code then day, or None when the rows are not in that
    order (or a date is not a whole day after 1970)."""
    symbols = bars["symbol"].to_numpy(dtype=object)
    starts = np.flatnonzero(np.r_[True, symbols[1:] != symbols[:-1]])
    codes = np.repeat(np.array([codes_of[name] for name in symbols[starts].tolist()], dtype=np.int64), np.diff(np.r_[starts, len(symbols)]))
    stamps = bars["date"].to_numpy().view(np.int64)
    days = stamps // _NS_PER_DAY
    if bool((days * _NS_PER_DAY != stamps).any()) or bool(((days < 0) | (days >= 2**31)).any()):
        return None
    keys = (codes << 32) | days
    return keys if bool((np.diff(keys) >= 0).all()) else None


def merge_sorted(first: pd.DataFrame, then: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Both canonical frames in one, sorted by symbol then date (``then``'s rows after
    ``first``'s of the same key), and where ``then``'s rows went; None when either is not in
    that order (the caller sorts instead)."""
    if first.empty or then.empty or not first.dtypes.equals(then.dtypes):
        return None
    names = set(first["symbol"].to_numpy(dtype=object).tolist()) | set(then["symbol"].to_numpy(dtype=object).tolist())
    if not all(type(name) is str for name in names):
        return None
    codes_of = {name: code for code, name in enumerate(sorted(names))}
    first_keys, then_keys = _keys(first, codes_of), _keys(then, codes_of)
    if first_keys is None or then_keys is None:
        return None
    placed = np.searchsorted(first_keys, then_keys, side="right") + np.arange(len(then_keys))
    rest = np.ones(len(first_keys) + len(then_keys), dtype=bool)
    rest[placed] = False
    columns: dict[str, object] = {}
    for name in BAR_COLUMNS:
        low, high = first[name].to_numpy(), then[name].to_numpy()
        column = np.empty(len(rest), dtype=low.dtype)
        column[rest] = low
        column[placed] = high
        columns[name] = pd.Series(column, dtype=object, copy=False) if name == "symbol" else column  # not inferred as str
    return pd.DataFrame(columns, columns=BAR_COLUMNS, copy=False), placed
