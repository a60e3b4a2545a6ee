"""NYSE trading days, from pandas-market-calendars (no hand-written holiday list)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")
#: A session's daily bar is taken as final this long after the close (16:00 New York).
BAR_SETTLE_TIME = time(18, 0)


@lru_cache(maxsize=1)
def _nyse() -> Any:  # pandas-market-calendars ships no types
    # Imported lazily: the calendar pulls in exchange_calendars, which is slow to import,
    # and most web requests never need it.
    import pandas_market_calendars as mcal

    return mcal.get_calendar("XNYS")


@lru_cache(maxsize=64)
def _valid_days(start: date, end: date) -> pd.DatetimeIndex:
    days = _nyse().valid_days(start_date=start.isoformat(), end_date=end.isoformat())
    return pd.DatetimeIndex(days.tz_localize(None).normalize().astype("datetime64[ns]"))


def trading_days(start: date, end: date) -> pd.DatetimeIndex:
    """NYSE trading days in [start, end], as tz-naive midnight timestamps."""
    if end < start:
        return pd.DatetimeIndex([], dtype="datetime64[ns]")
    return _valid_days(start, end)


def is_trading_day(day: date) -> bool:
    """Whether the NYSE holds a session on ``day``."""
    return len(trading_days(day, day)) == 1


def previous_trading_day(day: date) -> date:
    """The latest trading day on or before ``day``."""
    days = trading_days(day - timedelta(days=14), day)
    return days[-1].date()


def trading_day_before(day: date) -> date:
    """The trading day strictly before ``day``."""
    return previous_trading_day(day - timedelta(days=1))


def last_completed_session(now: datetime) -> date:
    """The latest trading day whose daily bar is final at ``now`` (an aware datetime)."""
    local = now.astimezone(NEW_YORK)
    today = local.date()
    if is_trading_day(today) and local.time() >= BAR_SETTLE_TIME:
        return today
    return trading_day_before(today)
