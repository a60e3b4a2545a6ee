"""The run's business metrics and its cost compared with the week before."""
from __future__ import annotations

import pandas as pd

from shared.core.run_metrics import business_metrics, cost_ratios


def test_business_metrics_count_the_ranked_and_the_deep_and_the_covered() -> None:
    report = pd.DataFrame(
        {"rank": [1, 2, 3, None], "drawdown_pct": [-40.0, -21.0, -5.0, -90.0], "symbol": ["A", "B", "C", "D"]}
    )
    metrics = business_metrics(report, universe_size=5)
    assert metrics == {"SymbolsRanked": 3.0, "MedianDrawdown": -21.0, "SymbolsDown20": 2.0, "Coverage": 80.0}


def test_cost_ratios_against_the_median_and_none_without_history() -> None:
    history = [{"duration_s": 10, "alpaca_requests": 5, "s3_requests": 100, "gb_seconds": 10}, {"duration_s": 30, "alpaca_requests": 5, "s3_requests": 0, "gb_seconds": 30}, {"duration_s": 20}]
    now = {"duration_s": 50, "alpaca_requests": 15, "s3_requests": 40, "gb_seconds": 60}
    assert cost_ratios(now, history) == {"RunDurationVsMedian": 2.5, "AlpacaRequestsVsMedian": 3.0, "S3RequestsVsMedian": 0.8, "GBSecondsVsMedian": 3.0}
    assert cost_ratios(now, []) == {}
