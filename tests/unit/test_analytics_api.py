"""The analytics' JSON endpoints: thin shapes over the service functions."""
from __future__ import annotations

from datetime import date

from shared.services import reports as services
from shared.services.collection import collect
from shared.core.track_record import TRACK_RECORD_COLUMNS


def test_changes_sectors_and_track_record_endpoints(parts, client) -> None:
    collect(parts, date(2026, 5, 1))
    collect(parts)
    changes = client.get("/api/reports/latest/changes").get_json()
    assert changes == services.report_changes(parts)
    assert client.get("/api/reports/2026-05-01/changes").get_json()["previous"] is None
    sectors = client.get("/api/sectors").get_json()["sectors"]
    assert [row["sector"] for row in sectors] == services.sector_summary(parts)["sector"].tolist()
    assert client.get("/api/sectors?day=2026-05-01").status_code == 200
    rows = client.get("/api/track-record").get_json()["rows"]
    assert rows and set(rows[0]) == set(TRACK_RECORD_COLUMNS) and rows[0]["as_of"] == "2026-05-01"


def test_report_rows_carry_iso_dates(parts, client) -> None:
    collect(parts)
    row = client.get("/api/reports/2026-11-27").get_json()["rows"][0]
    assert len(row["trough_date"]) == 10 and row["trough_date"] <= "2026-11-27"
    stock = client.get(f"/api/stocks/{row['symbol']}").get_json()["row"]
    assert stock["trough_date"] == row["trough_date"] and stock["score_rank"] == row["score_rank"]


def test_analytics_endpoints_errors(client) -> None:
    assert client.get("/api/reports/latest/changes").status_code == 404
    assert client.get("/api/sectors?day=yesterday").status_code == 400
    assert client.get("/api/track-record").get_json() == {"rows": []}


def test_stock_endpoint_for_an_excluded_symbol(settings) -> None:
    from app import create_app
    from shared.bootstrap import bootstrap
    from tests.conftest import fixed_clock
    from tests.unit.test_analytics_services import UnadjustedSplitMarketData

    parts = bootstrap(settings, clock=fixed_clock, market_data=UnadjustedSplitMarketData("NVDA", date(2026, 10, 1)))
    collect(parts)
    client = create_app(parts=parts).test_client()
    response = client.get("/api/stocks/NVDA")
    assert response.status_code == 200
    row = response.get_json()["row"]
    assert row["rank"] is None and row["score_rank"] is None and "split_suspect" in row["flags"]
