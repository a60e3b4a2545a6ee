"""The morning slots: 06:00 New York on trading days, whatever the UTC offset; later slots retry."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from shared.core.schedule import due_session, morning_slot


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("at", "session"),
    [
        ("2026-01-15 10:00", None),  # 05:00 EST: too early
        ("2026-01-15 11:00", date(2026, 1, 14)),  # 06:00 EST
        ("2026-01-15 12:00", date(2026, 1, 14)),  # 07:00 EST: a retry slot
        ("2026-07-15 10:00", date(2026, 7, 14)),  # 06:00 EDT
        ("2026-07-15 11:00", date(2026, 7, 14)),  # 07:00 EDT: a retry slot
        ("2026-01-19 11:00", None),  # Martin Luther King Jr. Day
        ("2026-01-17 11:00", None),  # Saturday
        ("2026-07-06 10:00", date(2026, 7, 2)),  # the Monday after Independence Day (observed Friday 3rd)
        ("2026-03-09 10:00", date(2026, 3, 6)),  # the Monday after the switch to EDT: 06:00
    ],
)
def test_slots(at: str, session: date | None) -> None:
    assert morning_slot(utc(at)).session == session


def test_exactly_one_six_oclock_slot_a_trading_day_all_year() -> None:
    import pandas as pd

    from shared.core.trading_calendar import NEW_YORK, trading_days

    for day in trading_days(date(2026, 1, 1), date(2026, 12, 31)):
        firsts = [hour for hour in (10, 11, 12) if morning_slot(utc(f"{day.date()} {hour:02d}:00")).session is not None]
        first = pd.Timestamp(f"{day.date()} {firsts[0]:02d}:00", tz="UTC").tz_convert(NEW_YORK)
        assert first.hour == 6, day


@pytest.mark.parametrize(
    ("at", "due"),
    [
        ("2026-07-15 09:00", date(2026, 7, 13)),  # 05:00 EDT Wednesday: Tuesday's slot collected Monday
        ("2026-07-15 10:00", date(2026, 7, 14)),  # 06:00 EDT: Tuesday's session is due now
        ("2026-07-18 12:00", date(2026, 7, 16)),  # Saturday: Friday's slot collected Thursday
        ("2026-07-20 09:59", date(2026, 7, 16)),  # Monday before 06:00: still Thursday's
    ],
)
def test_due_session(at: str, due: date) -> None:
    assert due_session(utc(at)) == due
