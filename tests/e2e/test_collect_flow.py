"""Whole flow: collect simulated data into a temporary store, then read it back through the app."""
from __future__ import annotations

import json
from pathlib import Path

from app import container_of
from tests.conftest import AS_OF, SMALL_UNIVERSE


def test_collect_then_read_through_app(container, client) -> None:
    summary = container.collection.collect()
    assert summary.as_of == AS_OF.isoformat()
    assert summary.outcome == "complete"
    assert summary.ranked == len(SMALL_UNIVERSE)

    status = client.get("/api/status").get_json()
    assert status["last_run"]["as_of"] == "2026-11-27"
    assert status["last_run"]["ranked"] == len(SMALL_UNIVERSE)

    latest = client.get("/api/reports/latest").get_json()
    assert [row["rank"] for row in latest["top"]] == list(range(1, len(SMALL_UNIVERSE) + 1))
    drawdowns = [row["drawdown_pct"] for row in latest["top"]]
    assert drawdowns == sorted(drawdowns)

    report = client.get("/api/reports/2026-11-27").get_json()
    assert {row["symbol"] for row in report["rows"]} == set(SMALL_UNIVERSE)

    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert latest["top"][0]["symbol"] in html
    assert "simulated" in html.lower()


def test_rerun_same_day_rewrites_nothing(container) -> None:
    container.collection.collect()
    root = Path(container.store.location)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.name.startswith(".") and "runs" not in p.parts}
    second = container.collection.collect()
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and not p.name.startswith(".") and "runs" not in p.parts}
    assert before == after
    assert second.days_written == [] and second.report_written is False
    assert len(list((root / "runs").glob("*.json"))) == 2


def test_cli_collect_prints_one_summary_line(app) -> None:
    result = app.test_cli_runner().invoke(args=["collect", "--as-of", "2026-11-27"], catch_exceptions=False)
    assert result.exit_code == 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("collect 2026-11-27 [simulated]: complete")


def test_cli_collect_exits_nonzero_when_nothing_collected(app, tmp_path) -> None:
    empty = tmp_path / "bars.csv"
    empty.write_text("symbol,date,open,high,low,close,volume\n")
    result = app.test_cli_runner().invoke(args=["collect", "--source", f"csv:{empty}"])
    assert result.exit_code == 1
    assert "nothing collected" in result.output
    manifests = list((Path(container_of(app).store.location) / "runs").glob("*.json"))
    assert [json.loads(p.read_text())["outcome"] for p in manifests] == ["failed"]
