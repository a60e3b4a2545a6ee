"""Pure pieces of the bot: the chart, formatting, access rules, the rate limit, the portfolio views."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.adapters.messenger import TelegramMessenger
from shared.bootstrap import bootstrap
from shared.bot import callbacks
from shared.bot.access import MARKET, OPEN, PRIVATE, Access, ChatRateLimiter
from shared.bot.formatting import MISSING, bold, code, escape, link, percent, pre, split_message, stamp
from shared.core.charts import CHART_WIDTH, chart_points, downsample, render_chart
from shared.config import Settings
from shared.errors import NoTradingAccount
from tests.bot.conftest import ALLOWED, client_of
from tests.bot.html_check import check_html
from tests.conftest import make_bars
from tests.fakes import FakeTime


def test_chart_points_reduce_each_symbol_to_the_width() -> None:
    days = pd.bdate_range("2026-06-01", "2026-11-27")
    rows = [("AAA", d.strftime("%Y-%m-%d"), 100.0 + i) for i, d in enumerate(days)]
    rows += [("BBB", d.strftime("%Y-%m-%d"), 50.0) for d in days[-10:]]
    document = chart_points(make_bars(rows), date(2026, 11, 27), 180)
    assert len(document["symbols"]["AAA"]) == CHART_WIDTH
    assert document["symbols"]["AAA"][-1] == 100.0 + len(days) - 1  # the last point is the last close
    assert document["symbols"]["BBB"][:5] == [None] * 5 and document["symbols"]["BBB"][-1] == 50.0
    assert downsample(list(range(100)))[-1] == 99 and len(downsample(list(range(100)))) == CHART_WIDTH


def test_chart_points_keep_the_peak_the_drawdown_is_measured_from() -> None:
    days = pd.bdate_range("2026-06-01", "2026-11-27")
    closes = [100.0] * len(days)
    closes[40] = 180.0  # a one-day peak in the middle of a slice
    closes[-3] = 250.0  # a later, higher peak three days before the end: shown, not lost in the last slice
    rows = [("AAA", d.strftime("%Y-%m-%d"), c) for d, c in zip(days, closes)]
    rows += [("BBB", d.strftime("%Y-%m-%d"), c) for d, c in zip(days, closes[:-3] + [100.0] * 3)]
    document = chart_points(make_bars(rows), date(2026, 11, 27), 180)
    assert max(document["symbols"]["BBB"]) == 180.0
    assert document["symbols"]["AAA"][-1] == 100.0 and max(document["symbols"]["AAA"]) == 250.0
    assert downsample(closes[:-3] + [100.0] * 3).count(180.0) == 1
    assert downsample(closes)[-1] == 100.0 and max(downsample(closes)) == 250.0


@pytest.mark.parametrize("days", [33, 60, 124, 251])
def test_reduced_closes_hold_the_window_high_low_and_last_close(days: int) -> None:
    import numpy as np

    rng = np.random.default_rng(days)
    cases = [rng.lognormal(4, 0.3, days) for _ in range(40)]
    crash = np.full(days, 100.0)
    crash[days // 2], crash[days // 2 + 1] = 150.0, 50.0  # the high and the low on adjacent days
    rebound = np.full(days, 100.0)
    rebound[-3], rebound[-2] = 40.0, 160.0  # both in the last days before the last close
    start = np.full(days, 100.0)
    start[0], start[1] = 30.0, 170.0  # both on the first two days
    for closes in [*cases, crash, rebound, start]:
        points = downsample(list(closes))
        assert len(points) == min(days, CHART_WIDTH)
        assert max(points) == closes.max() and min(points) == closes.min() and points[-1] == closes[-1]


def test_chart_points_match_downsample_for_each_symbol() -> None:
    days = pd.bdate_range("2026-03-02", "2026-11-27")
    rows = [(symbol, d.strftime("%Y-%m-%d"), 100 + ((i * (k + 3)) % 37) - k) for k, symbol in enumerate(["AAA", "BBB", "CCC"]) for i, d in enumerate(days)]
    bars = make_bars(rows)
    document = chart_points(bars, date(2026, 11, 27), 180)
    for symbol in ["AAA", "BBB", "CCC"]:
        window = bars[(bars["symbol"] == symbol) & (bars["date"] > pd.Timestamp("2026-11-27") - pd.Timedelta(days=180))]
        assert document["symbols"][symbol] == downsample(window["close"].tolist())


def test_render_chart_fits_32_columns() -> None:
    text = render_chart([None, None, 3.0, 2.0, 1.0] * 6, "2026-06-01", "2026-11-27")
    lines = text.split("\n")
    assert all(len(line) <= 32 for line in lines) and lines[0] == "high 3.00" and lines[-2] == "low  1.00"
    assert lines[-1] == "01 Jun 26" + " " * 14 + "27 Nov 26"
    assert all(line[:2] == "  " for line in lines[1:-2])  # no close yet: blank columns
    assert render_chart([5.0] * 3, "x", "y").count("█") == 18  # flat series: full columns, no division by zero
    assert render_chart([1234.5, 99.0], "x", "y", label=lambda v: f"<{v:.0f}>").split("\n")[0] == "high <1234>"


def test_escaping_and_numbers() -> None:
    assert escape("AT&T <b>") == "AT&amp;T &lt;b&gt;"
    assert percent(-12.345) == "−12.3%" and percent(float("nan")) == MISSING and percent(pd.NA) == MISSING
    assert check_html(link("https://x.test/a?b=1&c=\"2\"", "A&B")) == "A&B"
    assert percent(0.04) == "0.0%" and percent(-0.04) == "0.0%" and percent(0.05) == "+0.1%"
    assert check_html(stamp({"as_of": "2026-11-27", "ranked": 990, "excluded": 8, "universe": 1004, "source": "simulated"})) == (
        "as of 2026-11-27 close\n998/1004 symbols · simulated"  # two lines that fit a phone
    )
    assert check_html(stamp({"as_of": "2026-11-27", "ranked": 8, "excluded": 0, "universe": 8, "source": "alpaca"})) == (
        "as of 2026-11-27 close · 8/8 symbols\nAlpaca"
    )


def test_split_message_cuts_between_lines() -> None:
    text = "\n".join(f"<b>line {i}</b> " + "x" * 50 for i in range(200))
    pieces = split_message(text)
    assert len(pieces) > 1 and all(len(p) <= 4096 for p in pieces) and "\n".join(pieces) == text
    for piece in pieces:
        check_html(piece)


@pytest.mark.parametrize(
    ("public", "user", "expected"),
    [(False, 1, (True, True, True)), (False, 2, (True, False, False)), (False, None, (True, False, False)), (True, 2, (True, True, False)), (True, None, (True, True, False))],
)
def test_access_rules(public: bool, user: int | None, expected: tuple[bool, bool, bool]) -> None:
    access = Access(allowed_users=frozenset({1}), public=public)
    assert tuple(access.allows(level, user) for level in (OPEN, MARKET, PRIVATE)) == expected


def test_rate_limiter_window() -> None:
    clock = FakeTime(start=0.0)
    limiter = ChatRateLimiter(2, clock=clock.time)
    assert [limiter.admit(1) for _ in range(4)] == ["ok", "ok", "warn", "drop"]
    assert limiter.admit(2) == "ok"
    clock.sleep(61.0)
    assert limiter.admit(1) == "ok"


def test_portfolio_views(bot_container) -> None:
    positions = bot_container.portfolio.positions_with_ranks()
    assert positions["symbol"].tolist() == ["AAPL", "KO", "ZZZZ"]
    assert positions.loc[0, "gain_pct"] == pytest.approx(150.0)
    assert pd.notna(positions.loc[0, "rank"]) and pd.isna(positions.loc[2, "rank"])
    check = bot_container.portfolio.monitor()
    assert check["average_gain_pct"] == pytest.approx((150 + 10 - 50) / 3) and check["reached"] is False
    assert bot_container.portfolio.monitor(target_pct=30)["reached"] is True
    assert bot_container.portfolio.account_overview()["day_change"] == pytest.approx(500.0)


def test_no_broker_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(NoTradingAccount, match="APCA_API_KEY_ID"):
        bootstrap(settings).portfolio.account_overview()


def test_bot_settings_from_env() -> None:
    settings = Settings.from_env({"TELEGRAM_API_URL": "http://127.0.0.1:9/", "DIPWATCH_BOT_RATE": "5", "DIPWATCH_PUBLIC_BOT": "1"})
    assert (settings.telegram_api_url, settings.bot_commands_per_minute, settings.public_bot) == ("http://127.0.0.1:9", 5, True)
    from shared.errors import ConfigError

    with pytest.raises(ConfigError, match="DIPWATCH_BOT_RATE"):
        Settings.from_env({"DIPWATCH_BOT_RATE": "0"})
    with pytest.raises(ConfigError, match="TELEGRAM_API_URL"):
        Settings.from_env({"TELEGRAM_API_URL": "ftp://x"})


@given(st.text(min_size=1, max_size=200).filter(lambda t: t.strip() and "\r" not in t))
def test_any_dynamic_text_survives_escaping(text: str) -> None:
    visible = check_html(f"{bold(text)} {code(text)}\n{pre(text)} {link('https://x.test/?q=' + text, text)}")
    assert visible == f"{text} {text}\n{text} {text}"


def test_callback_data_round_trips_and_stale_data_is_refused() -> None:
    page = callbacks.TopPage(date(2026, 11, 27), 25, 25, 10, "ret20")
    buttons = [page, callbacks.StockView("BRK.B", page), callbacks.StockView("AAPL"), callbacks.WatchButton("BRK.B", 20)]
    for button in buttons:
        assert callbacks.decode(callbacks.encode(button)) == button
        assert len(callbacks.encode(button).encode()) <= 64
    assert callbacks.decode(callbacks.encode(callbacks.TopPage(date(2026, 11, 27), 0, 10))).sector is None
    assert callbacks.decode("top:2026-11-27:3:3:-") == callbacks.TopPage(date(2026, 11, 27), 3, 3)  # buttons of earlier versions
    stale = ("nonsense", "top:2026-13-01:0:10:-", "top:2026-11-27:x:10:-", "other:2026-11-27:0:10:-", "", "top:2026-11-27:0:10:-:sideways")
    for data in (*stale, "s:", "w:AAPL:lots", "s:AAPL:2026-11-27:0", "top:2026-11-27:-5:10:-"):
        with pytest.raises(callbacks.StaleButton):
            callbacks.decode(data)


def test_the_window_length_in_replies_comes_from_the_settings(wire, bot_settings) -> None:
    container = wire(bot_settings.with_overrides(lookback_days=90))
    start = container.commands.dispatch("/start", 1, ALLOWED, "http://localhost/").text
    assert "90-day peak close" in start and "180" not in start
    assert "90-day chart" in container.commands.dispatch("/help", 1, ALLOWED, "http://localhost/").text
    page = client_of(container).get("/").get_data(as_text=True)
    assert "90-day peak close" in page and "180-day" not in page


def test_telegram_calls_use_their_own_timeout(wire, bot_settings) -> None:
    container = wire(bot_settings.with_overrides(telegram_timeout_seconds=2.5, alpaca_timeout_seconds=40.0))
    assert isinstance(container.messenger, TelegramMessenger)
    assert container.messenger.bot.request.read_timeout == 2.5


def test_a_ranking_table_at_10000_symbols_drops_the_rank_rather_than_cut_a_value() -> None:
    from shared.bot.tables import ranking_table

    rows = pd.DataFrame(
        {"symbol": ["GOOGL", "BRK.B"], "rank": [9876, 10000], "drawdown_pct": [-45.25, -99.9], "ret_5d_pct": [123.4, -50.0], "flags": ["stale", ""]}
    )
    narrow = check_html(ranking_table(rows.assign(rank=[3, 12]), 1, "ret5", with_rank=True))
    assert narrow.split("\n")[1].split() == ["1", "#3", "GOOGL*", "−45.2%", "+123.4%"]
    wide = check_html(ranking_table(rows, 9999, "ret5", with_rank=True))
    assert all(len(line) <= 32 for line in wide.split("\n"))
    assert wide.split("\n")[1].split() == ["9999", "GOOGL*", "−45.2%", "+123.4%"] and "BRK.B" in wide


def split_bars() -> tuple[pd.DataFrame, float]:
    """SPL splits 4:1 after session 150 of 200 (raw prices: the price a quarter, the volume four
    times), FLAT does not; and SPL's highest close in the window in post-split units."""
    import numpy as np

    rng = np.random.default_rng(4)
    days = pd.bdate_range(end="2026-11-27", periods=200)
    true = 100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
    volume = rng.lognormal(13.8, 0.2, len(days))
    after = np.arange(len(days)) >= 150
    frames = [
        pd.DataFrame({"symbol": name, "date": days, "close": close, "volume": np.round(shares)})
        for name, close, shares in (("SPL", np.where(after, true / 4, true), np.where(after, volume * 4, volume)), ("FLAT", true, volume))
    ]
    bars = pd.concat(frames, ignore_index=True)
    bars = bars.assign(open=bars["close"], high=bars["close"], low=bars["close"]).loc[:, ["symbol", "date", "open", "high", "low", "close", "volume"]]
    in_window = days > pd.Timestamp("2026-11-27") - pd.Timedelta(days=180)
    return bars, float(true[in_window].max() / 4)


def test_chart_points_draw_a_repaired_split_and_say_so() -> None:
    bars, peak = split_bars()
    document = chart_points(bars, date(2026, 11, 27), 180)
    assert document["split_adjusted"] == ["SPL"]
    assert max(document["symbols"]["SPL"]) == pytest.approx(peak, abs=1e-4)  # the report's peak, not the raw cliff
    assert max(document["symbols"]["FLAT"]) == pytest.approx(peak * 4, abs=1e-4)  # untouched


def test_chart_points_draw_the_history_the_report_repaired_when_given_it() -> None:
    from shared.core.analytics import build_report, history_bars, repaired_history

    bars, peak = split_bars()
    as_of = date(2026, 11, 27)
    universe = pd.DataFrame({"symbol": ["SPL", "FLAT"], "name": ["Split Co", "Flat Co"], "sector": ["Energy", "Energy"]})
    repaired = repaired_history(bars, as_of, 180)
    assert chart_points(bars, as_of, 180, repaired=repaired) == chart_points(bars, as_of, 180)
    pd.testing.assert_frame_equal(build_report(bars, universe, as_of, repaired=repaired), build_report(bars, universe, as_of))
    # What it is given is what it draws: the raw history, with no split found, shows the cliff.
    raw = (history_bars(bars, as_of, 180), repaired[1].iloc[:0])
    document = chart_points(bars, as_of, 180, repaired=raw)
    assert document["split_adjusted"] == []
    assert max(document["symbols"]["SPL"]) > 2 * peak  # the raw closes before the 4:1 split


def test_stock_view_says_its_chart_is_split_adjusted() -> None:
    from shared.bot.views import stock
    from shared.services.stocks import Chart, StockRow

    row = {"name": "Split Co", "sector": "Energy", "rank": 3, "close": 25.0, "drawdown_pct": -10.0,
           "peak_close": 27.8, "peak_date": pd.Timestamp("2026-09-01"), "days_since_peak": 87, "flags": "split_adjusted"}
    found = StockRow("SPL", date(2026, 11, 27), row, 900)
    latest = {"as_of": "2026-11-27", "ranked": 3, "excluded": 0, "universe": 3, "source": "simulated", "lookback_days": 180}
    chart = Chart([27.8, 26.0, 25.0], "2026-06-01", "2026-11-27", split_adjusted=True)
    assert "split-adjusted, as the drawdown" in stock(found, chart, latest).text
    assert "split-adjusted, as the drawdown" not in stock(found, Chart([27.8, 26.0, 25.0], "2026-06-01", "2026-11-27"), latest).text


def test_the_stock_page_and_the_fallback_chart_draw_the_repaired_series() -> None:
    from types import SimpleNamespace

    from shared.services.stock_pages import StockPages
    from shared.services.stocks import Stocks

    bars, peak = split_bars()
    days = [stamp.date() for stamp in sorted(bars["date"].unique())]
    archive = SimpleNamespace(stored_days=lambda kind: days, read_bars=lambda wanted: bars[bars["date"].dt.date.isin(set(wanted))])
    history = SimpleNamespace(bars=lambda symbol, wanted: bars[(bars["symbol"] == symbol) & bars["date"].dt.date.isin(set(wanted))])
    pages = StockPages(archive, history, None, pd.DataFrame(), lookback_days=180)
    closes, adjusted = pages.chart_closes("SPL", date(2026, 11, 27))
    assert adjusted and len(closes) == 200 and closes["close"].iloc[:150].max() < 2 * closes["close"].iloc[-1]  # no 4x cliff
    assert not pages.chart_closes("FLAT", date(2026, 11, 27))[1]
    stored_none = SimpleNamespace(chart=lambda as_of, symbol: None)
    stocks = Stocks(archive, None, stored_none, pd.DataFrame(), lookback_days=180)
    chart = stocks.chart("SPL", date(2026, 11, 27))
    assert chart is not None and chart.split_adjusted and max(chart.points) == pytest.approx(peak)
