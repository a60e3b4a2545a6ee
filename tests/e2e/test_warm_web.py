"""The web's kept report pages (built once per stored report and query, then sliced): the same
pages as a cold app, and a new report is served as soon as it is stored."""
from __future__ import annotations

from datetime import date

from app import create_app
from shared.bootstrap import bootstrap
from tests.conftest import collect_later, fixed_clock

QUERIES = ["limit=3", "limit=3&offset=2", "sort=score&order=desc", "classes=grouped&limit=4", "sector=Information%20Technology"]


def test_warm_pages_are_cold_ones_and_a_new_report_is_served_at_once(container, client) -> None:
    container.collection.collect(date(2026, 11, 27))
    first = [client.get(f"/api/reports/latest?{query}").get_json() for query in QUERIES]
    again = [client.get(f"/api/reports/latest?{query}").get_json() for query in QUERIES]
    cold = create_app(container=bootstrap(container.settings, clock=fixed_clock)).test_client()
    assert first == again == [cold.get(f"/api/reports/latest?{query}").get_json() for query in QUERIES]
    assert [page["as_of"] for page in first] == ["2026-11-27"] * len(QUERIES)
    collect_later(container, date(2026, 11, 30))
    after = [client.get(f"/api/reports/latest?{query}").get_json() for query in QUERIES]
    assert [page["as_of"] for page in after] == ["2026-11-30"] * len(QUERIES)
    assert [page["rows"] for page in after] != [page["rows"] for page in first]
    assert client.get("/api/reports/2026-11-27?limit=3").get_json()["rows"] == first[0]["rows"]
