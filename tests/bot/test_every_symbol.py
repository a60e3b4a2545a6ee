"""/stock for every symbol of the packaged universe, each reply through the strict checker, its
widths, and its chart's labels against the stated peak and the window's real low."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from shared.bootstrap import Container, bootstrap
from shared.bot import callbacks
from shared.config import Settings
from tests.bot.html_check import check_html, too_wide
from tests.bot.stock_check import check_stock_reply, window_extremes
from tests.conftest import fixed_clock

AS_OF = date(2026, 11, 27)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Container:
    root: Path = tmp_path_factory.mktemp("full")
    container = bootstrap(Settings(storage=str(root), market_data="sim", public_bot=True), clock=fixed_clock)
    container.collection.collect(AS_OF)
    return container


def test_stock_renders_for_every_universe_symbol(full: Container) -> None:
    universe = full.universe
    assert len(universe) >= 1000
    extremes = window_extremes(full, AS_OF)
    for symbol, name in zip(universe["symbol"], universe["name"]):
        visible = check_stock_reply(full, symbol, AS_OF, extremes)
        assert visible.startswith(f"{symbol} · "), visible[:80]
        assert name[:20] in visible  # names like "AT&T" survive escaping intact
    assert any("&amp;" in full.commands.dispatch(f"/s {s}", 1, None, "http://localhost/").text for s in universe["symbol"][universe["name"].str.contains("&")][:1])


def test_top_pages_through_the_whole_ranking(full: Container) -> None:
    """Every ranked symbol is on a page once: as a row (a button) or named under its company's
    leading class ("also UAA"); the packaged list's 14 two-class companies take one row each."""
    reply = full.commands.dispatch("/top 25", chat_id=1, user_id=None, base_url="http://localhost/")
    pages, seen, also = 1, [], []
    while True:
        visible = check_html(reply.text)
        assert not too_wide(reply.text)
        symbols = [label for row in reply.buttons for label, data in row if data.startswith("s:")]
        assert 1 <= len(symbols) <= 25 and all(len(data.encode()) <= 64 for row in reply.buttons for _label, data in row)
        seen += symbols
        also += [word for line in visible.splitlines() if line.strip().startswith("also ") for word in line.split()[1:]]
        nav = dict(reply.buttons[-1])
        if "▶" not in nav:
            break
        reply = full.market_commands.page(callbacks.decode(nav["▶"]))
        pages += 1
    report = full.archive.read_report(AS_OF)
    ranked = set(report.loc[report["rank"].notna(), "symbol"])
    assert len(seen) == len(set(seen)) and sorted(seen + also) == sorted(ranked)
    assert len(also) == 14 and {"UA", "UAA"} & set(also) and {"GOOG", "GOOGL"} & set(also)
    assert pages == -(-len(seen) // 25)
