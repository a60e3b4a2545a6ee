"""The bars frame every source returns and every function reads.

Columns ``BAR_COLUMNS``: ``symbol`` (str), ``date`` (datetime64, midnight, no time zone),
``open``, ``high``, ``low``, ``close`` (float) and ``volume`` (int).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

BAR_COLUMNS = ["symbol", "date", "open", "high", "low", "close", "volume"]


def empty_bars() -> pd.DataFrame:
    """A bars frame with the right columns and dtypes and no rows."""
    return pd.DataFrame(
        {
            "symbol": pd.Series(dtype=object),
            "date": pd.Series(dtype="datetime64[ns]"),
            "open": pd.Series(dtype=float),
            "high": pd.Series(dtype=float),
            "low": pd.Series(dtype=float),
            "close": pd.Series(dtype=float),
            "volume": pd.Series(dtype="int64"),
        }
    )


def normalise_bars(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce a bars frame to ``BAR_COLUMNS`` with canonical dtypes, sorted by symbol then date."""
    if frame.empty:
        return empty_bars()
    # No copy: pandas' copy-on-write (always on since pandas 3) keeps ``frame`` unchanged by the
    # steps below, and a canonical frame of a million bars is not duplicated by each caller.
    out = frame.loc[:, BAR_COLUMNS]
    # Each step is skipped when the column is canonical already (frames read back or fetched are):
    # a no-op on millions of rows, and symbol strings keep their identity (see bars_from_csv).
    if not (out["symbol"].dtype == object and pd.api.types.infer_dtype(out["symbol"], skipna=False) == "string"):
        out["symbol"] = out["symbol"].astype(str).astype(object)
    if out["date"].dtype != "datetime64[ns]" or bool((out["date"].dt.normalize() != out["date"]).any()):
        out["date"] = pd.to_datetime(out["date"]).dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
    for column in ("open", "high", "low", "close"):
        if out[column].dtype != float:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    if out["volume"].dtype != "int64":
        out["volume"] = pd.to_numeric(out["volume"], errors="coerce").fillna(0).astype("int64")
    if _in_order(out):
        return out.reset_index(drop=True)
    # Sorted on integer codes (stable): far cheaper than sort_values on millions of strings.
    codes, _uniques = pd.factorize(out["symbol"], sort=True)
    order = np.lexsort((out["date"].to_numpy().view(np.int64), codes))
    return out.take(order).reset_index(drop=True)


def _in_order(bars: pd.DataFrame) -> bool:
    """Whether ``bars`` are sorted by symbol, then date (a cheap check that saves a sort)."""
    if not bars["symbol"].is_monotonic_increasing:
        return False
    symbols = bars["symbol"].to_numpy()
    dates = bars["date"].to_numpy()
    return bool(((symbols[1:] != symbols[:-1]) | (dates[1:] >= dates[:-1])).all())
