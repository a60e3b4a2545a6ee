"""The drawdown window, defined once: the calendar days ``(as_of - lookback_days, as_of]``.

``lookback_days`` is ``DIPWATCH_LOOKBACK_DAYS`` (180 by default). The analytics, the chart, the
collector and the services all cut their windows with these functions, so they always agree.
The context (returns, the 200-bar average) reads a longer history, cut the same way.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from shared.core.trading_calendar import trading_days

#: Calendar days of history the context reads: 365 for the 52-week high (the 200-bar average
#: needs about 290).
HISTORY_DAYS = 365


def window_start(as_of: date, lookback_days: int) -> date:
    """The window's first calendar day: ``as_of - (lookback_days - 1)``."""
    return as_of - timedelta(days=lookback_days - 1)


def history_start(as_of: date, lookback_days: int) -> date:
    """The first calendar day the analytics read: the window's, or ``HISTORY_DAYS`` back if longer."""
    return window_start(as_of, max(lookback_days, HISTORY_DAYS))


def bars_between(bars: pd.DataFrame, first: date, last: date, columns: list[str] | None = None) -> pd.DataFrame:
    """The rows of ``bars`` dated in [first, last] (``date`` holds midnight timestamps); with
    ``columns``, only those (cut together: no copy of the other columns is made)."""
    inside = (bars["date"] >= pd.Timestamp(first)) & (bars["date"] <= pd.Timestamp(last))
    return bars[inside] if columns is None else bars.loc[inside, columns]


def window_bars(bars: pd.DataFrame, as_of: date, lookback_days: int, columns: list[str] | None = None) -> pd.DataFrame:
    """The bars dated in the window, as pandas ``rolling("180D")`` sees them (``columns``: only those)."""
    return bars_between(bars, window_start(as_of, lookback_days), as_of, columns)


def window_sessions(as_of: date, lookback_days: int) -> pd.DatetimeIndex:
    """The NYSE sessions in the window."""
    return trading_days(window_start(as_of, lookback_days), as_of)


def history_sessions(as_of: date, lookback_days: int) -> pd.DatetimeIndex:
    """The NYSE sessions the analytics read for ``as_of``."""
    return trading_days(history_start(as_of, lookback_days), as_of)
