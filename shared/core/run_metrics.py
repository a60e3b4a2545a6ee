"""What one collection run measures, and how it compares with the week before. Pure functions.

Metric names are the ones CloudWatch sees (namespace ``dipwatch``) and the alarms watch.
"""
from __future__ import annotations

from statistics import median
from typing import Iterable, Mapping

import pandas as pd

#: The outcome metrics: every invocation of the morning job publishes exactly one of them.
OUTCOME_METRICS = {"complete": "RunsComplete", "partial": "RunsPartial", "failed": "RunsFailed", "skipped": "RunsSkipped"}
#: Per-run quantities compared with their median over the previous 7 days (``<name>VsMedian``).
COST_FIELDS = {"duration_s": "RunDuration", "alpaca_requests": "AlpacaRequests", "s3_requests": "S3Requests", "gb_seconds": "GBSeconds"}
BASELINE_DAYS = 7
#: A drawdown deeper than this (percent) counts as "more than 20% down".
DEEP_DRAWDOWN_PCT = -20.0


def business_metrics(report: pd.DataFrame, universe_size: int) -> dict[str, float]:
    """Symbols ranked, the median drawdown of the ranked, how many are more than 20% down, and
    coverage: the share of the universe with a bar on the report's day (ranked or excluded)."""
    ranked = report[report["rank"].notna()]
    drawdowns = pd.to_numeric(ranked["drawdown_pct"], errors="coerce")
    return {
        "SymbolsRanked": float(len(ranked)),
        "MedianDrawdown": float(drawdowns.median()) if len(drawdowns.dropna()) else 0.0,
        "SymbolsDown20": float((drawdowns < DEEP_DRAWDOWN_PCT).sum()),
        "Coverage": round(100.0 * len(report) / universe_size, 3) if universe_size else 0.0,
    }


def cost_ratios(current: Mapping[str, float], history: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """``<Metric>VsMedian`` = this run's value over the median of earlier runs' values; a
    quantity without history (or with a zero median) has no ratio."""
    earlier = list(history)
    ratios = {}
    for field, metric in COST_FIELDS.items():
        values = [float(run[field]) for run in earlier if run.get(field) is not None]
        baseline = median(values) if values else 0.0
        if baseline > 0 and current.get(field) is not None:
            ratios[f"{metric}VsMedian"] = round(float(current[field]) / baseline, 3)
    return ratios
