"""The JSON API's replies: paging and filters, CSV, `latest` everywhere, rounding, `source`,
no machine paths, caching, and 400s that name the parameter."""
from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from tests.conftest import AS_OF


@pytest.fixture
def api(web_app: Any) -> Any:
    return web_app.test_client()


def decimals(value: float) -> int:
    text = repr(float(value))
    return 0 if "e" in text else len(text.split(".")[1].rstrip("0"))


def test_report_page_parameters(api: Any) -> None:
    whole = api.get(f"/api/reports/{AS_OF}?classes=all").get_json()
    assert whole["total"] == 66 == whole["count"] and whole["next"] is None and whole["source"] == "simulated"
    page = api.get(f"/api/reports/{AS_OF}?limit=10&offset=20&sort=score&classes=all").get_json()
    assert (page["offset"], page["limit"], page["count"], page["sort"], page["order"]) == (20, 10, 10, "score", "desc")
    by_score = sorted((row for row in whole["rows"] if row["rank"] is not None), key=lambda row: (-row["score"], row["symbol"]))
    assert [row["symbol"] for row in page["rows"]] == [row["symbol"] for row in by_score[20:30]]
    assert page["next"].endswith("offset=30&limit=10") or "offset=30" in page["next"]
    energy = api.get(f"/api/reports/{AS_OF}?sector=energy&sort=days_since_peak&order=asc").get_json()
    assert energy["total"] == 6 and {row["sector"] for row in energy["rows"]} == {"Energy"}
    days = [row["days_since_peak"] for row in energy["rows"]]
    assert days == sorted(days)
    flagged = api.get(f"/api/reports/{AS_OF}?flag=none&classes=all").get_json()
    assert flagged["total"] == sum(1 for row in whole["rows"] if not row["flags"])


def test_share_classes_are_grouped_by_default_and_the_csv_keeps_every_symbol(api: Any) -> None:
    every = api.get(f"/api/reports/{AS_OF}?classes=all").get_json()
    grouped = api.get(f"/api/reports/{AS_OF}").get_json()
    assert (every["classes"], grouped["classes"]) == ("all", "grouped") and "other_classes" not in every["rows"][0]
    # The fixture's universe holds two classes of Brown–Forman (BF.A, BF.B): one row, the most traded.
    rows = {row["symbol"]: row for row in every["rows"]}
    lead, other = sorted(["BF.A", "BF.B"], key=lambda symbol: -rows[symbol]["dollar_volume_20d"])
    shown = {row["symbol"]: row for row in grouped["rows"]}
    assert grouped["total"] == 65 == len(shown) and other not in shown and shown[lead]["other_classes"] == other
    assert all(row["other_classes"] == "" for symbol, row in shown.items() if symbol != lead)
    ranked = [row["symbol"] for row in grouped["rows"] if row["rank"] is not None]
    assert ranked == [row["symbol"] for row in every["rows"] if row["rank"] is not None and row["symbol"] != other]
    export = list(csv.DictReader(io.StringIO(api.get(f"/api/reports/{AS_OF}?format=csv").get_data(as_text=True))))
    assert len(export) == 66 and {"BF.A", "BF.B"} <= {row["symbol"] for row in export}
    assert len(list(csv.DictReader(io.StringIO(api.get(f"/api/reports/{AS_OF}?format=csv&classes=grouped").get_data(as_text=True))))) == 65
    bad = api.get(f"/api/reports/{AS_OF}?classes=some")
    assert bad.status_code == 400 and bad.get_json()["error"]["message"].startswith("classes:")


def test_latest_is_accepted_wherever_a_day_is(api: Any) -> None:
    latest = api.get("/api/reports/latest").get_json()
    dated = api.get(f"/api/reports/{AS_OF}").get_json()
    assert latest["rows"] == dated["rows"] and latest["as_of"] == str(AS_OF)
    assert len(latest["top"]) == 20 and latest["universe"] == 66  # the pointer's summary, as before
    symbol = latest["rows"][0]["symbol"]
    for path in ("/api/reports/latest/changes", "/api/sectors?day=latest", f"/api/stocks/{symbol}?day=latest", "/api/reports/latest/download"):
        assert api.get(path).status_code == 200, path
    link = api.get("/api/reports/latest/download").get_json()
    assert link["as_of"] == str(AS_OF)
    download = api.get(link["url"].split("localhost", 1)[1])
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{AS_OF}.csv"'


def test_every_data_reply_names_its_source(api: Any) -> None:
    symbol = api.get("/api/reports/latest?limit=1").get_json()["rows"][0]["symbol"]
    for path in ("/api/status", "/api/reports/latest", f"/api/reports/{AS_OF}", "/api/reports/latest/changes", "/api/sectors", "/api/track-record", f"/api/stocks/{symbol}"):
        body = api.get(path).get_json()
        assert body["source"] == "simulated", path
    for run in api.get("/api/runs").get_json()["runs"]:
        assert run["source"] == "simulated"


def test_values_are_rounded_to_their_meaning(api: Any) -> None:
    rows = api.get(f"/api/reports/{AS_OF}").get_json()["rows"]
    for row in rows:
        for column, value in row.items():
            if isinstance(value, float) and (column.endswith("_pct") or column in ("score", "drawdown_vol")):
                assert decimals(value) <= 2, (column, value)
            if isinstance(value, float) and column in ("close", "peak_close", "trough_close"):
                assert decimals(value) <= (2 if abs(value) >= 1 else 4), (column, value)


def test_status_shows_no_machine_path(api: Any, web_container: Any) -> None:
    text = api.get("/api/status").get_data(as_text=True)
    body = api.get("/api/status").get_json()
    assert body["storage"] == "local" and body["market_data"] == "sim"
    assert web_container.store.location not in text and str(web_container.settings.universe_path) not in text
    assert "/tmp" not in text and "\\\\" not in text


def test_csv_format_downloads_the_selected_rows(api: Any) -> None:
    response = api.get(f"/api/reports/{AS_OF}?format=csv&sector=Energy&sort=score")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="dipwatch-{AS_OF}.csv"'
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(table) == 6 and {row["sector"] for row in table} == {"Energy"}
    assert {"rank", "symbol", "drawdown_pct", "days_since_peak", "flags"} <= set(table[0])


def test_immutable_reports_are_cached_long_and_pointers_briefly(api: Any) -> None:
    dated = api.get(f"/api/reports/{AS_OF}")
    assert "immutable" in dated.headers["Cache-Control"] and "max-age=31536000" in dated.headers["Cache-Control"]
    etag = dated.headers["ETag"]
    again = api.get(f"/api/reports/{AS_OF}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = api.get(f"/api/reports/{AS_OF}?limit=5")
    assert other.headers["ETag"] != etag
    for path in ("/api/reports/latest", "/api/status", "/api/sectors", "/api/reports/latest/changes"):
        assert api.get(path).headers["Cache-Control"] == "public, max-age=60", path
    assert "immutable" in api.get(f"/api/sectors?day={AS_OF}").headers["Cache-Control"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=lots", "limit"),
        ("limit=2001", "limit"),
        ("offset=-1", "offset"),
        ("sort=price", "sort"),
        ("order=up", "order"),
        ("sector=Shipping", "sector"),
        ("flag=haunted", "flag"),
        ("format=xml", "format"),
    ],
)
def test_bad_parameters_are_400s_that_name_the_parameter(api: Any, query: str, parameter: str) -> None:
    response = api.get(f"/api/reports/latest?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith(f"{parameter}:")


@pytest.mark.parametrize(
    ("path", "status", "start"),
    [
        ("/api/reports/2026-02-30", 400, "day:"),
        ("/api/sectors?day=soon", 400, "day:"),
        ("/api/stocks/AAPL?day=2026-1-5", 400, "day:"),
        ("/api/runs?limit=0", 400, "limit:"),
        ("/api/reports/2026-11-26", 404, "no report for 2026-11-26"),
        ("/api/stocks/ZZZZ", 404, "Unknown symbol"),
        ("/api/reports/2026-11-26/download", 404, "no report for 2026-11-26"),
    ],
)
def test_errors(api: Any, path: str, status: int, start: str) -> None:
    response = api.get(path)
    assert response.status_code == status
    assert response.get_json()["error"]["message"].startswith(start)


def test_pages_answer_errors_as_pages(api: Any) -> None:
    missing = api.get("/stocks/APPL")
    assert missing.status_code == 404 and missing.mimetype == "text/html" and "Did you mean AAPL" in missing.get_data(as_text=True)
    bad = api.get("/?sort=price")
    assert bad.status_code == 400 and "sort:" in bad.get_data(as_text=True)
    assert api.get("/?day=2020-01-02").status_code == 404


def test_csv_without_a_limit_has_every_row_beyond_a_json_page(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import app.api

    monkeypatch.setattr(app.api, "MAX_PAGE_ROWS", 10)
    assert api.get("/api/reports/latest").get_json()["count"] == 10
    table = list(csv.DictReader(io.StringIO(api.get("/api/reports/latest?format=csv").get_data(as_text=True))))
    assert len(table) == 66
