"""Context, score, sectors, what changed and the track record, on hand-computed small frames."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from shared.core.analytics import SCORE_WEIGHTS, build_report, compute_scores, has_excluding_flag
from shared.core.changes import compare_reports
from shared.core.sectors import summarise_sectors
from shared.core.track_record import compute_track_record
from tests.conftest import make_bars

UNIVERSE = pd.DataFrame({"symbol": ["AAA", "BBB", "SPL"], "name": ["Alpha", "Beta", "Split"], "sector": ["Energy", "Energy", "Utilities"]})


def closes_bars(symbol: str, closes: list[float], end: str = "2026-03-02") -> pd.DataFrame:
    days = pd.bdate_range(end=end, periods=len(closes))
    return make_bars([(symbol, day.strftime("%Y-%m-%d"), close) for day, close in zip(days, closes)])


def report_for(bars: pd.DataFrame, as_of: date = date(2026, 3, 2), lookback: int = 180) -> pd.DataFrame:
    sessions = pd.DatetimeIndex(sorted(bars["date"].unique()))
    return build_report(bars, UNIVERSE, as_of, lookback, sessions=sessions).set_index("symbol")


def test_returns_and_moving_averages_hand_computed() -> None:
    closes = [float(100 + i) for i in range(60)]  # 100 .. 159
    row = report_for(closes_bars("AAA", closes)).loc["AAA"]
    assert row["ret_1d_pct"] == pytest.approx((159 / 158 - 1) * 100)
    assert row["ret_5d_pct"] == pytest.approx((159 / 154 - 1) * 100)
    assert row["ret_20d_pct"] == pytest.approx((159 / 139 - 1) * 100)
    ma50 = np.mean(closes[-50:])  # 134.5
    assert row["dist_ma50_pct"] == pytest.approx((159 / ma50 - 1) * 100)
    assert np.isnan(row["dist_ma200_pct"])  # only 60 bars


def test_moving_average_needs_the_whole_span() -> None:
    row = report_for(closes_bars("AAA", [100.0] * 49 + [98.0])).loc["AAA"]
    assert row["dist_ma50_pct"] == pytest.approx((98 / ((49 * 100 + 98) / 50) - 1) * 100)
    row = report_for(closes_bars("AAA", [100.0] * 48 + [98.0])).loc["AAA"]
    assert np.isnan(row["dist_ma50_pct"]) and not np.isnan(row["ret_20d_pct"])


def test_volatility_trough_rebound_and_drawdown_in_vol_units() -> None:
    row = report_for(closes_bars("AAA", [100.0, 120.0, 90.0, 96.0])).loc["AAA"]
    log_returns = np.log([1.2, 0.75, 96 / 90])
    volatility = np.std(log_returns, ddof=1) * np.sqrt(252) * 100
    assert row["volatility_pct"] == pytest.approx(volatility)
    assert row["drawdown_pct"] == pytest.approx(-20.0)
    assert row["drawdown_vol"] == pytest.approx(-20.0 / volatility)
    assert row["trough_close"] == 90.0
    assert row["trough_date"] == pd.Timestamp("2026-02-27")
    assert row["rebound_pct"] == pytest.approx((96 / 90 - 1) * 100)


def test_trough_is_after_the_peak_only() -> None:
    row = report_for(closes_bars("AAA", [50.0, 100.0, 80.0, 85.0])).loc["AAA"]
    assert row["trough_close"] == 80.0  # not the 50 before the peak


def test_score_hand_computed() -> None:
    frame = pd.DataFrame(
        {
            "drawdown_pct": [-30.0, -30.0, -10.0],
            "rebound_pct": [12.0, 0.0, 40.0],
            "ret_5d_pct": [2.0, -6.0, 1.0],
            "ret_20d_pct": [-4.0, -8.0, np.nan],
        }
    )
    w = SCORE_WEIGHTS
    expected = [
        w["depth"] * 30 + w["rebound"] * 12 + w["knife"] * 0,
        w["depth"] * 30 + w["rebound"] * 0 + w["knife"] * -6,
        w["depth"] * 10 + w["rebound"] * 10 + 0,  # rebound capped at the depth
    ]
    assert compute_scores(frame).tolist() == pytest.approx(expected)
    scores = compute_scores(frame)
    assert scores[0] > scores[1]  # the stabilised dip beats the falling knife at equal depth


def test_split_in_raw_data_is_flagged_and_unranked() -> None:
    bars = pd.concat([closes_bars("AAA", [100.0, 99.0, 98.0, 97.0]), closes_bars("SPL", [100.0, 101.0, 50.6, 50.0])])
    report = report_for(bars)
    assert "split_suspect" in report.loc["SPL", "flags"].split(";")
    assert pd.isna(report.loc["SPL", "rank"]) and pd.isna(report.loc["SPL", "score_rank"])
    assert report.loc["AAA", "rank"] == 1 and report.loc["AAA", "score_rank"] == 1


def test_score_rank_orders_ranked_rows_by_score() -> None:
    bars = pd.concat([closes_bars("AAA", [100.0, 80.0, 70.0, 60.0]), closes_bars("BBB", [100.0, 56.0, 58.0, 62.0])])
    report = report_for(bars)
    assert report.loc["AAA", "rank"] == 1  # -40% is deeper than -38%
    assert report.loc["BBB", "score_rank"] == 1  # but BBB has rebounded, AAA is still falling


def test_sector_summary_hand_computed() -> None:
    report = pd.DataFrame(
        {
            "rank": pd.array([1, 2, 3, 4, pd.NA], dtype="Int64"),
            "sector": ["Energy", "Energy", "Energy", "Utilities", "Utilities"],
            "drawdown_pct": [-30.0, -25.0, -5.0, -10.0, -90.0],
        }
    )
    summary = summarise_sectors(report)
    assert summary.to_dict(orient="list") == {
        "sector": ["Energy", "Utilities"],
        "count": [3, 1],
        "median_drawdown_pct": [-25.0, -10.0],
        "share_below_20_pct": [pytest.approx(200 / 3), 0.0],
    }


def test_compare_reports_hand_computed() -> None:
    def report(rows: list[tuple[str, object, float, str]]) -> pd.DataFrame:
        frame = pd.DataFrame(rows, columns=["symbol", "rank", "drawdown_pct", "flags"])
        return frame.assign(rank=frame["rank"].astype("Int64"))

    before = report([("A", 1, -40.0, ""), ("B", 2, -30.0, "stale"), ("C", 3, -20.0, ""), ("D", 4, -10.0, ""), ("E", None, -50.0, "bad_price")])
    now = report([("C", 1, -45.0, ""), ("A", 2, -41.5, "stale"), ("D", 3, -9.0, ""), ("B", 4, -8.0, "stale;outlier_return"), ("E", None, -60.0, "bad_price")])
    changes = compare_reports(now, before, date(2026, 3, 3), date(2026, 3, 2), top_n=2)
    assert changes["as_of"] == "2026-03-03" and changes["previous"] == "2026-03-02" and changes["top_n"] == 2
    assert changes["version"] == 2 and changes["deepened_scope"] == 100 and "rank_moves" not in changes
    assert changes["entered"] == ["C"] and changes["left"] == ["B"]
    # C fell from -20 to -45 (-25 points), A from -40 to -41.5 (-1.5); D and B recovered; E is unranked.
    assert changes["deepened"] == [
        {"symbol": "C", "rank": 1, "previous_rank": 3, "drawdown_pct": -45.0, "previous_drawdown_pct": -20.0, "change_pts": -25.0},
        {"symbol": "A", "rank": 2, "previous_rank": 1, "drawdown_pct": -41.5, "previous_drawdown_pct": -40.0, "change_pts": -1.5},
    ]
    assert changes["new_flags"] == [{"symbol": "A", "flags": ["stale"]}, {"symbol": "B", "flags": ["outlier_return"]}]
    first = compare_reports(now, None, date(2026, 3, 3), None)
    assert first["previous"] is None and first["entered"] == first["left"] == first["deepened"] == first["new_flags"] == []


def test_track_record_hand_computed() -> None:
    sessions = pd.bdate_range("2026-01-05", periods=6)
    reports = pd.DataFrame(
        {
            "as_of": [sessions[0]] * 4 + [sessions[4]] * 2,
            "symbol": ["A", "B", "C", "X", "A", "B"],
            "rank": pd.array([1, 2, 3, pd.NA, 1, 2], dtype="Int64"),
        }
    )
    closes = pd.DataFrame(
        {
            "symbol": ["A", "B", "C", "X", "A", "B", "C", "X"],
            "date": [sessions[0]] * 4 + [sessions[2]] * 4,
            "close": [10.0, 20.0, 40.0, 1.0, 11.0, 18.0, 48.0, 5.0],
        }
    )
    record = compute_track_record(reports, closes, sessions, horizons={"2d": 2, "9d": 9}, top=2)
    assert len(record) == 1  # the second report's 2-day target has no closes; 9 days is past the data
    row = record.iloc[0]
    assert row["as_of"] == sessions[0].date() and row["horizon"] == "2d" and row["horizon_days"] == 2
    assert row["top_return_pct"] == pytest.approx((10.0 + -10.0) / 2)  # A +10%, B -10%
    assert row["universe_median_pct"] == pytest.approx(10.0)  # A, B, C: +10, -10, +20; X is unranked
    assert row["excess_pct"] == pytest.approx(-10.0)
    assert row["symbols"] == 2


def test_bad_prices_on_the_day_are_flagged_unranked_and_do_not_break_the_report() -> None:
    bars = make_bars([("AAA", "2026-02-27", 10.0), ("AAA", "2026-03-02", np.nan), ("BBB", "2026-02-27", 5.0), ("BBB", "2026-03-02", 0.0)])
    report = report_for(bars)
    assert report["flags"].tolist() == ["bad_price", "bad_price"]
    assert report["rank"].isna().all() and report["score_rank"].isna().all()
    assert report.loc["BBB", "drawdown_pct"] == -100.0


def test_no_bar_on_the_day_gives_an_empty_report_with_all_columns() -> None:
    from shared.core.analytics import REPORT_COLUMNS

    empty = build_report(closes_bars("AAA", [1.0, 2.0], end="2026-02-20"), UNIVERSE, date(2026, 3, 2), 180, sessions=pd.DatetimeIndex([]))
    assert empty.empty and list(empty.columns) == REPORT_COLUMNS


def test_excluding_flags_on_a_frame_with_a_repeated_index() -> None:
    flags = pd.Series(["stale", "split_suspect;stale", "", "bad_price"], index=[3, 3, 7, 1])
    assert has_excluding_flag(flags).tolist() == [False, True, False, True]
    assert has_excluding_flag(flags).index.tolist() == [3, 3, 7, 1]


def test_score_worked_example_of_the_readme() -> None:
    # README, "Score and score_rank": the same three stocks and the same numbers.
    frame = pd.DataFrame(
        {
            "drawdown_pct": [-40.0, -50.0, -5.0],
            "rebound_pct": [10.0, 0.0, 5.0],
            "ret_5d_pct": [-12.0, -50.0, 1.0],
            "ret_20d_pct": [-30.0, 148.0, 2.0],
        },
        index=["STAB", "CRASH", "DRIFT"],
    )
    assert compute_scores(frame).to_dict() == {"STAB": 39.5, "CRASH": 37.5, "DRIFT": 6.25}


def test_a_fresh_crash_never_scores_below_a_stock_that_has_not_fallen() -> None:
    rng = np.random.default_rng(7)
    depth = rng.uniform(0, 90, 500)
    frame = pd.DataFrame(
        {
            "drawdown_pct": -depth,
            "rebound_pct": rng.uniform(0, 100, 500),
            "ret_5d_pct": rng.uniform(-90, 50, 500),
            "ret_20d_pct": rng.uniform(-90, 300, 500),  # earlier gains, however large, count for nothing
        }
    )
    scores = compute_scores(frame)
    assert (scores >= (1 - SCORE_WEIGHTS["knife"]) * depth - 1e-9).all()
    assert (scores <= (1 + SCORE_WEIGHTS["rebound"]) * depth + 1e-9).all()


def test_a_fresh_crash_after_a_run_up_leads_the_score_of_a_whole_report() -> None:
    # End to end through build_report: CRASH rose to almost five times its price in 15 sessions,
    # then lost 50% in the last 5 (so ret_20d_pct is +148% and ret_5d_pct -50%, README's CRASH);
    # DIP fell 10% this week after the same run-up. Twenty others sit 0% to 28% below their
    # peaks, some bounced, some still sliding. The earlier gain must cost neither a place.
    flat, run_up = [100.0] * 100, list(100.0 * 4.96 ** (np.arange(1, 16) / 15))
    rows = [closes_bars("CRASH", flat + run_up + list(496.0 * 0.5 ** (np.arange(1, 6) / 5))),
            closes_bars("DIP", flat + run_up + list(496.0 * 0.9 ** (np.arange(1, 6) / 5)))]
    rng = np.random.default_rng(12)
    for number, depth in enumerate(np.linspace(0.0, 0.28, 20)):
        trough = 100.0 * (1 - depth) / (1 + rng.uniform(0, depth))  # a bounce of up to the depth
        path = np.r_[np.linspace(80.0, 100.0, 60), np.linspace(100.0, trough, 50), np.linspace(trough, 100.0 * (1 - depth), 10)]
        rows.append(closes_bars(f"S{number:02d}", list(path)))
    report = report_for(pd.concat(rows, ignore_index=True))
    assert report["rank"].notna().all()  # no flag keeps any of them out
    assert report.loc["CRASH", "ret_20d_pct"] == pytest.approx(148.0) and report.loc["CRASH", "drawdown_pct"] == pytest.approx(-50.0)
    assert report.loc["CRASH", "score_rank"] == 1
    flat_names = report[report["drawdown_pct"] > -1e-9].index
    assert len(flat_names) and (report.loc["DIP", "score_rank"] < report.loc[flat_names, "score_rank"]).all()
