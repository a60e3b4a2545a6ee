"""The day's positions snapshot: asked for during the run, stored at its end, never failing it."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from shared.adapters.archive import Archive, positions_key
from shared.adapters.storage import LocalStore
from shared.services.positions_snapshot import store_positions
from tests.fakes import FakeBroker

DAY = date(2026, 11, 25)


class _BrokenBroker(FakeBroker):
    def positions(self) -> pd.DataFrame:
        raise ConnectionError("account unreachable")


def test_positions_are_stored_once_a_day_and_the_first_snapshot_is_kept(tmp_path: Path) -> None:
    archive = Archive(LocalStore(tmp_path))
    first = FakeBroker([{"symbol": "AAPL", "qty": 3, "market_value": 600.0}]).positions
    assert store_positions(archive, DAY, first) == positions_key(DAY)
    assert store_positions(archive, DAY, first) == f"{positions_key(DAY)} (already stored)"
    moved = FakeBroker([{"symbol": "MSFT", "qty": 1, "market_value": 400.0}]).positions
    assert store_positions(archive, DAY, moved) == f"{positions_key(DAY)} (kept the day's first snapshot)"
    assert b"AAPL" in archive.store.get(positions_key(DAY))


def test_no_account_and_a_failing_account_never_fail_the_run(tmp_path: Path) -> None:
    archive = Archive(LocalStore(tmp_path))
    assert store_positions(archive, DAY, None) == ""
    assert store_positions(archive, DAY, _BrokenBroker().positions) == "not stored: account unreachable"
    assert archive.store.list("positions/") == []
