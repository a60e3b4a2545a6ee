"""The web's services, built once per app from the composition root's parts."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask import current_app

from shared.bootstrap import Parts
from shared.errors import ObjectNotFound
from shared.services import reports as report_services
from shared.services.dashboard import Dashboard
from shared.services.run_history import RunHistory
from shared.services.stock_pages import StockPages
from shared.adapters.symbol_history import SymbolHistory

_REPORT_KEY = re.compile(r"^reports/\d{4}-\d{2}-\d{2}\.csv$")


class ReportDownloads:
    """Signed, expiring links to report CSVs, and the files behind them (report CSVs only)."""

    def __init__(self, parts: Parts) -> None:
        self._parts = parts

    def report_url(self, day: date, base_url: str) -> str:
        return report_services.report_download_url(self._parts, day, base_url)

    def open(self, token: str) -> tuple[str, bytes]:
        """The file name and bytes a token names; InvalidLink, or ObjectNotFound for anything but an existing report."""
        key, data = report_services.open_download(self._parts, token)
        if not _REPORT_KEY.match(key):
            raise ObjectNotFound("the linked file no longer exists")
        return key.rsplit("/", 1)[-1], data


@dataclass(frozen=True)
class WebServices:
    """What the pages and the JSON API call."""

    dashboard: Dashboard
    stocks: StockPages
    runs: RunHistory
    downloads: ReportDownloads
    link_ttl_seconds: int


def web_services() -> WebServices:
    """The running app's web services (built on first use)."""
    services = current_app.extensions.get("dipwatch-web")
    if services is None:
        parts: Parts = current_app.extensions["dipwatch"]
        runs = RunHistory(parts.archive, parts.universe)
        downloads = ReportDownloads(parts)
        settings = parts.settings
        dashboard = Dashboard(
            parts.archive,
            runs,
            downloads,
            lambda: report_services.track_record(parts),
            top_n=settings.top_n,
            link_ttl_seconds=settings.link_ttl_seconds,
            market_data=settings.market_data,
        )
        stocks = StockPages(parts.archive, SymbolHistory(parts.store), dashboard, parts.universe, lookback_days=settings.lookback_days)
        services = WebServices(dashboard, stocks, runs, downloads, settings.link_ttl_seconds)
        current_app.extensions["dipwatch-web"] = services
    return services
