"""The score's backtest: what the names a report put on top did next.

For every report day, each group's picks are followed for ``HORIZONS`` sessions: the forward
return of a symbol is its close that many sessions later against its close on the report day
(the report is read the next morning, so a buyer pays a little more or less than that close;
the same for every group). Groups: the top 10 and top 25 by score and by drawdown rank, and the
universe median (every ranked symbol). Pure and vectorised: frames in, frames out.
"""
from __future__ import annotations

import pandas as pd

#: Forward horizons, in sessions (about a month and a quarter).
HORIZONS: tuple[int, ...] = (21, 63)
#: (group label, ranking column, how many) for each group of picks.
GROUPS: tuple[tuple[str, str, int], ...] = (
    ("top 10 by score", "score_rank", 10),
    ("top 25 by score", "score_rank", 25),
    ("top 10 by drawdown", "rank", 10),
    ("top 25 by drawdown", "rank", 25),
)
UNIVERSE_MEDIAN = "universe median"


def forward_returns(closes: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Dates x symbols: the close ``horizon`` sessions later against today's, in percent (NaN
    where the data ends first)."""
    return (closes.shift(-horizon) / closes - 1.0) * 100.0


def pick_returns(reports: pd.DataFrame, closes: pd.DataFrame, members: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per (report day, group, horizon): ``mean_return_pct`` of the group's picks.

    ``reports`` holds ``as_of, symbol, rank, score_rank`` for every report day; ``closes`` is a
    dates x symbols frame of closes; ``members`` (``as_of, symbol``), when given, keeps each day's
    point-in-time members only, and the picks are the best-ranked among them.
    """
    ranked = reports[reports["rank"].notna()].loc[:, ["as_of", "symbol", "rank", "score_rank"]]
    if members is not None:
        ranked = ranked.merge(members.loc[:, ["as_of", "symbol"]].drop_duplicates(), on=["as_of", "symbol"])
    rows = []
    for horizon in HORIZONS:
        ahead = forward_returns(closes, horizon).rename_axis(index="as_of", columns="symbol").stack()
        ahead = pd.DataFrame({"forward": ahead}).reset_index().dropna(subset=["forward"])  # past the data's end: no day
        scored = ranked.merge(ahead, on=["as_of", "symbol"])
        by_day = scored.groupby("as_of")
        rows.append(by_day["forward"].median().rename("mean_return_pct").reset_index().assign(group=UNIVERSE_MEDIAN, horizon=horizon))
        for label, column, size in GROUPS:
            order = by_day[column].rank(method="first")
            chosen = scored[order <= size]
            means = chosen.groupby("as_of")["forward"].mean().rename("mean_return_pct").reset_index()
            rows.append(means.assign(group=label, horizon=horizon))
    return pd.concat(rows, ignore_index=True).loc[:, ["as_of", "group", "horizon", "mean_return_pct"]]


def summarise(picks: pd.DataFrame) -> pd.DataFrame:
    """Per group and horizon: the mean forward return over the report days, its excess over
    the universe median's, and the share of days the group beat the median (index: group,
    in ``GROUPS`` order then the median; one column block per horizon)."""
    median = picks[picks["group"] == UNIVERSE_MEDIAN].set_index(["as_of", "horizon"])["mean_return_pct"]
    joined = picks.join(median.rename("median_pct"), on=["as_of", "horizon"])
    joined = joined.assign(excess=joined["mean_return_pct"] - joined["median_pct"], beat=joined["mean_return_pct"] > joined["median_pct"])
    table = joined.groupby(["group", "horizon"]).agg(
        days=("as_of", "nunique"),
        mean_return_pct=("mean_return_pct", "mean"),
        excess_pct=("excess", "mean"),
        beat_share=("beat", "mean"),
    )
    wide = pd.DataFrame(table.unstack("horizon"))
    wide.columns = pd.Index(["_".join(map(str, column)) for column in wide.columns.to_flat_index()])
    order = [label for label, _column, _size in GROUPS] + [UNIVERSE_MEDIAN]
    return wide.reindex([label for label in order if label in wide.index])


def score_against_drawdown(picks: pd.DataFrame) -> pd.DataFrame:
    """Per group size and horizon: the score's top n minus the drawdown rank's top n, in
    percentage points, averaged over the report days (``difference``), with a rough standard
    error (``standard_error``) from every horizon-th day only: the holding periods of
    neighbouring days overlap, so the days are far from independent. NaN with fewer than two
    such days. Index: ``size, horizon``."""
    wide = picks.pivot_table(index=["as_of", "horizon"], columns="group", values="mean_return_pct")
    rows = []
    for size in sorted({count for _label, _column, count in GROUPS}):
        by_score, by_drawdown = f"top {size} by score", f"top {size} by drawdown"
        if by_score not in wide or by_drawdown not in wide:
            continue
        for horizon in HORIZONS:
            daily = (wide[by_score] - wide[by_drawdown]).xs(horizon, level="horizon").dropna().sort_index()
            apart = daily.iloc[::horizon]
            error = apart.std(ddof=1) / len(apart) ** 0.5 if len(apart) > 1 else float("nan")
            rows.append({"size": size, "horizon": horizon, "days": len(daily), "difference": daily.mean(), "standard_error": error})
    return pd.DataFrame(rows).set_index(["size", "horizon"])
