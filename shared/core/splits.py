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

import numpy as np
import pandas as pd

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

#: Sessions of volume before (and after) a day that its volume is compared with.
VOLUME_SESSIONS = 10
#: Sessions of volume before a day needed to weigh volume at all.
MIN_VOLUME_SESSIONS = 10
#: A day is weighed when its raw |log return| or |log volume jump| reaches these.
PRICE_SCREEN = 0.1
VOLUME_SCREEN = 1.0
#: Daily volatility: 1.25 * mean |log return| of the symbol, each return capped (a jump must not
#: inflate it), never below the floor (a split day can carry a real +/-10% move).
VOLATILITY_CAP = 0.15
MIN_DAILY_VOLATILITY = 0.01
#: With fewer returns than this, the volatility is unknown: a typical one is assumed.
MIN_VOLATILITY_RETURNS = 5
TYPICAL_DAILY_VOLATILITY = 0.03
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


def _run_means(values: np.ndarray, starts: np.ndarray, run_of: np.ndarray, least: int = 1) -> np.ndarray:
    """Per row, the mean of the finite values of its run (NaN with fewer than ``least``: a short
    series cannot set a yardstick, its own jump would dominate it)."""
    finite = np.isfinite(values)
    own = np.where(finite, values, 0.0)
    if not len(starts):
        return own
    sums = np.add.reduceat(np.r_[own, 0.0], starts)[run_of]
    counts = np.add.reduceat(np.r_[finite, False].astype(np.int64), starts)[run_of]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts >= max(least, 1), sums / np.maximum(counts, 1), np.nan)


def day_evidence(history: pd.DataFrame) -> pd.DataFrame:
    """Per bar of ``history`` (sorted by symbol and date, one bar per day): the raw log return
    ``r``, the symbol's daily volatility ``sigma``, the volume jump of the day ``spike`` and of the
    sessions after ``after`` (log, against the mean of the sessions before; NaN without enough
    volume), ``after_count``, and the volume noise ``volume_noise``. Indexed like ``history``."""
    close = history["close"].to_numpy(dtype=float)
    volume = history["volume"].to_numpy(dtype=float)
    _names, starts, ends = symbol_runs(history)
    count = len(close)
    run_of = np.repeat(np.arange(len(starts)), ends - starts)
    first = starts[run_of] if count else np.array([], dtype=np.int64)
    last = ends[run_of] if count else np.array([], dtype=np.int64)
    rows = np.arange(count)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = close / np.r_[np.nan, close[:-1]] if count else close
        r = np.where(rows > first, np.log(ratio), np.nan)
        log_volume = np.where(volume > 0, np.log(np.where(volume > 0, volume, 1.0)), np.nan)
    r[~np.isfinite(r)] = np.nan
    traded = np.isfinite(log_volume)
    sums = np.r_[0.0, np.cumsum(np.where(traded, log_volume, 0.0))]
    days = np.r_[0, np.cumsum(traded)]
    low = np.maximum(rows - VOLUME_SESSIONS, first)
    high = np.minimum(rows + 1 + VOLUME_SESSIONS, last)
    after_rows = np.maximum(high, rows + 1)
    before_count = days[rows] - days[low]
    after_count = days[after_rows] - days[rows + 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        before = np.where(before_count >= MIN_VOLUME_SESSIONS, (sums[rows] - sums[low]) / before_count, np.nan)
        after = np.where(after_count > 0, (sums[after_rows] - sums[rows + 1]) / after_count, np.nan) - before
    spike = log_volume - before
    own = 1.25 * _run_means(np.minimum(np.abs(r), VOLATILITY_CAP), starts, run_of, MIN_VOLATILITY_RETURNS)
    sigma = np.maximum(np.where(np.isnan(own), TYPICAL_DAILY_VOLATILITY, own), MIN_DAILY_VOLATILITY)
    noise = np.fmax(1.25 * _run_means(np.minimum(np.abs(spike), 1.5), starts, run_of), 0.15)
    return pd.DataFrame(
        {
            "r": r,
            "sigma": sigma,
            "spike": spike,
            "after": after,
            "after_count": after_count,
            "volume_noise": noise,
        },
        index=history.index,
    )


def hypothesis_costs(evidence: pd.DataFrame, steps_tried: np.ndarray | None = None) -> np.ndarray:
    """Rows x hypotheses matrix of the cost of each explanation of each day (``steps_tried``,
    by default ``split_steps()``: no split first, then every ratio)."""
    steps = (split_steps() if steps_tried is None else steps_tried)[None, :]
    r = evidence["r"].to_numpy(dtype=float)[:, None]
    sigma = evidence["sigma"].to_numpy(dtype=float)[:, None]
    move = r + steps
    cost = move_cost(move, sigma)
    expected = spike_expected(np.abs(move) / sigma)
    noise = evidence["volume_noise"].to_numpy(dtype=float)[:, None]
    spike = evidence["spike"].to_numpy(dtype=float)[:, None]
    day = volume_cost(spike - steps - expected, np.hypot(noise, SPIKE_SPREAD + SPREAD_GROWTH * expected))
    cost = cost + np.where(np.isfinite(day), day, 0.0)
    after = evidence["after"].to_numpy(dtype=float)[:, None]
    counts = np.maximum(evidence["after_count"].to_numpy(dtype=float)[:, None], 1.0)
    spread = np.hypot(LEVEL_SPREAD + SPREAD_GROWTH * expected, noise * np.sqrt(1.0 / counts + 1.0 / VOLUME_SESSIONS))
    later = thin_cost((after - steps - AFTER_SHARE * expected) / spread)
    cost = cost + np.where(np.isfinite(later), later, 0.0)
    return cost + np.where(steps != 0.0, SPLIT_PRIOR, 0.0)


def volume_agrees(evidence: pd.DataFrame, steps: np.ndarray) -> np.ndarray:
    """Whether share volume moved the split's way: the day's (and, once known, the later
    sessions') log volume jump is nearer the step ``ln k`` than 0, as it is when dollar volume
    carries on through a split. Without volume before the day there is no confirmation."""
    half = steps / 2.0
    direction = np.sign(steps)
    day = (evidence["spike"].to_numpy() - half) * direction > 0
    after = evidence["after"].to_numpy()
    later = np.where(np.isfinite(after), (after - half) * direction > 0, True)
    agrees: np.ndarray = day & later
    return agrees


def find_splits(history: pd.DataFrame, announcements: pd.DataFrame | None = None) -> pd.DataFrame:
    """The split days of ``history`` (sorted by symbol and date, one bar per day), ``SPLIT_COLUMNS``.

    ``announcements`` (``symbol, ex_date, ratio``) are splits a broker announced: an announced
    day is confirmed with its ratio unless no split explains its price and volume better by
    ``ANNOUNCED_TRUST`` (the split's prior cost waived: it was announced).
    """
    evidence = day_evidence(history)
    r = evidence["r"].to_numpy()
    weighed = np.isfinite(r) & ((np.abs(r) >= PRICE_SCREEN) | (np.abs(evidence["spike"].to_numpy()) >= VOLUME_SCREEN))
    # Every term of a cost is >= 0, so a split costs at least SPLIT_PRIOR: a day that "no split"
    # explains for less than that (plus the margin) needs no other hypothesis (exact, and fast).
    screened = np.flatnonzero(weighed)
    weighed[screened] = hypothesis_costs(evidence.iloc[screened], np.zeros(1))[:, 0] >= SPLIT_PRIOR + SUSPECT_MARGIN
    announced_ratio = np.full(len(history), np.nan)
    if announcements is not None and len(announcements):
        keys = pd.MultiIndex.from_arrays([announcements["symbol"].astype(object), pd.to_datetime(announcements["ex_date"])])
        ratios = pd.Series(announcements["ratio"].to_numpy(dtype=float), index=keys)
        ratios = ratios[~ratios.index.duplicated(keep="last")]
        every = pd.MultiIndex.from_arrays([history["symbol"].astype(object).to_numpy(), history["date"].to_numpy(dtype="datetime64[ns]")])
        announced_ratio = ratios.reindex(every).to_numpy(dtype=float)
        weighed |= np.isfinite(announced_ratio) & np.isfinite(r)
    rows = evidence[weighed]
    costs = hypothesis_costs(rows)
    ordered = np.sort(costs[:, 1:], axis=1) if len(rows) else np.zeros((0, 2))
    best = 1 + np.argmin(costs[:, 1:], axis=1) if len(rows) else np.array([], dtype=int)
    margin = costs[:, 0] - ordered[:, 0]
    ratio = np.exp(split_steps()[best]) if len(rows) else np.array([])
    clear = (margin >= CONFIRM_MARGIN) & (ordered[:, 1] - ordered[:, 0] >= RATIO_MARGIN) & volume_agrees(rows, np.log(ratio))
    verdict = np.where(clear, "confirmed", np.where(margin >= SUSPECT_MARGIN, "suspect", ""))
    told = announced_ratio[weighed]
    has_notice = np.isfinite(told)
    if has_notice.any():
        announced_margin = _announced_margins(rows, told)
        use = has_notice & (announced_margin > -ANNOUNCED_TRUST)
        ratio = np.where(use, told, ratio)
        margin = np.where(use, announced_margin, margin)
        verdict = np.where(use, "confirmed", verdict)
    positions = np.flatnonzero(weighed)
    found = pd.DataFrame(
        {
            "symbol": history["symbol"].iloc[positions].astype(object).to_numpy(),
            "date": history["date"].iloc[positions].to_numpy(dtype="datetime64[ns]"),
            "ratio": ratio,
            "verdict": verdict,
            "margin": margin,
            "announced": has_notice & (verdict == "confirmed") & np.isclose(ratio, np.where(has_notice, told, np.nan)),
        }
    )
    found = found.assign(position=positions)
    found = found[(found["verdict"] != "") & ~_echoes(found)]
    return found.loc[:, SPLIT_COLUMNS].reset_index(drop=True)


def _announced_margins(rows: pd.DataFrame, told: np.ndarray) -> np.ndarray:
    """Per row, how much cheaper the announced ratio ``told`` (NaN: none) explains the day, by
    price and volume, than no split: the announcement stands in for the split's prior cost."""
    margins = np.full(len(rows), np.nan)
    for ratio in np.unique(told[np.isfinite(told)]):
        mine = np.flatnonzero(told == ratio)
        costs = hypothesis_costs(rows.iloc[mine], np.array([0.0, np.log(ratio)]))
        margins[mine] = costs[:, 0] - (costs[:, 1] - SPLIT_PRIOR)
    return margins


def _echoes(found: pd.DataFrame) -> pd.Series:
    """Unconfirmed days within ``VOLUME_SESSIONS`` after a confirmed split of the same symbol:
    their volume is compared with sessions from before the split, so the split's own step in
    share volume shows up in them again."""
    echo = pd.Series(False, index=found.index)
    confirmed = found[found["verdict"] == "confirmed"]
    for symbol, position in zip(confirmed["symbol"], confirmed["position"]):
        distance = found["position"] - position
        echo |= (found["symbol"] == symbol) & (found["verdict"] == "suspect") & (distance > 0) & (distance <= VOLUME_SESSIONS)
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
