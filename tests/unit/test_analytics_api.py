"""The analytics' JSON endpoints, checked against the stored reports they are computed from."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from shared.core.track_record import TRACK_RECORD_COLUMNS


def test_changes_sectors_and_track_record_endpoints(container, client) -> None:
    container.collection.collect(date(2026, 5, 1))
    container.collection.collect()
    now = container.archive.read_report(date(2026, 11, 27))
    then = container.archive.read_report(date(2026, 5, 1))
    top_n = container.settings.top_n

    def top(report: pd.DataFrame) -> list[str]:
        return report[report["rank"] <= top_n].sort_values("rank")["symbol"].tolist()

    changes = client.get("/api/reports/latest/changes").get_json()
    assert changes["source"] == "simulated"
    assert (changes["as_of"], changes["previous"], changes["top_n"]) == ("2026-11-27", "2026-05-01", top_n)
    assert changes["entered"] == [s for s in top(now) if s not in top(then)]
    assert changes["left"] == [s for s in top(then) if s not in top(now)]
    for item in changes["deepened"]:
        assert item["rank"] == int(now.set_index("symbol").loc[item["symbol"], "rank"])
        assert item["previous_rank"] == int(then.set_index("symbol").loc[item["symbol"], "rank"])
        assert item["change_pts"] == pytest.approx(item["drawdown_pct"] - item["previous_drawdown_pct"], abs=0.011) and item["change_pts"] < 0
    assert client.get("/api/reports/2026-05-01/changes").get_json()["previous"] is None

    sectors = client.get("/api/sectors").get_json()["sectors"]
    ranked = now[now["rank"].notna()]
    assert {row["sector"]: row["count"] for row in sectors} == ranked["sector"].value_counts().to_dict()
    medians = [row["median_drawdown_pct"] for row in sectors]
    assert medians == sorted(medians)  # deepest median first
    for row in sectors:
        drawdowns = ranked.loc[ranked["sector"] == row["sector"], "drawdown_pct"]
        assert row["median_drawdown_pct"] == pytest.approx(drawdowns.median(), abs=0.005)  # rounded to 2 decimals
        assert row["share_below_20_pct"] == pytest.approx((drawdowns < -20).mean() * 100, abs=0.005)
    assert client.get("/api/sectors?day=2026-05-01").status_code == 200

    rows = client.get("/api/track-record").get_json()["rows"]
    assert rows and set(rows[0]) == set(TRACK_RECORD_COLUMNS) and rows[0]["as_of"] == "2026-05-01"


def test_report_rows_carry_iso_dates(container, client) -> None:
    container.collection.collect()
    row = client.get("/api/reports/2026-11-27").get_json()["rows"][0]
    assert len(row["trough_date"]) == 10 and row["trough_date"] <= "2026-11-27"
    stock = client.get(f"/api/stocks/{row['symbol']}").get_json()["row"]
    assert stock["trough_date"] == row["trough_date"] and stock["score_rank"] == row["score_rank"]


def test_analytics_endpoints_errors(client) -> None:
    assert client.get("/api/reports/latest/changes").status_code == 404
    assert client.get("/api/sectors?day=yesterday").status_code == 400
    empty = client.get("/api/track-record").get_json()
    assert empty["rows"] == [] and empty["summary"] == [] and "today's members" in empty["caveat"]


def test_stock_endpoint_for_an_excluded_symbol(settings) -> None:
    from app import create_app
    from shared.bootstrap import bootstrap
    from tests.conftest import fixed_clock
    from tests.unit.test_analytics_services import UnadjustedSplitMarketData

    container = bootstrap(settings, clock=fixed_clock, market_data=UnadjustedSplitMarketData("NVDA", date(2026, 10, 1)))
    container.collection.collect()
    client = create_app(container=container).test_client()
    response = client.get("/api/stocks/NVDA")
    assert response.status_code == 200
    row = response.get_json()["row"]
    assert row["rank"] is None and row["score_rank"] is None and "split_suspect" in row["flags"]
