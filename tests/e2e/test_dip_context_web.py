"""The dip-buyer's context on the web and in the API: the window-edge words on the dashboard and
the stock page, the longer view, what changed with its arrow explained, and the same
survivorship caveat wherever the track record is shown."""
from __future__ import annotations

import html
import re
from typing import Any

import pytest

from shared.core.glossary import SURVIVORSHIP_CAVEAT
from tests.conftest import AS_OF


@pytest.fixture
def api(web_app: Any) -> Any:
    return web_app.test_client()


def text_of(page: str, element_id: str) -> str:
    """The visible text of the element with ``element_id`` (tags dropped, spaces collapsed)."""
    found = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert found, element_id
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(2))).split())


def test_stock_rows_carry_the_new_columns(api: Any) -> None:
    rows = api.get(f"/api/reports/{AS_OF}?classes=all").get_json()["rows"]
    for row in rows:
        assert isinstance(row["peak_at_window_edge"], bool)
        assert row["high_52w_close"] is None  # the fixture stores 300 days: under 52 weeks
        assert row["stored_high_close"] >= row["peak_close"] and row["drawdown_stored_pct"] <= row["drawdown_pct"] + 0.01
        assert row["stored_first_date"] <= row["peak_date"] and row["dollar_volume_20d"] > 0
    detail = api.get(f"/api/stocks/{rows[0]['symbol']}").get_json()["row"]
    assert {"peak_at_window_edge", "drawdown_52w_pct", "drawdown_stored_pct", "stored_first_date"} <= set(detail)


def test_an_edge_peak_is_said_in_plain_words(api: Any) -> None:
    rows = api.get(f"/api/reports/{AS_OF}?classes=all").get_json()["rows"]
    edge = next(row for row in rows if row["peak_at_window_edge"])
    inside = next(row for row in rows if not row["peak_at_window_edge"])
    page = api.get(f"/stocks/{edge['symbol']}").get_data(as_text=True)
    said = text_of(page, "stock-edge")
    assert "window's first 5 sessions" in said and "180-day return, not its distance from a high" in said
    assert 'id="stock-edge"' not in api.get(f"/stocks/{inside['symbol']}").get_data(as_text=True)
    longer = text_of(page, "longer-view")
    assert "no 52-week high yet" in longer and "from the highest stored close of" in longer
    assert f"bars stored since {edge['stored_first_date']}" in longer
    dashboard = api.get("/?limit=250&classes=all").get_data(as_text=True)
    assert "180-day return, not its distance from a high" in text_of(dashboard, "edge-note")
    assert dashboard.count('class="edge"') == sum(1 for row in rows if row["peak_at_window_edge"])


def test_what_changed_lists_deepenings_and_explains_the_arrow(api: Any) -> None:
    changes = api.get("/api/reports/latest/changes").get_json()
    assert changes["version"] == 2 and changes["deepened_scope"] == 100 and "rank_moves" not in changes
    page = api.get("/").get_data(as_text=True)
    deepened = text_of(page, "changes-deepened")
    if changes["deepened"]:
        first = changes["deepened"][0]
        assert deepened.startswith(first["symbol"]) and f"↓ {abs(first['change_pts']):.1f} pts" in deepened
        assert "↓ fell further below its peak since the last report" in " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    else:
        assert deepened == "None of the top 100 fell further."
    assert "▲" not in text_of(page, "changes-entered") and "Biggest rank moves" not in page


def test_the_survivorship_caveat_is_the_same_on_the_page_and_in_the_api(api: Any) -> None:
    assert api.get("/api/track-record").get_json()["caveat"] == SURVIVORSHIP_CAVEAT
    page = " ".join(html.unescape(api.get("/track-record").get_data(as_text=True)).split())
    assert " ".join(SURVIVORSHIP_CAVEAT.split()) in page


def test_a_stock_names_its_companys_other_classes(api: Any) -> None:
    # The fixture's universe holds Brown–Forman's BF.A and BF.B.
    assert api.get("/api/stocks/BF.A").get_json()["other_classes"] == ["BF.B"]
    single = next(row["symbol"] for row in api.get(f"/api/reports/{AS_OF}").get_json()["rows"] if not row["symbol"].startswith("BF."))
    assert api.get(f"/api/stocks/{single}").get_json()["other_classes"] == []
    assert 'id="stock-classes"' not in api.get(f"/stocks/{single}").get_data(as_text=True)
    page = api.get("/stocks/BF.B").get_data(as_text=True)
    assert text_of(page, "stock-classes") == "also listed as BF.A"
