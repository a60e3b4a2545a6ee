"""The server-drawn SVG chart: the window's closes, the peak, the shaded fall, the averages."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.core.price_chart import chart_series, draw_price_chart, find_peak, nice_ticks
from shared.core.trading_calendar import trading_days

SVG = "{http://www.w3.org/2000/svg}"
AS_OF = date(2026, 11, 27)


def closes_frame(values: list[float], end: date = AS_OF) -> pd.DataFrame:
    """One symbol's closes on the last ``len(values)`` sessions up to ``end``."""
    sessions = trading_days(date(2020, 1, 2), end)[-len(values):]
    return pd.DataFrame({"date": sessions, "close": values})


def points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"[ML](-?[\d.]+),(-?[\d.]+)", d)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_series_is_the_window_with_averages_from_earlier_history() -> None:
    history = closes_frame([float(n) for n in range(1, 301)])
    series = chart_series(history, AS_OF, 180)
    assert series["date"].min() > pd.Timestamp(AS_OF) - pd.Timedelta(days=180)
    assert series["date"].max() == pd.Timestamp(AS_OF)
    last = series.iloc[-1]
    assert last["close"] == 300.0
    assert last["ma50"] == pytest.approx(np.mean(range(251, 301)))
    assert last["ma200"] == pytest.approx(np.mean(range(101, 301)))


def test_average_is_empty_until_it_has_its_bars() -> None:
    series = chart_series(closes_frame([10.0] * 60), AS_OF, 180)
    assert series["ma50"].notna().sum() == 11
    assert series["ma200"].isna().all()


def test_series_ignores_bars_after_the_day_and_keeps_one_per_date() -> None:
    history = closes_frame([1.0, 2.0, 3.0], end=date(2026, 12, 2))
    doubled = pd.concat([history, history.tail(1).assign(close=9.0)], ignore_index=True)
    series = chart_series(doubled, date(2026, 12, 2), 180)
    assert series["close"].tolist() == [1.0, 2.0, 9.0]
    assert chart_series(history, date(2026, 12, 1), 180)["close"].tolist() == [1.0, 2.0]


def test_input_is_not_changed() -> None:
    history = closes_frame([3.0, 1.0, 2.0])
    before = history.copy()
    draw_price_chart(chart_series(history, AS_OF, 180), "AAA")
    pd.testing.assert_frame_equal(history, before)


def test_peak_is_the_latest_date_of_the_highest_close() -> None:
    series = chart_series(closes_frame([5.0, 9.0, 4.0, 9.0, 6.0]), AS_OF, 180)
    peak = find_peak(series)
    assert peak is not None and peak.close == 9.0 and peak.date == series["date"].iloc[3]


def test_chart_draws_closes_peak_fall_and_averages() -> None:
    values = [100.0 + n for n in range(260)] + [300.0 - 4 * n for n in range(40)]
    series = chart_series(closes_frame(values), AS_OF, 180)
    root = parse(draw_price_chart(series, "BRK.B"))
    close = root.find(f"{SVG}path[@class='close']")
    assert close is not None
    line = points(close.get("d", ""))
    assert len(line) == len(series)
    peak = root.find(f"{SVG}circle[@class='peak']")
    assert peak is not None
    top = min(y for _x, y in line)  # SVG y grows downwards: the highest close has the least y
    peak_xy = (float(peak.get("cx", "nan")), float(peak.get("cy", "nan")))
    assert peak_xy in line and peak_xy[1] == top
    area = root.find(f"{SVG}path[@class='drawdown']")
    assert area is not None
    outline = points(area.get("d", ""))
    assert outline[0] == peak_xy and outline[-1] == (line[-1][0], peak_xy[1])
    assert root.find(f"{SVG}path[@class='ma50']") is not None
    assert root.find(f"{SVG}path[@class='ma200']") is not None
    description = root.find(f"{SVG}desc")
    assert description is not None and "peak close of 359.00" in (description.text or "")


def test_no_shaded_area_at_the_peak() -> None:
    root = parse(draw_price_chart(chart_series(closes_frame([1.0, 2.0, 3.0]), AS_OF, 180), "UP"))
    assert root.find(f"{SVG}path[@class='drawdown']") is None
    assert root.find(f"{SVG}circle[@class='peak']") is not None


def test_empty_and_single_close() -> None:
    empty = parse(draw_price_chart(chart_series(closes_frame([1.0]).iloc[0:0], AS_OF, 180), "NONE"))
    assert empty.find(f"{SVG}path[@class='close']") is None
    assert "No closes" in (empty.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]
    one = parse(draw_price_chart(chart_series(closes_frame([7.5]), AS_OF, 180), "ONE"))
    assert one.find(f"{SVG}circle[@class='peak']") is not None


def test_symbol_text_is_escaped() -> None:
    svg = draw_price_chart(chart_series(closes_frame([1.0, 2.0]), AS_OF, 180), "<b>&")
    assert "<b>" not in svg and "&lt;b&gt;&amp;" in svg
    parse(svg)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=1e5, allow_nan=False), min_size=1, max_size=150))
def test_every_drawn_point_is_inside_the_drawing(values: list[float]) -> None:
    root = parse(draw_price_chart(chart_series(closes_frame(values), AS_OF, 3650), "X", width=640, height=280))
    for path in root.iter(f"{SVG}path"):
        for x, y in points(path.get("d", "")):
            assert 0 <= x <= 640 and 0 <= y <= 280
    assert "nan" not in ET.tostring(root, encoding="unicode").lower()


def test_nice_ticks_are_round_and_inside() -> None:
    assert nice_ticks(32.6, 56.0) == [35, 40, 45, 50, 55]
    assert nice_ticks(0.5, 0.9) == pytest.approx([0.5, 0.6, 0.7, 0.8, 0.9])
    assert nice_ticks(100.0, 100.0) == [100.0]


def test_chart_points_pivot_as_pandas_does_with_gaps_duplicates_and_missing_closes() -> None:
    """The integer-code pivot gives the document a pandas ``pivot_table(aggfunc="last")`` and a
    forward fill give, over the split-repaired history: unsorted rows, repeated (symbol, day) rows,
    NaN closes, days without bars."""
    import json

    import numpy as np

    from shared.core.analytics import repaired_history
    from shared.core.charts import chart_points, reduce_closes
    from shared.core.window import window_bars

    def reference(bars: pd.DataFrame, as_of: date, lookback: int) -> dict:
        repaired, splits = repaired_history(bars, as_of, lookback)
        window = window_bars(repaired, as_of, lookback)
        wide = window.pivot_table(index="date", columns="symbol", values="close", aggfunc="last").sort_index().ffill()
        if len(wide.index) == 0:
            return {"as_of": as_of.isoformat(), "lookback_days": lookback, "start": None, "end": None, "symbols": {}, "split_adjusted": []}
        values = np.round(reduce_closes(wide.to_numpy(dtype=float)), 4).T
        cells = values.astype(object)
        cells[np.isnan(values)] = None
        keep = ~np.isnan(values).all(axis=1)
        symbols = dict(zip(wide.columns[np.flatnonzero(keep)].tolist(), cells[keep].tolist()))
        adjusted = sorted(set(splits.loc[splits["verdict"] == "confirmed", "symbol"]) & set(symbols))
        return {"as_of": as_of.isoformat(), "lookback_days": lookback, "start": wide.index[0].strftime("%Y-%m-%d"), "end": wide.index[-1].strftime("%Y-%m-%d"), "symbols": symbols, "split_adjusted": adjusted}

    rng = np.random.default_rng(5)
    for _trial in range(40):
        n = int(rng.integers(0, 300))
        close = rng.uniform(1, 100, n)
        close[rng.random(n) < 0.2] = np.nan
        bars = pd.DataFrame(
            {
                "symbol": pd.Series(rng.choice(["AA", "B", "BRK.B", "Z"], n), dtype=object),
                "date": (pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 70, n), "D")).astype("datetime64[ns]"),
                "open": close,
                "high": close,
                "low": close,
                "close": close,
                "volume": rng.uniform(1e5, 1e6, n),
            }
        )
        expected = json.dumps(reference(bars, date(2026, 2, 20), 45), sort_keys=True)
        assert json.dumps(chart_points(bars, date(2026, 2, 20), 45), sort_keys=True) == expected
