"""hypothesis properties of the report: general rules checked on generated price series."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.core.analytics import REPORT_COLUMNS, build_report
from shared.core.window import HISTORY_DAYS
from tests.conftest import make_bars

AS_OF = date(2026, 3, 2)
LOOKBACK = 180
#: Weekdays standing in for sessions, so no calendar is needed.
SESSIONS = pd.bdate_range(end=pd.Timestamp(AS_OF), periods=220)
WINDOW_SESSIONS = SESSIONS[SESSIONS > pd.Timestamp(AS_OF) - pd.Timedelta(days=LOOKBACK)]
UNIVERSE = pd.DataFrame({"symbol": ["AAA", "BBB"], "name": ["Alpha", "Beta"], "sector": ["Energy", "Utilities"]})
#: The percentage-valued columns (and the score, built from them).
PERCENT_COLUMNS = [column for column in REPORT_COLUMNS if column.endswith("_pct") or column in ("drawdown_vol", "score")]
#: Daily log returns small enough that no generated move looks like a split.
daily_returns = st.lists(st.floats(min_value=-0.03, max_value=0.03, allow_nan=False), min_size=2, max_size=len(SESSIONS) - 1)
fast = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def series(symbol: str, returns: list[float], start: float = 100.0) -> pd.DataFrame:
    closes = start * np.exp(np.concatenate([[0.0], np.cumsum(returns)]))
    days = SESSIONS[-len(closes):]
    return make_bars([(symbol, day.strftime("%Y-%m-%d"), float(close)) for day, close in zip(days, closes)])


def report_of(bars: pd.DataFrame) -> pd.DataFrame:
    return build_report(bars, UNIVERSE, AS_OF, LOOKBACK, sessions=WINDOW_SESSIONS).set_index("symbol").sort_index()


@fast
@given(returns=daily_returns)
def test_drawdown_is_never_positive(returns: list[float]) -> None:
    report = report_of(series("AAA", returns))
    assert (report["drawdown_pct"] <= 0).all()
    assert (report["rebound_pct"] >= 0).all()


@fast
@given(days=st.integers(min_value=1, max_value=len(SESSIONS)), price=st.floats(min_value=0.01, max_value=1e5))
def test_constant_series_has_no_drawdown(days: int, price: float) -> None:
    row = report_of(series("AAA", [0.0] * (days - 1), start=price)).loc["AAA"]
    assert row["drawdown_pct"] == 0 and row["rebound_pct"] == 0
    assert row["score"] == 0


@fast
@given(first=daily_returns, second=daily_returns, factor=st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_one_symbols_prices_changes_none_of_its_percentages(first: list[float], second: list[float], factor: float) -> None:
    bars = pd.concat([series("AAA", first), series("BBB", second)], ignore_index=True)
    is_a = bars["symbol"] == "AAA"
    scaled = bars.copy()
    for column in ("open", "high", "low", "close"):
        scaled.loc[is_a, column] = bars.loc[is_a, column] * factor
    before, after = report_of(bars), report_of(scaled)
    pd.testing.assert_frame_equal(before[PERCENT_COLUMNS], after[PERCENT_COLUMNS], check_exact=False, rtol=1e-7, atol=1e-9)
    assert before["flags"].to_dict() == after["flags"].to_dict()
    assert after.loc["AAA", "close"] == np.float64(before.loc["AAA", "close"] * factor)


@fast
@given(returns=daily_returns, price=st.floats(min_value=0.01, max_value=1e6), days_before=st.integers(min_value=0, max_value=2000))
def test_a_bar_older_than_the_history_changes_nothing(returns: list[float], price: float, days_before: int) -> None:
    bars = series("AAA", returns)
    old_day = pd.Timestamp(AS_OF) - pd.Timedelta(days=max(LOOKBACK, HISTORY_DAYS) + days_before)
    older = pd.concat([make_bars([("AAA", old_day.strftime("%Y-%m-%d"), price)]), bars], ignore_index=True)
    pd.testing.assert_frame_equal(report_of(bars), report_of(older))


@fast
@given(returns=daily_returns, price=st.floats(min_value=0.01, max_value=1e6), days_before=st.integers(min_value=0, max_value=HISTORY_DAYS - LOOKBACK - 1))
def test_a_bar_older_than_the_window_changes_nothing_the_window_measures(returns: list[float], price: float, days_before: int) -> None:
    bars = series("AAA", returns)
    old_day = pd.Timestamp(AS_OF) - pd.Timedelta(days=LOOKBACK + days_before)
    older = pd.concat([make_bars([("AAA", old_day.strftime("%Y-%m-%d"), price)]), bars[bars["date"] > old_day]], ignore_index=True)
    window_columns = ["close", "peak_close", "peak_date", "drawdown_pct", "days_since_peak", "flags", "volatility_pct", "drawdown_vol", "trough_close", "trough_date", "rebound_pct"]
    pd.testing.assert_frame_equal(report_of(bars[bars["date"] > old_day])[window_columns], report_of(older)[window_columns])


@fast
@given(returns=daily_returns, other=daily_returns, at=st.floats(min_value=0.0, max_value=1.0))
def test_a_two_for_one_split_in_raw_data_is_flagged_and_not_ranked(returns: list[float], other: list[float], at: float) -> None:
    bars = series("AAA", returns)
    in_window = bars.loc[bars["date"] > pd.Timestamp(AS_OF) - pd.Timedelta(days=LOOKBACK), "date"]
    split_day = in_window.iloc[1 + int(at * (len(in_window) - 2))]  # a day with a return in the window
    after_split = bars["date"] >= split_day
    raw = bars.copy()
    for column in ("open", "high", "low", "close"):
        raw.loc[after_split, column] = bars.loc[after_split, column] / 2.0
    report = report_of(pd.concat([raw, series("BBB", other)], ignore_index=True))
    assert "split_suspect" in report.loc["AAA", "flags"].split(";")
    assert pd.isna(report.loc["AAA", "rank"]) and pd.isna(report.loc["AAA", "score_rank"])
    assert report.loc["BBB", "rank"] == 1


def test_flat_series_scaled_by_an_awkward_factor_has_no_volatility_units() -> None:
    # The case hypothesis found: float noise of a flat series must not read as volatility.
    bars = series("AAA", [0.0078125, 0.0078125])
    scaled = bars.assign(**{column: bars[column] * 0.1 for column in ("open", "high", "low", "close")})
    assert np.isnan(report_of(scaled).loc["AAA", "drawdown_vol"])
