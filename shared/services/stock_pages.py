"""One stock as the web shows it: its report row, a chart drawn on the server, its context and
flags in words, and its rank over recent reports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from shared.adapters.archive import Archive
from shared.adapters.symbol_history import SymbolHistory
from shared.adapters.universe import find_symbol, normalise_symbol
from shared.core.analytics import repaired_history
from shared.core.glossary import column_description, column_label
from shared.core.price_chart import chart_series, draw_price_chart
from shared.core.report_view import round_to_meaning, to_records
from shared.errors import NoReportYet
from shared.core.window import window_start
from shared.services.dashboard import Dashboard, Report

#: How many reports the rank history covers, up to the page's day.
HISTORY_REPORTS = 20
#: Calendar days before the window's start that the 200-session average reads (200 sessions
#: take about 290 calendar days).
AVERAGE_HISTORY_DAYS = 290
#: Columns shown in the page's headline, so not again under Context.
_HEADLINE = {"rank", "symbol", "name", "sector", "close", "peak_close", "peak_date", "drawdown_pct", "days_since_peak", "flags", "score_rank", "peak_at_window_edge"}
#: Columns shown in the page's "longer view" line, so not again under Context.
_LONGER_VIEW = {"high_52w_close", "high_52w_date", "drawdown_52w_pct", "stored_high_close", "stored_high_date", "drawdown_stored_pct", "stored_first_date"}


@dataclass(frozen=True)
class ContextItem:
    """One context value with its label, meaning and how to show it (pct, level, price, money, number, text)."""

    column: str
    label: str
    value: Any
    kind: str
    description: str


@dataclass(frozen=True)
class StockView:
    """Everything the symbol page shows."""

    symbol: str
    as_of: date
    is_latest: bool
    source: str | None
    row: dict[str, Any]
    ranked: int
    chart_svg: str
    has_ma200: bool
    context: list[ContextItem]
    flags: list[str]
    history: list[dict[str, Any]]
    other_classes: list[str]  # the company's other share classes in the report
    split_adjusted: bool = False  # the chart undid a confirmed split, as the report does


#: Percentages that have no sign to colour (a level, not a move).
_LEVELS = {"volatility_pct"}


def _kind(column: str) -> str:
    if column in _LEVELS:
        return "level"
    if column.startswith("dollar_volume"):
        return "money"
    if column.endswith("_pct"):
        return "pct"
    if column.endswith("_close") or column.endswith("_price"):
        return "price"
    if column.endswith("_date"):
        return "text"
    return "number"


def context_items(row: dict[str, Any]) -> list[ContextItem]:
    """The row's context columns (everything but the headline), in the report's column order."""
    return [
        ContextItem(column, column_label(column), value, _kind(column) if not isinstance(value, (str, bool)) else "text", column_description(column))
        for column, value in row.items()
        if column not in _HEADLINE and column not in _LONGER_VIEW and column != "flag_list"
    ]


class StockPages:
    """Single stocks of the stored reports, for the symbol page and ``/api/stocks/SYMBOL``."""

    def __init__(self, archive: Archive, history: SymbolHistory, dashboard: Dashboard, universe: pd.DataFrame, *, lookback_days: int) -> None:
        self._archive = archive
        self._history = history
        self._dashboard = dashboard
        self._universe = universe
        self._lookback_days = lookback_days

    def _find(self, query: str, day: date | None) -> tuple[str, Report, dict[str, Any]]:
        """The symbol, its report and its row, rounded; UnknownSymbol or NoReportYet otherwise.

        A symbol that left the universe is still found in the reports that have it."""
        report = self._dashboard.report(day)
        symbol = normalise_symbol(query)
        rows = report.frame[report.frame["symbol"] == symbol]
        if rows.empty:
            symbol = find_symbol(query, self._universe)
            raise NoReportYet(f"{symbol} has no bar dated {report.as_of.isoformat()}, so it is not in that day's report")
        return symbol, report, to_records(round_to_meaning(rows.head(1)))[0]

    def closes(self, symbol: str, as_of: date, extra_days: int = 0) -> pd.DataFrame:
        """``date, close`` of ``symbol`` from the stored bars of the window ending on ``as_of``,
        and of ``extra_days`` calendar days before it."""
        first = window_start(as_of, self._lookback_days) - timedelta(days=extra_days)
        days = [day for day in self._archive.stored_days("bars") if first <= day <= as_of]
        return self._history.bars(symbol, days).loc[:, ["date", "close"]].reset_index(drop=True)

    def chart_closes(self, symbol: str, as_of: date) -> tuple[pd.DataFrame, bool]:
        """``date, close`` for the page's chart (the window and the 200-session average's history
        before it) with confirmed splits undone as the report undoes them, so the chart shows the
        fall the report measures; and whether a split was undone."""
        first = window_start(as_of, self._lookback_days) - timedelta(days=AVERAGE_HISTORY_DAYS)
        days = [day for day in self._archive.stored_days("bars") if first <= day <= as_of]
        span = (as_of - first).days
        repaired, splits = repaired_history(self._history.bars(symbol, days), as_of, span)
        return repaired.loc[:, ["date", "close"]].reset_index(drop=True), bool((splits["verdict"] == "confirmed").any())

    def detail(self, query: str, day: date | None = None) -> dict[str, Any]:
        """The JSON of ``/api/stocks/SYMBOL``: the row and the window's closes."""
        symbol, report, row = self._find(query, day)
        closes = round_to_meaning(self.closes(symbol, report.as_of))
        others = self._dashboard.other_classes(report.as_of, symbol)
        return {"as_of": report.as_of.isoformat(), "source": report.source, "row": row, "other_classes": others, "closes": to_records(closes)}

    def rank_history(self, symbol: str, as_of: date) -> list[dict[str, Any]]:
        """The symbol's rank, drawdown and days since peak in the last ``HISTORY_REPORTS``
        reports up to ``as_of``, newest first (empty values where it was excluded or absent)."""
        days = [day for day in self._archive.stored_days("reports") if day <= as_of][-HISTORY_REPORTS:]
        history = []
        for day in reversed(days):
            frame = self._archive.read_report(day)
            rows = to_records(round_to_meaning(frame[frame["symbol"] == symbol].head(1)))
            row = rows[0] if rows else {}
            history.append(
                {
                    "as_of": day.isoformat(),
                    "rank": row.get("rank"),
                    "score_rank": row.get("score_rank"),
                    "drawdown_pct": row.get("drawdown_pct"),
                    "days_since_peak": row.get("days_since_peak"),
                    "ranked": int(frame["rank"].notna().sum()),
                }
            )
        return history

    def view(self, query: str, day: date | None = None) -> StockView:
        """The symbol page of ``query`` in the report of ``day`` (None: the latest)."""
        symbol, report, row = self._find(query, day)
        closes, adjusted = self.chart_closes(symbol, report.as_of)
        series = chart_series(closes, report.as_of, self._lookback_days)
        return StockView(
            symbol=symbol,
            as_of=report.as_of,
            is_latest=report.latest is not None,
            source=report.source,
            row=row,
            ranked=int(report.frame["rank"].notna().sum()),
            chart_svg=draw_price_chart(series, symbol),
            has_ma200=bool(series["ma200"].notna().any()),
            context=context_items(row),
            flags=[flag for flag in str(row.get("flags") or "").split(";") if flag],
            history=self.rank_history(symbol, report.as_of),
            other_classes=self._dashboard.other_classes(report.as_of, symbol),
            split_adjusted=adjusted,
        )
