"""The scheduled entry point runs only at 6 AM New York time on trading days."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pytest

from app import jobs
from shared.bootstrap import Container, bootstrap
from shared.config import Settings
from tests.fakes import LambdaContext


@pytest.fixture
def at(settings: Settings) -> Callable[[datetime], Container]:
    """A container whose clock reads ``now``."""
    return lambda now: bootstrap(settings, clock=lambda: now)


def test_runs_at_six_new_york_on_a_trading_day(at) -> None:
    result = jobs.daily_collection(at(datetime(2026, 11, 27, 11, 0, tzinfo=timezone.utc)), {})  # 06:00 EST, Friday
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
def test_skips_other_hours_and_holidays(at, now: datetime) -> None:
    container = at(now)
    assert jobs.daily_collection(container, {})["skipped"] is True
    assert container.archive.list_runs() == []


def test_force_runs_any_time(at) -> None:
    assert jobs.daily_collection(at(datetime(2026, 11, 28, 15, 0, tzinfo=timezone.utc)), {"force": True})["as_of"] == "2026-11-27"


def test_the_lambda_handler_wires_itself_from_the_environment(tmp_path: Path, universe_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIPWATCH_STORAGE", str(tmp_path / "lambda-store"))
    monkeypatch.setenv("DIPWATCH_UNIVERSE", str(universe_file))
    result = jobs.collect_daily({"force": True}, LambdaContext())
    assert result["outcome"] == "complete" and "ranked 8/8" in result["line"]
    assert (tmp_path / "lambda-store" / "reports" / f"{result['as_of']}.csv").is_file()
