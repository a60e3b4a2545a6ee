"""Price charts for narrow screens: a per-day document of downsampled closes, and its text rendering.

The collector stores this document as ``charts/YYYY-MM-DD.json`` next to each report: for every
symbol, its closes in the report's window reduced to ``CHART_WIDTH`` points (the close at the end
of each slice of the window). The bot draws ``/stock`` from it with one small read instead of
~125 bars objects.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Sequence

import numpy as np
import pandas as pd

from shared.core.window import window_bars

#: Columns of the chart: it is drawn in a monospace block no wider than this.
CHART_WIDTH = 32
#: Rows of blocks; each row has eight levels, so the chart resolves 48 steps.
CHART_HEIGHT = 6
_BLOCKS = " ▁▂▃▄▅▆▇█"


def chart_points(bars: pd.DataFrame, as_of: date, lookback_days: int, width: int = CHART_WIDTH) -> dict[str, Any]:
    """Every symbol's window of closes reduced to ``width`` points, as a JSON-ready document.

    The window's trading days are cut into ``width`` consecutive slices (fewer when the window
    has fewer days); each point is the symbol's last close in its slice, carried forward over
    days it has no bar, except that the slice holding the window's peak shows the peak (so the
    chart's high is the peak the drawdown is measured from). The last point is always the last
    close. Symbols without any close in the window are left out.
    """
    window = window_bars(bars, as_of, lookback_days).loc[:, ["symbol", "date", "close"]]
    wide = window.pivot_table(index="date", columns="symbol", values="close", aggfunc="last").sort_index().ffill()
    days = len(wide.index)
    if days == 0:
        return {"as_of": as_of.isoformat(), "lookback_days": lookback_days, "start": None, "end": None, "symbols": {}}
    slices = np.minimum((np.arange(days) * min(width, days)) // days, width - 1)
    grouped = wide.groupby(slices)
    last, high = grouped.last(), grouped.max()
    peak_slice = high.idxmax().to_numpy()
    holds_peak = (high.index.to_numpy()[:, None] == peak_slice[None, :]) & (high.index.to_numpy()[:, None] < high.index[-1])
    points = last.where(~holds_peak, high).round(4)
    values = points.to_numpy(dtype=float).T  # one row per symbol
    present = ~np.isnan(values)
    cells = values.astype(object)
    cells[~present] = None
    keep = present.any(axis=1)
    symbols = dict(zip(points.columns[keep].tolist(), cells[keep].tolist()))
    return {
        "as_of": as_of.isoformat(),
        "lookback_days": lookback_days,
        "start": wide.index[0].strftime("%Y-%m-%d"),
        "end": wide.index[-1].strftime("%Y-%m-%d"),
        "symbols": symbols,
    }


def downsample(closes: Sequence[float], width: int = CHART_WIDTH) -> list[float]:
    """``closes`` reduced to at most ``width`` points the way ``chart_points`` does it."""
    values = [float(value) for value in closes]
    if len(values) <= width:
        return values
    slices = (np.arange(len(values)) * width) // len(values)
    last_of_slice = np.flatnonzero(np.append(slices[1:] != slices[:-1], True))
    points = [values[index] for index in last_of_slice]
    peak = int(np.argmax(values))
    if slices[peak] < slices[-1]:
        points[slices[peak]] = values[peak]
    return points


def render_chart(points: Sequence[float | None], start: str, end: str, height: int = CHART_HEIGHT) -> str:
    """A block chart of ``points`` with its high, low and first and last dates; every line fits
    in ``CHART_WIDTH`` columns. Plain text: the caller escapes it and wraps it in ``<pre>``."""
    values = [value for value in points if value is not None]
    if not values:
        return "no closes in the window"
    low, high = min(values), max(values)
    span = high - low
    steps = height * 8
    filled = [value if value is not None else low for value in points]
    levels = [steps if span == 0 else 1 + round((value - low) / span * (steps - 1)) for value in filled]
    rows = []
    for row in range(height):
        base = (height - 1 - row) * 8
        rows.append("".join(_BLOCKS[max(0, min(8, level - base))] for level in levels).rstrip())
    footer = _short_date(start)
    footer += _short_date(end).rjust(CHART_WIDTH - len(footer))
    return "\n".join([f"high {high:,.2f}", *rows, f"low  {low:,.2f}", footer])


def _short_date(text: str) -> str:
    try:
        return date.fromisoformat(text).strftime("%d %b %y")
    except (TypeError, ValueError):
        return "?"
