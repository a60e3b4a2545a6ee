"""The HTTP edges: status, reports, errors, and time-limited download links."""
from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner

from shared.services.collection import collect


@pytest.fixture
def collected(parts) -> None:
    collect(parts)


def test_healthz(client) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_status_before_any_run(client) -> None:
    body = client.get("/api/status").get_json()
    assert body["last_run"] is None and body["latest_report"] is None
    assert "No run yet" in client.get("/").get_data(as_text=True)


def test_latest_before_any_run_is_a_clear_404(client) -> None:
    response = client.get("/api/reports/latest")
    assert response.status_code == 404
    assert "no report has been collected yet" in response.get_json()["error"]["message"]


@pytest.mark.usefixtures("collected")
@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/api/reports/2026-13-01", 400, "is not a date"),
        ("/api/reports/2020-01-02", 404, "no report for 2020-01-02"),
        ("/api/stocks/APPL", 404, "Did you mean AAPL"),
        ("/api/nothing-here", 404, "was not found"),
    ],
)
def test_errors_have_one_json_shape(client, path: str, status: int, message: str) -> None:
    response = client.get(path)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["status"] == status and message in error["message"]


@pytest.mark.usefixtures("collected")
def test_runs_and_report_days(client) -> None:
    runs = client.get("/api/runs").get_json()["runs"]
    assert len(runs) == 1 and runs[0]["kind"] == "collect" and runs[0]["outcome"] == "complete"
    assert client.get("/api/reports").get_json() == {"days": ["2026-11-27"]}


@pytest.mark.usefixtures("collected")
def test_stock_detail_has_window_closes(client) -> None:
    body = client.get("/api/stocks/brk-b").get_json()
    assert body["row"]["symbol"] == "BRK.B"
    closes = [point["close"] for point in body["closes"]]
    assert max(closes) == body["row"]["peak_close"]
    assert closes[-1] == body["row"]["close"]


@pytest.mark.usefixtures("collected")
def test_signed_download_link_round_trip(client, parts) -> None:
    link = client.get("/api/reports/2026-11-27/download").get_json()
    assert link["expires_in"] == parts.settings.link_ttl_seconds
    path = link["url"].split("localhost", 1)[1]
    response = client.get(path)
    assert response.status_code == 200
    assert response.data == parts.store.get("reports/2026-11-27.csv")
    assert "attachment" in response.headers["Content-Disposition"]


@pytest.mark.usefixtures("collected")
def test_tampered_download_link_is_403(client) -> None:
    url = client.get("/api/reports/2026-11-27/download").get_json()["url"]
    token = url.rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/download/{forged}")
    assert response.status_code == 403
    assert "not valid" in response.get_json()["error"]["message"]


@pytest.mark.usefixtures("collected")
def test_expired_download_link_is_403(client, parts, monkeypatch: pytest.MonkeyPatch) -> None:
    issued = time.time() - parts.settings.link_ttl_seconds - 5
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(issued))
    url = client.get("/api/reports/2026-11-27/download").get_json()["url"]
    monkeypatch.undo()
    response = client.get("/download/" + url.rsplit("/", 1)[1])
    assert response.status_code == 403
    assert "expired" in response.get_json()["error"]["message"]


def test_download_link_for_a_missing_day_is_404(client) -> None:
    assert client.get("/api/reports/2026-11-27/download").status_code == 404
