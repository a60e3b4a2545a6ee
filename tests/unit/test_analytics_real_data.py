"""An independent check on real daily bars: ../shared/data/daily_bars.csv.gz when it is beside the
repository, else the committed 74-ticker sample of it (tests/data, see SOURCES.md there).

The report computes per symbol in long format with groupby; this test recomputes the same numbers
a second way, from a wide dates x symbols matrix of closes with pandas' rolling/pct_change, and
checks the quality flags against what SOURCES.md documents about the file.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shared.core.analytics import build_report
from shared.core.window import HISTORY_DAYS
from shared.core.trading_calendar import trading_days

FULL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "daily_bars.csv.gz"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "real_bars_sample.csv.gz"
DATA = FULL if FULL.exists() else SAMPLE
LOOKBACK = 180


@pytest.fixture(scope="module")
def real_bars() -> pd.DataFrame:
    frame = pd.read_csv(DATA, dtype={"ticker": str})
    return frame.rename(columns={"ticker": "symbol"}).assign(date=lambda f: pd.to_datetime(f["date"])).loc[
        :, ["symbol", "date", "open", "high", "low", "close", "volume"]
    ]


@pytest.fixture(scope="module")
def universe(real_bars: pd.DataFrame) -> pd.DataFrame:
    symbols = sorted(real_bars["symbol"].unique())
    return pd.DataFrame({"symbol": symbols, "name": symbols, "sector": "Unknown"})


def test_every_bar_is_on_an_nyse_session(real_bars: pd.DataFrame) -> None:
    sessions = trading_days(date(2022, 3, 8), date(2024, 3, 8))
    assert len(sessions) == 504  # as SOURCES.md counts them
    assert real_bars["date"].isin(sessions).all()


@pytest.mark.parametrize("as_of", [date(2024, 3, 8), date(2022, 9, 30)])
def test_report_matches_a_wide_recomputation(real_bars: pd.DataFrame, universe: pd.DataFrame, as_of: date) -> None:
    report = build_report(real_bars, universe, as_of, LOOKBACK).set_index("symbol").sort_index()
    end = pd.Timestamp(as_of)
    history = real_bars[(real_bars["date"] > end - pd.Timedelta(days=HISTORY_DAYS)) & (real_bars["date"] <= end)]
    wide = history.pivot(index="date", columns="symbol", values="close").sort_index()
    wide = wide.loc[:, wide.iloc[-1].notna()]
    assert sorted(report.index) == sorted(wide.columns)
    window = wide[wide.index > end - pd.Timedelta(days=LOOKBACK)]
    last = wide.iloc[-1]

    peak = window.max()
    np.testing.assert_allclose(report["peak_close"], peak[report.index])
    np.testing.assert_allclose(report["drawdown_pct"], ((last / peak - 1) * 100)[report.index])
    peak_date = window.eq(peak).iloc[::-1].idxmax()
    assert (report["peak_date"] == peak_date[report.index]).all()

    for bars_back in (1, 5, 20):
        expected = (wide.pct_change(bars_back, fill_method=None).iloc[-1] * 100)[report.index]
        np.testing.assert_allclose(report[f"ret_{bars_back}d_pct"], expected, rtol=1e-9, equal_nan=True)
    for span in (50, 200):
        average = wide.rolling(span).mean().iloc[-1]
        np.testing.assert_allclose(report[f"dist_ma{span}_pct"], ((last / average - 1) * 100)[report.index], rtol=1e-9, equal_nan=True)

    volatility = np.log(window).diff().std() * np.sqrt(252) * 100
    np.testing.assert_allclose(report["volatility_pct"], volatility[report.index], rtol=1e-9)
    after_peak = window.where(window.index.to_numpy()[:, None] >= peak_date.to_numpy()[None, :])
    trough = after_peak.min()
    np.testing.assert_allclose(report["trough_close"], trough[report.index])
    np.testing.assert_allclose(report["rebound_pct"], ((last / trough - 1) * 100)[report.index])
    assert (report["drawdown_pct"] <= 0).all() and (report["rebound_pct"] >= 0).all()

    # The score from the wide values, with the weights as README states them.
    depth = -((last / peak - 1) * 100)
    rebound = np.minimum((last / trough - 1) * 100, depth)
    ret5 = wide.pct_change(5, fill_method=None).iloc[-1] * 100
    score = 1.0 * depth + 0.25 * rebound + 0.25 * np.maximum(np.minimum(ret5, 0).fillna(0), -depth)
    np.testing.assert_allclose(report["score"], score[report.index], rtol=1e-9, atol=1e-9)
    if as_of == date(2022, 9, 30):
        assert report["dist_ma200_pct"].isna().all()  # the file starts 2022-03-08: no 200 bars yet


def test_quality_flags_on_real_data(real_bars: pd.DataFrame, universe: pd.DataFrame) -> None:
    as_of = date(2024, 3, 8)
    report = build_report(real_bars, universe, as_of, LOOKBACK).set_index("symbol")
    flags = report["flags"].str.split(";")
    has = lambda name: flags.map(lambda names: name in names)  # noqa: E731 - test-local helper
    # SOURCES.md: no OHLC inconsistencies, no non-positive prices, splits adjusted (no jumps).
    assert not has("bad_price").any() and not has("split_suspect").any()
    assert report["rank"].notna().all()
    # Short history: exactly the names whose first bar comes after the window's first session.
    sessions = trading_days(as_of - timedelta(days=LOOKBACK - 1), as_of)
    first_bar = real_bars.groupby("symbol")["date"].min()
    late = set(first_bar[first_bar > sessions[0]].index)
    assert set(report.index[has("short_history")]) == late
    assert late <= {"AS", "BIRK", "CART", "CAVA", "CR", "ESAB", "FTRE", "GEHC", "KVUE", "LLYVA", "LLYVK", "SN", "VLTO", "VSTS"}
    # Missing bars: no name skips a session after its first bar in this file.
    counts = real_bars[real_bars["date"] >= sessions[0]].groupby("symbol").size()
    expected = pd.Series(len(sessions) - sessions.searchsorted(first_bar.clip(lower=sessions[0])), index=first_bar.index)
    gaps = set(counts.index[counts < expected[counts.index]])
    assert set(report.index[has("missing_bars")]) == gaps
    # VKTX's +121% on 2024-02-27 (a real event, per SOURCES.md) is an outlier, not a split.
    assert "outlier_return" in flags["VKTX"] and "split_suspect" not in flags["VKTX"]


@pytest.mark.parametrize("as_of", [date(2024, 3, 8), date(2023, 3, 17)])
def test_dip_context_matches_a_wide_recomputation(real_bars: pd.DataFrame, universe: pd.DataFrame, as_of: date) -> None:
    """The window-edge mark, the 52-week and the stored high, recomputed from a dates x symbols matrix."""
    report = build_report(real_bars, universe, as_of, LOOKBACK).set_index("symbol").sort_index()
    end = pd.Timestamp(as_of)
    closes = real_bars.pivot(index="date", columns="symbol", values="close").sort_index()
    history = closes.loc[end - pd.Timedelta(days=HISTORY_DAYS - 1) : end]
    year = closes.loc[end - pd.Timedelta(days=364) : end]
    first_session = trading_days((end - pd.Timedelta(days=364)).date(), as_of)[0]
    covered = history.apply(lambda column: column.first_valid_index()) <= first_session
    high_52w = year.max().where(covered).reindex(report.index)
    assert np.allclose(report["high_52w_close"], high_52w, equal_nan=True)
    assert np.allclose(report["stored_high_close"], history.max().reindex(report.index))
    assert np.allclose(report["drawdown_52w_pct"], (report["close"] / high_52w - 1) * 100, equal_nan=True)
    fifth = trading_days((end - pd.Timedelta(days=LOOKBACK - 1)).date(), as_of)[4]
    assert (report["peak_at_window_edge"] == (report["peak_date"] <= fifth)).all()
    drawdowns = report[["drawdown_pct", "drawdown_52w_pct", "drawdown_stored_pct"]].dropna()
    assert (drawdowns["drawdown_stored_pct"] <= drawdowns["drawdown_52w_pct"] + 1e-9).all()
    assert (drawdowns["drawdown_52w_pct"] <= drawdowns["drawdown_pct"] + 1e-9).all()


@pytest.mark.skipif(not FULL.exists(), reason="needs ../shared/data/daily_bars.csv.gz (the committed sample is too small)")
def test_in_a_falling_market_most_top_peaks_sit_at_the_window_edge(real_bars: pd.DataFrame, universe: pd.DataFrame) -> None:
    """The figures README quotes for 2022-10-12."""
    report = build_report(real_bars, universe, date(2022, 10, 12), LOOKBACK).set_index("symbol")
    top = report[report["rank"] <= 20]
    assert int(top["peak_at_window_edge"].sum()) == 17 and int(report["peak_at_window_edge"].sum()) == 416 and len(report) == 956
    assert round(report.loc["CVNA", "drawdown_pct"], 1) == -81.3 and round(report.loc["CVNA", "drawdown_stored_pct"], 1) == -87.2
