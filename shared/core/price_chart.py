"""The symbol page's price chart, drawn on the server as SVG: pure, no I/O.

``chart_series`` cuts one symbol's closes to the drawdown window and adds its 50- and 200-bar
moving averages (each over the symbol's own bars, read from the history before the window too,
and empty until that many bars exist, as the report's ``dist_ma*_pct`` columns count them).
``draw_price_chart`` turns that series into an SVG: the closes as a line, the peak marked, the
fall from the peak shaded, the averages as thinner lines, price and month labels.

The x axis counts sessions, not calendar days, so weekends and holidays leave no gaps.
Every drawn element has a class (``close``, ``peak``, ``drawdown``, ``ma50``, ``ma200``) so that
a page's CSS and its tests can find it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from html import escape

import numpy as np
import pandas as pd

from shared.core.analytics import MOVING_AVERAGE_BARS
from shared.core.window import window_bars

#: The drawing's coordinate system; the page scales it to its width.
CHART_WIDTH_PX = 600
CHART_HEIGHT_PX = 260
#: Room for the price labels on the left and the month labels at the bottom.
_LEFT, _RIGHT, _TOP, _BOTTOM = 56.0, 12.0, 14.0, 26.0
#: The least room between two month labels.
_MONTH_LABEL_PX = 64.0
#: Colours, chosen to read on white and for red-green colour blindness (blue line, orange fall).
COLOURS = {"close": "#1f4e9c", "ma50": "#7a7f8c", "ma200": "#b08a2e", "drawdown": "#e8590c", "peak": "#1f4e9c", "grid": "#e4e7ec", "text": "#4a5263"}


@dataclass(frozen=True)
class Peak:
    """The window's highest close and the latest session that reached it."""

    date: pd.Timestamp
    close: float


def chart_series(closes: pd.DataFrame, as_of: date, lookback_days: int) -> pd.DataFrame:
    """One symbol's ``date, close, ma50, ma200`` over the window ending on ``as_of``.

    ``closes`` holds ``date, close`` of one symbol, over the window and, for the averages, as
    much history before it as is stored. Rows are sorted by date; one per date (the last wins).
    """
    ordered = closes.loc[:, ["date", "close"]].drop_duplicates("date", keep="last").sort_values("date", kind="stable")
    ordered = ordered[ordered["date"] <= pd.Timestamp(as_of)]
    averages = {f"ma{bars}": ordered["close"].rolling(bars, min_periods=bars).mean() for bars in MOVING_AVERAGE_BARS}
    return window_bars(ordered.assign(**averages), as_of, lookback_days).reset_index(drop=True)


def find_peak(series: pd.DataFrame) -> Peak | None:
    """The highest close of ``series`` and the latest date it was reached (as the report's
    ``peak_date``), or None when there is no close."""
    closes = series["close"].dropna()
    if closes.empty:
        return None
    highest = float(closes.max())
    latest = series.loc[closes[closes == highest].index[-1], "date"]
    return Peak(pd.Timestamp(latest), highest)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About ``count`` round price levels (1, 2 or 5 times a power of ten apart) within [low, high]."""
    span = high - low
    if not math.isfinite(span) or span <= 0:
        return [low] if math.isfinite(low) else []
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(int((high - first) // step) + 1)]


def _path(x: np.ndarray, y: np.ndarray) -> str:
    """An SVG path through the finite points; a gap (NaN) starts a new segment."""
    finite = np.isfinite(y)
    starts = finite & ~np.concatenate([[False], finite[:-1]])
    return " ".join(f"{'M' if start else 'L'}{px:.1f},{py:.1f}" for px, py, start in zip(x[finite], y[finite], starts[finite]))


def _price_label(value: float) -> str:
    return f"{value:,.2f}" if value >= 1 else f"{value:.4f}"


def draw_price_chart(series: pd.DataFrame, symbol: str, *, width: int = CHART_WIDTH_PX, height: int = CHART_HEIGHT_PX) -> str:
    """The SVG markup of ``series`` (``chart_series``'s output) for ``symbol``.

    Draws the closes (``path.close``), the peak (``circle.peak``), the area between the peak's
    level and the closes after it (``path.drawdown``), the averages where defined
    (``path.ma50``, ``path.ma200``), price gridlines and the first session of each month.
    """
    title = f"{escape(symbol)}: daily closes"
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="price-chart" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" font-family="system-ui, sans-serif" font-size="14">'
        f'<title id="chart-title">{title}</title>'
    )
    peak = find_peak(series)
    if peak is None:
        empty = f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" fill="{COLOURS["text"]}">No closes in the window</text>'
        return f'{head}<desc id="chart-desc">No closes in the window.</desc>{empty}</svg>'

    plot_w, plot_h = width - _LEFT - _RIGHT, height - _TOP - _BOTTOM
    lines = {name: series[name].to_numpy(dtype=float) for name in ("close", *(f"ma{bars}" for bars in MOVING_AVERAGE_BARS)) if name in series}
    values = np.concatenate([line[np.isfinite(line)] for line in lines.values()])
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * 0.06 or max(abs(high) * 0.05, 0.01)
    low, high = low - pad, high + pad
    sessions = len(series)
    x = _LEFT + (np.arange(sessions) * plot_w / (sessions - 1) if sessions > 1 else np.full(1, plot_w / 2))

    def y_of(price: np.ndarray | float) -> np.ndarray:
        return _TOP + (high - np.asarray(price, dtype=float)) / (high - low) * plot_h

    parts: list[str] = []
    ticks = nice_ticks(low, high)
    decimals = max(0, -math.floor(math.log10(ticks[1] - ticks[0]))) if len(ticks) > 1 else 2
    for level in ticks:
        y = float(y_of(level))
        parts.append(f'<line class="grid" x1="{_LEFT:.0f}" x2="{width - _RIGHT:.0f}" y1="{y:.1f}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>')
        parts.append(f'<text x="{_LEFT - 6:.0f}" y="{y + 4:.1f}" text-anchor="end" fill="{COLOURS["text"]}">{level:,.{decimals}f}</text>')
    dates = pd.DatetimeIndex(series["date"])
    month_starts = np.flatnonzero(np.concatenate([[True], dates.month[1:] != dates.month[:-1]]))
    drawn_at = -math.inf
    for index in (int(start) for start in month_starts):
        if x[index] - drawn_at < _MONTH_LABEL_PX or x[index] > width - _RIGHT - 24:
            continue  # too close to the previous label, or to the right edge
        drawn_at = x[index]
        label = dates[index].strftime("%b %Y" if index == 0 or dates[index].month == 1 else "%b")
        parts.append(f'<text class="month" x="{x[index]:.1f}" y="{height - 8:.0f}" fill="{COLOURS["text"]}">{label}</text>')

    close = lines["close"]
    peak_index = int(np.flatnonzero(dates == peak.date)[-1])
    last_index = sessions - 1
    peak_y, last_close = float(y_of(peak.close)), float(close[last_index])
    drawdown_pct = (last_close / peak.close - 1.0) * 100.0
    if last_index > peak_index:
        after = slice(peak_index, sessions)
        outline = _path(x[after], y_of(close[after]))
        area = f"{outline} L{x[last_index]:.1f},{peak_y:.1f} Z"
        parts.append(f'<path class="drawdown" d="{area}" fill="{COLOURS["drawdown"]}" fill-opacity="0.18" stroke="none"/>')
        parts.append(
            f'<line class="peak-level" x1="{x[peak_index]:.1f}" x2="{x[last_index]:.1f}" y1="{peak_y:.1f}" y2="{peak_y:.1f}" '
            f'stroke="{COLOURS["drawdown"]}" stroke-dasharray="4 3"/>'
        )
    for bars in MOVING_AVERAGE_BARS:
        name = f"ma{bars}"
        if name in lines and np.isfinite(lines[name]).any():
            dash = ' stroke-dasharray="6 3"' if bars == max(MOVING_AVERAGE_BARS) else ""
            parts.append(f'<path class="{name}" d="{_path(x, y_of(lines[name]))}" fill="none" stroke="{COLOURS[name]}" stroke-width="1.5"{dash}/>')
    parts.append(f'<path class="close" d="{_path(x, y_of(close))}" fill="none" stroke="{COLOURS["close"]}" stroke-width="2" stroke-linejoin="round"/>')
    parts.append(f'<circle class="peak" cx="{x[peak_index]:.1f}" cy="{peak_y:.1f}" r="5" fill="#fff" stroke="{COLOURS["peak"]}" stroke-width="2.5"/>')
    label_anchor = "end" if x[peak_index] > _LEFT + plot_w * 0.7 else "start"
    label_x = x[peak_index] + (-8 if label_anchor == "end" else 8)
    parts.append(
        f'<text class="peak-label" x="{label_x:.1f}" y="{max(peak_y - 8, _TOP + 10):.1f}" text-anchor="{label_anchor}" '
        f'fill="{COLOURS["text"]}">peak {_price_label(peak.close)}</text>'
    )
    description = (
        f"{escape(symbol)} closed at {_price_label(last_close)} on {dates[last_index]:%Y-%m-%d}, {drawdown_pct:.1f}% from its "
        f"peak close of {_price_label(peak.close)} on {peak.date:%Y-%m-%d}, over {sessions} sessions."
    )
    return f'{head}<desc id="chart-desc">{description}</desc>{"".join(parts)}</svg>'
