"""The bot's replies about the dip-buyer's context: the window-edge mark and its words, the
longer view, share classes named under their company, what changed (new and legacy documents)
and the survivorship caveat. Every reply passes the strict HTML check and the phone widths."""
from __future__ import annotations

from datetime import date

import pandas as pd

from shared.bot import callbacks
from shared.bot.changes_view import changes
from shared.bot.tables import daily, history, top_page
from shared.bot.views import EDGE_MARK, edge_lines, longer_view_lines, stock
from shared.services.stocks import StockRow
from shared.core.glossary import SURVIVORSHIP_CAVEAT
from tests.bot.html_check import check_html, too_wide

LATEST = {"as_of": "2026-11-27", "ranked": 3, "excluded": 0, "universe": 3, "source": "simulated", "lookback_days": 180}


def fits(text: str) -> str:
    visible = check_html(text)
    assert not too_wide(text), too_wide(text)
    return visible


def test_top_marks_an_edge_peak_and_names_other_classes_under_their_company() -> None:
    rows = pd.DataFrame(
        {
            "rank": [1, 2, 3],
            "symbol": ["CVNA", "UAA", "KO"],
            "drawdown_pct": [-81.26, -40.0, -5.0],
            "days_since_peak": [176, 40, 3],
            "flags": ["", "", ""],
            "peak_at_window_edge": [True, False, False],
            "other_classes": ["", "UA", ""],
        }
    )
    visible = fits(top_page(rows, callbacks.TopPage(date(2026, 11, 27), 0, 10), None, LATEST).text)
    lines = visible.splitlines()
    assert any(line.split()[1:3] == ["CVNA", f"−81.3%{EDGE_MARK}"] for line in lines)
    assert any(line.split()[1:3] == ["KO", "−5.0%"] for line in lines)  # no mark
    assert lines[lines.index(next(line for line in lines if " UAA " in line)) + 1].strip() == "also UA"
    said = " ".join(visible.split())
    assert f"{EDGE_MARK} peak in the window's first 5 sessions: the figure is its 180-day return, not a fall from a high" in said
    assert "also: the company's other share classes, less traded" in said
    plain = rows.assign(peak_at_window_edge=False, other_classes="")
    quiet = fits(top_page(plain, callbacks.TopPage(date(2026, 11, 27), 0, 10), None, LATEST).text)
    assert EDGE_MARK not in quiet and "also" not in quiet


def test_stock_says_what_an_edge_peak_means_and_shows_the_longer_view() -> None:
    row = {
        "drawdown_pct": -40.0,
        "peak_at_window_edge": True,
        "high_52w_close": 150.0,
        "high_52w_date": pd.Timestamp("2025-05-01"),
        "stored_high_close": 200.0,
        "stored_high_date": pd.Timestamp("2024-06-03"),
        "stored_first_date": pd.Timestamp("2024-01-02"),
    }
    text = "\n".join(edge_lines(row, LATEST) + longer_view_lines(row))
    said = " ".join(fits(text).split())
    assert f"{EDGE_MARK} The peak is in the window's first 5 sessions, so −40.0% is its 180-day return, not a fall from a high." in said
    assert "52-week high 150.00 on 01 May 25" in said and "stored high 200.00 on 03 Jun 24" in said
    assert "(bars stored since 02 Jan 24)" in said
    young = {**row, "peak_at_window_edge": False, "high_52w_close": float("nan")}
    assert edge_lines(young, LATEST) == [] and longer_view_lines(young)[0] == "no 52-week high: under a year stored"
    assert longer_view_lines({"drawdown_pct": -5.0}) == []  # a report from before these columns


CHANGES = {
    "version": 2,
    "as_of": "2026-11-27",
    "previous": "2026-11-25",
    "top_n": 10,
    "deepened_scope": 100,
    "entered": ["CVNA"],
    "left": ["KO"],
    "deepened": [{"symbol": "WAL", "rank": 4, "previous_rank": 9, "drawdown_pct": -61.14, "previous_drawdown_pct": -46.0, "change_pts": -15.14}],
    "new_flags": [{"symbol": "SHC", "flags": ["outlier_return"]}],
}


def test_changes_lists_entries_exits_deepenings_and_new_flags_and_says_what_the_arrow_means() -> None:
    visible = fits(changes(CHANGES, LATEST).text)
    assert "entered: /s_CVNA" in visible and "left: /s_KO" in visible
    assert "fell further, of the top 100:" in visible
    assert "↓ /s_WAL −46.0% → −61.1%, 15.1 pts" in visible
    assert "↓ = fell further below its peak" in visible
    assert "new flags:" in visible and "⚠ /s_SHC outlier_return" in visible
    assert "▲" not in visible and "▼" not in visible
    calm = fits(changes({**CHANGES, "deepened": []}, LATEST).text)
    assert "none of the top 100 fell further" in calm and "↓" not in calm


def test_a_changes_document_stored_before_deepenings_still_reads() -> None:
    legacy = {
        "as_of": "2026-11-27",
        "previous": "2026-11-25",
        "top_n": 10,
        "entered": ["CVNA"],
        "left": [],
        "rank_moves": [{"symbol": "WAL", "previous_rank": 9, "rank": 4, "change": 5}, {"symbol": "KO", "previous_rank": 3, "rank": 8, "change": -5}],
        "new_flags": [],
    }
    visible = fits(changes(legacy, LATEST).text)
    assert "rank moves (#1 = the deepest):" in visible
    assert "/s_WAL #9 → #4" in visible and "/s_KO #3 → #8" in visible
    assert "▲" not in visible and "fell further" not in visible


def test_history_says_the_universe_is_todays_members() -> None:
    record = pd.DataFrame(
        {"as_of": [date(2026, 5, 1)], "horizon": ["1m"], "horizon_days": [21], "top_return_pct": [3.0], "universe_median_pct": [1.0], "excess_pct": [2.0], "symbols": [10]}
    )
    said = " ".join(fits(history(record, LATEST).text).split())
    assert " ".join(SURVIVORSHIP_CAVEAT.split()) in said and said.index("today's members") < said.index("Latest lists")


def test_daily_marks_an_edge_peak_too() -> None:
    ranked = pd.DataFrame({"rank": [1, 2], "symbol": ["CVNA", "KO"], "drawdown_pct": [-81.26, -5.0], "days_since_peak": [176, 3], "peak_at_window_edge": [True, False]})
    said = " ".join(fits(daily([("2026-11-27", ranked)], 5, LATEST).text).split())
    assert f"1 /s_CVNA −81.3%{EDGE_MARK} · 176d" in said and "2 /s_KO −5.0% · 3d" in said
    assert f"{EDGE_MARK} peak in the window's first 5 sessions" in said
    assert EDGE_MARK not in fits(daily([("2026-11-27", ranked.assign(peak_at_window_edge=False))], 5, LATEST).text)


def test_stock_names_the_companys_other_classes() -> None:
    row = {"name": "Under Armour (Class C)", "sector": "Consumer Discretionary", "rank": 3, "close": 7.5, "drawdown_pct": -40.0,
           "peak_close": 12.5, "peak_date": pd.Timestamp("2026-09-01"), "days_since_peak": 87, "flags": ""}
    found = StockRow("UA", date(2026, 11, 27), row, 900, ("UAA",))
    assert "also listed: /s_UAA" in fits(stock(found, None, LATEST).text)
    assert "also listed" not in fits(stock(StockRow("UA", date(2026, 11, 27), row, 900), None, LATEST).text)


def test_watches_alerts_and_positions_mark_an_edge_peak() -> None:
    from shared.bot.notifications import watch_alert
    from shared.bot.tables import edge_note, edge_symbols
    from shared.bot.views import positions, watches

    report = pd.DataFrame({"symbol": ["CVNA", "KO", "OLD"], "drawdown_pct": [-81.26, -35.0, -30.0], "peak_at_window_edge": [True, False, None]})
    edges = edge_symbols(report)
    assert edges == {"CVNA"} and edge_symbols(report.drop(columns="peak_at_window_edge")) == frozenset()
    note = "peak in the window's first 5 sessions"
    said = " ".join(fits(watch_alert([("CVNA", -81.26, 50.0), ("KO", -35.0, 30.0)], LATEST, edges).text).split())
    assert f"/s_CVNA −81.3%{EDGE_MARK} · past −50.0%" in said and "/s_KO −35.0% · past" in said and note in said
    assert EDGE_MARK not in fits(watch_alert([("KO", -35.0, 30.0)], LATEST, edges).text)
    items = {"CVNA": {"pct": 50.0}, "KO": {"pct": 30.0}}
    drawdowns = {"CVNA": -81.26, "KO": -35.0}
    said = " ".join(fits(watches(items, drawdowns, LATEST, edges, edge_note(LATEST)).text).split())
    assert f"now −81.3%{EDGE_MARK}" in said and "now −35.0%" in said and "its 180-day return" in said
    assert EDGE_MARK not in fits(watches({"KO": {"pct": 30.0}}, drawdowns, LATEST, edges, edge_note(LATEST)).text)
    held = pd.DataFrame({"symbol": ["CVNA", "KO", "ZZZ"], "gain_pct": [5.0, -2.0, 1.0], "market_value": [900.0, 500.0, 100.0],
                         "rank": pd.array([1, 40, None], dtype="Int64"), "drawdown_pct": [-81.26, -35.0, None], "peak_at_window_edge": [True, False, None]})
    said = " ".join(fits(positions(held, LATEST, edge_note(LATEST)).text).split())
    assert f"#1 −81.3%{EDGE_MARK}" in said and "#40 −35.0%" in said and note in said
    assert EDGE_MARK not in fits(positions(held.iloc[1:], LATEST, edge_note(LATEST)).text)
