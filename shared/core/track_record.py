"""The track record: how each past report's top names did afterwards, against the universe.

Pure and vectorised, no I/O. ``shared.services.reports.track_record`` reads the stored reports and bars
and calls ``compute_track_record``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: Forward horizons, in trading days (about 1, 3 and 6 months).
HORIZONS: dict[str, int] = {"1m": 21, "3m": 63, "6m": 126}
#: How many of each report's best-ranked names make its "top".
TOP_NAMES = 10
TRACK_RECORD_COLUMNS = ["as_of", "horizon", "horizon_days", "top_return_pct", "universe_median_pct", "excess_pct", "symbols"]


def horizon_targets(report_days: pd.DatetimeIndex, sessions: pd.DatetimeIndex, horizons: dict[str, int] = HORIZONS) -> pd.DataFrame:
    """For each report day that is a session and each horizon: the session ``horizon_days`` later,
    where ``sessions`` reach that far. Columns ``as_of, horizon, horizon_days, target``."""
    sessions = pd.DatetimeIndex(sessions)
    days = pd.DatetimeIndex(report_days)
    position = sessions.searchsorted(days)
    is_session = (position < len(sessions)) & (sessions[np.minimum(position, len(sessions) - 1)] == days) if len(sessions) else np.zeros(len(days), bool)
    frames = []
    for name, offset in horizons.items():
        target_position = position + offset
        valid = is_session & (target_position < len(sessions))
        frames.append(
            pd.DataFrame(
                {
                    "as_of": days[valid],
                    "horizon": name,
                    "horizon_days": offset,
                    "target": sessions[target_position[valid]],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def compute_track_record(
    reports: pd.DataFrame,
    closes: pd.DataFrame,
    sessions: pd.DatetimeIndex,
    horizons: dict[str, int] = HORIZONS,
    top: int = TOP_NAMES,
) -> pd.DataFrame:
    """One row per (report day, horizon) where data allows, with ``TRACK_RECORD_COLUMNS``.

    ``reports``: ``as_of, symbol, rank`` for every stored report (rank empty when excluded);
    ``closes``: ``symbol, date, close``; ``sessions``: the trading days, ascending.
    A name's forward return is ``(close on the target day / close on the report day - 1) * 100``.
    ``top_return_pct`` is the mean over the report's ranks 1..``top`` that have both closes,
    ``universe_median_pct`` the median over all its ranked names with both closes,
    ``excess_pct`` their difference and ``symbols`` how many top names had data.
    """
    ranked = reports[reports["rank"].notna()].loc[:, ["as_of", "symbol", "rank"]]
    ranked = ranked.assign(as_of=pd.to_datetime(ranked["as_of"]))
    targets = horizon_targets(pd.DatetimeIndex(ranked["as_of"].unique()).sort_values(), sessions, horizons)
    price = closes.loc[:, ["symbol", "date", "close"]].drop_duplicates(["symbol", "date"], keep="last")
    rows = ranked.merge(targets, on="as_of")
    rows = rows.merge(price.rename(columns={"date": "as_of", "close": "start"}), on=["symbol", "as_of"], how="left")
    rows = rows.merge(price.rename(columns={"date": "target", "close": "end"}), on=["symbol", "target"], how="left")
    rows = rows.assign(forward=(rows["end"] / rows["start"] - 1.0) * 100.0)
    rows = rows[np.isfinite(rows["forward"])]
    keys = ["as_of", "horizon", "horizon_days"]
    universe = rows.groupby(keys)["forward"].median().rename("universe_median_pct")
    tops = rows[rows["rank"] <= top].groupby(keys)["forward"].agg(["mean", "size"])
    result = tops.join(universe, how="inner").reset_index()
    result = result.rename(columns={"mean": "top_return_pct", "size": "symbols"})
    result = result.assign(
        excess_pct=result["top_return_pct"] - result["universe_median_pct"],
        symbols=result["symbols"].astype("int64"),
        horizon_days=result["horizon_days"].astype("int64"),
        as_of=result["as_of"].dt.date,
    )
    order = {name: index for index, name in enumerate(horizons)}
    result = result.assign(order=result["horizon"].map(order)).sort_values(["as_of", "order"], kind="stable")
    ordered: pd.DataFrame = result.loc[:, TRACK_RECORD_COLUMNS]
    return ordered.reset_index(drop=True)


def summarise_track_record(table: pd.DataFrame, horizons: dict[str, int] = HORIZONS) -> pd.DataFrame:
    """Per horizon over ``compute_track_record``'s rows: ``horizon, horizon_days, reports``, the mean
    ``top_return_pct``, ``universe_median_pct`` and ``excess_pct``, and ``beat_pct``, the share of
    reports whose top names beat the median. Horizons without rows are left out."""
    grouped = table.assign(beat=(table["excess_pct"] > 0).astype(float) * 100.0).groupby(["horizon", "horizon_days"], sort=False)
    summary = grouped.agg(
        reports=("as_of", "size"),
        top_return_pct=("top_return_pct", "mean"),
        universe_median_pct=("universe_median_pct", "mean"),
        excess_pct=("excess_pct", "mean"),
        beat_pct=("beat", "mean"),
    ).reset_index()
    order = {name: index for index, name in enumerate(horizons)}
    return summary.assign(order=summary["horizon"].map(order)).sort_values("order", kind="stable").drop(columns="order").reset_index(drop=True)
