"""Sectors of a report: how deep each one is down. Pure, no I/O."""
from __future__ import annotations

import pandas as pd

from shared.core.analytics import ranked_rows

#: A name counts as "deeply down" when its drawdown is below this, in percent.
DEEP_DRAWDOWN_PCT = -20.0


def summarise_sectors(report: pd.DataFrame) -> pd.DataFrame:
    """Per sector over the ranked rows: ``sector, count, median_drawdown_pct, share_below_20_pct``
    (the percentage of names more than 20% below their peak), deepest median first."""
    ranked = ranked_rows(report)
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
