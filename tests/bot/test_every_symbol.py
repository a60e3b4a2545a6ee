"""/stock for every symbol of the packaged universe, each reply through the strict checker."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from shared.bootstrap import Container, bootstrap
from shared.bot import callbacks
from shared.config import Settings
from tests.bot.html_check import check_html
from tests.conftest import fixed_clock


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Container:
    root: Path = tmp_path_factory.mktemp("full")
    container = bootstrap(Settings(storage=str(root), market_data="sim", public_bot=True), clock=fixed_clock)
    container.collection.collect(date(2026, 11, 27))
    return container


def test_stock_renders_for_every_universe_symbol(full: Container) -> None:
    universe = full.universe
    assert len(universe) >= 1000
    for symbol, name in zip(universe["symbol"], universe["name"]):
        reply = full.commands.dispatch(f"/stock {symbol}", chat_id=1, user_id=None, base_url="http://localhost/")
        visible = check_html(reply.text)
        assert visible.startswith(f"{symbol} · "), visible[:80]
        assert name[:30] in visible  # names like "AT&T" survive escaping intact
        chart = reply.text.split("<pre>", 1)[1].split("</pre>", 1)[0]
        assert all(len(line) <= 32 for line in chart.split("\n")), chart
    assert any("&amp;" in full.commands.dispatch(f"/s {s}", 1, None, "http://localhost/").text for s in universe["symbol"][universe["name"].str.contains("&")][:1])


def test_top_pages_through_the_whole_ranking(full: Container) -> None:
    reply = full.commands.dispatch("/top 25", chat_id=1, user_id=None, base_url="http://localhost/")
    pages = 1
    while reply.buttons and reply.buttons[-1][0] == "▶":
        check_html(reply.text)
        assert all(len(data.encode()) <= 64 for _label, data in reply.buttons)
        reply = full.market_commands.page(callbacks.decode(reply.buttons[-1][1]))
        pages += 1
    assert pages == 40
