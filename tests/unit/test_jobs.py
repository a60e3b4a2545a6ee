"""The scheduled collector: 06:00 New York on trading days, retries until complete, one outcome metric."""
from __future__ import annotations

import json
from datetime import date

import pytest

from app import jobs
from shared.bootstrap import bootstrap
from shared.config import Settings
from shared.services import session_ledger
from tests.fakes import LambdaContext, RecordingMarketData
from tests.lambda_runtime import scheduled_event

OUTCOMES = {"RunsComplete", "RunsPartial", "RunsFailed", "RunsSkipped"}


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch, settings: Settings):
    """``collect_daily`` wired to one container over the test settings (and ``market_data``)."""

    def configure(market_data: object | None = None):
        container = bootstrap(settings, market_data=market_data) if market_data is not None else bootstrap(settings)
        monkeypatch.setattr(jobs, "bootstrap", lambda: container)
        return container

    return configure


def outcome_metrics(captured: str) -> list[str]:
    """The outcome metrics in the EMF lines the invocations printed."""
    names = []
    for line in captured.splitlines():
        if line.startswith('{"_aws"'):
            names += [metric["Name"] for block in json.loads(line)["_aws"]["CloudWatchMetrics"] for metric in block["Metrics"] if metric["Name"] in OUTCOMES]
    return names


@pytest.mark.parametrize(
    ("day", "hours", "collecting"),
    [("2026-01-15", (10, 11, 12), 11), ("2026-07-15", (10, 11, 12), 10)],
)
def test_each_day_collects_once_at_six_new_york(wire, capsys: pytest.CaptureFixture[str], day: str, hours: tuple[int, ...], collecting: int) -> None:
    wire()
    results = {hour: jobs.collect_daily(scheduled_event(f"{day}T{hour:02d}:00:00Z"), LambdaContext()) for hour in hours}
    assert [hour for hour, result in results.items() if result["outcome"] == "complete"] == [collecting]
    assert all(result["outcome"] == "skipped" for hour, result in results.items() if hour != collecting)
    assert results[collecting]["as_of"] == ("2026-01-14" if day.startswith("2026-01") else "2026-07-14")
    assert outcome_metrics(capsys.readouterr().out) == ["RunsComplete" if hour == collecting else "RunsSkipped" for hour in hours]


@pytest.mark.parametrize("at", ["2026-01-19T11:00:00Z", "2026-01-17T11:00:00Z", "2026-07-15T09:00:00Z"])
def test_holidays_weekends_and_early_slots_skip(wire, at: str) -> None:
    wire()
    result = jobs.collect_daily(scheduled_event(at), LambdaContext())
    assert result["outcome"] == "skipped" and result["as_of"] is None


def test_a_partial_run_is_retried_by_the_next_slot(wire, settings: Settings) -> None:
    flaky = RecordingMarketData(failing={"AAPL"})
    wire(flaky)
    first = jobs.collect_daily(scheduled_event("2026-07-15T10:00:00Z"), LambdaContext())
    assert first["outcome"] == "partial"
    flaky.failing.clear()
    second = jobs.collect_daily(scheduled_event("2026-07-15T11:00:00Z"), LambdaContext())
    assert second["outcome"] == "complete" and second["as_of"] == "2026-07-14"
    third = jobs.collect_daily(scheduled_event("2026-07-15T12:00:00Z"), LambdaContext())
    assert third["outcome"] == "skipped"
    runs = session_ledger.read_ledger(bootstrap(settings).archive, date(2026, 7, 14))["runs"]
    assert [run["outcome"] for run in runs] == ["partial", "complete"]


def test_by_hand_it_collects_unless_complete_and_force_collects_again(wire) -> None:
    wire()
    invoke = {"command": "app.jobs.collect_daily"}
    assert jobs.collect_daily(invoke, LambdaContext())["outcome"] == "complete"
    assert jobs.collect_daily(invoke, LambdaContext())["outcome"] == "skipped"
    assert jobs.collect_daily({**invoke, "force": True}, LambdaContext())["outcome"] == "complete"


def test_an_exception_still_emits_exactly_one_outcome(wire, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    wire()

    def broken():
        raise RuntimeError("the store is unreachable")

    monkeypatch.setattr(jobs, "bootstrap", broken)
    with pytest.raises(RuntimeError):
        jobs.collect_daily(scheduled_event("2026-07-15T10:00:00Z"), LambdaContext())
    assert outcome_metrics(capsys.readouterr().out) == ["RunsFailed"]


def test_the_heartbeat_says_when_a_due_session_is_not_complete(wire, capsys: pytest.CaptureFixture[str]) -> None:
    flaky = RecordingMarketData(failing={"AAPL"})
    wire(flaky)
    jobs.collect_daily(scheduled_event("2026-07-15T10:00:00Z"), LambdaContext())
    flaky.failing.clear()
    jobs.collect_daily(scheduled_event("2026-07-15T11:00:00Z"), LambdaContext())
    overdue = [json.loads(line)["CollectionOverdue"] for line in capsys.readouterr().out.splitlines() if '"CollectionOverdue"' in line]
    assert overdue == [[1.0], [0.0]]
