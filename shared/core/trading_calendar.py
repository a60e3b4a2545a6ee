"""NYSE trading days, from pandas-market-calendars (no hand-written holiday list)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from shared.errors import BadInput

NEW_YORK = ZoneInfo("America/New_York")
#: No date before this is collected (daily data older than that is not what dipwatch is for).
EARLIEST_DAY = date(1990, 1, 1)
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


def session_complete_at(day: date) -> datetime:
    """When ``day``'s session counts as complete: its daily bar is final (aware, New York)."""
    return datetime.combine(day, BAR_SETTLE_TIME, tzinfo=NEW_YORK)


def check_requested_day(day: date, now: datetime, what: str) -> None:
    """Refuse (BadInput, one line naming the last completed session) a requested day after the
    last session complete at ``now``, or before ``EARLIEST_DAY``. Checked before the calendar is
    asked anything about ``day``, so that 9999-12-31 is refused like any other future day."""
    last = last_completed_session(now)
    if day < EARLIEST_DAY:
        raise BadInput(f"{what} {day.isoformat()} is before {EARLIEST_DAY.isoformat()}, the earliest day dipwatch collects")
    local_today = now.astimezone(NEW_YORK).date()
    if day > local_today or (day > last and previous_trading_day(day) > last):
        raise BadInput(
            f"{what} {day.isoformat()} is after the last completed session, {last.isoformat()}"
            f" (a session is complete at {BAR_SETTLE_TIME:%H:%M} New York, after its close and the final bar)"
        )
