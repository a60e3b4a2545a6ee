"""A fetch's bars written into slots as requests answer: the same frame as concatenating them."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pandas as pd

from shared.adapters.bar_buffer import BarsBuffer
from shared.adapters.market_data import SimulatedMarketData
from shared.core.bars import empty_bars, normalise_bars

SYMBOLS = [f"S{i:03d}" for i in range(30)]


def _bars() -> pd.DataFrame:
    return SimulatedMarketData().fetch_bars(SYMBOLS, date(2026, 10, 1), date(2026, 11, 27)).bars


def test_slots_filled_in_any_order_short_or_aside_make_the_sorted_whole() -> None:
    bars = _bars()
    sessions = bars["date"].nunique()
    chunks = [SYMBOLS[i : i + 4] for i in range(0, len(SYMBOLS), 4)]
    frames = [bars[bars["symbol"].isin(chunk)].reset_index(drop=True) for chunk in chunks]
    frames[1] = frames[1][frames[1]["symbol"] != chunks[1][0]]  # an unknown symbol: a short slot
    frames[2] = frames[2].iloc[3:]  # a symbol's first sessions missing
    buffer = BarsBuffer([len(chunk) * sessions for chunk in chunks[:-1]] + [1])  # the last slot too small
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(buffer.put, reversed(range(len(chunks))), reversed(frames)))
    expected = normalise_bars(pd.concat(frames, ignore_index=True))
    pd.testing.assert_frame_equal(buffer.frame(), expected)


def test_a_second_answer_for_a_slot_and_unplanned_requests_are_kept_aside() -> None:
    bars = _bars()
    first, second = bars[bars["symbol"] <= "S014"], bars[bars["symbol"] > "S014"]
    buffer = BarsBuffer([len(bars)])
    buffer.put(0, second.reset_index(drop=True))
    buffer.put(0, first.reset_index(drop=True))  # the slot is taken: aside, still kept
    buffer.put(None, empty_bars())
    pd.testing.assert_frame_equal(buffer.frame(), normalise_bars(bars))
    pd.testing.assert_frame_equal(BarsBuffer([5, 5]).frame(), empty_bars())
