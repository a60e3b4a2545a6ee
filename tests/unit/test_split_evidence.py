"""The split detector against the real bars (issue 12): splits of every ratio injected into the
split-adjusted real data, on the 50 days with the largest real one-day moves and on 50 random
days, and the real moves left as they are.

The raw copy is built from the adjusted data as a vendor would send it: before the split day,
prices times the ratio and volume divided by it. Each injected split is judged as of the split
day and each of the ten sessions after it (the volume after a split is still arriving), then as
of the data's end. The data is a committed sample derived from the full real bars by
``tests/data/derive_split_evidence.py`` (see tests/data/SOURCES.md): the bars of every symbol
involved, the chosen days, and per date the depth that made the whole universe's top 50.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shared.core.splits import SPLIT_RATIOS, find_splits, repair_splits

DATA = Path(__file__).resolve().parents[1] / "data"
#: Sessions after the split day at which each injected split is judged (and then the data's end).
OFFSETS = tuple(range(11))
TOP_MOVES, INJECTED_TOP, INJECTED_RANDOM, TOP_N = 100, 50, 50, 50
LOOKBACK = "180D"
#: A drawdown deeper than the true one by more than this (percentage points) is false.
FALSE_DEPTH_PCT = 2.0


def load_bars() -> pd.DataFrame:
    frame = pd.read_csv(DATA / "split_evidence_bars.csv.gz", dtype={"ticker": str}).rename(columns={"ticker": "symbol"})
    frame = frame.assign(date=pd.to_datetime(frame["date"])).loc[:, ["symbol", "date", "open", "high", "low", "close", "volume"]]
    return frame.sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)


@dataclass
class Evidence:
    """The real bars, the days split into them, and what the detector made of each."""

    bars: pd.DataFrame
    days: pd.DataFrame  # symbol, date, role ("largest" in order, then "random")
    top_threshold: pd.Series  # per date, the 50th deepest real drawdown of the whole universe

    def rows_of(self, role: str) -> np.ndarray:
        """Row positions in ``bars`` of the chosen days of ``role``, in the file's order."""
        chosen = self.days[self.days["role"] == role]
        keys = pd.MultiIndex.from_frame(self.bars.loc[:, ["symbol", "date"]])
        return keys.get_indexer(pd.MultiIndex.from_frame(chosen.loc[:, ["symbol", "date"]]))

    @cached_property
    def largest(self) -> np.ndarray:
        """Rows of the period's largest real one-day moves, largest first."""
        return self.rows_of("largest")[:TOP_MOVES]

    @cached_property
    def injected(self) -> np.ndarray:
        """Rows of the split days: the 50 largest real moves, then 50 random days."""
        return np.r_[self.largest[:INJECTED_TOP], self.rows_of("random")[:INJECTED_RANDOM]]

    @cached_property
    def runs(self) -> tuple[np.ndarray, np.ndarray]:
        """First and one-past-last row of each injected day's symbol."""
        codes = pd.factorize(self.bars["symbol"])[0]
        edges = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True])
        which = np.searchsorted(edges, self.injected, side="right") - 1
        return edges[which], edges[which + 1]

    def raw_copy(self, ratio: float, offset: int | None) -> tuple[pd.DataFrame, np.ndarray]:
        """Each injected day's symbol as its own series ``#i``, split by ``ratio`` on that day and
        cut ``offset`` sessions after it (None: not cut); and where each split day landed."""
        first, stop = self.runs
        last = stop if offset is None else np.minimum(self.injected + offset + 1, stop)
        rows = np.concatenate([np.arange(a, b) for a, b in zip(first, last)])
        owner = np.repeat(np.arange(len(first)), last - first)
        factor = np.where(rows < self.injected[owner], ratio, 1.0)
        part = self.bars.iloc[rows]
        raw = part.assign(
            symbol=np.char.add("#", owner.astype(str)).astype(object),
            **{column: part[column].to_numpy() * factor for column in ("open", "high", "low", "close")},
            volume=np.maximum(np.round(part["volume"].to_numpy() / factor), 1).astype("int64"),
        ).reset_index(drop=True)
        landed = np.r_[0, np.cumsum(last - first)[:-1]] + (self.injected - first)
        return raw, landed

    @cached_property
    def true_drawdowns(self) -> pd.DataFrame:
        """Dates x symbols: the real close against its 180-day peak, in percent."""
        wide = self.bars.pivot(index="date", columns="symbol", values="close")
        return (wide / wide.rolling(LOOKBACK).max() - 1.0) * 100.0


@pytest.fixture(scope="module")
def evidence() -> Evidence:
    days = pd.read_csv(DATA / "split_evidence_days.csv", parse_dates=["date"], dtype={"symbol": str})
    top = pd.read_csv(DATA / "split_evidence_top50.csv", parse_dates=["date"], index_col="date")["top50_drawdown_pct"]
    return Evidence(load_bars(), days, top)


def judge(raw: pd.DataFrame, landed: np.ndarray, announcements: pd.DataFrame | None = None) -> pd.DataFrame:
    """The detector's verdict (and ratio) on each injected split day of ``raw``."""
    found = find_splits(raw, announcements).set_index(["symbol", "date"])
    keys = pd.MultiIndex.from_arrays([raw["symbol"].to_numpy()[landed], raw["date"].to_numpy()[landed]])
    return found.reindex(keys).loc[:, ["ratio", "verdict"]].fillna({"verdict": ""}).reset_index(drop=True)


@pytest.fixture(scope="module")
def verdicts(evidence: Evidence) -> pd.DataFrame:
    """One row per (ratio, offset, injected day): ``verdict`` ('' when nothing was seen) and
    ``false_depth`` (the reported drawdown that day minus the true one, 0 when excluded)."""
    return pd.concat([judged(evidence, ratio, offset) for ratio in SPLIT_RATIOS for offset in (*OFFSETS, None)], ignore_index=True)


def notices_for(raw: pd.DataFrame, landed: np.ndarray, ratio: float) -> pd.DataFrame:
    """A broker's announcement of a ``ratio`` split on each injected day of ``raw``."""
    return pd.DataFrame({"symbol": raw["symbol"].to_numpy()[landed], "ex_date": raw["date"].to_numpy()[landed], "ratio": ratio})


def judged(evidence: Evidence, ratio: float, offset: int | None, announced: bool = False) -> pd.DataFrame:
    """The verdicts on the injected ``ratio`` splits cut ``offset`` sessions after (announced or
    not), with the injected ratio, offset (-1: not cut), day and false depth of each."""
    raw, landed = evidence.raw_copy(ratio, offset)
    verdict = judge(raw, landed, notices_for(raw, landed, ratio) if announced else None)
    return verdict.assign(injected=ratio, offset=-1 if offset is None else offset, day=np.arange(len(landed)), **false_depths(evidence, raw, verdict, landed))


def false_depths(evidence: Evidence, raw: pd.DataFrame, verdict: pd.DataFrame, landed: np.ndarray) -> dict[str, np.ndarray]:
    """For each injected day: how much deeper than the truth the report's drawdown is on the
    last day of ``raw`` (the as-of day), and whether that drawdown would be in the top 50."""
    splits = pd.DataFrame({"symbol": raw["symbol"].to_numpy()[landed], "date": raw["date"].to_numpy()[landed], "ratio": verdict["ratio"], "verdict": verdict["verdict"]})
    repaired = repair_splits(raw, splits)
    symbols = raw["symbol"].to_numpy()
    ends = np.r_[np.flatnonzero(symbols[1:] != symbols[:-1]), len(raw) - 1]
    starts = np.r_[0, ends[:-1] + 1]
    dates = raw["date"].to_numpy()
    closes = repaired["close"].to_numpy()
    depth, in_top = np.zeros(len(landed)), np.zeros(len(landed), dtype=bool)
    for position, (start, end) in enumerate(zip(starts, ends)):
        as_of = pd.Timestamp(dates[end])
        first = start + int(np.searchsorted(dates[start : end + 1], np.datetime64(as_of - pd.Timedelta(LOOKBACK)), side="right"))
        reported = (closes[end] / closes[first : end + 1].max() - 1.0) * 100.0
        truth = evidence.true_drawdowns.at[as_of, evidence.bars["symbol"].iat[evidence.injected[position]]]
        excluded = verdict["verdict"].iat[position] == "suspect"
        depth[position] = 0.0 if excluded else truth - reported
        in_top[position] = not excluded and reported <= evidence.top_threshold.at[as_of]
    return {"false_depth": depth, "in_top": in_top}


def test_no_large_real_move_is_taken_for_a_split(evidence: Evidence) -> None:
    found = find_splits(evidence.bars)
    taken = found.merge(evidence.bars.loc[evidence.largest, ["symbol", "date"]], on=["symbol", "date"])
    assert taken.empty, taken
    assert (found["verdict"] == "confirmed").sum() == 0  # adjusted data: nothing to repair


def states(verdicts: pd.DataFrame) -> pd.Series:
    """Each judged split: 'repaired' (confirmed, right ratio), 'wrong ratio', 'excluded'
    (unconfirmed: the symbol leaves the ranking) or 'missed' (not seen)."""
    right = np.isclose(verdicts["ratio"], verdicts["injected"])
    confirmed = verdicts["verdict"] == "confirmed"
    return pd.Series(
        np.select([confirmed & right, confirmed, verdicts["verdict"] == "suspect"], ["repaired", "wrong ratio", "excluded"], "missed"),
        index=verdicts.index,
    )


def test_injected_splits_are_repaired_or_excluded(verdicts: pd.DataFrame) -> None:
    state = states(verdicts)
    on_top = verdicts["day"] < INJECTED_TOP
    table = pd.crosstab(verdicts["injected"].round(3), [on_top.map({True: "top-move day", False: "random day"}), state])
    print("\n" + table.to_string())
    big = np.abs(np.log(verdicts["injected"])) >= np.log(5.0) - 1e-9
    small = np.isclose(verdicts["injected"], 1.25) | np.isclose(verdicts["injected"], 1.5)
    # Random days: every ratio but 5:4 and 3:2 is caught (repaired or excluded), and no repair
    # ever uses a wrong ratio.
    assert not (state[~on_top & ~small] == "missed").any()
    assert not (state[~on_top] == "wrong ratio").any()
    # Days of the largest real moves: from 5:1 and 1:5 outwards every split is caught.
    assert not (state[on_top & big] == "missed").any()
    # Repaired once the volume after the split is known, on random days, for 2:1 and beyond.
    settled = ~on_top & (verdicts["offset"] == -1) & (np.abs(np.log(verdicts["injected"])) >= np.log(2.0) - 1e-9)
    assert (state[settled] == "repaired").mean() >= 0.9


def covered(verdicts: pd.DataFrame) -> pd.Series:
    """The splits the detector answers for: on random days every ratio but 5:4 and 3:2, on the
    days of the largest real moves 5:1 and 1:5 outwards (a smaller split there reads as well
    as a real move of another size, see README)."""
    size = np.abs(np.log(verdicts["injected"]))
    on_top = verdicts["day"] < INJECTED_TOP
    return (~on_top & (size >= np.log(2.0) - 1e-9)) | (size >= np.log(5.0) - 1e-9)


def test_no_false_deep_drawdown_in_the_top_50(verdicts: pd.DataFrame) -> None:
    false = verdicts["in_top"] & (verdicts["false_depth"] > FALSE_DEPTH_PCT)
    print(f"\nfalse deep drawdowns in the top {TOP_N}: {int(false[covered(verdicts)].sum())} of the covered splits, "
          f"{int(false.sum())} of all; by ratio {verdicts[false].groupby('injected').size().to_dict()}")
    assert not false[covered(verdicts)].any(), verdicts[false & covered(verdicts)]


#: What the detector cannot tell apart (README, "What it cannot do"), measured on the real bars
#: and held as ceilings per injected ratio (every other ratio: 0). A change that misses more, or
#: shows more false deep drawdowns, fails here even where the issue's target is out of reach.
MISSED_AT_MOST = {0.25: 12, 1 / 3: 210, 0.5: 408, 1.25: 845, 1.5: 277, 2.0: 168, 3.0: 131, 4.0: 24}
FALSE_DEEP_AT_MOST = {1.25: 499, 1.5: 167, 2.0: 104, 3.0: 109, 4.0: 23}


def at_most(counts: pd.Series, ceilings: dict[float, int]) -> pd.DataFrame:
    """Per injected ratio: the count and its ceiling (0 for a ratio without one)."""
    table = pd.DataFrame({"count": counts.reindex(SPLIT_RATIOS, fill_value=0)})
    ceiling = [next((bound for ratio, bound in ceilings.items() if np.isclose(ratio, injected)), 0) for injected in table.index]
    return table.assign(ceiling=ceiling)


def test_misses_and_false_deep_drawdowns_stay_within_the_measured_ceilings(verdicts: pd.DataFrame) -> None:
    missed = at_most(verdicts[states(verdicts) == "missed"].groupby("injected").size(), MISSED_AT_MOST)
    false = verdicts["in_top"] & (verdicts["false_depth"] > FALSE_DEPTH_PCT)
    deep = at_most(verdicts[false].groupby("injected").size(), FALSE_DEEP_AT_MOST)
    print(f"\nmissed {int(missed['count'].sum())}, false deep {int(deep['count'].sum())} of {len(verdicts)} judgements")
    assert (missed["count"] <= missed["ceiling"]).all(), missed[missed["count"] > 0]
    assert (deep["count"] <= deep["ceiling"]).all(), deep[deep["count"] > 0]


def volume_levels(evidence: Evidence, first: int, last: int) -> np.ndarray:
    """For each of the period's largest real moves: the mean log share volume of sessions
    ``first`` to ``last`` after it against that of the 10 sessions before (NaN where the symbol's
    data ends first)."""
    log_volume = np.log(evidence.bars["volume"].clip(lower=1).to_numpy(dtype=float))
    symbols = evidence.bars["symbol"].to_numpy()
    levels = np.full(len(evidence.largest), np.nan)
    for position, row in enumerate(evidence.largest):
        start, stop = np.searchsorted(symbols, symbols[row], "left"), np.searchsorted(symbols, symbols[row], "right")
        if row + last < stop and row - 10 >= start:
            levels[position] = log_volume[row + first : row + last + 1].mean() - log_volume[row - 10 : row].mean()
    return levels


def test_the_volume_after_a_large_real_move_is_too_unsettled_to_show_a_small_split(evidence: Evidence) -> None:
    """Why a 5:4 to 4:1 split on the day of a large real move stays ambiguous: after such a move
    the share volume settles at a new level that varies from stock to stock by more than the
    split's own step (ln 1.25 = 0.22, ln 1.5 = 0.41, ln 2 = 0.69), and waiting longer does not
    narrow it. Even the best threshold on that level misjudges a share of real moves or splits."""
    spreads = {}
    for first, last in ((1, 10), (1, 40), (21, 60)):
        level = volume_levels(evidence, first, last)
        level = level[np.isfinite(level)]
        spreads[(first, last)] = level.std(ddof=1)
        errors = []
        for ratio in (1.25, 1.5, 2.0, 3.0, 4.0):
            split = level + np.log(ratio)
            cuts = np.r_[level, split]
            errors.append(min(((level > cut).mean() + (split <= cut).mean()) / 2 for cut in cuts))
        print(f"\nsessions {first}-{last} after: {len(level)} moves, spread {spreads[(first, last)]:.2f}; "
              f"best threshold's error for 5:4, 3:2, 2, 3, 4: {', '.join(f'{error:.0%}' for error in errors)}")
    assert min(spreads.values()) > np.log(1.5)
    assert spreads[(1, 40)] > 0.8 * spreads[(1, 10)] and spreads[(21, 60)] > 0.8 * spreads[(1, 10)]


#: With Alpaca as the source, each injected split is announced; judged on its day, five sessions
#: later and at the data's end. The same announcements on the unsplit (adjusted) data stand for a
#: split the stored days were fetched after, already adjusted: those must mostly be left alone.
ANNOUNCED_OFFSETS = (0, 5, None)
ANNOUNCED_MISSED_AT_MOST, ANNOUNCED_FALSE_DEEP_AT_MOST = 14, 1
#: Announced but already adjusted, applied anyway: on random days, and on the days of the period's
#: largest real moves (an announced 2:1 on a real -50% day reads exactly as a split).
ADJUSTED_APPLIED_AT_MOST = {"random": 1, "largest": 414}


@pytest.fixture(scope="module")
def announced(evidence: Evidence) -> tuple[pd.DataFrame, dict[str, int]]:
    """Verdicts with every injected split announced, and how many announcements were applied to
    the adjusted data (no split in it) per kind of day."""
    rows, applied = [], {"random": 0, "largest": 0}
    for ratio in SPLIT_RATIOS:
        for offset in ANNOUNCED_OFFSETS:
            rows.append(judged(evidence, ratio, offset, announced=True))
            adjusted, landed = evidence.raw_copy(1.0, offset)
            confirmed = (judge(adjusted, landed, notices_for(adjusted, landed, ratio))["verdict"] == "confirmed").to_numpy()
            applied["largest"] += int(confirmed[:INJECTED_TOP].sum())
            applied["random"] += int(confirmed[INJECTED_TOP:].sum())
    return pd.concat(rows, ignore_index=True), applied


def test_announced_splits_are_repaired_and_adjusted_data_left_alone(announced: tuple[pd.DataFrame, dict[str, int]]) -> None:
    verdicts, applied = announced
    state = states(verdicts)
    false = verdicts["in_top"] & (verdicts["false_depth"] > FALSE_DEPTH_PCT)
    print(f"\nannounced: {state.value_counts().to_dict()}, false deep {int(false.sum())} of {len(verdicts)}; applied to adjusted data {applied}")
    assert not (state == "wrong ratio").any()
    assert (state == "missed").sum() <= ANNOUNCED_MISSED_AT_MOST
    assert false.sum() <= ANNOUNCED_FALSE_DEEP_AT_MOST
    assert all(applied[kind] <= bound for kind, bound in ADJUSTED_APPLIED_AT_MOST.items()), applied
