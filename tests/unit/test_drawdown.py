"""Drawdown and ranking on small hand-computed frames."""
from __future__ import annotations

from datetime import date

import pandas as pd

from shared.core.analytics import build_report, compute_drawdowns, rank
from tests.conftest import make_bars


def test_drawdown_from_peak_hand_computed() -> None:
    bars = make_bars(
        [
            ("AAA", "2026-01-02", 100.0),
            ("AAA", "2026-01-05", 120.0),
            ("AAA", "2026-01-06", 90.0),
            ("AAA", "2026-01-07", 96.0),
        ]
    )
    row = compute_drawdowns(bars, date(2026, 1, 7), 180).iloc[0]
    assert row["peak_close"] == 120.0
    assert row["peak_date"] == pd.Timestamp("2026-01-05")
    assert row["drawdown_pct"] == (96.0 / 120.0 - 1) * 100  # -20%
    assert row["days_since_peak"] == 2


def test_peak_date_is_latest_day_the_peak_close_was_reached() -> None:
    bars = make_bars([("AAA", "2026-01-02", 50.0), ("AAA", "2026-01-05", 50.0), ("AAA", "2026-01-06", 40.0)])
    row = compute_drawdowns(bars, date(2026, 1, 6), 180).iloc[0]
    assert row["peak_date"] == pd.Timestamp("2026-01-05")
    assert row["days_since_peak"] == 1


def test_window_is_half_open_like_rolling_180d() -> None:
    # A close exactly 180 days before D is outside (D-180, D]; one day later is inside.
    bars = make_bars([("AAA", "2025-07-06", 500.0), ("AAA", "2025-07-07", 200.0), ("AAA", "2026-01-02", 100.0)])
    as_of = date(2026, 1, 2)
    row = compute_drawdowns(bars, as_of, 180).iloc[0]
    assert row["peak_close"] == 200.0
    expected = bars.set_index("date")["close"].rolling("180D").max().iloc[-1]
    assert row["peak_close"] == expected


def test_symbols_without_a_bar_on_the_day_are_left_out() -> None:
    bars = make_bars([("AAA", "2026-01-05", 10.0), ("BBB", "2026-01-02", 10.0), ("AAA", "2026-01-02", 12.0)])
    result = compute_drawdowns(bars, date(2026, 1, 5), 180)
    assert result["symbol"].tolist() == ["AAA"]


def test_rank_deepest_first_ties_by_symbol_and_excluded_unranked() -> None:
    report = pd.DataFrame(
        {
            "symbol": ["CCC", "AAA", "BBB", "DDD"],
            "drawdown_pct": [-10.0, -30.0, -10.0, -50.0],
            "flags": ["", "", "", "split_suspect"],
        }
    )
    ranked = rank(report)
    assert ranked["symbol"].tolist() == ["AAA", "BBB", "CCC", "DDD"]
    assert ranked["rank"].tolist()[:3] == [1, 2, 3]
    assert pd.isna(ranked["rank"].iloc[3])


def test_build_report_does_not_change_its_input() -> None:
    bars = make_bars([("AAA", "2026-01-02", 10.0), ("AAA", "2026-01-05", 8.0)])
    universe = pd.DataFrame({"symbol": ["AAA"], "name": ["Alpha"], "sector": ["Energy"]})
    before_bars, before_universe = bars.copy(), universe.copy()
    report = build_report(bars, universe, date(2026, 1, 5), 180)
    pd.testing.assert_frame_equal(bars, before_bars)
    pd.testing.assert_frame_equal(universe, before_universe)
    assert report.loc[0, "name"] == "Alpha" and report.loc[0, "rank"] == 1
