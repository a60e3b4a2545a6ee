"""Market commands: the ranking, single stocks, sectors, what changed, the track record,
download links and the last run."""
from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from shared.bot import callbacks, views
from shared.bot.access import MARKET
from shared.bot.registry import Command, Request
from shared.bot.views import Reply
from shared.core.analytics import ranked_rows
from shared.errors import BadInput, NoReportYet
from shared.services.downloads import Downloads
from shared.services.reports import Reports
from shared.services.stocks import Stocks

#: The most rows one /top page shows, and the default.
MAX_PAGE = 25
DEFAULT_PAGE = 10


def sectors_of(report: pd.DataFrame) -> list[str]:
    """A report's sectors, sorted (a sector button names its index in this list)."""
    return sorted(str(s) for s in report["sector"].dropna().unique())


def match_sector(query: str, sectors: list[str]) -> str:
    """The one sector ``query`` names (exactly, by prefix, or by substring); BadInput otherwise."""
    wanted = query.strip().lower()
    for test in (lambda s: s.lower() == wanted, lambda s: s.lower().startswith(wanted), lambda s: wanted in s.lower()):
        found = [sector for sector in sectors if test(sector)]
        if len(found) == 1:
            return found[0]
        if found:
            raise BadInput(f"“{query}” matches several sectors: {', '.join(found)}.")
    raise BadInput(f"No sector matches “{query}”. Sectors: {', '.join(sectors)}.")


def int_arg(text: str, label: str, low: int, high: int) -> int:
    """A whole-number argument in [low, high]; BadInput naming ``label`` otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise BadInput(f"{label} must be a whole number, got “{text}”.") from None
    if not low <= value <= high:
        raise BadInput(f"{label} must be between {low} and {high}.")
    return value


class MarketCommands:
    """The commands that read the stored reports."""

    def __init__(self, reports: Reports, stocks: Stocks, downloads: Downloads, *, lookback_days: int) -> None:
        self._reports = reports
        self._stocks = stocks
        self._downloads = downloads
        self._lookback_days = lookback_days

    def commands(self) -> list[Command]:
        """This group's entries of the command table."""
        return [
            Command("top", self.top, MARKET, "/top [N] [sector]", "the deepest drawdowns, N per page"),
            Command("stock", self.stock, MARKET, "/stock SYMBOL", f"one stock: drawdown, context, {self._lookback_days}-day chart", aliases=("s",)),
            Command("sectors", self.sectors, MARKET, "/sectors", "median drawdown per sector"),
            Command("changes", self.changes, MARKET, "/changes", "what changed since the previous day"),
            Command("history", self.history, MARKET, "/history", "how past top-10 lists did afterwards"),
            Command("download", self.download, MARKET, "/download [YYYY-MM-DD]", "a time-limited link to a report CSV"),
            Command("status", self.status, MARKET, "/status", "the last collection: time, duration, coverage, failures"),
        ]

    def _latest(self) -> tuple[dict[str, Any], date]:
        latest = self._reports.latest_summary()
        return latest, date.fromisoformat(str(latest["as_of"]))

    def page(self, page: callbacks.TopPage) -> Reply:
        """One page of the ranking of ``page.day``, stamped with that day (an older message's
        buttons keep paging the report it showed)."""
        latest, latest_day = self._latest()
        try:
            as_of, report = self._reports.load_report(page.day)
            sectors = sectors_of(report)
            sector = None if page.sector is None else sectors[page.sector]
        except (NoReportYet, IndexError):
            raise callbacks.StaleButton("That button is out of date; send /top again.") from None
        if as_of != latest_day:
            ranked_count = int(report["rank"].notna().sum())
            latest = dict(latest, as_of=as_of.isoformat(), ranked=ranked_count, excluded=len(report) - ranked_count)
        ranked = ranked_rows(report)
        if sector is not None:
            ranked = ranked[ranked["sector"] == sector]
        size = max(1, min(page.size, MAX_PAGE))
        return views.top_page(ranked, callbacks.TopPage(as_of, page.offset, size, page.sector), sector, latest)

    def top(self, request: Request) -> Reply:
        """The ranking, optionally for one sector."""
        args = list(request.args)
        size = DEFAULT_PAGE
        if args and args[0].isdigit():
            size = int_arg(args.pop(0), "N", 1, MAX_PAGE)
        _latest, day = self._latest()
        sector = None
        if args:
            _as_of, report = self._reports.load_report(day)
            sectors = sectors_of(report)
            sector = sectors.index(match_sector(" ".join(args), sectors))
        return self.page(callbacks.TopPage(day, 0, size, sector))

    def stock(self, request: Request) -> Reply:
        """The detail view of one symbol."""
        if len(request.args) != 1:
            raise BadInput("Usage: /stock SYMBOL, for example /stock AAPL")
        latest, day = self._latest()
        found = self._stocks.row(request.args[0], day)
        return views.stock(found, self._stocks.chart(found.symbol, found.as_of), latest)

    def sectors(self, _request: Request) -> Reply:
        """Sectors by median drawdown, deepest first."""
        latest, day = self._latest()
        return views.sectors(self._reports.sector_summary(day), latest)

    def changes(self, _request: Request) -> Reply:
        """Entries and exits of the top list, the biggest rank moves and new data flags."""
        latest, day = self._latest()
        return views.changes(self._reports.report_changes(day), latest)

    def history(self, _request: Request) -> Reply:
        """The track record: past top-10 lists against the universe median, per horizon."""
        latest, _day = self._latest()
        return views.history(self._reports.track_record(), latest)

    def download(self, request: Request) -> Reply:
        """A signed, expiring link to the report CSV of a day (default: the latest)."""
        latest, day = self._latest()
        latest_day = day
        if request.args:
            try:
                day = date.fromisoformat(request.args[0])
            except ValueError:
                raise BadInput(f"“{request.args[0]}” is not a date; use YYYY-MM-DD.") from None
        url = self._downloads.report_url(day, request.base_url)
        return views.download(url, day, self._downloads.ttl_seconds // 60, latest if day == latest_day else None)

    def status(self, _request: Request) -> Reply:
        """The last run's time, duration, coverage and failures."""
        return views.status(self._reports.status())
