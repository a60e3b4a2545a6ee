"""Data-quality flags on small hand-made frames (sessions passed in, so no calendar is needed)."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from shared.core.quality import FLAG_NAMES, count_flags, flag_symbols, join_flags, robust_z, with_log_returns
from tests.conftest import make_bars

SESSIONS = pd.DatetimeIndex(["2026-01-02", "2026-01-05", "2026-01-06", "2026-01-07"])
AS_OF = date(2026, 1, 7)


def flags_of(bars: pd.DataFrame, sessions: pd.DatetimeIndex = SESSIONS, as_of: date = AS_OF) -> pd.DataFrame:
    return flag_symbols(with_log_returns(bars), as_of, sessions)


def series(symbol: str, closes: list[float], sessions: pd.DatetimeIndex = SESSIONS) -> list[tuple[str, str, float]]:
    return [(symbol, day.strftime("%Y-%m-%d"), close) for day, close in zip(sessions[-len(closes):], closes)]


def test_clean_series_has_no_flags() -> None:
    flags = flags_of(make_bars(series("AAA", [10.0, 10.5, 10.2, 10.4])))
    assert list(flags.columns) == list(FLAG_NAMES)
    assert not flags.loc["AAA"].any()


def test_missing_bar_inside_history_versus_short_history() -> None:
    gap = make_bars([("GAP", "2026-01-02", 10.0), ("GAP", "2026-01-05", 10.5), ("GAP", "2026-01-07", 10.4)])
    late = make_bars(series("NEW", [10.5, 10.2, 10.4]))
    flags = flags_of(pd.concat([gap, late], ignore_index=True))
    assert flags.loc["GAP", "missing_bars"] and not flags.loc["GAP", "short_history"]
    assert flags.loc["NEW", "short_history"] and not flags.loc["NEW", "missing_bars"]


def test_stale_when_the_last_bar_repeats_or_is_old() -> None:
    repeated = make_bars(series("REP", [10.0, 10.5, 10.4, 10.4]))  # same OHLC and volume
    moved = make_bars(series("MOV", [10.0, 10.5, 10.4, 10.4])).assign(volume=[1, 2, 3, 4])
    old = make_bars(series("OLD", [10.0, 10.5, 10.4], SESSIONS[:3]))
    flags = flags_of(pd.concat([repeated, moved, old], ignore_index=True))
    assert flags.loc["REP", "stale"] and not flags.loc["MOV", "stale"] and flags.loc["OLD", "stale"]


def test_bad_prices() -> None:
    base = make_bars(series("X", [10.0, 10.5, 10.2, 10.4]))
    cases = {
        "NEG": base.assign(close=[10.0, -1.0, 10.2, 10.4], low=[10.0, -1.0, 10.2, 10.4]),
        "NAN": base.assign(open=[10.0, np.nan, 10.2, 10.4]),
        "HL": base.assign(high=[10.0, 10.0, 10.2, 10.4], low=[10.0, 11.0, 10.2, 10.4]),
        "OUT": base.assign(high=[10.0, 10.4, 10.2, 10.4]),  # close 10.5 above the high
        "OK": base.assign(high=base["close"] * 1.01, low=base["close"] * 0.99),
    }
    bars = pd.concat([frame.assign(symbol=name) for name, frame in cases.items()], ignore_index=True)
    flags = flags_of(bars)
    assert flags["bad_price"].to_dict() == {"HL": True, "NAN": True, "NEG": True, "OK": False, "OUT": True}


def test_zero_volume() -> None:
    bars = make_bars(series("Z", [10.0, 10.5, 10.2, 10.4])).assign(volume=[5, 0, 5, 6])
    assert flags_of(bars).loc["Z", "zero_volume"]


def test_split_flags_come_from_the_split_verdicts() -> None:
    bars = make_bars(series("SPL", [100.0, 101.0, 50.4, 50.9]) + series("ADJ", [10.0, 10.1, 10.2, 10.3]) + series("OLD", [5.0, 5.1, 5.2, 5.3]))
    splits = pd.DataFrame(
        {
            "symbol": ["SPL", "ADJ", "OLD"],
            "date": pd.to_datetime(["2026-01-06", "2026-01-05", "2025-12-01"]),
            "ratio": [2.0, 4.0, 2.0],
            "verdict": ["suspect", "confirmed", "suspect"],
        }
    )
    flags = flag_symbols(with_log_returns(bars), AS_OF, SESSIONS, splits)
    assert flags["split_suspect"].to_dict() == {"ADJ": False, "OLD": False, "SPL": True}  # OLD's is before the window
    assert flags["split_adjusted"].to_dict() == {"ADJ": True, "OLD": False, "SPL": False}
    assert not flags_of(bars)["split_suspect"].any()  # no verdicts, no split flags


def test_robust_z_hand_computed() -> None:
    returns = pd.Series([0.01, -0.01, 0.01, -0.01, 0.02] * 4)
    symbols = pd.Series(["A"] * 20)
    # median 0.01; |dev| = 0, .02, 0, .02, .01 (x4) -> MAD 0.01; z = |r - .01| / (1.4826 * .01)
    expected = np.array([0, 0.02, 0, 0.02, 0.01] * 4) / (1.4826 * 0.01)
    np.testing.assert_allclose(robust_z(returns, symbols).to_numpy(), expected)
    flat = robust_z(pd.Series([0.0] * 19 + [0.5]), pd.Series(["B"] * 20))
    assert flat.isna().all()  # MAD 0: no scale, no outlier call
    short = robust_z(returns.iloc[:19], symbols.iloc[:19])
    assert short.isna().all()  # fewer than 20 returns: no outlier call


def test_outlier_return_flagged() -> None:
    sessions = pd.bdate_range("2026-01-05", periods=41)
    closes = list(100 * np.exp(np.cumsum([0.0] + [0.01 if i % 2 else -0.01 for i in range(39)] + [0.2])))
    bars = make_bars(series("OUT", closes, sessions))
    flags = flag_symbols(with_log_returns(bars), sessions[-1].date(), sessions)
    assert flags.loc["OUT", "outlier_return"]
    calm = flag_symbols(with_log_returns(bars.iloc[:-1]), sessions[-2].date(), sessions[:-1])
    assert not calm.loc["OUT", "outlier_return"]


def test_join_and_count_flags() -> None:
    table = pd.DataFrame({"stale": [True, False, True], "bad_price": [True, False, False]}, index=["A", "B", "C"])
    joined = join_flags(table)
    assert joined.tolist() == ["stale;bad_price", "", "stale"]
    counts = count_flags(joined)
    assert counts == {name: {"stale": 2, "bad_price": 1}.get(name, 0) for name in FLAG_NAMES}


def test_flagging_does_not_change_its_input() -> None:
    bars = with_log_returns(make_bars(series("AAA", [10.0, 10.5, 10.2, 10.4])))
    before = bars.copy()
    flag_symbols(bars, AS_OF, SESSIONS)
    pd.testing.assert_frame_equal(bars, before)



def test_flags_on_symbol_runs_are_the_grouped_flags() -> None:
    """The analytics' window (a categorical in sorted runs) takes the array path; a plain frame
    takes pandas' groupby: every flag agrees, duplicates, gaps and odd bars included."""
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2025-09-01", "2026-01-07")
    rows = [(f"S{index}", day.strftime("%Y-%m-%d"), float(close)) for index in range(6) for day, close in zip(days[index * 3 :], 50 * np.exp(np.cumsum(rng.normal(0, 0.02, len(days)))))]
    bars = make_bars(rows).drop(index=[5, 40]).reset_index(drop=True)
    bars.loc[[7, 60], "close"] = [np.nan, bars.loc[60, "close"] * 4]  # bad price, outlier
    bars.loc[[80, 81], "volume"] = 0
    bars = pd.concat([bars, bars.iloc[[100]]]).sort_values(["symbol", "date"], kind="stable").reset_index(drop=True)
    bars.iloc[-1, 2:] = bars.iloc[-2, 2:]  # the last bar repeats the one before
    sessions = pd.DatetimeIndex(days[10:])
    plain = flag_symbols(with_log_returns(bars), AS_OF, sessions)
    runs = flag_symbols(with_log_returns(bars.assign(symbol=pd.Categorical(bars["symbol"]))), AS_OF, sessions)
    assert isinstance(runs.index, pd.CategoricalIndex)
    pd.testing.assert_frame_equal(runs.set_axis(runs.index.astype(plain.index.dtype), axis=0), plain)
    raised = plain.any()
    assert raised.drop(["split_suspect", "split_adjusted"]).all()  # every other flag is exercised
