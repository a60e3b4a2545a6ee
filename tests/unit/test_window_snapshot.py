"""The window snapshot: its bytes read back exactly, strictly, and a run's report is the same
with it or without it (missing, corrupt or stale: rebuilt from the bars objects)."""
from __future__ import annotations

import os
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shared.adapters.formats import bars_from_csv, bars_to_csv
from shared.adapters.layout import WINDOW_SNAPSHOT_DAYS, WINDOWS_PREFIX, bars_key, report_key, window_key
from shared.adapters.storage import LocalStore
from shared.adapters.window_format import window_from_bytes, window_to_bytes
from shared.bootstrap import Container, bootstrap
from shared.config import Settings
from shared.core.bars import normalise_bars
from shared.core.trading_calendar import previous_trading_day
from tests.conftest import AS_OF, fixed_clock

PREVIOUS = previous_trading_day(AS_OF - timedelta(days=1))


def _bars(rows: int = 60, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2026-01-05", periods=rows // 3)
    frame = pd.DataFrame(
        {
            "symbol": np.repeat(["BRK.A", "AAA", "ZZZ"], len(days)),
            "date": np.tile(days, 3),
            "open": np.round(rng.uniform(1, 500, rows), 4),
            "high": np.round(rng.uniform(1, 500, rows), 2),  # with a -0.0: stored as float64
            "low": rng.uniform(1, 500, rows),  # not decimal: stored as float64
            "close": np.round(rng.uniform(600_000, 700_000, rows), 4),  # too large for int32 at 4 places
            "volume": rng.integers(0, 2**40, rows),
        }
    )
    bars = normalise_bars(frame)
    bars.loc[3, "open"] = np.nan
    bars.loc[4, "high"] = -0.0
    return bars


def test_a_snapshot_reads_back_every_bit_of_its_bars() -> None:
    bars = _bars()
    data = window_to_bytes(bars.sample(frac=1, random_state=1), date(2026, 3, 1), {"bars/2026-01-05.csv": "v1"})
    snapshot = window_from_bytes(data)
    back = snapshot.bars()
    pd.testing.assert_frame_equal(back, bars)
    assert np.signbit(back.loc[4, "high"]) and np.isnan(back.loc[3, "open"])
    assert bars_to_csv(back) == bars_to_csv(bars)
    assert snapshot.sources == {"bars/2026-01-05.csv": "v1"}
    assert {name: scale for name, (_values, scale) in snapshot.encoded.items()} == {"open": 4, "high": None, "low": None, "close": None, "volume": None}
    some = snapshot.days[2:5]
    pd.testing.assert_frame_equal(snapshot.bars(some), bars[bars["date"].isin(pd.DatetimeIndex(some))].reset_index(drop=True))
    assert window_to_bytes(bars, date(2026, 3, 1), {"bars/2026-01-05.csv": "v1"}) == data  # deterministic


def test_csv_prices_read_back_as_the_csv_parses_them() -> None:
    bars = bars_from_csv(b"symbol,date,open,high,low,close,volume\nA,2026-01-05,54.7226,0.0001,1234.5,0.1,7\nB,2026-01-05,,3,2,2.5,0\n")
    pd.testing.assert_frame_equal(window_from_bytes(window_to_bytes(bars, date(2026, 1, 5), {})).bars(), bars)


def test_a_damaged_snapshot_never_parses() -> None:
    data = window_to_bytes(_bars(), date(2026, 3, 1), {})
    for cut in range(0, len(data) - 1, max(1, len(data) // 40)):
        with pytest.raises(ValueError):
            window_from_bytes(data[:cut])
    with pytest.raises(ValueError):
        window_from_bytes(data + b"x" * 8)
    with pytest.raises(ValueError):
        window_from_bytes(data.replace(b'"format":1', b'"format":9'))
    with pytest.raises(ValueError):
        window_from_bytes(b"symbol,date\n")


@pytest.mark.parametrize("late, scale", [(12.3456, 4), (1e8 + 0.5, None), (np.nan, 2), (0.1 + 0.2, None)])
def test_a_long_column_gets_the_scale_its_every_value_needs(late: float, scale: int | None) -> None:
    """Scales are tried on the first values first: one value past them still decides."""
    days = pd.bdate_range("2025-01-06", periods=5_000)
    prices = np.round(np.linspace(1, 900, len(days)), 2)
    prices[-1] = late
    bars = normalise_bars(pd.DataFrame({"symbol": "AAA", "date": days, "open": prices, "high": prices, "low": prices, "close": prices, "volume": 1}))
    snapshot = window_from_bytes(window_to_bytes(bars, days[-1].date(), {}))
    assert snapshot.encoded["close"][1] == scale
    pd.testing.assert_frame_equal(snapshot.bars(), bars)


def test_a_snapshot_refuses_a_symbol_and_day_twice() -> None:
    bars = _bars()
    with pytest.raises(ValueError, match="twice"):
        window_to_bytes(pd.concat([bars, bars.iloc[:1]]), date(2026, 3, 1), {})
    with pytest.raises(ValueError, match="twice"):  # in order, the same day twice in a row
        window_to_bytes(pd.concat([bars.iloc[:1], bars]), date(2026, 3, 1), {})


# --- the collection -------------------------------------------------------------------------------


class RecordingStore(LocalStore):
    """A LocalStore that records the keys read."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.read: list[str] = []

    def get_with_metadata(self, key: str) -> tuple[bytes, dict[str, str]]:
        self.read.append(key)
        return super().get_with_metadata(key)


def _wired(settings: Settings, root: Path) -> Container:
    return bootstrap(settings, store=RecordingStore(root), clock=fixed_clock)


def _two_days(settings: Settings, root: Path, between: object = None) -> tuple[Container, object]:
    """Backfill the history before PREVIOUS, collect PREVIOUS (which writes the snapshot of the
    days it read), call ``between(store)``, then collect AS_OF in a fresh container; that
    container and its summary."""
    _wired(settings, root).collection.backfill(end=previous_trading_day(PREVIOUS - timedelta(days=1)), days=400)
    _wired(settings, root).collection.collect(PREVIOUS)
    if callable(between):
        between(LocalStore(root))
    container = _wired(settings, root)
    return container, container.collection.collect(AS_OF)


def test_the_next_run_reads_the_snapshot_and_the_one_day_it_lacks(settings: Settings, tmp_path: Path) -> None:
    container, summary = _two_days(settings, tmp_path / "with")
    store = container.store
    assert isinstance(store, RecordingStore)
    assert window_key(PREVIOUS) in store.read
    # The snapshot PREVIOUS wrote holds what it read, not the day it fetched meanwhile.
    assert [key for key in store.read if key.startswith("bars/")] == [bars_key(PREVIOUS)]
    assert summary.outcome == "complete" and store.exists(window_key(AS_OF))
    assert window_key(AS_OF) in summary.objects  # the manifest lists its seal
    held = window_from_bytes(store.get(window_key(AS_OF))).days
    assert held[-1] == PREVIOUS and AS_OF not in held and len(held) > 200


def test_a_first_run_snapshots_the_days_it_stored_and_a_rerun_adds_none(settings: Settings, tmp_path: Path) -> None:
    container = _wired(settings, tmp_path)
    assert container.collection.collect(PREVIOUS).outcome == "complete"  # nothing stored before it
    assert container.store.list("windows/") == [window_key(PREVIOUS)]
    snapshot = window_from_bytes(container.store.get(window_key(PREVIOUS)))
    assert snapshot.days == container.archive.stored_days("bars") and snapshot.days[-1] == PREVIOUS
    before = container.store.get(window_key(PREVIOUS))
    rerun = _wired(settings, tmp_path)
    assert rerun.collection.collect(PREVIOUS).outcome == "complete"
    assert rerun.store.get(window_key(PREVIOUS)) == before and rerun.store.list("windows/") == [window_key(PREVIOUS)]
    assert [key for key in rerun.store.read if key.startswith("bars/")] == []  # all from the snapshot


def test_the_report_is_the_same_without_the_snapshot(settings: Settings, tmp_path: Path) -> None:
    with_it, _ = _two_days(settings, tmp_path / "with")
    without, _ = _two_days(settings, tmp_path / "without", lambda store: shutil.rmtree(store.root / "windows"))
    assert with_it.store.get(report_key(AS_OF)) == without.store.get(report_key(AS_OF))
    assert with_it.store.get(f"charts/{AS_OF}.json") == without.store.get(f"charts/{AS_OF}.json")
    rebuilt = window_from_bytes(without.store.get(window_key(AS_OF))).bars()  # missing: rebuilt
    pd.testing.assert_frame_equal(rebuilt, window_from_bytes(with_it.store.get(window_key(AS_OF))).bars())


def test_a_corrupt_snapshot_is_quarantined_and_the_report_is_the_same(settings: Settings, tmp_path: Path) -> None:
    clean, _ = _two_days(settings, tmp_path / "clean")

    def damage(store: LocalStore) -> None:
        path = store.root / window_key(PREVIOUS)
        data = bytearray(path.read_bytes())
        data[-5] ^= 0xFF  # its seal is kept: only the SHA-256 can tell
        path.write_bytes(bytes(data))

    container, summary = _two_days(settings, tmp_path / "corrupt", damage)
    assert any(moved.startswith(f"quarantine/{window_key(PREVIOUS)}.") for moved in summary.quarantined)
    assert container.store.get(report_key(AS_OF)) == clean.store.get(report_key(AS_OF))
    assert container.store.exists(window_key(AS_OF))


def test_a_day_replaced_since_the_snapshot_is_read_from_its_object(settings: Settings, tmp_path: Path) -> None:
    changed: dict[str, date] = {}

    def replace(store: LocalStore) -> None:
        from shared.adapters.archive import Archive

        archive = Archive(store)
        day = archive.stored_days("bars")[-2]
        bars = archive.read_bars([day])
        archive.quarantine(bars_key(day), "a test", "replaced")
        archive.write_bars(day, bars.assign(close=bars["close"] * 0.5))
        changed["day"] = day

    container, _ = _two_days(settings, tmp_path / "stale", replace)
    store = container.store
    assert isinstance(store, RecordingStore)
    assert sorted(key for key in store.read if key.startswith("bars/")) == sorted([bars_key(changed["day"]), bars_key(PREVIOUS)])
    without, _ = _two_days(settings, tmp_path / "plain", lambda s: (replace(s), shutil.rmtree(s.root / "windows")))
    assert store.get(report_key(AS_OF)) == without.store.get(report_key(AS_OF))
    stored = window_from_bytes(store.get(window_key(AS_OF))).bars([changed["day"]])
    pd.testing.assert_frame_equal(stored, bars_from_csv(store.get(bars_key(changed["day"])), changed["day"]))


@pytest.mark.parametrize("late, scale", [(12.3456, 4), (1e8 + 0.5, None), (np.nan, 2), (0.1 + 0.2, None), (5e7, None)])
def test_a_column_scaled_a_chunk_at_a_time_gets_the_scale_of_the_whole(monkeypatch: pytest.MonkeyPatch, late: float, scale: int | None) -> None:
    """Scaled in chunks of 512, a value in a late chunk still decides the scale, and every bit reads back."""
    from shared.adapters import window_format

    monkeypatch.setattr(window_format, "_CHUNK", 512)
    days = pd.bdate_range("2025-01-06", periods=5_000)
    prices = np.round(np.linspace(1, 900, len(days)), 2)
    prices[[7, 3_000]] = np.nan
    prices[-600] = late
    bars = normalise_bars(pd.DataFrame({"symbol": "AAA", "date": days, "open": prices, "high": prices, "low": prices, "close": prices, "volume": 1}))
    snapshot = window_from_bytes(window_to_bytes(bars, days[-1].date(), {}))
    assert snapshot.encoded["close"][1] == scale
    pd.testing.assert_frame_equal(snapshot.bars(), bars)


def _age(store: LocalStore, key: str, days: float) -> None:
    """Set ``key``'s file (and its seal) to have been written ``days`` ago."""
    stamp = time.time() - days * 86_400
    for path in (store.root / key, store.root / Path(key).parent / f".{Path(key).name}.seal"):
        os.utime(path, (stamp, stamp))


def test_a_local_store_expires_the_objects_under_a_prefix_older_than_the_age(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for key in ("windows/2026-01-02.bin", "windows/2026-01-05.bin", "bars/2026-01-02.csv"):
        store.put_immutable(key, b"x", {"sha256": "s", "rows": "1"})
    _age(store, "windows/2026-01-02.bin", 11)
    _age(store, "bars/2026-01-02.csv", 11)  # history: never under the prefix expired
    assert store.expire(WINDOWS_PREFIX, WINDOW_SNAPSHOT_DAYS * 86_400) == 1
    assert store.list("") == ["bars/2026-01-02.csv", "windows/2026-01-05.bin"]
    assert not (tmp_path / "windows" / ".2026-01-02.bin.seal").exists()  # its seal went with it
    assert (tmp_path / "windows" / ".2026-01-05.bin.seal").exists()
    assert store.expire(WINDOWS_PREFIX, WINDOW_SNAPSHOT_DAYS * 86_400) == 0


def test_a_collection_on_disk_removes_snapshots_past_their_days(settings: Settings, tmp_path: Path) -> None:
    """What the S3 lifecycle rule does to a stage's bucket, a collection does to a local store:
    a snapshot written more than WINDOW_SNAPSHOT_DAYS ago goes, the newer ones stay."""
    first = _wired(settings, tmp_path)
    assert first.collection.collect(PREVIOUS).outcome == "complete"
    _age(first.store, window_key(PREVIOUS), WINDOW_SNAPSHOT_DAYS + 1)
    container = _wired(settings, tmp_path)
    summary = container.collection.collect(AS_OF)
    assert summary.outcome == "complete"
    assert container.store.list(WINDOWS_PREFIX) == [window_key(AS_OF)]
    assert [key for key in container.store.read if key.startswith("bars/")]  # read from the CSVs instead
    assert container.store.exists(report_key(PREVIOUS))  # nothing but the cache expires
    _age(container.store, window_key(AS_OF), WINDOW_SNAPSHOT_DAYS - 1)
    assert _wired(settings, tmp_path).collection.collect(AS_OF).outcome == "complete"
    assert container.store.list(WINDOWS_PREFIX) == [window_key(AS_OF)]
