"""Every command on real data fits a phone and passes the strict HTML check; every real symbol's
chart agrees with its text; taps lead from every list to /stock and back.

The data is the committed sample of real daily bars (tests/data/real_bars_sample.csv.gz, 74
tickers, 2022-03-08 to 2024-03-08; see SOURCES.md there), with the packaged universe's names and
sectors, collected as a user would with ``--source csv:``.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from shared.adapters.universe import load_universe
from shared.bootstrap import Container, bootstrap
from shared.bot import callbacks
from shared.bot.notifications import admin_reply, digest_reply, watch_alert
from shared.bot.views import Reply
from shared.config import Settings
from tests.bot.html_check import check_html, too_wide
from tests.bot.stock_check import check_stock_reply, window_extremes
from tests.fakes import FakeBroker

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "real_bars_sample.csv.gz"
AS_OF = date(2024, 3, 8)
OWNER = 4242
#: Real-looking positions with large values and gains, to stress the widths.
POSITIONS = [
    {"symbol": "NVDA", "qty": 1250.0, "side": "long", "avg_entry_price": 120.5, "current_price": 875.28, "market_value": 1094100.0, "cost_basis": 150625.0, "unrealized_pl": 943475.0, "unrealized_plpc": 6.2637},
    {"symbol": "TSLA", "qty": 300.0, "side": "long", "avg_entry_price": 260.0, "current_price": 175.34, "market_value": 52602.0, "cost_basis": 78000.0, "unrealized_pl": -25398.0, "unrealized_plpc": -0.3256},
    {"symbol": "BRK.B", "qty": 10.0, "side": "long", "avg_entry_price": 300.0, "current_price": 410.0, "market_value": 4100.0, "cost_basis": 3000.0, "unrealized_pl": 1100.0, "unrealized_plpc": 0.3667},
]


def ticking(moment: str) -> Any:
    """A clock a second later at each reading, so runs sort by time as they do in production."""
    start, ticks = datetime.fromisoformat(moment), itertools.count()
    return lambda: start + timedelta(seconds=next(ticks))


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Container:
    """A store of the real sample: 300 days of history and reports on four days (one a quarter
    back, so /history has a track record)."""
    root = tmp_path_factory.mktemp("real")
    universe = load_universe()
    symbols = set(pd.read_csv(SAMPLE, usecols=["ticker"])["ticker"])
    universe[universe["symbol"].isin(symbols)].to_csv(root / "universe.csv", index=False)
    settings = Settings(
        storage=str(root / "data"),
        market_data=f"csv:{SAMPLE}",
        universe_path=str(root / "universe.csv"),
        telegram_allowed_users=frozenset({OWNER}),
    )
    container = bootstrap(settings, broker=FakeBroker(POSITIONS), clock=ticking("2024-03-09T11:02:00+00:00"))
    container.collection.backfill(end=AS_OF, days=300)
    for day in (date(2023, 12, 8), date(2024, 3, 6), date(2024, 3, 7), AS_OF):
        container.collection.collect(day)
    container.bot_state.set_watch(OWNER, "TSLA", 10)
    return container


#: Messages that together run every command, most in several forms.
MESSAGES = [
    "/start", "/help", "/version", "/status",
    "/top", "/top 25", "/top 5 it", "/top 10 health sort=score", "/top sort=days", "/top 25 sort=ret5", "/top 3 sort=ret20",
    "/top 4 real estate", "/top staples", "/top 5 comm", "/stock AAPL", "/s AMZN", "/s_GOOGL", "/stock vktx",
    "/daily", "/daily 10", "/sectors", "/changes", "/history", "/download", "/download 2023-12-08",
    "/account", "/positions", "/monitor",
    "/subscribe", "/unsubscribe", "/watch NVDA 12.5", "/watches", "/unwatch NVDA",
]
#: Replies that are prose, allowed to wrap on a phone.
PROSE = ("/start", "/help")


def owner_says(container: Container, text: str) -> Reply:
    return container.commands.dispatch(text, chat_id=OWNER, user_id=OWNER, base_url="https://dipwatch.example.com/")


def check_fits(reply: Reply, prose: bool = False) -> str:
    """Strict HTML, and phone widths unless the reply is prose; returns the visible text."""
    visible = check_html(reply.text)
    if not prose:
        assert not too_wide(reply.text), too_wide(reply.text)
    for row in reply.buttons:
        assert len(row) <= 5 and all(1 <= len(data.encode()) <= 64 for _label, data in row)
    return visible


def test_the_messages_cover_every_command(real: Container) -> None:
    used = {text.split()[0][1:].split("_")[0] for text in MESSAGES}
    assert set(real.commands.table) <= used | {"stock"}


@pytest.mark.parametrize("text", MESSAGES)
def test_every_reply_fits_a_phone_on_real_data(real: Container, text: str) -> None:
    visible = check_fits(owner_says(real, text), prose=text in PROSE)
    assert "Sorry" not in visible and "Usage" not in visible and "I don't know" not in visible


def test_every_real_symbols_chart_agrees_with_its_text(real: Container) -> None:
    extremes = window_extremes(real, AS_OF)
    report = real.archive.read_report(AS_OF)
    assert len(report) == 74
    for symbol in report["symbol"]:
        check_stock_reply(real, symbol, AS_OF, extremes)


def test_every_page_and_every_symbol_button_in_it(real: Container) -> None:
    reply = owner_says(real, "/top 10 sort=score")
    opened = 0
    while True:
        check_fits(reply)
        nav = dict(reply.buttons[-1])
        for row in reply.buttons:
            for label, data in row:
                button = callbacks.decode(data)
                if isinstance(button, callbacks.StockView):
                    stock = real.market_commands.stock_view(button)
                    assert check_fits(stock).startswith(f"{label} · ")
                    back = callbacks.decode(dict(stock.buttons[-1])["◀ Back to the list"])
                    assert real.market_commands.page(back).text == reply.text  # back to the same page
                    opened += 1
        if "▶" not in nav:
            break
        reply = real.market_commands.page(callbacks.decode(nav["▶"]))
    # One row, so one button, per company: the sample's LLYVA and LLYVK (Liberty Live) share one.
    assert opened == int(real.archive.read_report(AS_OF)["rank"].notna().sum()) - 1


@pytest.mark.parametrize(
    ("query", "sector"),
    [("it", "Info Tech"), ("tech", "Info Tech"), ("util", "Utilities"), ("health", "Health Care"), ("staples", "Staples"),
     ("real", "Real Estate"), ("comm services", "Comm Services"), ("FINANCIALS", "Financials"), ("disc", "Discretionary")],
)
def test_a_sector_view_numbers_its_rows_and_shows_the_overall_rank(real: Container, query: str, sector: str) -> None:
    visible = check_fits(owner_says(real, f"/top 25 {query}"))
    assert visible.startswith(f"{sector} · 1–")
    rows = [line.split() for line in visible.split("\n") if line.split() and line.split()[0].isdigit()]
    assert [int(row[0]) for row in rows] == list(range(1, len(rows) + 1))
    ranks = [int(row[1].lstrip("#")) for row in rows]
    report = real.archive.read_report(AS_OF).dropna(subset=["rank"]).set_index("symbol")
    assert ranks == sorted(ranks) and all(int(report.loc[row[2].rstrip("*"), "rank"]) == int(row[1][1:]) for row in rows)


@pytest.mark.parametrize(("sort", "column", "ascending"), [("score", "score_rank", True), ("days", "days_since_peak", False), ("ret5", "ret_5d_pct", True), ("ret20", "ret_20d_pct", True)])
def test_top_sorts(real: Container, sort: str, column: str, ascending: bool) -> None:
    reply = owner_says(real, f"/top 25 sort={sort}")
    shown = [label for row in reply.buttons for label, data in row if data.startswith("s:")]
    ranked = real.archive.read_report(AS_OF).dropna(subset=["rank"])
    # Liberty Live's two classes take one row: the one with more dollar volume.
    pair = ranked[ranked["symbol"].isin(["LLYVA", "LLYVK"])].sort_values("dollar_volume_20d")
    ranked = ranked[ranked["symbol"] != pair["symbol"].iloc[0]]
    expected = ranked.sort_values([column, "rank"], ascending=[ascending, True], na_position="last")["symbol"].head(25).tolist()
    assert shown == expected


def test_pushed_messages_fit_a_phone_on_real_data(real: Container) -> None:
    latest = real.reports.latest_summary()
    _day, report = real.reports.load_report(AS_OF)
    digest = digest_reply(latest, report, 10)
    assert check_fits(digest).startswith("📉 dipwatch daily · Fri 08 Mar\nCSV replay\n")
    run = real.reports.last_collection()
    assert run is not None
    hits = [(str(row["symbol"]), float(row["drawdown_pct"]), 5.0) for row in report.head(12).to_dict(orient="records")]
    assert "12 watches hit · Fri 08 Mar" in check_fits(watch_alert(hits, run))
    names = sorted(report["symbol"])
    partial = dict(run, outcome="partial", missing=names[:31], failed={"TSLA": "HTTP 503 after 4 retries (Service Unavailable) " * 3})
    first = admin_reply(partial, None)
    assert first is not None and "missing 31:" in check_fits(first) and "+21 more" in first.text
    again = admin_reply(dict(partial, missing=names[1:32]), partial)
    assert again is not None
    text = check_fits(again)
    assert "newly missing 1:" in text and "recovered 1:" in text and "still absent 31, as before" in text


def test_status_names_missing_and_failed_symbols_in_new_york_time(real: Container) -> None:
    from shared.bot import views

    run = dict(real.reports.status(names=True)["last_run"] or {})
    run.update(missing=[f"M{i:02d}" for i in range(25)], failed={"AAPL": "HTTP 503", "KO": "timeout"}, finished_at="2024-03-09T11:00:12+00:00", duration_s=12.4)
    text = check_fits(views.status({"last_run": run, "latest_report": real.reports.latest_summary()}, datetime(2024, 3, 9, 15, tzinfo=timezone.utc)))
    assert "today 06:00 New York, 12 s" in text
    assert "missing 25: M00 M01" in text and "M09 +15 more" in text and "M10" not in text
    assert "failed 2: AAPL KO" in text and "· HTTP 503" in text and "CSV replay" in text
    assert "yesterday 06:00 New York" in check_html(views.status({"last_run": run}, datetime(2024, 3, 10, 15, tzinfo=timezone.utc)).text)
