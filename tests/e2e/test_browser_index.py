"""The index page in headless Chromium: the last run and the top 20, rendered."""
from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.e2e.browser import LiveServer, chromium_path, run_chromium, screenshot

pytestmark = pytest.mark.skipif(
    chromium_path() is None and not os.environ.get("CI"),
    reason="chromium is not installed (`.ci/run` installs it; under CI its absence fails)",
)


class TableRows(HTMLParser):
    """Collects the text of each <tbody> row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_index_page_shows_last_run_and_top_rows(app, container, tmp_path: Path) -> None:
    summary = container.collection.collect()
    with LiveServer(app) as server:
        dom = run_chromium(server.url + "/", "--dump-dom")
        picture = screenshot(server.url + "/", tmp_path / "index.png")
    assert picture.stat().st_size > 10_000  # a real rendering, not a blank page
    assert re.search(r'id="run-outcome"[^>]*>complete<', dom)
    assert f"as of <strong>{summary.as_of}</strong>" in dom
    assert "Simulated market data" in dom
    parser = TableRows()
    parser.feed(dom)
    assert len(parser.rows) == summary.ranked
    assert [row[0] for row in parser.rows] == [str(n) for n in range(1, summary.ranked + 1)]
    drawdowns = [float(row[6].rstrip("%")) for row in parser.rows]
    assert drawdowns == sorted(drawdowns)
