"""The score's backtest on a hand-made market: forward returns, groups, the median, members."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from shared.core.backtest import HORIZONS, UNIVERSE_MEDIAN, forward_returns, pick_returns, score_against_drawdown, summarise

DATES = pd.bdate_range("2023-01-02", periods=80)


def market() -> tuple[pd.DataFrame, pd.DataFrame]:
    """30 symbols, S00 rising 1% a session, the rest flat; S00 is first by score, S29 by drawdown."""
    symbols = [f"S{i:02d}" for i in range(30)]
    closes = pd.DataFrame(100.0, index=DATES, columns=symbols)
    closes["S00"] = 100.0 * 1.01 ** np.arange(len(DATES))
    day = DATES[0]
    reports = pd.DataFrame({"as_of": day, "symbol": symbols, "rank": np.arange(30, 0, -1), "score_rank": np.arange(1, 31)})
    return reports, closes


def test_forward_returns_are_the_close_n_sessions_later() -> None:
    _reports, closes = market()
    ahead = forward_returns(closes, 21)
    assert ahead.loc[DATES[0], "S00"] == pytest.approx((1.01**21 - 1) * 100)
    assert ahead.iloc[-21:].isna().all().all()


def test_groups_and_the_median() -> None:
    reports, closes = market()
    table = summarise(pick_returns(reports, closes))
    gain = (1.01 ** np.array(HORIZONS) - 1) * 100
    assert table.loc["top 10 by score", "mean_return_pct_21"] == pytest.approx(gain[0] / 10)
    assert table.loc["top 25 by score", "mean_return_pct_63"] == pytest.approx(gain[1] / 25)
    assert table.loc["top 10 by drawdown", "mean_return_pct_21"] == 0.0  # S00 is ranked last by drawdown
    assert table.loc[UNIVERSE_MEDIAN, "mean_return_pct_21"] == 0.0
    assert table.loc["top 10 by score", "beat_share_21"] == 1.0 and table.loc["top 10 by drawdown", "beat_share_21"] == 0.0


def test_point_in_time_members_pick_among_themselves() -> None:
    reports, closes = market()
    members = pd.DataFrame({"as_of": DATES[0], "symbol": ["S00", "S29"]})
    picks = pick_returns(reports, closes, members)
    by_drawdown = picks[(picks["group"] == "top 10 by drawdown") & (picks["horizon"] == 21)]["mean_return_pct"].item()
    assert by_drawdown == pytest.approx((1.01**21 - 1) * 100 / 2)  # both members are in its top 10


def test_the_score_against_the_drawdown_rank_with_its_standard_error() -> None:
    reports, closes = market()
    days = pd.concat([reports.assign(as_of=day) for day in DATES[:43]], ignore_index=True)  # 43 days: 3 of them 21 apart
    table = score_against_drawdown(pick_returns(days, closes))
    ten = table.loc[(10, 21)]
    gain = (1.01**21 - 1) * 100 / 10  # S00 in the score's top 10 only, every day
    assert ten["days"] == 43 and ten["difference"] == pytest.approx(gain)
    assert ten["standard_error"] == pytest.approx(0.0, abs=1e-9)  # the same gain every day
    assert table.loc[(25, 63), "days"] == 17  # 80 sessions: the last 63 have no 63-session return
    assert np.isnan(table.loc[(25, 63), "standard_error"])  # one day only 63 apart


def test_days_past_the_end_of_the_data_count_for_nothing() -> None:
    reports, closes = market()
    days = pd.concat([reports.assign(as_of=day) for day in DATES[:30]], ignore_index=True)
    table = summarise(pick_returns(days, closes))
    assert table.loc["top 10 by score", "days_21"] == 30 and table.loc["top 10 by score", "days_63"] == 17  # 80 sessions
    assert table.loc["top 10 by score", "beat_share_63"] == 1.0  # not diluted by days without a return
