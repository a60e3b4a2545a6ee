"""The bars frame every source returns and every function reads.

Columns ``BAR_COLUMNS``: ``symbol`` (str), ``date`` (datetime64, midnight, no time zone),
``open``, ``high``, ``low``, ``close`` (float) and ``volume`` (int).
"""
from __future__ import annotations

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
    out = frame.loc[:, BAR_COLUMNS].copy()
    out["symbol"] = out["symbol"].astype(str).astype(object)
    out["date"] = pd.to_datetime(out["date"]).dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
    for column in ("open", "high", "low", "close"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    out["volume"] = pd.to_numeric(out["volume"], errors="coerce").fillna(0).astype("int64")
    return out.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
