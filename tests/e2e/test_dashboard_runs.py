"""The dashboard tells one report's story: the run that wrote it, its source, what is missing by
name; a later run of another kind or day is pointed at, never mixed in."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from app import create_app
from shared.adapters.market_data import SimulatedMarketData
from shared.bootstrap import bootstrap
from tests.conftest import AS_OF, FIXED_NOW, SMALL_UNIVERSE, fixed_clock

REPLAY_DAY = date(2026, 5, 1)


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


def test_a_replay_after_a_simulated_run_is_pointed_at_not_mixed_in(settings: Any, tmp_path: Path) -> None:
    simulated = bootstrap(settings, clock=fixed_clock)
    simulated.collection.collect()
    replay = bootstrap(settings.with_overrides(market_data=f"csv:{replay_file(tmp_path / 'replay.csv', 'KO')}"), clock=an_hour_later)
    replay.collection.collect(REPLAY_DAY)
    client = create_app(container=simulated).test_client()

    latest = client.get("/").get_data(as_text=True)
    assert "Ranking as of Fri 27 Nov 2026" in latest
    assert text_of(latest, "source-banner").startswith("Simulated market data")
    assert text_of(latest, "run-source") == "simulated"
    newer = re.sub(r"\s+", " ", re.search(r'id="newer-run">(.*?)</p>', latest, re.S).group(1))  # type: ignore[union-attr]
    assert "csv" in newer and f"/?day={REPLAY_DAY}" in newer

    replayed = client.get(f"/?day={REPLAY_DAY}").get_data(as_text=True)
    assert "Ranking as of Fri 01 May 2026" in replayed
    assert text_of(replayed, "source-banner").startswith("Replayed data")
    assert text_of(replayed, "run-source") == "csv" and "simulated" not in replayed.split('id="ranking"')[0]
    assert 'id="newer-run"' not in replayed
    missing = re.search(r'id="missing">(.*?)</details>', replayed, re.S).group(1)  # type: ignore[union-attr]
    assert "KO" in missing and "Coca-Cola" in missing

    assert client.get(f"/api/reports/{REPLAY_DAY}").get_json()["source"] == "csv"
    assert client.get("/api/reports/latest").get_json()["source"] == "simulated"
    symbol_page = client.get(f"/stocks/AAPL?day={REPLAY_DAY}").get_data(as_text=True)
    assert text_of(symbol_page, "source-banner").startswith("Replayed data")


def test_a_failed_newest_run_is_said_on_the_dashboard(settings: Any, tmp_path: Path) -> None:
    container = bootstrap(settings, clock=fixed_clock)
    container.collection.collect()
    broken = bootstrap(settings.with_overrides(market_data=f"csv:{tmp_path / 'absent.csv'}"), clock=an_hour_later)
    try:
        broken.collection.collect(date(2026, 12, 1))
    except Exception:  # noqa: BLE001 - the run fails on purpose; its manifest says so
        pass
    page = create_app(container=container).test_client().get("/").get_data(as_text=True)
    note = re.sub(r"\s+", " ", re.search(r'id="newer-run">(.*?)</p>', page, re.S).group(1))  # type: ignore[union-attr]
    assert "failed" in note and "no CSV file at absent.csv" in note
    assert str(tmp_path) not in page  # the error names the file, but never a machine path
    status = create_app(container=container).test_client().get("/api/status").get_data(as_text=True)
    assert "absent.csv" in status and str(tmp_path) not in status


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
    assert "looks like an unadjusted stock split" in page
    ranking = client.get("/").get_data(as_text=True)
    assert re.search(r'<tr class="excluded" data-symbol="NVDA"', ranking)
