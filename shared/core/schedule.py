"""When the morning collection runs: from 06:00 New York on NYSE trading days, until it is complete.

EventBridge schedules are in UTC while New York moves between UTC−5 and UTC−4, so the job is
scheduled at 10:00, 11:00 and 12:00 UTC every day. A slot at or after 06:00 New York on a
trading day collects the previous session unless that session is already complete; an earlier
slot, or one on a weekend or holiday, collects nothing. So 06:00 runs once (11:00 UTC in
winter, 10:00 UTC in summer) and the next slot or two retry a run that failed, stopped half-way
or never started.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from shared.core.trading_calendar import NEW_YORK, is_trading_day, trading_day_before

#: The collection's hour, New York time.
RUN_TIME = time(6, 0)


@dataclass(frozen=True)
class Slot:
    """What one scheduled invocation at ``at`` is for."""

    at: datetime
    session: date | None  # the session it collects; None when it is not a collection slot
    reason: str


def morning_slot(at: datetime) -> Slot:
    """The slot of a scheduled invocation at ``at`` (aware): which session it collects, if any."""
    local = at.astimezone(NEW_YORK)
    if not is_trading_day(local.date()):
        return Slot(at, None, f"{local:%Y-%m-%d} is not a New York trading day")
    if local.time() < RUN_TIME:
        return Slot(at, None, f"{local:%H:%M} New York is before {RUN_TIME:%H:%M}")
    return Slot(at, trading_day_before(local.date()), f"{local:%H:%M} New York on a trading day")


def due_session(at: datetime) -> date:
    """The newest session whose collection should be complete at ``at``: the one the latest
    06:00 New York of a trading day (at or before ``at``) collects."""
    local = at.astimezone(NEW_YORK)
    day = local.date()
    if not (is_trading_day(day) and local.time() >= RUN_TIME):
        day = trading_day_before(day)
    return trading_day_before(day)
