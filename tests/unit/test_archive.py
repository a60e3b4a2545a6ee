"""The archive: CSV round trips, the latest pointer, and the in-memory cache of immutable objects."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from shared.core.analytics import build_report
from shared.adapters.archive import Archive, bars_from_csv, bars_to_csv, report_from_csv, report_to_csv
from shared.adapters.storage import LocalStore
from tests.conftest import make_bars


class CountingStore(LocalStore):
    """A LocalStore that counts reads."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gets = 0

    def get(self, key: str) -> bytes:
        self.gets += 1
        return super().get(key)


def sample_report() -> pd.DataFrame:
    bars = make_bars([("AAA", "2026-01-02", 10.0), ("AAA", "2026-01-05", 8.0), ("BBB", "2026-01-05", 3.0)])
    universe = pd.DataFrame({"symbol": ["AAA", "BBB"], "name": ["Alpha, Inc.", 'B "quoted"'], "sector": ["Energy", "Utilities"]})
    report = build_report(bars, universe, date(2026, 1, 5), 180)
    report.loc[report["symbol"] == "AAA", "flags"] = ""
    report.loc[report["symbol"] == "BBB", "flags"] = "bad_price"
    report.loc[report["symbol"] == "BBB", "rank"] = pd.NA
    return report


def test_bars_round_trip_is_exact_and_deterministic() -> None:
    bars = make_bars([("BRK.B", "2026-01-02", 470.1234), ("AAA", "2026-01-02", 0.0001)])
    data = bars_to_csv(bars)
    assert bars_to_csv(bars_from_csv(data)) == data
    back = bars_from_csv(data)
    assert back.loc[back["symbol"] == "BRK.B", "close"].item() == 470.1234


def test_report_round_trip_keeps_empty_rank_and_quoting() -> None:
    report = sample_report()
    back = report_from_csv(report_to_csv(report))
    assert back["rank"].tolist()[0] == 1 and pd.isna(back["rank"].tolist()[1])
    assert back["name"].tolist() == ["Alpha, Inc.", 'B "quoted"']
    assert back["flags"].tolist() == ["", "bad_price"]
    assert report_to_csv(back) == report_to_csv(report)
    assert report_to_csv(report).splitlines()[2].startswith(b",BBB,")  # unranked: empty rank field


def _pandas_csv(report: pd.DataFrame) -> bytes:
    """The report as pandas writes it: the bytes every stored report was written with."""
    days = {column: pd.to_datetime(report[column]).dt.strftime("%Y-%m-%d") for column in report.columns if str(column).endswith("_date")}
    floats = {column: report[column].map(lambda value: "" if value != value else "%.10g" % value) for column in report.columns if report[column].dtype.kind == "f"}
    return str(report.assign(**days, **floats).to_csv(index=False, lineterminator="\n")).encode()


def test_report_bytes_are_what_pandas_writes() -> None:
    """Written a column at a time, byte for byte pandas' CSV: quoting, missing values, types."""
    report = sample_report()
    report["name"] = pd.Series(['Line\nbreak, "and" quotes', None], dtype=object)
    report["sector"] = pd.Series(["Carriage\rreturn", "Plain"], dtype="string")
    report["close"] = [float("nan"), 1e-7]
    report["count32"] = pd.Series([7, -3], dtype="int32")
    report["flagged"] = [True, False]
    report.loc[0, "peak_date"] = pd.NaT
    assert report_to_csv(report) == _pandas_csv(report)
    assert report_to_csv(report.iloc[:0]) == _pandas_csv(report.iloc[:0])
    odd = report.assign(extra=[[1], {"a": 2}]).rename(columns={"flags": "fl,ags"})  # not covered: pandas writes it
    assert report_to_csv(odd) == _pandas_csv(odd)


def test_immutable_reads_are_cached_and_copies_are_independent(tmp_path: Path) -> None:
    store = CountingStore(tmp_path)
    archive = Archive(store)
    archive.write_report(date(2026, 1, 5), sample_report())
    first = archive.read_report(date(2026, 1, 5))
    first.loc[0, "symbol"] = "CHANGED"
    second = archive.read_report(date(2026, 1, 5))
    assert store.gets == 1
    assert second.loc[0, "symbol"] == "AAA"


def test_bars_window_read_once(tmp_path: Path) -> None:
    store = CountingStore(tmp_path)
    archive = Archive(store)
    for day in ("2026-01-02", "2026-01-05"):
        archive.write_bars(date.fromisoformat(day), make_bars([("AAA", day, 1.0)]))
    days = [date(2026, 1, 2), date(2026, 1, 5)]
    assert len(archive.read_bars(days)) == 2
    assert len(archive.read_bars(days)) == 2
    assert store.gets == 2


def test_latest_pointer_only_moves_forward(tmp_path: Path) -> None:
    archive = Archive(LocalStore(tmp_path))
    archive.write_latest({"as_of": "2026-01-05", "run_id": "a"})
    archive.write_latest({"as_of": "2026-01-02", "run_id": "older"})
    archive.write_latest({"as_of": "2026-01-05", "run_id": "rerun"})
    assert archive.read_latest()["run_id"] == "a"
    archive.write_latest({"as_of": "2026-01-06", "run_id": "b"})
    assert archive.read_latest()["run_id"] == "b"


def test_state_documents_update_with_compare_and_swap(tmp_path: Path) -> None:
    archive = Archive(LocalStore(tmp_path))
    archive.update_state("subscribers", lambda doc: {**doc, "ids": [1]})
    archive.update_state("subscribers", lambda doc: {**doc, "ids": doc["ids"] + [2]})
    assert archive.read_state("subscribers") == {"ids": [1, 2]}


def test_the_days_of_a_backfill_are_written_byte_for_byte_as_one_day_at_a_time(tmp_path) -> None:
    from shared.adapters.archive import Archive
    from shared.adapters.formats import bars_csv_by_day, bars_to_csv
    from shared.adapters.market_data import SimulatedMarketData
    from shared.adapters.storage import LocalStore

    bars = SimulatedMarketData().fetch_bars(["AAPL", "BRK.B", "KO", "ZTS"], date(2026, 10, 1), date(2026, 11, 27)).bars
    bars.loc[3, "close"] = 1e-7  # floats of every size format alike either way
    bars.loc[4, "close"] = 123456789.125
    shuffled = bars.sample(frac=1, random_state=1)
    objects = dict(bars_csv_by_day(shuffled))
    assert list(objects) == sorted(objects) and len(objects) == bars["date"].nunique()
    for day, data in objects.items():
        assert data == bars_to_csv(bars[bars["date"] == pd.Timestamp(day)])
    archive = Archive(LocalStore(tmp_path))
    assert archive.write_bars_days(shuffled) == list(objects)
    assert archive.write_bars_days(shuffled) == []  # the same bytes again: nothing new
    pd.testing.assert_frame_equal(archive.read_bars(list(objects)), bars.sort_values(["symbol", "date"]).reset_index(drop=True))


def test_the_parsed_object_cache_is_bounded_by_bytes(tmp_path) -> None:
    from shared.adapters.archive import Archive
    from shared.adapters.parsed_cache import _size
    from shared.adapters.market_data import SimulatedMarketData
    from shared.adapters.storage import LocalStore

    bars = SimulatedMarketData().fetch_bars([f"S{chr(65 + i)}" for i in range(20)], date(2026, 9, 1), date(2026, 11, 27)).bars
    writer = Archive(LocalStore(tmp_path))
    days = writer.write_bars_days(bars)
    one_day = _size(writer.read_bars(days[:1]))
    archive = Archive(LocalStore(tmp_path), cache_bytes=5 * one_day)
    for day in days:
        archive.read_bars([day])
    assert 0 < archive._cache.bytes <= 5 * one_day
    whole = archive.read_bars(days)  # larger than the budget: served, not kept
    assert len(whole) == len(bars) and archive._cache.get(tuple(f"bars/{d.isoformat()}.csv" for d in days)) is None
    assert archive._cache.bytes <= 5 * one_day
