"""The one definition of the drawdown window, against pandas' own time-based rolling window."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from shared.core.trading_calendar import trading_days
from shared.core.window import HISTORY_DAYS, history_start, window_bars, window_sessions, window_start
from tests.conftest import make_bars


@given(lookback=st.integers(min_value=5, max_value=400), offset=st.integers(min_value=0, max_value=60))
def test_the_window_is_what_a_rolling_window_of_lookback_days_sees(lookback: int, offset: int) -> None:
    days = pd.date_range("2025-01-01", "2026-06-30", freq="D")
    as_of = date(2026, 6, 30) - timedelta(days=offset)
    bars = make_bars([("AAA", day.strftime("%Y-%m-%d"), float(i)) for i, day in enumerate(days)])
    inside = window_bars(bars, as_of, lookback)["date"]
    # rolling("ND") at as_of covers (as_of - N days, as_of]: count the closes it sees.
    rolling = bars.set_index("date")["close"].rolling(f"{lookback}D").count()
    assert len(inside) == int(rolling.loc[pd.Timestamp(as_of)])
    assert inside.min() == pd.Timestamp(window_start(as_of, lookback)) and inside.max() == pd.Timestamp(as_of)


def test_sessions_and_history_follow_the_same_start() -> None:
    as_of = date(2026, 11, 27)
    assert window_sessions(as_of, 180).equals(trading_days(date(2026, 6, 1), as_of))
    assert history_start(as_of, 180) == as_of - timedelta(days=HISTORY_DAYS - 1)
    assert history_start(as_of, 400) == window_start(as_of, 400)
