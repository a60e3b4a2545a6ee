"""Price charts for narrow screens: a per-day document of downsampled closes, and its text rendering.

The collector stores this document as ``charts/YYYY-MM-DD.json`` next to each report: for every
symbol, its closes in the report's window reduced to at most ``CHART_WIDTH`` points. The bot draws
``/stock`` from it with one small read instead of ~125 bars objects.

The reduction keeps what the text states: the window's highest close (the peak the drawdown is
measured from) and its lowest close are both points, and the last point is the last close, so a
chart's high and low labels are the window's real high and low. Prices across a confirmed split
are drawn as the report measures them: the split undone (``repaired_history``), so the chart's high
is the report's peak and no false cliff shows.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from shared.core.analytics import repaired_history
from shared.core.window import window_bars

#: Columns of the chart: it is drawn in a monospace block no wider than this.
CHART_WIDTH = 32
#: Rows of blocks; each row has eight levels, so the chart resolves 48 steps.
CHART_HEIGHT = 6
_BLOCKS = " ▁▂▃▄▅▆▇█"


def reduce_closes(values: np.ndarray, width: int = CHART_WIDTH) -> np.ndarray:
    """Each column of ``values`` (days × symbols, NaN before a symbol's first close, carried
    forward after) reduced to at most ``width`` rows.

    The last day is its own point. The days before it are cut into ``width - 1`` consecutive
    slices, each shown by its last close, except that the slice holding the window's highest
    close shows that close and the slice holding the lowest shows that one. When both fall in one
    slice, one of them moves to the neighbouring slice on its side of time (a few days' shift on a
    32-column chart, and both extremes stay visible). Vectorised over symbols.
    """
    days = values.shape[0]
    if days <= width:
        return values.copy()
    body = values[:-1]
    slices = (np.arange(days - 1) * (width - 1)) // (days - 1)
    ends = np.flatnonzero(np.append(slices[1:] != slices[:-1], True))
    points = np.vstack([body[ends], values[-1:]])
    columns = np.arange(values.shape[1])
    present = ~np.isnan(body).all(axis=0)
    high_row = np.where(present, np.nanargmax(np.where(np.isnan(body), -np.inf, body), axis=0), 0)
    low_row = np.where(present, np.nanargmin(np.where(np.isnan(body), np.inf, body), axis=0), 0)
    high, low, last = body[high_row, columns], body[low_row, columns], values[-1]
    needs_high = present & ~(last >= high)
    needs_low = present & ~(last <= low)
    high_slice, low_slice = slices[high_row].copy(), slices[low_row].copy()
    clash = needs_high & needs_low & (high_slice == low_slice)
    low_later = low_row > high_row
    # Move the low forward (or the high back) when it falls after the high; mirrored otherwise.
    forward = clash & low_later
    low_slice[forward & (low_slice < width - 2)] += 1
    high_slice[forward & (high_slice == width - 2)] -= 1
    backward = clash & ~low_later
    low_slice[backward & (low_slice > 0)] -= 1
    high_slice[backward & (high_slice == 0)] += 1
    points[high_slice[needs_high], columns[needs_high]] = high[needs_high]
    points[low_slice[needs_low], columns[needs_low]] = low[needs_low]
    return points


def chart_points(
    bars: pd.DataFrame,
    as_of: date,
    lookback_days: int,
    width: int = CHART_WIDTH,
    repaired: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> dict[str, Any]:
    """Every symbol's window of closes reduced to ``width`` points (``reduce_closes``), carried
    forward over days a symbol has no bar, as a JSON-ready document. Symbols without any close in
    the window are left out. Confirmed splits are undone first, as in the report; ``split_adjusted``
    lists the symbols whose prices that changed. ``repaired``: ``repaired_history``'s result for
    the same arguments (with the broker's announcements, if any), when the caller has it (the
    report's): the split analysis is then not run again."""
    history, splits = repaired_history(bars, as_of, lookback_days) if repaired is None else repaired
    window = window_bars(history, as_of, lookback_days, ["symbol", "date", "close"])
    days, names, wide = _closes_by_day(window)
    if len(days) == 0:
        return {"as_of": as_of.isoformat(), "lookback_days": lookback_days, "start": None, "end": None, "symbols": {}, "split_adjusted": []}
    values = np.round(reduce_closes(wide, width), 4).T  # one row per symbol
    present = ~np.isnan(values)
    cells = values.astype(object)
    cells[~present] = None
    keep = present.any(axis=1)
    symbols = dict(zip(names[np.flatnonzero(keep)].tolist(), cells[keep].tolist()))
    return {
        "as_of": as_of.isoformat(),
        "lookback_days": lookback_days,
        "start": days[0].strftime("%Y-%m-%d"),
        "end": days[-1].strftime("%Y-%m-%d"),
        "symbols": symbols,
        "split_adjusted": sorted(set(splits.loc[splits["verdict"] == "confirmed", "symbol"]) & set(symbols)),
    }


def _closes_by_day(window: pd.DataFrame) -> tuple[pd.DatetimeIndex, pd.Index, np.ndarray]:
    """The days that have a close, the symbols that have one (both sorted), and the days ×
    symbols matrix of closes, the last one given per (symbol, day), carried forward over days
    without one: a pivot on integer codes (a pandas ``pivot_table`` groups, ten times slower)."""
    given = window[window["close"].notna()]
    day_codes, days = pd.factorize(given["date"], sort=True)
    symbol_codes, names = pd.factorize(given["symbol"].astype(object), sort=True)
    wide = np.full((len(days), len(names)), np.nan)
    cell = symbol_codes.astype(np.int64) * len(days) + day_codes
    in_order = bool((cell[1:] >= cell[:-1]).all())  # stored bars are: no sort
    order = np.arange(len(cell)) if in_order else np.argsort(cell, kind="stable")  # the last given ends each run
    rows = order[np.r_[cell[order][1:] != cell[order][:-1], True]] if len(order) else order
    wide[day_codes[rows], symbol_codes[rows]] = given["close"].to_numpy(dtype=float)[rows]
    # Forward fill down each column: the index of the latest row with a close, then take it.
    latest = np.where(np.isnan(wide), 0, np.arange(len(days))[:, None])
    np.maximum.accumulate(latest, axis=0, out=latest)
    filled = wide[latest, np.arange(len(names))[None, :]]
    return pd.DatetimeIndex(days), pd.Index(names), filled


def downsample(closes: Sequence[float], width: int = CHART_WIDTH) -> list[float]:
    """One symbol's ``closes`` reduced to at most ``width`` points the way ``chart_points`` does it."""
    values = np.asarray([float(value) for value in closes], dtype=float).reshape(-1, 1)
    return [float(value) for value in reduce_closes(values, width)[:, 0]]


def _price(value: float) -> str:
    return f"{value:,.2f}"


def render_chart(
    points: Sequence[float | None], start: str, end: str, height: int = CHART_HEIGHT, label: Callable[[float], str] = _price
) -> str:
    """A block chart of ``points`` labelled with its high and low (formatted by ``label``, so the
    caller can use the same format as its text) and its first and last dates; every line fits in
    ``CHART_WIDTH`` columns. A missing point (before the symbol's first close) is a blank column.
    Plain text: the caller escapes it and wraps it in ``<pre>``."""
    values = [value for value in points if value is not None]
    if not values:
        return "no closes in the window"
    low, high = min(values), max(values)
    span = high - low
    steps = height * 8
    levels = [0 if value is None else steps if span == 0 else 1 + round((value - low) / span * (steps - 1)) for value in points]
    rows = []
    for row in range(height):
        base = (height - 1 - row) * 8
        rows.append("".join(_BLOCKS[max(0, min(8, level - base))] for level in levels).rstrip())
    footer = short_date(start)
    footer += short_date(end).rjust(CHART_WIDTH - len(footer))
    return "\n".join([f"high {label(high)}", *rows, f"low  {label(low)}", footer])


def short_date(text: Any) -> str:
    """``2026-11-27`` (or a timestamp) as ``27 Nov 26``; ``?`` when it is not a date."""
    try:
        return pd.Timestamp(text).strftime("%d %b %y")
    except (TypeError, ValueError):
        return "?"
