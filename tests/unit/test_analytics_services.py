"""The analytics service functions against stored reports: the contract's shapes and values."""
from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from shared.core.analytics import REPORT_COLUMNS
from shared.bootstrap import bootstrap
from shared.errors import NoReportYet
from shared.adapters.market_data import FetchResult, SimulatedMarketData
from shared.core.quality import FLAG_NAMES
from shared.core.track_record import TRACK_RECORD_COLUMNS
from tests.conftest import fixed_clock

PREVIOUS = date(2026, 11, 25)  # the trading day before AS_OF (Thanksgiving is 2026-11-26)


def test_report_has_the_contract_columns_in_order(container) -> None:
    container.collection.collect()
    _day, report = container.reports.load_report()
    assert list(report.columns) == REPORT_COLUMNS
    assert REPORT_COLUMNS[:10] == ["rank", "symbol", "name", "sector", "close", "peak_close", "peak_date", "drawdown_pct", "days_since_peak", "flags"]
    assert report["score_rank"].dropna().astype(int).sort_values().tolist() == list(range(1, int(report["rank"].notna().sum()) + 1))
    names = {name for text in report["flags"] for name in text.split(";") if name}
    assert names <= set(FLAG_NAMES)


def test_latest_and_manifest_carry_quality_counts_and_changes(container) -> None:
    summary = container.collection.collect()
    latest = container.reports.latest_summary()
    assert set(latest["quality"]) == set(FLAG_NAMES)
    assert latest["quality"] == summary.quality
    manifest = json.loads(container.store.get(container.archive.list_runs()[-1]))
    assert manifest["quality"] == latest["quality"]
    assert container.reports.status()["last_run"]["quality"] == latest["quality"]
    assert latest["changes"] == json.loads(container.store.get("reports/2026-11-27.changes.json"))


def test_sector_summary_shape_and_order(container) -> None:
    container.collection.collect()
    sectors = container.reports.sector_summary()
    assert list(sectors.columns) == ["sector", "count", "median_drawdown_pct", "share_below_20_pct"]
    assert sectors["median_drawdown_pct"].is_monotonic_increasing
    _day, report = container.reports.load_report()
    assert int(sectors["count"].sum()) == int(report["rank"].notna().sum())
    assert sectors["share_below_20_pct"].between(0, 100).all()


def test_report_changes_against_the_previous_trading_day(container) -> None:
    container.collection.collect(PREVIOUS)
    container.collection.collect()
    changes = container.reports.report_changes()
    assert set(changes) == {"version", "as_of", "previous", "top_n", "deepened_scope", "entered", "left", "deepened", "new_flags"}
    assert changes["as_of"] == "2026-11-27" and changes["previous"] == "2026-11-25"
    assert changes["top_n"] == container.settings.top_n
    _d, now = container.reports.load_report()
    _d, before = container.reports.load_report(PREVIOUS)
    top = container.settings.top_n
    now_top = set(now.loc[now["rank"] <= top, "symbol"])
    before_top = set(before.loc[before["rank"] <= top, "symbol"])
    assert set(changes["entered"]) == now_top - before_top
    assert set(changes["left"]) == before_top - now_top
    now_rows, before_rows = now.set_index("symbol"), before.set_index("symbol")
    for item in changes["deepened"]:
        assert item["rank"] == int(now_rows.loc[item["symbol"], "rank"]) <= 100
        assert item["drawdown_pct"] == pytest.approx(now_rows.loc[item["symbol"], "drawdown_pct"], abs=0.005)
        assert item["previous_drawdown_pct"] == pytest.approx(before_rows.loc[item["symbol"], "drawdown_pct"], abs=0.005)
        assert item["change_pts"] < 0
    falls = [item["change_pts"] for item in changes["deepened"]]
    assert falls == sorted(falls)  # the largest fall first
    for item in changes["new_flags"]:
        assert set(item) == {"symbol", "flags"} and isinstance(item["flags"], list)
    first = container.reports.report_changes(PREVIOUS)
    assert first["previous"] is None and first["entered"] == [] and first["left"] == []


def test_services_raise_no_report_yet_before_any_run(container) -> None:
    with pytest.raises(NoReportYet):
        container.reports.sector_summary()
    with pytest.raises(NoReportYet):
        container.reports.report_changes()
    empty = container.reports.track_record()
    assert list(empty.columns) == TRACK_RECORD_COLUMNS and empty.empty


def test_track_record_from_stored_reports_and_bars(container) -> None:
    early = date(2026, 5, 1)
    container.collection.collect(early)
    container.collection.collect()
    record = container.reports.track_record()
    assert list(record.columns) == TRACK_RECORD_COLUMNS
    rows = record[record["as_of"] == early]
    assert rows["horizon"].tolist() == ["1m", "3m", "6m"]
    assert rows["horizon_days"].tolist() == [21, 63, 126]
    ranked_count = int(container.archive.read_report(early)["rank"].notna().sum())
    assert (rows["symbols"] == min(10, ranked_count)).all()
    assert (rows["excess_pct"] - (rows["top_return_pct"] - rows["universe_median_pct"])).abs().max() < 1e-9
    # Independent check of the 1-month row from the stored files.
    report = container.archive.read_report(early)
    top = report.loc[report["rank"] <= 10, "symbol"]
    from shared.core.trading_calendar import trading_days

    target = trading_days(early, date(2026, 7, 1))[21].date()
    start = container.archive.read_bars([early]).set_index("symbol")["close"]
    end = container.archive.read_bars([target]).set_index("symbol")["close"]
    forward = (end / start - 1) * 100
    one_month = rows[rows["horizon"] == "1m"].iloc[0]
    assert one_month["top_return_pct"] == pytest.approx(forward[top].mean())
    ranked = report.loc[report["rank"].notna(), "symbol"]
    assert one_month["universe_median_pct"] == pytest.approx(forward[ranked].median())


class UnadjustedSplitMarketData:
    """Simulated bars, except that one symbol's prices halve from a day on (a raw 2:1 split)."""

    label = "fake-split"

    def __init__(self, symbol: str, split_day: date) -> None:
        self._sim = SimulatedMarketData()
        self.symbol, self.split_day = symbol, split_day

    def fetch_bars(self, symbols, start, end, sent=None) -> FetchResult:  # noqa: ANN001 - the MarketData protocol
        result = self._sim.fetch_bars(symbols, start, end, sent)
        bars = result.bars
        after = (bars["symbol"] == self.symbol) & (pd.to_datetime(bars["date"]) >= pd.Timestamp(self.split_day))
        for column in ("open", "high", "low", "close"):
            bars[column] = bars[column].where(~after, bars[column] / 2)
        return result


def test_latest_lists_excluded_symbols_with_reasons_and_top_scores(settings) -> None:
    container = bootstrap(settings, clock=fixed_clock, market_data=UnadjustedSplitMarketData("NVDA", date(2026, 10, 1)))
    summary = container.collection.collect()
    latest = container.reports.latest_summary()
    _day, report = container.reports.load_report()
    assert latest["excluded_symbols"] == [{"symbol": "NVDA", "flags": report.loc[report["symbol"] == "NVDA", "flags"].item()}]
    assert "split_suspect" in latest["excluded_symbols"][0]["flags"].split(";")
    assert summary.excluded == 1 and latest["quality"]["split_suspect"] == 1
    first = latest["top"][0]
    row = report[report["symbol"] == first["symbol"]].iloc[0]
    assert first["score_rank"] == int(row["score_rank"]) and first["score"] == round(row["score"], 2)


def test_collect_reads_stored_history_before_the_window_for_the_200_day_average(container) -> None:
    container.collection.collect()
    _day, short = container.reports.load_report()
    assert short["dist_ma200_pct"].isna().all()  # only the 180-day window is stored
    other = date(2026, 11, 25)

    container.collection.backfill(start=date(2025, 12, 1), end=other)
    container.collection.collect(other)
    _day, full = container.reports.load_report(other)
    assert full["dist_ma200_pct"].notna().all()


def test_a_failed_changes_write_does_not_fail_the_collection(settings, tmp_path) -> None:
    from shared.errors import StorageError
    from shared.adapters.storage import LocalStore

    class ChangesFailStore(LocalStore):
        """A local store whose writes of what-changed objects fail."""

        def put_immutable(self, key: str, data: bytes, metadata=None) -> bool:
            if key.endswith(".changes.json"):
                raise StorageError(f"simulated outage writing {key}")
            return super().put_immutable(key, data, metadata)

    container = bootstrap(settings, store=ChangesFailStore(str(tmp_path / "failing")), clock=fixed_clock)
    summary = container.collection.collect()
    assert summary.outcome == "complete" and summary.changes_key == ""
    assert container.reports.latest_summary()["changes"] is None
    assert container.reports.report_changes()["as_of"] == "2026-11-27"  # recomputed on demand


def test_the_collector_carries_the_highest_stored_close_across_reports(container) -> None:
    """Two collections 249 days apart: the second reads 365 days of history, which misses the first
    window's opening months; the first report's stored high carries them, so the highest stored
    close is the highest of every stored bar, and ``stored_first_date`` the first stored day."""
    first, second = date(2026, 3, 2), date(2026, 11, 6)
    container.collection.collect(first)
    container.collection.collect(second)
    stored = container.archive.read_bars(container.archive.stored_days("bars"))
    assert stored["date"].min() < pd.Timestamp(second) - pd.Timedelta(days=365)  # the second run alone cannot see them
    highest = stored.groupby("symbol")["close"].max()
    report = container.archive.read_report(second).set_index("symbol")
    unsplit = report[~report["flags"].str.contains("split")]
    assert len(unsplit) >= len(report) - 1
    assert (unsplit["stored_high_close"] == highest.reindex(unsplit.index)).all()
    assert (unsplit["stored_first_date"] == stored["date"].min()).all()
    expected = (unsplit["close"] / unsplit["stored_high_close"] - 1) * 100
    assert (unsplit["drawdown_stored_pct"] - expected).abs().max() < 1e-6  # stored to 10 significant digits
    assert (unsplit["drawdown_stored_pct"] <= unsplit["drawdown_52w_pct"].fillna(0) + 1e-9).all()
