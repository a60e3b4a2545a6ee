"""The dashboard tells one report's story: the run that wrote it, its source, what is missing by
name; a later run of another kind or day is pointed at, never mixed in."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Sequence

import pytest

from app import create_app
from shared.adapters.market_data import SimulatedMarketData
from shared.errors import MarketDataError
from shared.ports import FetchResult
from shared.bootstrap import bootstrap
from tests.conftest import AS_OF, FIXED_NOW, SMALL_UNIVERSE, collect_later, fixed_clock, morning_after

REPLAY_DAY = date(2026, 5, 1)
OLDER_DAY = date(2026, 4, 1)


def an_hour_later() -> datetime:
    """The clock of a run made after the fixture's first one."""
    return FIXED_NOW + timedelta(hours=1)


def replay_file(path: Path, leave_out: str) -> Path:
    """Simulated bars for the small universe without ``leave_out``, as a CSV to replay."""
    symbols = [symbol for symbol in SMALL_UNIVERSE if symbol != leave_out]
    bars = SimulatedMarketData().fetch_bars(symbols, date(2025, 10, 1), REPLAY_DAY).bars
    bars.assign(date=bars["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


def text_of(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', html, re.S)
    assert match, element_id
    return re.sub(r"\s+", " ", match.group(1)).strip()


def test_a_replay_says_so_and_a_later_run_of_an_older_day_is_pointed_at_not_mixed_in(settings: Any, tmp_path: Path) -> None:
    replay = settings.with_overrides(market_data=f"csv:{replay_file(tmp_path / 'replay.csv', 'KO')}")
    first = bootstrap(replay, clock=fixed_clock)
    first.collection.collect(REPLAY_DAY)
    bootstrap(replay, clock=an_hour_later).collection.collect(OLDER_DAY)  # the newest run; the latest report stays
    client = create_app(container=first).test_client()

    latest = client.get("/").get_data(as_text=True)
    assert "Ranking as of Fri 01 May 2026" in latest
    assert text_of(latest, "source-banner").startswith("Replayed data")
    assert text_of(latest, "run-source") == "csv"
    newer = re.sub(r"\s+", " ", re.search(r'id="newer-run">(.*?)</p>', latest, re.S).group(1))  # type: ignore[union-attr]
    assert str(OLDER_DAY) in newer and f"/?day={OLDER_DAY}" in newer
    missing = re.search(r'id="missing">(.*?)</details>', latest, re.S).group(1)  # type: ignore[union-attr]
    assert "KO" in missing and "Coca-Cola" in missing

    older = client.get(f"/?day={OLDER_DAY}").get_data(as_text=True)
    assert "Ranking as of Wed 01 Apr 2026" in older and 'id="newer-run"' not in older
    assert text_of(older, "run-source") == "csv" and "go to the latest report" in older

    assert client.get(f"/api/reports/{OLDER_DAY}").get_json()["source"] == "csv"
    assert client.get("/api/reports/latest").get_json()["source"] == "csv"
    symbol_page = client.get(f"/stocks/AAPL?day={OLDER_DAY}").get_data(as_text=True)
    assert text_of(symbol_page, "source-banner").startswith("Replayed data")


class BrokenFeed(SimulatedMarketData):
    """The simulator's label, failing as a whole with a message that names a file on the machine."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._path = path

    def fetch_bars(self, symbols: Sequence[str], start: date, end: date, sent: Callable[[], None] | None = None) -> FetchResult:
        raise MarketDataError(f"cannot read bars from {self._path}")


def test_a_failed_newest_run_is_said_on_the_dashboard(settings: Any, tmp_path: Path) -> None:
    container = bootstrap(settings, clock=fixed_clock)
    container.collection.collect()
    broken = bootstrap(settings, clock=lambda: morning_after(date(2026, 11, 30)), market_data=BrokenFeed(tmp_path / "feed" / "bars.csv"))
    with pytest.raises(MarketDataError):
        broken.collection.collect(date(2026, 11, 30))
    page = create_app(container=container).test_client().get("/").get_data(as_text=True)
    assert "Ranking as of Fri 27 Nov 2026" in page
    note = re.sub(r"\s+", " ", re.search(r'id="newer-run">(.*?)</p>', page, re.S).group(1))  # type: ignore[union-attr]
    assert "failed" in note and "cannot read bars from bars.csv" in note
    assert str(tmp_path) not in page  # the error names the file, never a path of the machine
    status = create_app(container=container).test_client().get("/api/status").get_data(as_text=True)
    assert "bars.csv" in status and str(tmp_path) not in status


def test_before_any_report(client: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "No report yet" in page and "No run yet" in page


def test_track_record_page_shows_the_numbers_with_the_caveat(container: Any, client: Any) -> None:
    container.collection.collect(REPLAY_DAY)
    container.collection.collect()
    page = client.get("/track-record").get_data(as_text=True)
    caveat = re.search(r'id="survivorship">(.*?)</div>', page, re.S).group(1)  # type: ignore[union-attr]
    assert "Survivorship bias" in caveat and "today&#39;s members" in caveat
    summary = client.get("/api/track-record").get_json()["summary"]
    assert [row["horizon"] for row in summary] == ["1m", "3m", "6m"] and all(row["reports"] == 1 for row in summary)
    body = re.search(r'id="track-summary">(.*?)</table>', page, re.S).group(1)  # type: ignore[union-attr]
    assert body.count("<tr>") == 4  # the header and one row per horizon
    assert f'href="/?day={REPLAY_DAY}"' in page


def test_an_excluded_stock_has_its_page_with_the_reason_in_words(settings: Any) -> None:
    from tests.unit.test_analytics_services import UnadjustedSplitMarketData

    container = bootstrap(settings, clock=fixed_clock, market_data=UnadjustedSplitMarketData("NVDA", date(2026, 10, 1)))
    container.collection.collect()
    client = create_app(container=container).test_client()
    page = client.get("/stocks/nvda").get_data(as_text=True)
    assert "<strong>excluded</strong> from the ranking" in page
    assert "looks like a stock split in raw prices" in page
    ranking = client.get("/").get_data(as_text=True)
    assert re.search(r'<tr class="excluded" data-symbol="NVDA"', ranking)
