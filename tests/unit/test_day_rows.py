"""Day objects rendered ahead, chunk by chunk: byte for byte what pandas writes, or not used."""
from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given, settings, strategies as st

from shared.adapters.day_rows import DayRows, render_lines
from shared.adapters.formats import bars_csv_by_day, bars_to_csv
from shared.adapters.market_data import SimulatedMarketData
from shared.core.bars import normalise_bars

DAYS = pd.bdate_range("2026-10-01", periods=6)
prices = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=0.0001, max_value=1e6).map(lambda value: round(value, 4)),
    st.sampled_from([0.0, -0.0, 1e-5, 1e16, 123456789.125, 0.1 + 0.2, 5e-324]),
)
symbols = st.one_of(st.sampled_from(["A", "BRK.B", "BF-B", "ZTS"]), st.text(min_size=1, max_size=6))


def _frame(rows: list[tuple[str, int, float, float, int]]) -> pd.DataFrame:
    unique = {(symbol, day): (price, other, volume) for symbol, day, price, other, volume in rows}
    return normalise_bars(
        pd.DataFrame(
            [
                {"symbol": symbol, "date": DAYS[day], "open": price, "high": other, "low": price, "close": other, "volume": volume}
                for (symbol, day), (price, other, volume) in unique.items()
            ]
        )
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(symbols, st.integers(0, 5), prices, prices, st.integers(0, 2**62)), min_size=1, max_size=30))
def test_rendered_rows_are_what_pandas_writes(rows: list[tuple[str, int, float, float, int]]) -> None:
    bars = _frame(rows)
    expected = bars_to_csv(bars).decode().split("\n")[1:-1]
    lines = render_lines(bars)
    if lines is not None:  # None: a symbol pandas must quote; formats.py then asks pandas
        assert lines == expected
    for day, data in bars_csv_by_day(bars):
        assert data == bars_to_csv(bars[bars["date"] == pd.Timestamp(day)])


def test_prices_are_written_as_repr_writes_them() -> None:
    from shared.adapters.day_rows import _float_text

    rng = np.random.default_rng(7)
    values = np.concatenate(
        [
            np.round(rng.uniform(0, 1e5, 200_000), 4),  # prices in ten-thousandths, the fast path
            np.round(rng.uniform(0, 2, 50_000), 4),
            rng.uniform(0, 1e3, 50_000),  # any double: repr
            rng.normal(0, 1e12, 1_000),
            np.array([0.0, -0.0, 1e-4, 5e-5, 1e11, 99_999_999_999.9999, 1e-5, 12.0, 0.5, 0.1 + 0.2, np.inf, -np.inf, 5e-324]),
        ]
    )
    assert _float_text(values) == [repr(value) for value in values.tolist()]
    assert _float_text(np.array([np.nan, 1.25])) == ["", "1.25"]


def test_nan_prices_are_written_empty_like_pandas() -> None:
    bars = _frame([("AB", 0, math.nan, 1.5, 10), ("CD", 0, 2.25, math.inf, 0)])
    assert render_lines(bars) == ["AB,2026-10-01,,1.5,,1.5,10", "CD,2026-10-01,2.25,inf,2.25,inf,0"]
    assert render_lines(_frame([("A,B", 0, 1.0, 1.0, 1)])) is None  # quoting is pandas' job


def _chunks(bars: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    names = sorted(bars["symbol"].unique())
    return [bars[bars["symbol"].isin(names[i : i + size])].reset_index(drop=True) for i in range(0, len(names), size)]


def _rendered(chunks: list[pd.DataFrame]) -> DayRows:
    rendered = DayRows()
    for chunk in chunks:
        rendered.add(chunk)
    return rendered


def test_parts_added_in_any_order_from_threads_make_each_day_byte_for_byte() -> None:
    from concurrent.futures import ThreadPoolExecutor

    bars = SimulatedMarketData().fetch_bars([f"S{i:03d}" for i in range(50)], date(2026, 9, 1), date(2026, 11, 27)).bars
    plain = dict(bars_csv_by_day(bars))
    rendered = DayRows()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(rendered.add, reversed(_chunks(bars, 7))))
    day = min(plain)
    one_day = bars[bars["date"] == pd.Timestamp(day)].reset_index(drop=True)
    assert rendered.day_rows(day, one_day) == plain[day].partition(b"\n")[2]
    assert rendered.day_rows(day, one_day) is None  # a day is stored once: its parts are gone
    assert dict(bars_csv_by_day(bars, rendered)) == plain  # formatted again, the same bytes
    assert dict(bars_csv_by_day(bars, _rendered(_chunks(bars, 7)))) == plain


def test_rendered_rows_are_used_only_for_exactly_the_rows_stored() -> None:
    bars = SimulatedMarketData().fetch_bars([f"S{i:03d}" for i in range(20)], date(2026, 11, 2), date(2026, 11, 27)).bars
    chunks = _chunks(bars, 6)
    day = bars["date"].min().date()
    one_day = bars[bars["date"] == pd.Timestamp(day)].reset_index(drop=True)
    assert _rendered(chunks).day_rows(day, one_day) is not None
    assert _rendered(chunks).day_rows(day, one_day.iloc[1:]) is None  # a symbol dropped (it failed)
    assert _rendered(chunks).day_rows(day, one_day.iloc[:-1]) is None
    assert _rendered(chunks).day_rows(date(2026, 1, 5), one_day) is None  # a day never rendered
    changed = one_day.copy()
    changed.loc[3, "close"] = changed.loc[3, "close"] + 0.0001  # a bar changed after rendering
    assert _rendered(chunks).day_rows(day, changed) is None
    changed = one_day.copy()
    changed.loc[3, "volume"] += 1
    assert _rendered(chunks).day_rows(day, changed) is None
    # Whatever is stored is what the frame says, rendered ahead or not.
    edited = bars.copy()
    edited.loc[0, "close"] = 1.0
    edited = edited[edited["symbol"] != "S007"]
    stored = dict(bars_csv_by_day(edited, _rendered(chunks)))
    assert stored == dict(bars_csv_by_day(edited))
    assert stored[day] == bars_to_csv(edited[edited["date"] == pd.Timestamp(day)])


def test_rows_rendered_behind_are_the_rows_rendered_in_place_once_settled() -> None:
    bars = SimulatedMarketData().fetch_bars([f"S{i:03d}" for i in range(30)], date(2026, 10, 1), date(2026, 11, 27)).bars
    plain = dict(bars_csv_by_day(bars))
    rendered = DayRows()
    for chunk in _chunks(bars, 4):
        rendered.add_behind(chunk)
    assert rendered.settle() == 0
    day = min(plain)
    one_day = bars[bars["date"] == pd.Timestamp(day)].reset_index(drop=True)
    assert rendered.day_rows(day, one_day) == plain[day].partition(b"\n")[2]
    assert rendered.settle() == 0  # nothing behind: settling again is a no-op


def test_a_render_that_fails_behind_only_costs_its_days_the_shortcut() -> None:
    bars = SimulatedMarketData().fetch_bars([f"S{i:03d}" for i in range(12)], date(2026, 11, 2), date(2026, 11, 27)).bars
    chunks = _chunks(bars, 4)
    rendered = DayRows()
    rendered.add_behind(chunks[0])
    rendered.add_behind(chunks[1].drop(columns="volume"))  # not a bars frame: its render raises
    rendered.add_behind(chunks[2])
    assert rendered.settle() == 1
    day = bars["date"].min().date()
    one_day = bars[bars["date"] == pd.Timestamp(day)].reset_index(drop=True)
    assert rendered.day_rows(day, one_day) is None  # a chunk's part is missing: not used
    assert dict(bars_csv_by_day(bars, rendered)) == dict(bars_csv_by_day(bars))  # formatted instead, same bytes
