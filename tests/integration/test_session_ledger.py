"""The per-session ledger: completeness, one claim per notification, the week's runs."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from shared.adapters.archive import Archive
from shared.adapters.storage import LocalStore
from shared.services import session_ledger as ledger

DAY = date(2026, 7, 14)


def test_a_session_is_complete_once_a_complete_run_is_recorded(tmp_path: Path) -> None:
    archive = Archive(LocalStore(tmp_path))
    assert not ledger.is_complete(archive, DAY)
    ledger.record_run(archive, DAY, {"run_id": "r1", "outcome": "failed"})
    ledger.record_run(archive, DAY, {"run_id": "r2", "outcome": "partial"})
    assert not ledger.is_complete(archive, DAY)
    ledger.record_run(archive, DAY, {"run_id": "r3", "outcome": "complete"})
    ledger.record_run(archive, DAY, {"run_id": "r4", "outcome": "failed"})  # a later failure does not undo it
    assert ledger.is_complete(archive, DAY)
    assert [run["run_id"] for run in ledger.read_ledger(archive, DAY)["runs"]] == ["r1", "r2", "r3", "r4"]


def test_each_notification_is_claimed_once_even_by_concurrent_callers(tmp_path: Path) -> None:
    archive = Archive(LocalStore(tmp_path))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: ledger.claim(archive, DAY, "digest", f"t{n}"), range(16)))
    assert results.count(True) == 1
    assert ledger.claim(archive, DAY, "admin", "t") is True
    assert ledger.claim(archive, DAY, "admin", "t") is False
    assert ledger.claim(archive, date(2026, 7, 15), "digest", "t") is True  # the next session is its own


def test_recent_runs_are_the_weeks_before(tmp_path: Path) -> None:
    archive = Archive(LocalStore(tmp_path))
    for day, value in ((date(2026, 7, 6), 1), (date(2026, 7, 7), 2), (date(2026, 7, 13), 3), (DAY, 4)):
        ledger.record_run(archive, day, {"run_id": f"r{value}", "outcome": "complete", "duration_s": value})
    assert [run["duration_s"] for run in ledger.recent_runs(archive, DAY, 7)] == [2, 3]
