"""Two sorted bars frames merged: exactly what a stable sort of both gives, or left to the sort."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shared.core.bars import normalise_bars
from shared.services.bar_merge import merge_sorted


def _bars(rng: np.random.Generator, symbols: list[str], days: pd.DatetimeIndex, share: float) -> pd.DataFrame:
    pairs = [(symbol, day) for symbol in symbols for day in days if rng.random() < share]
    frame = pd.DataFrame(pairs, columns=["symbol", "date"])
    prices = np.round(rng.uniform(1, 500, (len(frame), 4)), 4)
    frame = frame.assign(open=prices[:, 0], high=prices[:, 1], low=prices[:, 2], close=prices[:, 3], volume=rng.integers(0, 10**9, len(frame)))
    return normalise_bars(frame)


def _sorted(first: pd.DataFrame, then: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The reference: concatenated, then a stable sort by symbol and date; where ``then`` went."""
    both = pd.concat([first, then], ignore_index=True)
    codes, _symbols = pd.factorize(both["symbol"], sort=True)
    order = np.lexsort((both["date"].to_numpy().view(np.int64), codes))
    return both.take(order).reset_index(drop=True), np.flatnonzero(order >= len(first))


@pytest.mark.parametrize("seed", range(25))
def test_a_merge_is_the_stable_sort_of_both(seed: int) -> None:
    rng = np.random.default_rng(seed)
    universe = sorted({"".join(rng.choice(list("ABCDEFGHIJ.-"), rng.integers(1, 5))) for _ in range(40)})
    days = pd.bdate_range("2026-01-05", periods=30)
    first = _bars(rng, [s for s in universe if rng.random() < 0.8], days[:-1], 0.9)
    # The new day, a few days again (a fetched row after the stored one) and new symbols.
    then = _bars(rng, [s for s in universe if rng.random() < 0.7], days[-3:], 0.6 if seed % 2 else 0.2)
    if first.empty or then.empty:
        return
    merged = merge_sorted(first, then)
    assert merged is not None
    bars, placed = merged
    expected, where = _sorted(first, then)
    pd.testing.assert_frame_equal(bars, expected)
    np.testing.assert_array_equal(placed, where)


def test_frames_out_of_order_are_left_to_the_sort() -> None:
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2026-01-05", periods=5)
    first, then = _bars(rng, ["AAA", "BBB"], days[:-1], 1.0), _bars(rng, ["AAA", "BBB"], days[-1:], 1.0)
    assert merge_sorted(first.iloc[::-1].reset_index(drop=True), then) is None
    assert merge_sorted(first, then.iloc[::-1].reset_index(drop=True)) is None
    assert merge_sorted(first, then.iloc[:0]) is None
    assert merge_sorted(first, then.assign(volume=then["volume"].astype(float))) is None
