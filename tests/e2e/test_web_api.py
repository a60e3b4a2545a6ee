"""The HTTP edges: status, reports, errors, and time-limited download links."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app import create_app
from shared.adapters.storage import LocalStore
from shared.bootstrap import bootstrap
from tests.conftest import FIXED_NOW


@pytest.fixture
def collected(container) -> None:
    container.collection.collect()


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
def test_signed_download_link_round_trip(client, container) -> None:
    link = client.get("/api/reports/2026-11-27/download").get_json()
    assert link["expires_in"] == container.settings.link_ttl_seconds
    path = link["url"].split("localhost", 1)[1]
    response = client.get(path)
    assert response.status_code == 200
    assert response.data == container.store.get("reports/2026-11-27.csv")
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
def test_expired_download_link_is_403(client, container) -> None:
    token = client.get("/api/reports/2026-11-27/download").get_json()["url"].rsplit("/", 1)[1]
    ttl = container.settings.link_ttl_seconds

    def open_at(seconds_later: int):  # noqa: ANN202 - a Flask test response
        later = FIXED_NOW + timedelta(seconds=seconds_later)
        app = create_app(container=bootstrap(container.settings, store=container.store, clock=lambda: later))
        return app.test_client().get("/download/" + token)

    assert open_at(ttl - 5).status_code == 200
    expired = open_at(ttl + 5)
    assert expired.status_code == 403 and "expired" in expired.get_json()["error"]["message"]


def test_download_link_for_a_missing_day_is_404(client) -> None:
    assert client.get("/api/reports/2026-11-27/download").status_code == 404


@pytest.mark.usefixtures("collected")
def test_corrupt_stored_object_is_a_logged_500_naming_the_key(client, container, caplog: pytest.LogCaptureFixture) -> None:
    Path(container.store.location, "reports", "latest.json").write_text('{"as_of": "2026-11-27", "top": [')
    for path in ("/api/status", "/api/reports/latest", "/api/stocks/KO"):
        response = client.get(path)
        assert response.status_code == 500, path
        assert "reports/latest.json" in response.get_json()["error"]["message"]
    logged = [record for record in caplog.records if record.getMessage() == "corrupt stored object"]
    assert [record.key for record in logged] == ["reports/latest.json"] * 3
    Path(container.store.location, "reports", "latest.json").write_text("[1, 2]")  # JSON, but not the document
    assert client.get("/api/reports/latest").status_code == 500


class FailingStore(LocalStore):
    """A store whose listing fails with an error that is nobody's domain: a bug or an outage."""

    def list(self, prefix: str) -> list[str]:
        raise OSError("input/output error")


def test_anything_else_is_logged_once_and_answered_500(settings, caplog: pytest.LogCaptureFixture) -> None:
    client = create_app(container=bootstrap(settings, store=FailingStore(settings.storage))).test_client()
    response = client.get("/api/runs")
    assert response.status_code == 500 and response.get_json() == {"error": {"status": 500, "message": "internal error"}}
    failures = [record for record in caplog.records if record.getMessage() == "request failed"]
    assert len(failures) == 1 and failures[0].exc_info is not None and "input/output error" in caplog.text


def test_bad_input_is_400_and_unknown_days_and_symbols_404(client) -> None:
    assert client.get("/api/sectors?day=2026-02-30").status_code == 400
    assert client.get("/api/reports/2026-11-27/download").status_code == 404
    assert client.get("/api/stocks/ZZZZZZ").status_code == 404
