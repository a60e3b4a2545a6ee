"""/stock for every symbol of the packaged universe, each reply through the strict checker."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from shared.bootstrap import Parts, bootstrap
from shared.bot.commands import dispatch
from shared.services.collection import collect
from shared.config import Settings
from tests.bot.html_check import check_html
from tests.conftest import fixed_clock


@pytest.fixture(scope="module")
def full_parts(tmp_path_factory: pytest.TempPathFactory) -> Parts:
    root: Path = tmp_path_factory.mktemp("full")
    parts = bootstrap(Settings(storage=str(root), market_data="sim", public_bot=True), clock=fixed_clock)
    collect(parts, date(2026, 11, 27))
    return parts


def test_stock_renders_for_every_universe_symbol(full_parts: Parts) -> None:
    universe = full_parts.universe
    assert len(universe) >= 1000
    for symbol, name in zip(universe["symbol"], universe["name"]):
        reply = dispatch(full_parts, f"/stock {symbol}", chat_id=1, user_id=None)
        visible = check_html(reply.text)
        assert visible.startswith(f"{symbol} · "), visible[:80]
        assert name[:30] in visible  # names like "AT&T" survive escaping intact
        chart = reply.text.split("<pre>", 1)[1].split("</pre>", 1)[0]
        assert all(len(line) <= 32 for line in chart.split("\n")), chart
    assert any("&amp;" in dispatch(full_parts, f"/s {s}", 1, None).text for s in universe["symbol"][universe["name"].str.contains("&")][:1])


def test_top_pages_through_the_whole_ranking(full_parts: Parts) -> None:
    reply = dispatch(full_parts, "/top 25", chat_id=1, user_id=None)
    pages = 1
    from shared.bot.commands import top_callback

    while reply.buttons and reply.buttons[-1][0] == "▶":
        check_html(reply.text)
        assert all(len(data.encode()) <= 64 for _label, data in reply.buttons)
        reply = top_callback(full_parts, reply.buttons[-1][1])
        pages += 1
    assert pages == 40
