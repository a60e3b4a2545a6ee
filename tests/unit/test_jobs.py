"""The scheduled entry point runs only at 6 AM New York time on trading days."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from app import jobs
from tests.fakes import LambdaContext
from shared.bootstrap import bootstrap
from shared.config import Settings


@pytest.fixture
def run_at(monkeypatch: pytest.MonkeyPatch, settings: Settings):
    def configure(now: datetime) -> None:
        monkeypatch.setattr(jobs.Settings, "from_env", classmethod(lambda cls: settings))
        monkeypatch.setattr(jobs, "bootstrap", lambda s: bootstrap(s, clock=lambda: now))

    return configure


def test_runs_at_six_new_york_on_a_trading_day(run_at, settings: Settings) -> None:
    run_at(datetime(2026, 11, 27, 11, 0, tzinfo=timezone.utc))  # 06:00 EST, Friday
    result = jobs.collect_daily({}, LambdaContext())
    assert result["outcome"] == "complete"
    assert result["as_of"] == "2026-11-25"  # Thursday was Thanksgiving; Friday is not final at 6 AM


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc),  # 05:00 EST: the DST twin of the schedule
        datetime(2026, 11, 26, 11, 0, tzinfo=timezone.utc),  # Thanksgiving
        datetime(2026, 11, 28, 11, 0, tzinfo=timezone.utc),  # Saturday
    ],
)
def test_skips_other_hours_and_holidays(run_at, now: datetime) -> None:
    run_at(now)
    assert jobs.collect_daily({}, LambdaContext())["skipped"] is True


def test_force_runs_any_time(run_at) -> None:
    run_at(datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc))
    assert jobs.collect_daily({"force": True}, LambdaContext())["as_of"] == "2026-11-27"
