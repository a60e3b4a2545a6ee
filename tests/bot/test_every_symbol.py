"""/stock for every symbol of the packaged universe, each reply through the strict checker, its
widths, and its chart's labels against the stated peak and the window's real low."""
from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from shared.bootstrap import Container, bootstrap
from shared.bot import callbacks
from shared.config import Settings
from shared.core.window import window_bars, window_start
from tests.bot.html_check import check_html, too_wide
from tests.conftest import fixed_clock

AS_OF = date(2026, 11, 27)


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Container:
    root: Path = tmp_path_factory.mktemp("full")
    container = bootstrap(Settings(storage=str(root), market_data="sim", public_bot=True), clock=fixed_clock)
    container.collection.collect(AS_OF)
    return container


def price(value: float) -> str:
    """A price as the text shows it, written here independently: 1,234.50; a minus is U+2212."""
    return f"{value:,.2f}".replace("-", "−")


def chart_of(reply_html: str) -> list[str]:
    """The lines of the ``<pre>`` block that holds the chart (the one starting with ``high``)."""
    blocks = [html.unescape(block) for block in re.findall(r"<pre>(.*?)</pre>", reply_html, re.S)]
    (chart,) = [block for block in blocks if block.startswith("high ")]
    return chart.split("\n")


def window_extremes(container: Container, as_of: date) -> pd.DataFrame:
    """Per symbol, the window's highest and lowest close and the last close, from the stored bars."""
    days = [day for day in container.archive.stored_days("bars") if window_start(as_of, 180) <= day <= as_of]
    bars = window_bars(container.archive.read_bars(days), as_of, 180)
    return bars.groupby("symbol")["close"].agg(["max", "min", "last"])


def check_stock_reply(container: Container, symbol: str, extremes: pd.DataFrame) -> str:
    """One /stock reply: valid HTML, phone widths, and a chart that agrees with the text."""
    reply = container.commands.dispatch(f"/stock {symbol}", chat_id=1, user_id=None, base_url="http://localhost/")
    visible = check_html(reply.text)
    assert not too_wide(reply.text), (symbol, too_wide(reply.text))
    row = container.archive.read_report(AS_OF).set_index("symbol").loc[symbol]
    peak, low = price(float(row["peak_close"])), price(float(extremes.loc[symbol, "min"]))
    assert f"peak {peak} on " in visible  # the stated peak
    assert float(row["peak_close"]) == pytest.approx(float(extremes.loc[symbol, "max"]))
    lines = chart_of(reply.text)
    assert lines[0] == f"high {peak}", (symbol, lines[0], peak)  # same figure, same format
    assert lines[-3] == f"low  {low}", (symbol, lines[-3], low)  # the window's real low
    peak_day = pd.Timestamp(row["peak_date"]).strftime("%d %b %y")
    assert lines[-1] == f"peak {peak_day} · last {price(float(row['close']))}"
    return visible


def test_stock_renders_for_every_universe_symbol(full: Container) -> None:
    universe = full.universe
    assert len(universe) >= 1000
    extremes = window_extremes(full, AS_OF)
    for symbol, name in zip(universe["symbol"], universe["name"]):
        visible = check_stock_reply(full, symbol, extremes)
        assert visible.startswith(f"{symbol} · "), visible[:80]
        assert name[:20] in visible  # names like "AT&T" survive escaping intact
    assert any("&amp;" in full.commands.dispatch(f"/s {s}", 1, None, "http://localhost/").text for s in universe["symbol"][universe["name"].str.contains("&")][:1])


def test_top_pages_through_the_whole_ranking(full: Container) -> None:
    reply = full.commands.dispatch("/top 25", chat_id=1, user_id=None, base_url="http://localhost/")
    pages, seen = 1, 0
    while True:
        check_html(reply.text)
        assert not too_wide(reply.text)
        symbols = [label for row in reply.buttons for label, data in row if data.startswith("s:")]
        assert 1 <= len(symbols) <= 25 and all(len(data.encode()) <= 64 for row in reply.buttons for _label, data in row)
        seen += len(symbols)
        nav = dict(reply.buttons[-1])
        if "▶" not in nav:
            break
        reply = full.market_commands.page(callbacks.decode(nav["▶"]))
        pages += 1
    ranked = int(full.archive.read_report(AS_OF)["rank"].notna().sum())
    assert seen == ranked and pages == -(-ranked // 25)
