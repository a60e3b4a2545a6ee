"""Checks of a /stock reply that are written independently of the bot: its chart's labels
against the stated peak and the window's real low, its HTML and its widths."""
from __future__ import annotations

import html
import re
from datetime import date

import pandas as pd
import pytest

from shared.bootstrap import Container
from shared.core.window import window_bars, window_start
from tests.bot.html_check import check_html, too_wide


def price(value: float) -> str:
    """A price as the text shows it, written here independently: 1,234.50; a minus is U+2212."""
    return f"{value:,.2f}".replace("-", "−")


def chart_of(reply_html: str) -> list[str]:
    """The lines of the ``<pre>`` block that holds the chart (the one starting with ``high``)."""
    blocks = [html.unescape(block) for block in re.findall(r"<pre>(.*?)</pre>", reply_html, re.S)]
    (chart,) = [block for block in blocks if block.startswith("high ")]
    return chart.split("\n")


def window_extremes(container: Container, as_of: date, lookback_days: int = 180) -> pd.DataFrame:
    """Per symbol, the window's highest and lowest close, from the stored bars."""
    days = [day for day in container.archive.stored_days("bars") if window_start(as_of, lookback_days) <= day <= as_of]
    bars = window_bars(container.archive.read_bars(days), as_of, lookback_days)
    return bars.groupby("symbol")["close"].agg(["max", "min"])


def check_stock_reply(container: Container, symbol: str, as_of: date, extremes: pd.DataFrame) -> str:
    """One /stock reply: valid HTML, phone widths, and a chart that agrees with the text: its high
    label is the stated peak (same figure, same format), its low label the window's real low, and
    the line under it the peak's date and the last close. Returns the visible text."""
    reply = container.commands.dispatch(f"/stock {symbol}", chat_id=1, user_id=None, base_url="http://localhost/", owner=True)
    visible = check_html(reply.text)
    assert not too_wide(reply.text), (symbol, too_wide(reply.text))
    row = container.archive.read_report(as_of).set_index("symbol").loc[symbol]
    peak, low = price(float(row["peak_close"])), price(float(extremes.loc[symbol, "min"]))
    assert f"peak {peak} on " in visible, (symbol, visible)  # the stated peak
    assert float(row["peak_close"]) == pytest.approx(float(extremes.loc[symbol, "max"]))
    lines = chart_of(reply.text)
    assert lines[0] == f"high {peak}", (symbol, lines[0], peak)
    assert lines[-3] == f"low  {low}", (symbol, lines[-3], low)
    peak_day = pd.Timestamp(row["peak_date"]).strftime("%d %b %y")
    assert lines[-1] == f"peak {peak_day} · last {price(float(row['close']))}", (symbol, lines[-1])
    return visible
