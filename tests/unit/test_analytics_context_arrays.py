"""compute_context's array arithmetic gives what the plain groupby formulas give."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from shared.core.analytics import MOVING_AVERAGE_BARS, RETURN_BARS, build_report, compute_context, compute_drawdowns, history_bars
from shared.core.quality import with_log_returns
from shared.core.analytics import window_bars

AS_OF = date(2026, 11, 27)


def reference_context(history: pd.DataFrame, drawdowns: pd.DataFrame) -> pd.DataFrame:
    """The returns and moving-average distances by groupby, as the formulas in README read."""
    symbols = pd.Index(drawdowns["symbol"], name="symbol")
    close = drawdowns.set_index("symbol")["close"]
    counted = history.assign(bars_back=history.groupby("symbol", sort=False, observed=True).cumcount(ascending=False))
    columns = {}
    for bars in RETURN_BARS:
        earlier = counted[counted["bars_back"] == bars].set_index("symbol")["close"].reindex(symbols)
        columns[f"ret_{bars}d_pct"] = (close / earlier - 1.0) * 100.0
    for bars in MOVING_AVERAGE_BARS:
        recent = counted[counted["bars_back"] < bars].groupby("symbol", observed=True)["close"].agg(["mean", "size"]).reindex(symbols)
        columns[f"dist_ma{bars}_pct"] = (close / recent["mean"].where(recent["size"] >= bars) - 1.0) * 100.0
    return pd.DataFrame(columns, index=symbols)


def random_bars(seed: int) -> pd.DataFrame:
    """40 symbols of random closes: short histories, missing days and bad prices among them."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range(end="2026-11-27", periods=260)
    rows = []
    for index in range(40):
        length = int(rng.integers(1, 260))  # short histories too
        kept = days[-length:][rng.random(length) > 0.05]  # and missing days
        closes = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, len(kept))))
        closes[:-1][rng.random(len(kept) - 1) < 0.02] = np.nan  # and bad prices (not on the day)
        rows.append(pd.DataFrame({"symbol": f"S{index:02d}", "date": kept, "close": closes}))
    bars = pd.concat(rows, ignore_index=True)
    bars = bars.assign(open=bars["close"], high=bars["close"], low=bars["close"], volume=1000)
    return bars[bars["date"] <= pd.Timestamp(AS_OF)]


@pytest.mark.parametrize("seed", range(6))
def test_context_matches_the_groupby_formulas(seed: int) -> None:
    bars = random_bars(seed)
    history = history_bars(bars, AS_OF, 180)
    drawdowns = compute_drawdowns(history, AS_OF, 180)
    drawdowns = drawdowns.assign(symbol=drawdowns["symbol"].astype(object))
    history = history[history["symbol"].isin(drawdowns["symbol"])]
    history = history.assign(symbol=history["symbol"].cat.remove_unused_categories())
    window = with_log_returns(window_bars(history, AS_OF, 180))
    got = compute_context(history, window, drawdowns)
    want = reference_context(history, drawdowns)
    pd.testing.assert_frame_equal(got.loc[:, want.columns], want, rtol=1e-12)
    universe = pd.DataFrame({"symbol": drawdowns["symbol"], "name": "", "sector": "Unknown"})
    assert len(build_report(bars, universe, AS_OF)) == len(drawdowns)


def as_plain(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with an object ``symbol``: the groupby paths instead of the symbol runs'."""
    return frame.assign(symbol=frame["symbol"].astype(object))


@pytest.mark.parametrize("seed", range(4))
def test_drawdowns_and_window_stats_on_runs_are_the_groupby_ones(seed: int) -> None:
    history = history_bars(random_bars(seed), AS_OF, 180)  # a categorical in sorted runs
    for as_of in (AS_OF, date(2026, 11, 20), date(2026, 11, 22)):  # a Sunday: no bar that day
        on_runs, grouped = compute_drawdowns(history, as_of, 180), compute_drawdowns(as_plain(history), as_of, 180)
        pd.testing.assert_frame_equal(as_plain(on_runs), as_plain(grouped), check_exact=True)
    drawdowns = as_plain(compute_drawdowns(history, AS_OF, 180))
    history = history[history["symbol"].isin(drawdowns["symbol"])]
    window = with_log_returns(window_bars(history, AS_OF, 180))
    on_runs, grouped = compute_context(history, window, drawdowns), compute_context(history, as_plain(window), drawdowns)
    assert on_runs["trough_close"].notna().any() and on_runs["volatility_pct"].notna().any()
    pd.testing.assert_frame_equal(on_runs, grouped, rtol=1e-12)  # the std sums in another order
