"""Derive the split-evidence sample (tests/unit/test_split_evidence.py) from the full real bars.

    .venv/bin/python tests/data/derive_split_evidence.py ../shared/data/daily_bars.csv.gz

Writes, beside this script: ``split_evidence_bars.csv.gz`` (every row, unchanged, of the symbols
below), ``split_evidence_days.csv`` (the period's 100 largest one-day moves, ``largest``, and 50
random days, ``random``, seed 20221) and ``split_evidence_top50.csv`` (per date, the 50th deepest
drawdown from the 180-day peak across all 969 symbols: the depth that makes the top 50).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
LARGEST, RANDOM, TOP_N, SEED = 100, 50, 50, 20221


def main(source: str) -> None:
    bars = pd.read_csv(source, dtype={"ticker": str}).rename(columns={"ticker": "symbol"})
    bars = bars.assign(date=pd.to_datetime(bars["date"])).sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
    same = bars["symbol"].eq(bars["symbol"].shift())
    moves = pd.Series(np.where(same, np.log(bars["close"] / bars["close"].shift()), np.nan)).abs().dropna()
    largest = moves.sort_values(ascending=False, kind="stable").index[:LARGEST]
    others = moves.index.difference(largest)
    chosen = np.random.default_rng(SEED).choice(others, RANDOM, replace=False)
    days = pd.concat([bars.loc[largest, ["symbol", "date"]].assign(role="largest"), bars.loc[chosen, ["symbol", "date"]].assign(role="random")])
    days.to_csv(HERE / "split_evidence_days.csv", index=False, date_format="%Y-%m-%d")
    columns = ["date", "ticker", "open", "high", "low", "close", "adj_close", "volume"]
    kept = bars[bars["symbol"].isin(set(days["symbol"]))].rename(columns={"symbol": "ticker"})
    kept.loc[:, columns].to_csv(
        HERE / "split_evidence_bars.csv.gz", index=False, date_format="%Y-%m-%d"
    )
    wide = bars.pivot(index="date", columns="symbol", values="close")
    drawdowns = (wide / wide.rolling("180D").max() - 1.0) * 100.0
    threshold = drawdowns.apply(lambda row: row.nsmallest(TOP_N).max(), axis=1).round(6)
    threshold.rename("top50_drawdown_pct").to_csv(HERE / "split_evidence_top50.csv", date_format="%Y-%m-%d")


if __name__ == "__main__":
    main(sys.argv[1])
