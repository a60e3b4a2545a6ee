"""Market commands: the ranking, single stocks, the last reports, sectors, what changed, the track
record, download links, the last run and the build."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Callable, NamedTuple

import pandas as pd

from shared import __version__
from shared.bot import callbacks, changes_view, tables, views
from shared.bot.access import MARKET
from shared.bot.arguments import DEFAULT_PAGE, MAX_PAGE, match_sector, parse_top, usage_error, whole_number
from shared.bot.registry import MARKET_GROUP, Command, Request
from shared.bot.views import Reply
from shared.core.analytics import ranked_rows
from shared.core.share_classes import group_share_classes
from shared.errors import BadInput, NoReportYet
from shared.services.downloads import Downloads
from shared.services.reports import Reports
from shared.services.stocks import Stocks

#: /daily: how many reports by default and at most, and the rows of each.
DAILY_DEFAULT, DAILY_MAX, DAILY_ROWS = 5, 10, 5


def sectors_of(report: pd.DataFrame) -> list[str]:
    """A report's sectors, sorted (a sector button names its index in this list)."""
    return sorted(str(s) for s in report["sector"].dropna().unique())


class ReportFacts(NamedTuple):
    """What a ranking page needs of the whole report: its sectors (sorted) and row counts."""

    sectors: tuple[str, ...]
    ranked: int
    rows: int


def report_facts(report: pd.DataFrame) -> ReportFacts:
    """The report's sectors and how many of its rows are ranked."""
    return ReportFacts(tuple(sectors_of(report)), int(report["rank"].notna().sum()), len(report))


def ranking(report: pd.DataFrame, sector: str | None, sort: str) -> pd.DataFrame:
    """The ranked rows of ``report`` (of ``sector`` only, when given), one per company (its most
    traded class), in the ``sort`` order of /top."""
    ranked = ranked_rows(report)
    if sector is not None:
        ranked = ranked[ranked["sector"] == sector]
    return tables.sort_ranked(group_share_classes(ranked), sort)


class MarketCommands:
    """The commands that read the stored reports."""

    def __init__(
        self,
        reports: Reports,
        stocks: Stocks,
        downloads: Downloads,
        clock: Callable[[], datetime],
        *,
        lookback_days: int,
        build: str,
        source: str,
        store_location: str,
    ) -> None:
        self._reports = reports
        self._stocks = stocks
        self._downloads = downloads
        self._clock = clock
        self._lookback_days = lookback_days
        self._build = build
        self._source = source
        self._store_location = store_location

    def commands(self) -> list[Command]:
        """This group's entries of the command table."""
        rows = f"N rows ({DEFAULT_PAGE}, at most {MAX_PAGE})"
        return [
            Command("top", self.top, MARKET, "/top [N] [sector] [sort=KEY]", f"the deepest drawdowns; {rows}, sort=score|days|ret5|ret20", group=MARKET_GROUP),
            Command("stock", self.stock, MARKET, "/stock SYMBOL", f"one stock: drawdown, context, {self._lookback_days}-day chart", aliases=("s",), group=MARKET_GROUP),
            Command("daily", self.daily, MARKET, "/daily [N]", f"the top {DAILY_ROWS} of each of the last N reports", group=MARKET_GROUP),
            Command("sectors", self.sectors, MARKET, "/sectors", "median drawdown per sector", group=MARKET_GROUP),
            Command("changes", self.changes, MARKET, "/changes", "what changed since the previous day", group=MARKET_GROUP),
            Command("history", self.history, MARKET, "/history", "how past top-10 lists did afterwards", group=MARKET_GROUP),
            Command("download", self.download, MARKET, "/download [YYYY-MM-DD]", "a time-limited link to a report CSV", group=MARKET_GROUP),
            Command("status", self.status, MARKET, "/status", "the last collection: when, coverage, what is missing", group=MARKET_GROUP),
            Command("version", self.version, MARKET, "/version", "the build, the data source and the last run", group=MARKET_GROUP),
        ]

    def _latest(self) -> tuple[dict[str, Any], date]:
        latest = self._reports.latest_summary()
        return latest, date.fromisoformat(str(latest["as_of"]))

    def _summary_of(self, as_of: date, facts: ReportFacts, latest: dict[str, Any] | None = None) -> dict[str, Any]:
        """The stamp's facts for the report of ``as_of`` (the latest summary, or one of an older day)."""
        latest, latest_day = (latest, date.fromisoformat(str(latest["as_of"]))) if latest is not None else self._latest()
        if as_of == latest_day:
            return latest
        return dict(latest, as_of=as_of.isoformat(), ranked=facts.ranked, excluded=facts.rows - facts.ranked)

    def page(self, page: callbacks.TopPage, latest: dict[str, Any] | None = None) -> Reply:
        """One page of the ranking of ``page.day``, stamped with that day (an older message's
        buttons keep paging the report it showed). Its views of the report are built once per
        report (``Reports.derived``): a warm request slices them."""
        try:
            facts = self._reports.derived(page.day, "facts", report_facts)
            sector = None if page.sector is None else facts.sectors[page.sector]
        except (NoReportYet, IndexError):
            raise callbacks.StaleButton("That button is out of date; send /top again.") from None
        ranked = self._reports.derived(page.day, ("top", sector, page.sort), lambda report: ranking(report, sector, page.sort))
        size = max(1, min(page.size, MAX_PAGE))
        shown = callbacks.TopPage(page.day, page.offset, size, page.sector, page.sort)
        return tables.top_page(ranked, shown, sector, self._summary_of(page.day, facts, latest))

    def top(self, request: Request) -> Reply:
        """The ranking, optionally for one sector, in one of the orders."""
        wanted = parse_top(request.args)
        latest, day = self._latest()
        sector = None
        if wanted.sector is not None:
            sectors = list(self._reports.derived(day, "facts", report_facts).sectors)
            sector = sectors.index(match_sector(wanted.sector, sectors))
        return self.page(callbacks.TopPage(day, 0, wanted.size, sector, wanted.sort), latest)

    def stock(self, request: Request) -> Reply:
        """The detail view of one symbol."""
        if len(request.args) != 1:
            raise BadInput("Usage: /stock SYMBOL, e.g. /stock AAPL")
        return self.stock_view(callbacks.StockView(request.args[0]))

    def stock_view(self, view: callbacks.StockView) -> Reply:
        """One symbol in the latest report, with a button back to the list it was opened from."""
        latest, day = self._latest()
        found = self._stocks.row(view.symbol, day)
        return views.stock(found, self._stocks.chart(found.symbol, found.as_of), latest, view.back)

    def daily(self, request: Request) -> Reply:
        """The top five of each of the last N reports, newest first."""
        if len(request.args) > 1:
            raise usage_error("Give at most one N.", "Usage: /daily [N], e.g. /daily 3")
        count = whole_number(request.args[0], "N", 1, DAILY_MAX, "Usage: /daily [N], e.g. /daily 3") if request.args else DAILY_DEFAULT
        latest, latest_day = self._latest()
        days = [day for day in self._reports.report_days() if day <= latest_day][-count:][::-1]
        found = [(day.isoformat(), ranked_rows(self._reports.load_report(day)[1])) for day in days]
        return tables.daily(found, DAILY_ROWS, latest)

    def sectors(self, _request: Request) -> Reply:
        """Sectors by median drawdown, deepest first; each sector's button opens its ranking."""
        latest, day = self._latest()
        _as_of, report = self._reports.load_report(day)
        return tables.sectors(self._reports.sector_summary(day), sectors_of(report), day, latest)

    def changes(self, _request: Request) -> Reply:
        """Entries and exits of the top list, the biggest rank moves and new data flags."""
        latest, day = self._latest()
        return changes_view.changes(self._reports.report_changes(day), latest)

    def history(self, _request: Request) -> Reply:
        """The track record: past top-10 lists against the universe median, per horizon."""
        latest, _day = self._latest()
        return tables.history(self._reports.track_record(), latest)

    def download(self, request: Request) -> Reply:
        """A signed, expiring link to the report CSV of a day (default: the latest)."""
        latest, day = self._latest()
        latest_day = day
        if request.args:
            try:
                day = date.fromisoformat(request.args[0])
            except ValueError:
                raise BadInput("Usage: /download [YYYY-MM-DD], e.g. /download 2024-03-08") from None
        url = self._downloads.report_url(day, request.base_url)
        return views.download(url, day, self._downloads.ttl_seconds // 60, latest if day == latest_day else None)

    def status(self, _request: Request) -> Reply:
        """The last run's time, duration, coverage, and the missing and failed symbols."""
        return views.status(self._reports.status(names=True), self._clock())

    def version(self, _request: Request) -> Reply:
        """The release and build, the data source and store, and the last run."""
        run = self._reports.last_collection()
        return views.version(__version__, self._build, self._source, self._store_location, run, self._clock())
