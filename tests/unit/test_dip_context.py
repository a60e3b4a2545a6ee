"""The dip-buyer's context columns, on hand-computed frames: the window's edge, the 52-week high,
the highest stored close (and its carry from report to report) and the dollar volume."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from shared.adapters.formats import report_from_csv, report_to_csv
from shared.core.analytics import REPORT_COLUMNS, build_report
from shared.core.context import DIP_CONTEXT_COLUMNS, carry_stored_high, peak_at_window_edge
from shared.core.trading_calendar import trading_days
from shared.core.window import window_sessions
from tests.conftest import make_bars

AS_OF = date(2026, 3, 2)
UNIVERSE = pd.DataFrame({"symbol": ["AAA", "BBB", "NEW"], "name": ["Alpha", "Beta", "Newco"], "sector": ["Energy"] * 3})


def series(symbol: str, first: date, closes: dict[str, float], base: float = 100.0) -> pd.DataFrame:
    """A bar on every NYSE session from ``first`` to AS_OF at ``base``, except the dates in ``closes``."""
    days = trading_days(first, AS_OF)
    return make_bars([(symbol, day.strftime("%Y-%m-%d"), closes.get(day.strftime("%Y-%m-%d"), base)) for day in days])


def test_report_layout_appends_the_new_columns_at_the_end() -> None:
    assert REPORT_COLUMNS[: REPORT_COLUMNS.index("score_rank") + 1][:10] == [
        "rank", "symbol", "name", "sector", "close", "peak_close", "peak_date", "drawdown_pct", "days_since_peak", "flags"
    ]
    assert REPORT_COLUMNS[-len(DIP_CONTEXT_COLUMNS):] == DIP_CONTEXT_COLUMNS


def test_peak_in_the_first_five_sessions_is_at_the_edge() -> None:
    sessions = window_sessions(AS_OF, 180)
    fifth, sixth = sessions[4].strftime("%Y-%m-%d"), sessions[5].strftime("%Y-%m-%d")
    first = sessions[0].date()
    bars = pd.concat([series("AAA", first, {fifth: 150.0, "2026-03-02": 90.0}), series("BBB", first, {sixth: 150.0, "2026-03-02": 90.0})])
    report = build_report(bars, UNIVERSE, AS_OF, 180).set_index("symbol")
    assert report.loc["AAA", "peak_date"] == pd.Timestamp(fifth) and bool(report.loc["AAA", "peak_at_window_edge"])
    assert report.loc["BBB", "peak_date"] == pd.Timestamp(sixth) and not bool(report.loc["BBB", "peak_at_window_edge"])
    assert report.loc["AAA", "drawdown_pct"] == pytest.approx(-40.0)  # 90 / 150 - 1, the window's return


def test_edge_needs_sessions_and_a_date() -> None:
    days = pd.Series(pd.to_datetime(["2026-01-02", None]))
    assert peak_at_window_edge(days, pd.DatetimeIndex([])).tolist() == [False, False]
    assert peak_at_window_edge(days, pd.DatetimeIndex(["2026-01-02", "2026-01-05"])).tolist() == [True, False]


def test_52_week_high_and_stored_high_hand_computed() -> None:
    # 100 every session from 2025-01-02, 160 on 2025-02-03 (more than 52 weeks back, outside the
    # history a report reads), 150 on 2025-05-01 (inside 52 weeks, outside the 180-day window),
    # 120 on 2025-11-03 (the window's peak), 90 on the day.
    closes = {"2025-02-03": 160.0, "2025-05-01": 150.0, "2025-11-03": 120.0, "2026-03-02": 90.0}
    bars = pd.concat([series("AAA", date(2025, 1, 2), closes), series("NEW", date(2025, 10, 1), {"2025-11-03": 120.0, "2026-03-02": 90.0})])
    report = build_report(bars, UNIVERSE, AS_OF, 180).set_index("symbol")
    row = report.loc["AAA"]
    assert row["peak_close"] == 120.0 and row["drawdown_pct"] == pytest.approx(-25.0)
    assert row["high_52w_close"] == 150.0 and row["high_52w_date"] == pd.Timestamp("2025-05-01")
    assert row["drawdown_52w_pct"] == pytest.approx(-40.0)  # 90 / 150 - 1
    # The report reads 365 days of history (from 2025-03-03): the 160 is not in it.
    assert row["stored_high_close"] == 150.0 and row["drawdown_stored_pct"] == pytest.approx(-40.0)
    assert row["stored_first_date"] == pd.Timestamp("2025-03-03")
    # Listed in October: no 52 weeks of bars, so no 52-week figure; its stored high is since listing.
    new = report.loc["NEW"]
    assert np.isnan(new["high_52w_close"]) and np.isnan(new["drawdown_52w_pct"]) and pd.isna(new["high_52w_date"])
    assert new["stored_high_close"] == 120.0 and new["stored_first_date"] == pd.Timestamp("2025-10-01")
    assert new["drawdown_stored_pct"] == pytest.approx(-25.0)


def test_dollar_volume_is_the_mean_of_the_last_20_sessions() -> None:
    bars = series("AAA", date(2026, 1, 2), {})
    volume = np.where(np.arange(len(bars)) >= len(bars) - 20, 300, 1000)  # 300 shares a day lately
    report = build_report(bars.assign(volume=volume), UNIVERSE, AS_OF, 180).set_index("symbol")
    assert report.loc["AAA", "dollar_volume_20d"] == pytest.approx(100.0 * 300)
    short = build_report(series("AAA", date(2026, 2, 20), {}), UNIVERSE, AS_OF, 180).set_index("symbol")
    assert np.isnan(short.loc["AAA", "dollar_volume_20d"])  # 7 sessions


def _rows(rows: list[tuple[str, float, float, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["symbol", "close", "stored_high_close", "stored_high_date", "stored_first_date", "flags"])
    return frame.assign(
        stored_high_date=pd.to_datetime(frame["stored_high_date"]),
        stored_first_date=pd.to_datetime(frame["stored_first_date"]),
        drawdown_stored_pct=(frame["close"] / frame["stored_high_close"] - 1) * 100,
    )


def test_the_stored_high_is_carried_from_the_previous_report() -> None:
    previous = _rows(
        [
            ("AAA", 100.0, 200.0, "2024-06-03", "2024-01-02", ""),  # higher before: carried
            ("BBB", 100.0, 110.0, "2025-01-06", "2024-01-02", ""),  # lower before: the first day only
            ("SPL", 100.0, 400.0, "2024-06-03", "2024-01-02", ""),  # split now: not carried
        ]
    )
    report = _rows(
        [
            ("AAA", 90.0, 150.0, "2025-05-01", "2025-03-03", ""),
            ("BBB", 90.0, 120.0, "2025-05-01", "2025-03-03", ""),
            ("SPL", 90.0, 100.0, "2025-05-01", "2025-03-03", "split_adjusted"),
            ("NEW", 90.0, 95.0, "2025-12-01", "2025-10-01", ""),  # not in the previous report
        ]
    )
    carried = carry_stored_high(report, previous, AS_OF, date(2026, 2, 27), 180).set_index("symbol")
    assert carried.loc["AAA", "stored_high_close"] == 200.0 and carried.loc["AAA", "stored_high_date"] == pd.Timestamp("2024-06-03")
    assert carried.loc["AAA", "drawdown_stored_pct"] == pytest.approx(-55.0)  # 90 / 200 - 1
    assert carried.loc["AAA", "stored_first_date"] == pd.Timestamp("2024-01-02")
    assert carried.loc["BBB", "stored_high_close"] == 120.0 and carried.loc["BBB", "drawdown_stored_pct"] == pytest.approx(-25.0)
    assert carried.loc["BBB", "stored_first_date"] == pd.Timestamp("2024-01-02")
    assert carried.loc["SPL", "stored_high_close"] == 100.0 and carried.loc["SPL", "stored_first_date"] == pd.Timestamp("2025-03-03")
    assert carried.loc["NEW", "stored_high_close"] == 95.0
    assert report.loc[0, "stored_high_close"] == 150.0  # the input is unchanged


def test_no_carry_across_a_gap_an_old_layout_or_a_split_before() -> None:
    previous = _rows([("AAA", 100.0, 200.0, "2024-06-03", "2024-01-02", "split_suspect")])
    report = _rows([("AAA", 90.0, 150.0, "2025-05-01", "2025-03-03", "")])

    def unchanged(result: pd.DataFrame) -> None:
        pd.testing.assert_frame_equal(result, report)

    unchanged(carry_stored_high(report, previous, AS_OF, date(2026, 2, 27), 180))  # a split before
    clean = previous.assign(flags="")
    unchanged(carry_stored_high(report, clean, AS_OF, date(2025, 2, 27), 180))  # older than the history
    unchanged(carry_stored_high(report, clean.drop(columns="stored_high_close"), AS_OF, date(2026, 2, 27), 180))
    unchanged(carry_stored_high(report, None, AS_OF, None, 180))
    assert carry_stored_high(report, clean, AS_OF, date(2026, 2, 27), 180)["stored_high_close"].tolist() == [200.0]


def test_new_columns_survive_the_stored_csv() -> None:
    bars = series("AAA", date(2025, 1, 2), {"2025-05-01": 150.0, "2026-03-02": 90.0})
    report = build_report(bars, UNIVERSE, AS_OF, 180)
    back = report_from_csv(report_to_csv(report))
    assert list(back.columns) == REPORT_COLUMNS
    assert back["peak_at_window_edge"].dtype == bool
    for column in ("high_52w_date", "stored_high_date", "stored_first_date"):
        assert back.loc[0, column] == report.loc[0, column]
    assert back.loc[0, "high_52w_close"] == 150.0 and back.loc[0, "dollar_volume_20d"] == pytest.approx(report.loc[0, "dollar_volume_20d"])
