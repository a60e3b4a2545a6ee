"""The split detector on small made-up series: price and volume together, the announcement, and
the repair (new frames, the input untouched)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shared.core.splits import SPLIT_RATIOS, find_splits, repair_splits

DAYS = pd.bdate_range("2026-01-05", periods=60)
#: 5:4 and 3:2 move share volume by 25% and 50%, inside its daily noise: the weak ratios (README).
WEAK = (1.25, 1.5)
CLEAR = tuple(ratio for ratio in SPLIT_RATIOS if ratio not in WEAK)


def walk(symbol: str = "AAA", seed: int = 1, volume: float = 1e6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, 0.015, len(DAYS))))
    shares = volume * np.exp(rng.normal(0, 0.25, len(DAYS)))
    return pd.DataFrame({"symbol": symbol, "date": DAYS, "open": close, "high": close * 1.01, "low": close * 0.99, "close": close, "volume": shares.round().astype("int64")})


def split_raw(bars: pd.DataFrame, day: int, ratio: float, move: float = 0.0, volume_follows: bool = True) -> pd.DataFrame:
    """Raw prices of a split of ``ratio`` on session ``day`` that also carried a real ``move``."""
    real = bars.copy()
    later = real.index >= day
    for column in ("open", "high", "low", "close"):
        real.loc[later, column] *= 1.0 + move
    factor = np.where(real.index < day, ratio, 1.0)
    raw = real.assign(**{column: real[column] * factor for column in ("open", "high", "low", "close")})
    return raw.assign(volume=(real["volume"] / (factor if volume_follows else 1.0)).round().astype("int64"))


@pytest.mark.parametrize("ratio", CLEAR)
def test_every_ratio_on_a_quiet_day_is_confirmed_and_repaired(ratio: float) -> None:
    bars = walk()
    raw = split_raw(bars, 40, ratio)
    found = find_splits(raw)
    assert found.loc[:, ["date", "ratio", "verdict"]].to_dict(orient="records") == [{"date": DAYS[40], "ratio": pytest.approx(ratio), "verdict": "confirmed"}]
    repaired = repair_splits(raw, found)
    assert repaired["close"].to_numpy() == pytest.approx(bars["close"].to_numpy())
    assert np.abs(repaired["volume"].to_numpy() - bars["volume"].to_numpy()).max() <= ratio  # rounding of the raw shares
    assert raw["close"].iat[0] == pytest.approx(bars["close"].iat[0] * ratio)  # the input is untouched


@pytest.mark.parametrize("ratio", WEAK)
def test_the_weak_ratios_on_a_quiet_day_are_caught(ratio: float) -> None:
    found = find_splits(split_raw(walk(), 40, ratio))
    on_day = found[found["date"] == DAYS[40]]
    assert on_day["verdict"].tolist() in (["confirmed"], ["suspect"]) and on_day["ratio"].item() == pytest.approx(ratio)


@pytest.mark.parametrize("ratio", CLEAR)
def test_a_split_on_a_day_that_also_fell_7_percent_is_never_missed_nor_repaired_wrong(ratio: float) -> None:
    # The case. A 7:1 on a -7% day reads as well as an 8:1 on a +6% day: where the ratio
    # is in doubt the jump is excluded (suspect), and the broker's announcement settles it.
    bars = walk()
    bars.loc[40, "volume"] *= 2
    raw = split_raw(bars, 40, ratio, move=-0.07)
    found = find_splits(raw)
    on_day = found[found["date"] == DAYS[40]]
    assert len(on_day) == 1 and on_day["verdict"].item() in ("confirmed", "suspect")
    assert on_day["verdict"].item() == "suspect" or on_day["ratio"].item() == pytest.approx(ratio)
    announced = find_splits(raw, pd.DataFrame({"symbol": ["AAA"], "ex_date": [DAYS[40]], "ratio": [ratio]}))
    confirmed = announced[announced["verdict"] == "confirmed"]
    assert confirmed.loc[:, ["date", "ratio"]].to_dict(orient="records") == [{"date": DAYS[40], "ratio": pytest.approx(ratio)}]
    truth = split_raw(bars, 40, 1.0, move=-0.07)
    assert repair_splits(raw, announced)["close"].to_numpy() == pytest.approx(truth["close"].to_numpy())


def test_a_real_jump_on_heavy_volume_is_not_a_split() -> None:
    bars = walk()
    crash = split_raw(bars, 40, 1.0, move=1.0)  # +100%
    crash.loc[40:, "volume"] = crash.loc[40:, "volume"] * np.r_[34.0, np.full(19, 3.0)]
    assert find_splits(crash).empty


def test_a_jump_the_volume_does_not_follow_is_only_suspect_until_announced() -> None:
    raw = split_raw(walk(), 40, 2.0, volume_follows=False)  # prices halve, share volume does not double
    unconfirmed = find_splits(raw)
    assert unconfirmed["verdict"].tolist() == ["suspect"]
    assert repair_splits(raw, unconfirmed) is raw
    announced = pd.DataFrame({"symbol": ["AAA"], "ex_date": [DAYS[40]], "ratio": [2.0]})
    confirmed = find_splits(raw, announced)
    assert confirmed.loc[:, ["ratio", "verdict", "announced"]].to_dict(orient="records") == [{"ratio": 2.0, "verdict": "confirmed", "announced": True}]


def test_an_announcement_without_a_jump_changes_nothing() -> None:
    adjusted = walk()  # split-adjusted data: the announced split is already in the prices
    announced = pd.DataFrame({"symbol": ["AAA"], "ex_date": [DAYS[40]], "ratio": [4.0]})
    assert find_splits(adjusted, announced).empty


def test_each_symbol_is_judged_on_its_own() -> None:
    bars = pd.concat([split_raw(walk("AAA"), 30, 3.0), walk("BBB", seed=2), split_raw(walk("CCC", seed=3), 50, 0.1)], ignore_index=True)
    found = find_splits(bars)
    assert found.loc[:, ["symbol", "date", "ratio"]].to_dict(orient="records") == [
        {"symbol": "AAA", "date": DAYS[30], "ratio": pytest.approx(3.0)},
        {"symbol": "CCC", "date": DAYS[50], "ratio": pytest.approx(0.1)},
    ]


def test_chunk_evidence_at_chosen_rows_is_the_evidence_of_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The screens ask for the evidence of a few rows only: those columns are the ones of every
    row, bit for bit, and chunks of any size give the whole frame's evidence."""
    from shared.core import split_evidence

    rng = np.random.default_rng(11)
    rows = []
    for index, length in enumerate((3, 40, 1, 120, 25)):
        days = pd.bdate_range("2025-01-02", periods=length)
        volume = rng.integers(0, 5_000, length)  # some zero-volume days
        rows.append(pd.DataFrame({"symbol": f"S{index}", "date": days, "close": 20 * np.exp(np.cumsum(rng.normal(0, 0.05, length))), "volume": volume}))
    history = pd.concat(rows, ignore_index=True)
    whole = split_evidence.day_evidence(history)
    for _begin, chunk in split_evidence.evidence_chunks(history):
        chosen = np.flatnonzero(rng.random(len(chunk.r)) < 0.3)
        every = chunk.columns()
        for name, values in chunk.columns(chosen).items():
            np.testing.assert_array_equal(values, every[name][chosen])
    monkeypatch.setattr(split_evidence, "CHUNK_ROWS", 30)
    pd.testing.assert_frame_equal(split_evidence.day_evidence(history), whole, check_exact=True)
    assert whole["sigma"].notna().all() and whole["after"].notna().any()
