"""Stock splits in raw prices: found by price and volume together, confirmed, and repaired.

A split of ratio ``k`` (``k`` new shares for each old one; 4.0 for 4:1, 0.1 for 1:10) effective
on day ``t`` divides the raw prices from ``t`` on by ``k`` and multiplies share volume by ``k``;
dollar volume does not move. A real crash or squeeze moves the price and, with it, the volume:
the bigger the move, the bigger the day's volume. So each day whose raw close-to-close move or
share volume jumps is weighed under every hypothesis ``s`` in ``{0} + {ln k}``:

- the real move it implies, ``m = r + s`` (``r`` the raw log return), scored by a fat-tailed
  (Student-t) law scaled by the stock's own daily volatility, plus a penalty for one-day moves
  beyond ``FREE_MOVE`` whatever the volatility (a large cap almost never moves 60% in a day);
- the real volume change it implies, ``e - s`` (``e`` the day's log share volume against the
  mean of the ``VOLUME_SESSIONS`` before, and the same for the mean of the sessions after),
  scored against the volume a real move of size ``m`` brings (``spike_expected``);
- a prior cost ``SPLIT_PRIOR`` for any split (splits are rare).

The cheapest split hypothesis wins when it beats "no split" by ``CONFIRM_MARGIN`` (confirmed);
a margin in ``[SUSPECT_MARGIN, CONFIRM_MARGIN)`` leaves an unconfirmed jump (``suspect``). An
announced split (Alpaca's corporate actions) confirms the day unless "no split" explains its
price and volume better by ``ANNOUNCED_TRUST`` (the data may already be adjusted for it).
Nothing here does I/O; every function returns new frames.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from shared.core.split_evidence import EVIDENCE_COLUMNS, VOLUME_SESSIONS, evidence_chunks
from shared.core.symbol_runs import symbol_runs

#: Forward ratios companies use (new shares per old share: 3:2, 5:4, 2:1 ... 50:1).
FORWARD_RATIOS: tuple[float, ...] = (1.25, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0, 8.0, 10.0, 15.0, 20.0, 50.0)
#: Reverse ratios, as the old shares merged into one (1:2 ... 1:50).
REVERSE_RATIOS: tuple[float, ...] = (2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0)
#: Every ratio weighed, as ``k`` (new shares per old share).
SPLIT_RATIOS: tuple[float, ...] = FORWARD_RATIOS + tuple(1.0 / k for k in REVERSE_RATIOS)
#: Columns of ``find_splits``: ``verdict`` is "confirmed" or "suspect"; ``margin`` is how much
#: cheaper (in log-likelihood units) the split explains the day than no split; ``announced``
#: tells whether a corporate-action announcement named it.
SPLIT_COLUMNS = ["symbol", "date", "ratio", "verdict", "margin", "announced"]

#: A day is weighed when its raw |log return| or |log volume jump| reaches these.
PRICE_SCREEN = 0.1
VOLUME_SCREEN = 1.0
#: Degrees of freedom of the Student-t law of real moves (fat tails: 10-sigma days happen).
MOVE_TAIL = 4.0
#: Degrees of freedom of the Student-t law of volume residuals.
VOLUME_TAIL = 4.0
#: One-day real moves beyond this (in log terms) cost extra, ``FREE_MOVE_SCALE`` per unit of z.
FREE_MOVE = 0.4
FREE_MOVE_SCALE = 0.1
#: The day's expected log volume jump for a real move of z sigmas: A * ln(1 + (z / Z0)^2);
#: the sessions after keep ``AFTER_SHARE`` of it (fitted on the real bars, 2022-2024).
SPIKE_HEIGHT = 0.75
SPIKE_WIDTH = 3.0
AFTER_SHARE = 0.35
#: Spread of a day's volume jump around its expectation, and of a volume level between periods;
#: both widen with the expected jump (after big news, volume is hard to foretell).
SPIKE_SPREAD = 0.35
LEVEL_SPREAD = 0.2
SPREAD_GROWTH = 0.15
#: Prior cost of any split, and the margins that confirm one or leave a jump unconfirmed: a
#: split is confirmed when it beats no split by ``CONFIRM_MARGIN`` and every other ratio by
#: ``RATIO_MARGIN`` (a repair with a doubtful ratio would leave a false jump of its own).
SPLIT_PRIOR = 10.0
CONFIRM_MARGIN = 3.0
RATIO_MARGIN = 5.0
SUSPECT_MARGIN = 0.0
#: An announced split is applied unless no split explains the day better by this much: the
#: stored days may predate the split (raw) or have been fetched adjusted after it, and only the
#: day's price and volume tell which (measured on the real bars, see README).
ANNOUNCED_TRUST = 5.0
#: A day's evidence (``shared.core.split_evidence``): columns by name, a frame or plain arrays.
Evidence = Mapping[str, np.ndarray]


def split_steps() -> np.ndarray:
    """The hypotheses as log steps ``ln k``: 0 (no split) first, then ``SPLIT_RATIOS``."""
    steps: np.ndarray = np.r_[0.0, np.log(np.asarray(SPLIT_RATIOS))]
    return steps


def spike_expected(z: np.ndarray) -> np.ndarray:
    """The log volume jump a real move of ``z`` daily sigmas brings on its day."""
    return SPIKE_HEIGHT * np.log1p((z / SPIKE_WIDTH) ** 2)


def move_cost(move: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Negative log-likelihood (up to a constant) of a real one-day log move."""
    z = np.abs(move) / sigma
    excess = np.maximum(np.abs(move) - FREE_MOVE, 0.0) / FREE_MOVE_SCALE
    cost: np.ndarray = (MOVE_TAIL + 1.0) / 2.0 * np.log1p(z**2 / MOVE_TAIL) + 0.5 * excess**2
    return cost


def volume_cost(residual: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Negative log-likelihood of a volume residual. More volume than expected is Gaussian (a
    surge with no move to explain it is telling); less is Student-t, so that one thin day (a half
    session, a feed's slip) cannot outweigh the price."""
    scaled = residual / spread
    return np.where(scaled > 0, 0.5 * scaled**2, thin_cost(scaled))


def thin_cost(scaled: np.ndarray) -> np.ndarray:
    """Student-t negative log-likelihood of a scaled residual (``VOLUME_TAIL`` degrees of freedom).
    The sessions after a day are weighed this way both ways: later news moves them too."""
    return (VOLUME_TAIL + 1.0) / 2.0 * np.log1p(scaled**2 / VOLUME_TAIL)


def hypothesis_costs(evidence: Evidence, steps_tried: np.ndarray | None = None) -> np.ndarray:
    """Rows x hypotheses matrix of the cost of each explanation of each day (``steps_tried``,
    by default ``split_steps()``: no split first, then every ratio)."""
    steps = (split_steps() if steps_tried is None else steps_tried)[None, :]
    r = np.asarray(evidence["r"], dtype=float)[:, None]
    sigma = np.asarray(evidence["sigma"], dtype=float)[:, None]
    move = r + steps
    cost = move_cost(move, sigma)
    expected = spike_expected(np.abs(move) / sigma)
    noise = np.asarray(evidence["volume_noise"], dtype=float)[:, None]
    spike = np.asarray(evidence["spike"], dtype=float)[:, None]
    day = volume_cost(spike - steps - expected, np.hypot(noise, SPIKE_SPREAD + SPREAD_GROWTH * expected))
    cost = cost + np.where(np.isfinite(day), day, 0.0)
    after = np.asarray(evidence["after"], dtype=float)[:, None]
    counts = np.maximum(np.asarray(evidence["after_count"], dtype=float)[:, None], 1.0)
    spread = np.hypot(LEVEL_SPREAD + SPREAD_GROWTH * expected, noise * np.sqrt(1.0 / counts + 1.0 / VOLUME_SESSIONS))
    later = thin_cost((after - steps - AFTER_SHARE * expected) / spread)
    cost = cost + np.where(np.isfinite(later), later, 0.0)
    return cost + np.where(steps != 0.0, SPLIT_PRIOR, 0.0)


def volume_agrees(evidence: Evidence, steps: np.ndarray) -> np.ndarray:
    """Whether share volume moved the split's way: the day's (and, once known, the later
    sessions') log volume jump is nearer the step ``ln k`` than 0, as it is when dollar volume
    carries on through a split. Without volume before the day there is no confirmation."""
    half = steps / 2.0
    direction = np.sign(steps)
    day = (np.asarray(evidence["spike"], dtype=float) - half) * direction > 0
    after = np.asarray(evidence["after"], dtype=float)
    later = np.where(np.isfinite(after), (after - half) * direction > 0, True)
    agrees: np.ndarray = day & later
    return agrees


def find_splits(history: pd.DataFrame, announcements: pd.DataFrame | None = None) -> pd.DataFrame:
    """The split days of ``history`` (sorted by symbol and date, one bar per day), ``SPLIT_COLUMNS``.

    ``announcements`` (``symbol, ex_date, ratio``) are splits a broker announced: an announced
    day is confirmed with its ratio unless no split explains its price and volume better by
    ``ANNOUNCED_TRUST`` (the split's prior cost waived: it was announced).
    """
    announced_ratio = _announced_ratios(history, announcements)
    evidence, positions = _weighed_days(history, announced_ratio)
    costs = hypothesis_costs(evidence)
    some = len(positions) > 0
    ordered = np.sort(costs[:, 1:], axis=1) if some else np.zeros((0, 2))
    best = 1 + np.argmin(costs[:, 1:], axis=1) if some else np.array([], dtype=int)
    margin = costs[:, 0] - ordered[:, 0]
    ratio = np.exp(split_steps()[best]) if some else np.array([])
    clear = (margin >= CONFIRM_MARGIN) & (ordered[:, 1] - ordered[:, 0] >= RATIO_MARGIN) & volume_agrees(evidence, np.log(ratio))
    verdict = np.where(clear, "confirmed", np.where(margin >= SUSPECT_MARGIN, "suspect", ""))
    told = announced_ratio[positions]
    has_notice = np.isfinite(told)
    if has_notice.any():
        announced_margin = _announced_margins(evidence, told)
        use = has_notice & (announced_margin > -ANNOUNCED_TRUST)
        ratio = np.where(use, told, ratio)
        margin = np.where(use, announced_margin, margin)
        verdict = np.where(use, "confirmed", verdict)
    announced = has_notice & (verdict == "confirmed") & np.isclose(ratio, np.where(has_notice, told, np.nan))
    kept = np.flatnonzero(verdict != "")
    symbols = history["symbol"].iloc[positions[kept]].astype(object).to_numpy()
    echo = _echoes(symbols, positions[kept], verdict[kept])
    rows = kept[~echo]
    return pd.DataFrame(
        {
            "symbol": pd.array(symbols[~echo], dtype=str),  # str even when empty, as inferred when not
            "date": history["date"].to_numpy(dtype="datetime64[ns]")[positions[rows]],
            "ratio": ratio[rows],
            "verdict": verdict[rows],
            "margin": margin[rows],
            "announced": announced[rows],
        },
        columns=SPLIT_COLUMNS,
    )


def _announced_margins(evidence: Evidence, told: np.ndarray) -> np.ndarray:
    """Per row, how much cheaper the announced ratio ``told`` (NaN: none) explains the day, by
    price and volume, than no split: the announcement stands in for the split's prior cost."""
    margins = np.full(len(told), np.nan)
    for ratio in np.unique(told[np.isfinite(told)]):
        mine = np.flatnonzero(told == ratio)
        costs = hypothesis_costs({name: values[mine] for name, values in evidence.items()}, np.array([0.0, np.log(ratio)]))
        margins[mine] = costs[:, 0] - (costs[:, 1] - SPLIT_PRIOR)
    return margins


def _announced_ratios(history: pd.DataFrame, announcements: pd.DataFrame | None) -> np.ndarray:
    """Per row of ``history``, the ratio of the split announced for its (symbol, date); NaN when none.
    Only the rows of announced symbols are matched: a few, not the whole history."""
    announced_ratio = np.full(len(history), np.nan)
    if announcements is None or not len(announcements):
        return announced_ratio
    keys = pd.MultiIndex.from_arrays([announcements["symbol"].astype(object), pd.to_datetime(announcements["ex_date"])])
    ratios = pd.Series(announcements["ratio"].to_numpy(dtype=float), index=keys)
    ratios = ratios[~ratios.index.duplicated(keep="last")]
    rows = np.flatnonzero(history["symbol"].isin(set(keys.get_level_values(0))).to_numpy())
    named = history.iloc[rows]
    every = pd.MultiIndex.from_arrays([named["symbol"].astype(object).to_numpy(), named["date"].to_numpy(dtype="datetime64[ns]")])
    announced_ratio[rows] = ratios.reindex(every).to_numpy(dtype=float)
    return announced_ratio


def _weighed_days(history: pd.DataFrame, announced_ratio: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The evidence of the days worth weighing against every ratio, and their rows in ``history``:
    days whose raw move or volume jump passes the screens and that "no split" does not already
    explain, and announced days with a return. Screened chunk by chunk (``evidence_chunks``)."""
    parts: list[dict[str, np.ndarray]] = []
    rows: list[np.ndarray] = []
    for begin, chunk in evidence_chunks(history):
        r = chunk.r
        finite = np.isfinite(r)
        weighed = finite & np.isfinite(announced_ratio[begin : begin + len(r)])
        screened = np.flatnonzero(finite & ((np.abs(r) >= PRICE_SCREEN) | (np.abs(chunk.spike) >= VOLUME_SCREEN)))
        # Every term of a cost is >= 0, so a split costs at least SPLIT_PRIOR: a day that "no
        # split" explains for less than that (plus the margin) needs no other hypothesis (exact).
        unexplained = hypothesis_costs(chunk.columns(screened), np.zeros(1))[:, 0]
        weighed[screened[unexplained >= SPLIT_PRIOR + SUSPECT_MARGIN]] = True
        kept = np.flatnonzero(weighed)
        parts.append(chunk.columns(kept))
        rows.append(kept + begin)
    evidence = {name: np.concatenate([part[name] for part in parts]) if parts else np.array([]) for name in EVIDENCE_COLUMNS}
    return evidence, np.concatenate(rows) if rows else np.array([], dtype=np.int64)


def _echoes(symbols: np.ndarray, positions: np.ndarray, verdict: np.ndarray) -> np.ndarray:
    """Unconfirmed days within ``VOLUME_SESSIONS`` after a confirmed split of the same symbol:
    their volume is compared with sessions from before the split, so the split's own step in
    share volume shows up in them again. Arguments and result are per found day."""
    echo = np.zeros(len(positions), dtype=bool)
    suspect = verdict == "suspect"
    for confirmed in np.flatnonzero(verdict == "confirmed"):
        distance = positions - positions[confirmed]
        echo |= suspect & (symbols == symbols[confirmed]) & (distance > 0) & (distance <= VOLUME_SESSIONS)
    return echo


def repair_splits(history: pd.DataFrame, splits: pd.DataFrame) -> pd.DataFrame:
    """``history`` (sorted by symbol and date) with each confirmed split undone: every bar of the
    symbol dated before the split has its prices divided by the ratio and its volume multiplied.
    Returns a new frame (the input is untouched); without a confirmed split, ``history`` itself."""
    confirmed = splits[splits["verdict"] == "confirmed"]
    if confirmed.empty or history.empty:
        return history
    names, starts, ends = symbol_runs(history)
    run_of = {name: position for position, name in enumerate(names)}
    stamps = history["date"].to_numpy(dtype="datetime64[ns]")
    factor = np.ones(len(history))
    for symbol, day, ratio in zip(confirmed["symbol"], confirmed["date"], confirmed["ratio"]):
        run = run_of.get(symbol)
        if run is None:
            continue
        first = int(starts[run])
        cut = first + int(np.searchsorted(stamps[first : ends[run]], np.datetime64(pd.Timestamp(day), "ns"), side="left"))
        factor[first:cut] *= float(ratio)
    prices = {column: history[column] / factor for column in ("open", "high", "low", "close") if column in history}
    repaired = history.assign(**prices)
    if "volume" in history:
        volume = np.round(history["volume"].to_numpy(dtype=float) * factor)
        repaired = repaired.assign(volume=pd.Series(volume, index=history.index).astype(history["volume"].dtype))
    return repaired
