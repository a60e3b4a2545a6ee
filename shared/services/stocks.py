"""One stock: its row of a report, its closes in the window, and its chart.

The web's ``/api/stocks/<symbol>`` and the bot's ``/stock`` both read a stock through here.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from shared.adapters.archive import Archive
from shared.adapters.universe import find_symbol, normalise_symbol
from shared.core.analytics import repaired_history
from shared.core.charts import downsample
from shared.core.share_classes import classes_in_group, company_groups
from shared.core.window import window_start
from shared.errors import NoReportYet, ObjectNotFound
from shared.services.reports import Reports


@dataclass(frozen=True)
class StockRow:
    """A symbol's row of the report of ``as_of``; ``ranked`` is how many rows that report ranks."""

    symbol: str
    as_of: date
    row: dict[str, Any]
    ranked: int
    other_classes: tuple[str, ...] = ()  # the company's other share classes in that report


@dataclass(frozen=True)
class Chart:
    """Chart points (None where the symbol has no close yet) from ``start`` to ``end`` (YYYY-MM-DD);
    ``split_adjusted`` when a confirmed split was undone in them, as in the report."""

    points: list[float | None]
    start: str
    end: str
    split_adjusted: bool = False


@dataclass(frozen=True)
class StockIndex:
    """A report read for single stocks: each symbol's (first) row, the company group of each row
    (``shared.core.share_classes.company_groups``) and how many rows are ranked. Built once per
    report (``Reports.derived``), so a warm /stock reads one row."""

    report: pd.DataFrame
    positions: dict[str, int]
    groups: pd.Series
    ranked: int

    @classmethod
    def of(cls, report: pd.DataFrame) -> StockIndex:
        symbols, first = np.unique(report["symbol"].astype(str).to_numpy(), return_index=True)
        return cls(report, dict(zip(symbols.tolist(), first.tolist())), company_groups(report), int(report["rank"].notna().sum()))


class ChartReader:
    """The stored chart objects, one day kept in memory (a warm process draws from it without I/O)."""

    def __init__(self, archive: Archive) -> None:
        self._archive = archive
        self._day: date | None = None
        self._document: dict[str, Any] = {}
        self._lock = threading.Lock()

    def chart(self, as_of: date, symbol: str) -> Chart | None:
        """The symbol's stored chart for ``as_of``, or None when the day or the symbol has none."""
        with self._lock:
            if self._day != as_of:
                try:
                    document = self._archive.read_chart(as_of)
                except ObjectNotFound:
                    return None
                self._day, self._document = as_of, document
            document = self._document
        points = document.get("symbols", {}).get(symbol)
        if points is None:
            return None
        return Chart(list(points), str(document.get("start")), str(document.get("end")), symbol in document.get("split_adjusted", ()))


class Stocks:
    """Single stocks of the stored reports."""

    def __init__(self, archive: Archive, reports: Reports, charts: ChartReader, universe: pd.DataFrame, *, lookback_days: int) -> None:
        self._archive = archive
        self._reports = reports
        self._charts = charts
        self._universe = universe
        # A known symbol is found without reading 10,000 names per request.
        self._symbols = frozenset(universe["symbol"].astype(str)) if "symbol" in universe else frozenset()
        self._lookback_days = lookback_days

    def row(self, query: str, day: date | None = None) -> StockRow:
        """The row of ``query``'s symbol in the report of ``day`` (default: the latest).

        UnknownSymbol (with suggestions) for a symbol outside the universe; NoReportYet when the
        report has no row for it (no bar that day)."""
        symbol = normalise_symbol(query)
        if symbol not in self._symbols:
            symbol = find_symbol(query, self._universe)  # UnknownSymbol, with suggestions
        as_of = self._reports.latest_day() if day is None else day
        index = self._reports.derived(as_of, "stocks", StockIndex.of)
        position = index.positions.get(symbol)
        if position is None:
            raise NoReportYet(f"{symbol} has no bar dated {as_of.isoformat()}, so it is not in that day's report")
        row = {str(column): value for column, value in index.report.iloc[position].items()}
        return StockRow(symbol, as_of, row, index.ranked, tuple(classes_in_group(index.report, index.groups, position)))

    def closes(self, symbol: str, as_of: date) -> tuple[pd.DataFrame, bool]:
        """``date, close`` of ``symbol`` in the window ending on ``as_of``, from the stored bars,
        with a confirmed split undone as the report undoes it; and whether one was."""
        start = window_start(as_of, self._lookback_days)
        days = [day for day in self._archive.stored_days("bars") if start <= day <= as_of]
        bars = self._archive.read_bars(days)
        repaired, splits = repaired_history(bars[bars["symbol"] == symbol], as_of, self._lookback_days)
        adjusted = bool((splits["verdict"] == "confirmed").any())
        return repaired.loc[:, ["date", "close"]].reset_index(drop=True), adjusted

    def chart(self, symbol: str, as_of: date) -> Chart | None:
        """The chart of ``symbol`` in the window ending on ``as_of``: the stored chart object, or
        drawn from the stored bars for a report that predates chart objects; None without closes."""
        stored = self._charts.chart(as_of, symbol)
        if stored is not None:
            return stored
        closes, adjusted = self.closes(symbol, as_of)
        if closes.empty:
            return None
        points: list[float | None] = list(downsample(closes["close"].tolist()))
        return Chart(points, closes["date"].iloc[0].strftime("%Y-%m-%d"), closes["date"].iloc[-1].strftime("%Y-%m-%d"), adjusted)
